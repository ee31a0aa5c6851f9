//! The interface between the [`super::Exporter`] and each format.

use std::io;

use super::metrics::MetricSet;
use super::spans::Span;
use crate::finding::Finding;

/// What a format does with spans as they come, and at the end.
pub(super) trait Sink {
    /// A log starts (`index` from 0, in input order).
    fn begin_log(&mut self, index: usize, name: &str) -> io::Result<()>;
    /// A span opened.
    fn span_started(&mut self, _span: &Span) -> io::Result<()> {
        Ok(())
    }
    /// A span ended (or its log did).
    fn span_ended(&mut self, span: &Span) -> io::Result<()>;
    /// The log ended; its open spans have been handed out.
    fn end_log(&mut self) -> io::Result<()>;
    /// Every log has ended: writes what is left, adds what could not be carried over.
    fn finish(self: Box<Self>, metrics: &MetricSet, findings: &mut Vec<Finding>) -> io::Result<()>;
}
