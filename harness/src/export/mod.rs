//! `twinflow export`'s formats: a log's spans (contract §3.2) and metrics as OTLP/JSON
//! ([`otlp`]), a Chrome trace for Perfetto ([`chrome`]) or Prometheus' text exposition
//! ([`prometheus`]).
//!
//! An [`Exporter`] takes events in log order, one log after another; [`spans`] turns them into
//! spans as they end and [`metrics`] adds up the measurements, so a log of any length is exported
//! with memory for its open spans and its metric series only. The events are expected to be valid
//! (the command validates them on the way, [`crate::check_log::LogChecker`]); an event missing its
//! ids is skipped.

pub mod chrome;
pub mod metrics;
pub mod otlp;
pub mod prometheus;
mod sink;
pub mod spans;

use std::fs;
use std::io::{self, Write};
use std::path::Path;

use serde_json::Value;

use self::metrics::MetricSet;
use self::sink::Sink;
use self::spans::{Assembler, Span};
use crate::finding::Finding;
use crate::jsonl::LogEvents;

/// An output format (`--to`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Target {
    /// OTLP/JSON: an `ExportTraceServiceRequest` of the spans (and, with `--metrics FILE`, an
    /// `ExportMetricsServiceRequest` of the metrics).
    OtlpJson,
    /// Chrome's trace event JSON, for Perfetto and `chrome://tracing`: one process per log.
    ChromeTrace,
    /// Prometheus' text exposition format of the metrics.
    Prometheus,
}

/// Exports logs, event by event, to one format.
pub struct Exporter<'a> {
    sink: Box<dyn Sink + 'a>,
    assembler: Assembler,
    metrics: MetricSet,
    log: usize,
}

impl std::fmt::Debug for Exporter<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Exporter")
            .field("logs", &self.metrics.logs)
            .finish_non_exhaustive()
    }
}

impl<'a> Exporter<'a> {
    /// An exporter to `target`, writing to `out`; for OTLP, the metrics request goes to
    /// `metrics` when given.
    ///
    /// # Errors
    /// When `out` cannot be written.
    pub fn new(
        target: Target,
        out: Box<dyn Write + 'a>,
        metrics: Option<Box<dyn Write + 'a>>,
    ) -> io::Result<Self> {
        let sink: Box<dyn Sink + 'a> = match target {
            Target::OtlpJson => Box::new(otlp::OtlpSink::new(out, metrics)?),
            Target::ChromeTrace => Box::new(chrome::ChromeSink::new(out)?),
            Target::Prometheus => Box::new(prometheus::PrometheusSink { out }),
        };
        Ok(Self {
            sink,
            assembler: Assembler::new(),
            metrics: MetricSet::default(),
            log: 0,
        })
    }

    /// Starts the next log, named `name` (the OTLP resource, the Chrome process, the `log`
    /// label).
    ///
    /// # Errors
    /// When the output cannot be written.
    pub fn begin_log(&mut self, name: &str) -> io::Result<()> {
        self.assembler = Assembler::new();
        self.log = self.metrics.begin_log(name);
        self.sink.begin_log(self.log, name)
    }

    /// Takes the log's next event.
    ///
    /// # Errors
    /// When the output cannot be written.
    pub fn push(&mut self, event: &Value) -> io::Result<()> {
        let pushed = self.assembler.push(event);
        if let Some(span) = &pushed.started {
            self.sink.span_started(span)?;
        }
        let flow_id = event.get("flow_id").and_then(Value::as_str).unwrap_or("");
        self.metrics
            .observe_event(self.log, self.assembler.flow_name(flow_id), event);
        self.ended(&pushed.ended)
    }

    fn ended(&mut self, spans: &[Span]) -> io::Result<()> {
        for span in spans {
            self.metrics.observe_span(self.log, span);
            self.sink.span_ended(span)?;
        }
        Ok(())
    }

    /// Ends the log: its spans still open are exported unfinished.
    ///
    /// # Errors
    /// When the output cannot be written.
    pub fn end_log(&mut self) -> io::Result<()> {
        let open = self.assembler.finish();
        self.ended(&open)?;
        self.sink.end_log()
    }

    /// Ends the export; returns what could not be carried over (warnings).
    ///
    /// # Errors
    /// When the output cannot be written.
    pub fn finish(self) -> io::Result<Vec<Finding>> {
        let mut findings = Vec::new();
        self.sink.finish(&self.metrics, &mut findings)?;
        Ok(findings)
    }
}

/// One engine's run of a failing fixture, for [`write_fixture_dir`].
#[derive(Debug, Clone, Copy)]
pub struct Side<'a> {
    /// The engine's name (`rust`, `python`): the files' and the trace process's name.
    pub name: &'a str,
    /// Its raw events, when it ran.
    pub events: &'a LogEvents,
    /// Its normalized log or load error, as in its snapshot.
    pub normalized: Option<&'a str>,
}

/// Writes into `dir` (created) each side's raw log (`<name>.jsonl`), normalized log
/// (`<name>.normalized.yaml`) and one Chrome trace with a process per side (`timeline.json`).
///
/// # Errors
/// When a file cannot be written.
pub fn write_fixture_dir(dir: &Path, sides: &[Side<'_>]) -> io::Result<()> {
    fs::create_dir_all(dir)?;
    let trace = io::BufWriter::new(fs::File::create(dir.join("timeline.json"))?);
    let mut exporter = Exporter::new(Target::ChromeTrace, Box::new(trace), None)?;
    for side in sides {
        let mut log =
            io::BufWriter::new(fs::File::create(dir.join(format!("{}.jsonl", side.name)))?);
        exporter.begin_log(side.name)?;
        side.events.write_jsonl(&mut log)?;
        for event in side.events.iter_values() {
            exporter.push(&event)?;
        }
        log.flush()?;
        exporter.end_log()?;
        if let Some(normalized) = side.normalized {
            fs::write(
                dir.join(format!("{}.normalized.yaml", side.name)),
                normalized,
            )?;
        }
    }
    exporter.finish()?;
    Ok(())
}
