//! Rendering `twinflow validate` findings: `text` for people, `json` for programs, `github` for
//! GitHub Actions annotations (STYLE §5), plus the run summary.
//!
//! Findings are written as they are found, so memory does not grow with their number; the JSON
//! document is streamed the same way (its `diagnostics` array first, the summary last).

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::time::Duration;

use serde_json::{Value, json};

use crate::jsonl::{JsonlError, LineError};
use crate::schema::SchemaViolation;
use crate::structure::StructureViolation;

/// How findings are printed (`--format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// `file:line[:column]: kind: message`, one per line; summary on standard error.
    Text,
    /// One JSON document on standard output: `{"diagnostics": [...], "files": [...], "summary": {...}}`.
    Json,
    /// GitHub Actions workflow commands (`::error file=...,line=...::message`); summary on
    /// standard error.
    Github,
}

/// One finding, borrowed from wherever it was found, ready to render.
#[derive(Debug)]
pub(crate) struct Diagnostic<'a> {
    pub(crate) file: &'a str,
    pub(crate) line: u64,
    pub(crate) column: Option<u64>,
    /// Stable snake_case kind: `invalid_json`, `schema`, `seq_gap`…
    pub(crate) kind: &'static str,
    pub(crate) message: String,
    pub(crate) seq: Option<u64>,
    pub(crate) flow_id: Option<String>,
    pub(crate) span_id: Option<String>,
    pub(crate) detail: Detail<'a>,
}

/// What a finding carries beyond the common fields.
#[derive(Debug)]
pub(crate) enum Detail<'a> {
    /// A line that is not JSON: the text around the error.
    Line { snippet: Option<&'a str> },
    /// A schema violation: both pointers and the keyword, kept apart (STYLE §3).
    Schema(&'a SchemaViolation),
    /// A structural finding.
    Structure,
}

impl<'a> Diagnostic<'a> {
    pub(crate) fn from_line_error(file: &'a str, error: &'a LineError) -> Self {
        let snippet = match error {
            LineError::Json { snippet, .. } => Some(snippet.as_str()),
            LineError::InvalidUtf8 { .. } | LineError::TooLong { .. } => None,
        };
        Self {
            file,
            line: error.line(),
            column: error.column(),
            kind: error.kind_name(),
            message: error.to_string(),
            seq: None,
            flow_id: None,
            span_id: None,
            detail: Detail::Line { snippet },
        }
    }

    pub(crate) fn from_schema(
        file: &'a str,
        line: u64,
        seq: Option<u64>,
        flow_id: Option<String>,
        violation: &'a SchemaViolation,
    ) -> Self {
        Self {
            file,
            line,
            column: None,
            kind: "schema",
            message: violation.message.clone(),
            seq,
            flow_id,
            span_id: None,
            detail: Detail::Schema(violation),
        }
    }

    pub(crate) fn from_structure(file: &'a str, violation: StructureViolation) -> Self {
        Self {
            file,
            line: violation.line,
            column: None,
            kind: violation.kind.name(),
            message: violation.message,
            seq: violation.seq,
            flow_id: Some(violation.flow_id),
            span_id: violation.span_id,
            detail: Detail::Structure,
        }
    }

    fn category(&self) -> &'static str {
        match self.detail {
            Detail::Line { .. } => "parse",
            Detail::Schema(_) => "schema",
            Detail::Structure => "structure",
        }
    }

    pub(crate) fn text(&self) -> String {
        let location = match self.column {
            Some(column) => format!("{}:{}:{column}", self.file, self.line),
            None => format!("{}:{}", self.file, self.line),
        };
        match &self.detail {
            Detail::Line { .. } => format!("{location}: {}: {}", self.kind, self.message),
            Detail::Schema(violation) => {
                let at = if violation.instance_path.is_empty() {
                    "(event)"
                } else {
                    violation.instance_path.as_str()
                };
                let seq = self
                    .seq
                    .map(|seq| format!(", seq {seq}"))
                    .unwrap_or_default();
                format!(
                    "{location}: schema: {at}: {} (keyword {} at {}{seq})",
                    self.message, violation.keyword, violation.schema_path
                )
            }
            Detail::Structure => {
                let seq = self
                    .seq
                    .map(|seq| format!(", seq {seq}"))
                    .unwrap_or_default();
                format!(
                    "{location}: {}: {} (flow {}{seq})",
                    self.kind,
                    self.message,
                    self.flow_id.as_deref().unwrap_or("?")
                )
            }
        }
    }

    fn json(&self) -> Value {
        let mut value = json!({
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "category": self.category(),
            "kind": self.kind,
            "message": self.message,
            "seq": self.seq,
            "flow_id": self.flow_id,
        });
        match &self.detail {
            Detail::Line { snippet } => value["snippet"] = json!(snippet),
            Detail::Schema(violation) => {
                value["instance_path"] = json!(violation.instance_path);
                value["schema_path"] = json!(violation.schema_path);
                value["keyword"] = json!(violation.keyword);
            }
            Detail::Structure => value["span_id"] = json!(self.span_id),
        }
        value
    }

    /// A GitHub Actions `error` workflow command (docs: "Workflow commands for GitHub Actions",
    /// "Setting an error message"): property values escape `%`, CR, LF, `:` and `,`; the message
    /// escapes `%`, CR and LF.
    fn github(&self) -> String {
        let mut properties = format!("file={},line={}", escape_property(self.file), self.line);
        if let Some(column) = self.column {
            properties.push_str(&format!(",col={column}"));
        }
        properties.push_str(&format!(
            ",title={}",
            escape_property(&format!("twinflow {}", self.kind))
        ));
        let message = match &self.detail {
            Detail::Schema(violation) => format!(
                "{}: {} (keyword {} at {})",
                if violation.instance_path.is_empty() {
                    "(event)"
                } else {
                    &violation.instance_path
                },
                self.message,
                violation.keyword,
                violation.schema_path
            ),
            Detail::Line { .. } | Detail::Structure => self.message.clone(),
        };
        format!("::error {properties}::{}", escape_data(&message))
    }
}

fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
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
    by_kind: BTreeMap<&'static str, u64>,
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
            by_kind: BTreeMap::new(),
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

    /// Reports one finding (unless the limit was reached already).
    pub(crate) fn report(&mut self, diagnostic: &Diagnostic<'_>) -> io::Result<()> {
        if self.limit_reached() {
            return Ok(());
        }
        self.errors += 1;
        *self.by_kind.entry(diagnostic.kind).or_default() += 1;
        let mut text = match self.format {
            Format::Text => diagnostic.text(),
            Format::Github => diagnostic.github(),
            Format::Json => {
                let separator = if self.first_diagnostic { "\n" } else { ",\n" };
                format!("{separator}{}", diagnostic.json())
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
        let events: u64 = self.files.iter().map(|f| f.events).sum();
        let flows: u64 = self.files.iter().map(|f| f.flows).sum();
        let blank: u64 = self.files.iter().map(|f| f.blank_lines).sum();
        let unusable = self.files.iter().filter(|f| f.unusable.is_some()).count();
        let seconds = elapsed.as_secs_f64();
        #[allow(clippy::cast_precision_loss)] // a rate for people; 2^53 events is far away
        let rate = if seconds > 0.0 {
            events as f64 / seconds
        } else {
            0.0
        };
        if self.format == Format::Json {
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
                "valid": self.errors == 0 && unusable == 0,
                "files": self.files.len(),
                "unusable_files": unusable,
                "events": events,
                "flows": flows,
                "blank_lines": blank,
                "errors": self.errors,
                "errors_by_kind": self.by_kind,
                "stopped_at_max_errors": stopped,
                "seconds": seconds,
                "events_per_second": rate.round(),
            });
            let close = if self.first_diagnostic { "]" } else { "\n]" };
            writeln!(
                self.out,
                "{close},\n\"files\":{},\n\"summary\":{summary}}}",
                Value::Array(files)
            )?;
            return self.out.flush();
        }
        self.out.flush()?;
        let logs = if self.files.len() == 1 { "log" } else { "logs" };
        eprintln!(
            "checked {} {logs}: {events} events, {flows} flows, {blank} blank lines in {seconds:.2}s \
             ({rate:.0} events/s)",
            self.files.len()
        );
        let kinds: Vec<String> = self
            .by_kind
            .iter()
            .map(|(kind, n)| format!("{kind} {n}"))
            .collect();
        let verdict = if self.errors == 0 {
            "valid".to_owned()
        } else {
            let noun = if self.errors == 1 { "error" } else { "errors" };
            format!("invalid: {} {noun} ({})", self.errors, kinds.join(", "))
        };
        let stop = if stopped {
            format!(
                "; stopped at --max-errors {}",
                self.max_errors.unwrap_or_default()
            )
        } else {
            String::new()
        };
        let broken = match unusable {
            0 => String::new(),
            1 => "; 1 log unusable".to_owned(),
            n => format!("; {n} logs unusable"),
        };
        if unusable > 0 && self.errors == 0 {
            eprintln!("unusable input{broken}");
        } else {
            eprintln!("{verdict}{stop}{broken}");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::structure::ViolationKind;

    fn structure() -> StructureViolation {
        StructureViolation {
            flow_id: "f1".into(),
            span_id: Some("s1".into()),
            seq: Some(4),
            line: 9,
            kind: ViolationKind::SeqGap,
            message: "seq jumps from 2 to 4: 1 event(s) lost".into(),
        }
    }

    #[test]
    fn text_lines() {
        let d = Diagnostic::from_structure("a.jsonl", structure());
        assert_eq!(
            d.text(),
            "a.jsonl:9: seq_gap: seq jumps from 2 to 4: 1 event(s) lost (flow f1, seq 4)"
        );
        let violation = SchemaViolation {
            instance_path: "/level".into(),
            schema_path: "/properties/level/enum".into(),
            keyword: "enum".into(),
            message: "\"loud\" is not one of [...]".into(),
        };
        let d = Diagnostic::from_schema("a.jsonl", 3, Some(2), None, &violation);
        assert_eq!(
            d.text(),
            "a.jsonl:3: schema: /level: \"loud\" is not one of [...] (keyword enum at \
             /properties/level/enum, seq 2)"
        );
    }

    #[test]
    fn github_annotations_escape() {
        let mut v = structure();
        v.message = "50% lost\nreally".into();
        let d = Diagnostic::from_structure("dir,x/a:b.jsonl", v);
        assert_eq!(
            d.github(),
            "::error file=dir%2Cx/a%3Ab.jsonl,line=9,title=twinflow seq_gap::50%25 lost%0Areally"
        );
    }

    #[test]
    fn json_document_is_streamed_and_complete() {
        let mut out = Vec::new();
        let mut reporter = Reporter::new(&mut out, Format::Json, Some(1)).unwrap();
        reporter
            .report(&Diagnostic::from_structure("a", structure()))
            .unwrap();
        assert!(reporter.limit_reached());
        reporter
            .report(&Diagnostic::from_structure("a", structure()))
            .unwrap();
        reporter.file_done(FileSummary {
            file: "a".into(),
            events: 3,
            ..FileSummary::default()
        });
        reporter.finish(Duration::from_secs(1), true).unwrap();
        let doc: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(doc["diagnostics"].as_array().unwrap().len(), 1);
        assert_eq!(doc["diagnostics"][0]["kind"], "seq_gap");
        assert_eq!(doc["summary"]["errors_by_kind"]["seq_gap"], 1);
        assert_eq!(doc["summary"]["stopped_at_max_errors"], true);
        assert_eq!(doc["summary"]["valid"], false);
        assert_eq!(doc["files"][0]["events"], 3);
    }
}
