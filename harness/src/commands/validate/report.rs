//! Streaming `twinflow validate`'s findings in the chosen format (each rendered by its module in
//! `report/`: `text`, `json`, `github`), plus the run summary.
//!
//! Findings are written as they are found, so memory does not grow with their number; the JSON
//! document is streamed the same way (its `diagnostics` array first, the summary last).

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::time::Duration;

use serde_json::{Value, json};

use crate::finding::Finding;
use crate::jsonl::JsonlError;
use crate::report::{github, text};

/// How findings are printed (`--format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// `file:line[:column]: code: message`, one per line; summary on standard error.
    Text,
    /// One JSON document on standard output: `{"diagnostics": [...], "files": [...], "summary": {...}}`.
    Json,
    /// GitHub Actions workflow commands (`::error file=...,line=...::message`); summary on
    /// standard error.
    Github,
}

/// Per-log counts, for the summary.
#[derive(Debug, Default, Clone)]
pub(crate) struct FileSummary {
    pub(crate) file: String,
    pub(crate) events: u64,
    pub(crate) flows: u64,
    pub(crate) blank_lines: u64,
    pub(crate) errors: u64,
    /// Why the log could not be used, if it could not.
    pub(crate) unusable: Option<String>,
}

/// Writes findings in the chosen format and counts them.
pub(crate) struct Reporter<W: Write> {
    out: W,
    format: Format,
    max_errors: Option<u64>,
    errors: u64,
    warnings: u64,
    by_code: BTreeMap<String, u64>,
    files: Vec<FileSummary>,
    first_diagnostic: bool,
    /// Drawn on standard error while findings go to standard output.
    progress: Option<indicatif::ProgressBar>,
}

impl<W: Write> Reporter<W> {
    pub(crate) fn new(out: W, format: Format, max_errors: Option<u64>) -> io::Result<Self> {
        let mut reporter = Self {
            out,
            format,
            max_errors,
            errors: 0,
            warnings: 0,
            by_code: BTreeMap::new(),
            files: Vec::new(),
            first_diagnostic: true,
            progress: None,
        };
        if format == Format::Json {
            reporter.out.write_all(b"{\"diagnostics\":[")?;
        }
        Ok(reporter)
    }

    /// Suspends `progress` while writing, so findings on a terminal are not drawn over.
    pub(crate) fn set_progress(&mut self, progress: Option<indicatif::ProgressBar>) {
        self.progress = progress;
    }

    /// Errors reported so far.
    pub(crate) fn errors(&self) -> u64 {
        self.errors
    }

    /// Whether `--max-errors` has been reached: the caller stops.
    pub(crate) fn limit_reached(&self) -> bool {
        self.max_errors.is_some_and(|max| self.errors >= max)
    }

    /// Reports one finding (unless the limit was reached already); only errors count towards
    /// the limit and the exit status.
    pub(crate) fn report(&mut self, finding: &Finding) -> io::Result<()> {
        if self.limit_reached() {
            return Ok(());
        }
        if finding.is_error() {
            self.errors += 1;
        } else {
            self.warnings += 1;
        }
        *self.by_code.entry(finding.code.to_string()).or_default() += 1;
        let mut text = match self.format {
            Format::Text => text::line(finding),
            Format::Github => github::annotation(finding),
            Format::Json => {
                let separator = if self.first_diagnostic { "\n" } else { ",\n" };
                format!("{separator}{}", crate::report::finding_json(finding))
            }
        };
        self.first_diagnostic = false;
        if self.format != Format::Json {
            text.push('\n');
        }
        match self.progress.clone() {
            Some(progress) => progress.suspend(|| {
                self.out.write_all(text.as_bytes())?;
                self.out.flush()
            }),
            None => self.out.write_all(text.as_bytes()),
        }
    }

    /// Records a finished (or unusable) log.
    pub(crate) fn file_done(&mut self, summary: FileSummary) {
        self.files.push(summary);
    }

    /// Records a log that could not be opened or read; says so on standard error.
    pub(crate) fn unusable(&mut self, mut summary: FileSummary, error: &JsonlError) {
        let message = error.to_string();
        if let Some(progress) = &self.progress {
            progress.suspend(|| eprintln!("error: {message}"));
        } else {
            eprintln!("error: {message}");
        }
        summary.unusable = Some(message);
        self.files.push(summary);
    }

