//! Batches of whole lines: the unit handed from the reading thread to the parsing ones.

use std::ops::Range;

use serde_json::Value;

use super::error::LineError;
use super::locate::{check_line, parse_line};

/// One line of a batch: its number, where its bytes are, and what the reader noticed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawLine {
    /// 1-based line number in the log (blank lines count).
    pub number: u64,
    pub(super) range: Range<usize>,
    /// The log's last line, without a trailing newline.
    pub unterminated: bool,
    /// Set when the line was too long to keep: its length and the limit, in bytes.
    pub too_long: Option<(u64, u64)>,
}

/// Whole non-blank lines read from a log, their bytes in one buffer.
#[derive(Debug, Default)]
pub struct LineBatch {
    pub(super) data: Vec<u8>,
    pub(super) lines: Vec<RawLine>,
}

impl LineBatch {
    /// An empty batch.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Empties the batch, keeping its buffers for reuse.
    pub fn clear(&mut self) {
        self.data.clear();
        self.lines.clear();
    }

    /// The number of lines.
    #[must_use]
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// Whether the batch holds no line.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Bytes of line content held.
    #[must_use]
    pub fn bytes(&self) -> usize {
        self.data.len()
    }

    /// The lines with their bytes (BOM, `\r` and newline already removed).
    pub fn iter(&self) -> impl Iterator<Item = (&RawLine, &[u8])> {
        self.lines
            .iter()
            .map(|line| (line, &self.data[line.range.clone()]))
    }

    /// Parses every line, in order.
    pub fn parse(&self) -> impl Iterator<Item = (u64, Result<Value, LineError>)> + '_ {
        self.iter()
            .map(|(line, bytes)| (line.number, line.parse(bytes)))
    }
}

impl RawLine {
    /// Parses this line's `bytes` (as given by [`LineBatch::iter`]).
    ///
    /// # Errors
    /// The line's [`LineError`].
    pub fn parse(&self, bytes: &[u8]) -> Result<Value, LineError> {
        self.kept()?;
        parse_line(bytes, self.number, self.unterminated)
    }

    /// Checks that this line's `bytes` are one JSON value, without building it; returns its text.
    ///
    /// # Errors
    /// The line's [`LineError`], as [`parse`](Self::parse) gives it.
    pub fn check<'b>(&self, bytes: &'b [u8]) -> Result<&'b str, LineError> {
        self.kept()?;
        check_line(bytes, self.number, self.unterminated)
    }

    /// Fails for a line that was too long to keep.
    fn kept(&self) -> Result<(), LineError> {
        match self.too_long {
            Some((length, limit)) => Err(LineError::TooLong {
                line: self.number,
                length,
                limit,
            }),
            None => Ok(()),
        }
    }
}