    /// Ends the output: closes the JSON document, or prints the summary on standard error.
    pub(crate) fn finish(mut self, elapsed: Duration, stopped: bool) -> io::Result<()> {
        let totals = Totals::of(&self.files, elapsed);
        if self.format == Format::Json {
            return self.close_json(&totals, stopped);
        }
        self.out.flush()?;
        let logs = if self.files.len() == 1 { "log" } else { "logs" };
        eprintln!(
            "checked {} {logs}: {} events, {} flows, {} blank lines in {:.2}s ({:.0} events/s)",
            self.files.len(),
            totals.events,
            totals.flows,
            totals.blank,
            totals.seconds,
            totals.rate
        );
        let codes: Vec<String> = self
            .by_code
            .iter()
            .map(|(code, n)| format!("{code} {n}"))
            .collect();
        let warned = match self.warnings {
            0 => String::new(),
            1 => " (1 warning)".to_owned(),
            n => format!(" ({n} warnings)"),
        };
        let verdict = if self.errors == 0 {
            format!("valid{warned}")
        } else {
            let noun = if self.errors == 1 { "error" } else { "errors" };
            format!(
                "invalid: {} {noun}{warned} ({})",
                self.errors,
                codes.join(", ")
            )
        };
        let stop = if stopped {
            format!(
                "; stopped at --max-errors {}",
                self.max_errors.unwrap_or_default()
            )
        } else {
            String::new()
        };
        let broken = match totals.unusable {
            0 => String::new(),
            1 => "; 1 log unusable".to_owned(),
            n => format!("; {n} logs unusable"),
        };
        if totals.unusable > 0 && self.errors == 0 {
            eprintln!("unusable input{broken}");
        } else {
            eprintln!("{verdict}{stop}{broken}");
        }
        Ok(())
    }

    /// Closes the streamed JSON document with the per-file counts and the summary.
    fn close_json(mut self, totals: &Totals, stopped: bool) -> io::Result<()> {
        let files: Vec<Value> = self
            .files
            .iter()
            .map(|f| {
                json!({
                    "file": f.file,
                    "events": f.events,
                    "flows": f.flows,
                    "blank_lines": f.blank_lines,
                    "errors": f.errors,
                    "unusable": f.unusable,
                })
            })
            .collect();
        let summary = json!({
            "valid": self.errors == 0 && totals.unusable == 0,
            "files": self.files.len(),
            "unusable_files": totals.unusable,
            "events": totals.events,
            "flows": totals.flows,
            "blank_lines": totals.blank,
            "errors": self.errors,
            "warnings": self.warnings,
            "errors_by_code": self.by_code,
            "stopped_at_max_errors": stopped,
            "seconds": totals.seconds,
            "events_per_second": totals.rate.round(),
        });
        let close = if self.first_diagnostic { "]" } else { "\n]" };
        writeln!(
            self.out,
            "{close},\n\"version\":{},\n\"files\":{},\n\"summary\":{summary}}}",
            crate::report::REPORT_VERSION,
            Value::Array(files)
        )?;
        self.out.flush()
    }
}

/// Sums over the logs of a run.
struct Totals {
    events: u64,
    flows: u64,
    blank: u64,
    unusable: usize,
    seconds: f64,
    rate: f64,
}

impl Totals {
    fn of(files: &[FileSummary], elapsed: Duration) -> Self {
        let events: u64 = files.iter().map(|f| f.events).sum();
        let seconds = elapsed.as_secs_f64();
        #[allow(clippy::cast_precision_loss)] // a rate for people; 2^53 events is far away
        let rate = if seconds > 0.0 {
            events as f64 / seconds
        } else {
            0.0
        };
        Self {
            events,
            flows: files.iter().map(|f| f.flows).sum(),
            blank: files.iter().map(|f| f.blank_lines).sum(),
            unusable: files.iter().filter(|f| f.unusable.is_some()).count(),
            seconds,
            rate,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{Check, Code};

    fn gap() -> Finding {
        let mut finding =
            Finding::new(Code::new(Check::Structure, "seq_gap"), "seq jumps").in_file("a");
        finding.location.line = Some(9);
        finding
    }

    #[test]
    fn json_document_is_streamed_and_complete() {
        let mut out = Vec::new();
        let mut reporter = Reporter::new(&mut out, Format::Json, Some(1)).unwrap();
        reporter.report(&gap()).unwrap();
        assert!(reporter.limit_reached());
        reporter.report(&gap()).unwrap();
        reporter.file_done(FileSummary {
            file: "a".into(),
            events: 3,
            ..FileSummary::default()
        });
        reporter.finish(Duration::from_secs(1), true).unwrap();
        let doc: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(doc["diagnostics"].as_array().unwrap().len(), 1);
        assert_eq!(doc["diagnostics"][0]["code"], "structure.seq_gap");
        assert_eq!(doc["diagnostics"][0]["location"]["line"], 9);
        assert_eq!(doc["summary"]["errors_by_code"]["structure.seq_gap"], 1);
        assert_eq!(doc["summary"]["stopped_at_max_errors"], true);
        assert_eq!(doc["summary"]["valid"], false);
        assert_eq!(doc["files"][0]["events"], 3);
    }
}
