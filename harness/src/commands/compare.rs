//! `twinflow compare LOG --fixture NAME`: checks a JSON Lines log from any runtime exactly as the
//! parity harness checks its own runs (schema, contract §4 step 3 structure, normalization) and
//! diffs its normalized form against the fixture's expected snapshot (`expected/NAME.snap`). This
//! is how a third runtime proves parity without being embedded.
//!
//! Exit status: 0 the log is valid and its normalized form equals the snapshot; 1 it breaks the
//! schema or the structural rules, or differs from the snapshot; 2 unusable input (the log cannot
//! be read or parsed, its events cannot be placed in a span tree, there is no snapshot).

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;

use anyhow::Context;

use super::ExitStatus;
use super::validate::report::Diagnostic;
use crate::diff::render_diff;
use crate::jsonl::{self, LogEvents};
use crate::layout::Layout;
use crate::normalize::normalize;
use crate::schema::EventValidator;
use crate::snapshot;
use crate::structure::StructureChecker;

/// Arguments of `twinflow compare`.
#[derive(Debug, clap::Args)]
pub struct CompareArgs {
    /// The JSON Lines event log of one run of the fixture; `-` reads standard input, gzip is
    /// decompressed.
    #[arg(value_name = "LOG")]
    pub log: PathBuf,
    /// The fixture the log is a run of (the file stem in `fixtures/`): the log is compared with
    /// `<expected>/<NAME>.snap`.
    #[arg(long, value_name = "NAME")]
    pub fixture: String,
    /// The folder of expected snapshots (default: `expected/` of the twinflow checkout, or of
    /// `$TWINFLOW_ROOT`).
    #[arg(long, value_name = "DIR")]
    pub expected: Option<PathBuf>,
    /// Also write the log's normalized form (the body a snapshot holds) to this file.
    #[arg(long, value_name = "OUT")]
    pub write: Option<PathBuf>,
    /// Color the diff: `auto` colors it when standard output is a terminal and `NO_COLOR` is not
    /// set.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    pub color: Color,
}

/// When to color the diff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Color {
    /// On a terminal, unless `NO_COLOR` is set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// Runs `twinflow compare`.
///
/// # Errors
/// Only for failures of the tool itself (writing the output); unusable input is reported on
/// standard error and gives [`ExitStatus::Error`].
pub fn run(args: &CompareArgs) -> anyhow::Result<ExitStatus> {
    let expected_dir = match &args.expected {
        Some(dir) => dir.clone(),
        None => match Layout::discover(None) {
            Ok(layout) => layout.expected(),
            Err(err) => {
                eprintln!("error: {err}; or pass --expected DIR");
                return Ok(ExitStatus::Error);
            }
        },
    };
    let log = match jsonl::read_events(&args.log) {
        Ok(log) => log,
        Err(err) => {
            eprintln!("error: {err}");
            return Ok(ExitStatus::Error);
        }
    };
    let name = args.log.display().to_string();
    let stdout = io::stdout();
    let color = match args.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => stdout.is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    let mut out = io::BufWriter::new(stdout.lock());
    let findings = match report_findings(&mut out, &name, &log) {
        Ok(findings) => findings,
        Err(err) => return finish_output(Err(err), ExitStatus::Failure),
    };
    let normalized = match normalize(&log.events) {
        Ok(normalized) => normalized.to_yaml(),
        Err(err) => {
            let flushed = out.flush();
            eprintln!("error: {name}: cannot normalize the log: {err}");
            return finish_output(flushed, ExitStatus::Error);
        }
    };
    if let Some(path) = &args.write {
        std::fs::write(path, &normalized)
            .with_context(|| format!("cannot write the normalized log to {}", path.display()))?;
    }
    let stored = match snapshot::read_expected(&expected_dir, &args.fixture) {
        Ok(Some(body)) => body,
        Ok(None) => {
            let flushed = out.flush();
            eprintln!(
                "error: no expected snapshot for fixture '{}': {} does not exist",
                args.fixture,
                snapshot::path_for(&expected_dir, &args.fixture).display()
            );
            return finish_output(flushed, ExitStatus::Error);
        }
        Err(err) => {
            let flushed = out.flush();
            eprintln!("error: {err}");
            return finish_output(flushed, ExitStatus::Error);
        }
    };
    let snapshot_path = snapshot::path_for(&expected_dir, &args.fixture);
    // Compared exactly as `twinflow check` compares a run with its snapshot.
    let same = snapshot::same_body(&stored, &normalized);
    let written = if same {
        Ok(())
    } else {
        let diff = render_diff(
            &snapshot::canonical_body(&stored),
            &snapshot::canonical_body(&normalized),
            color,
        );
        out.write_all(diff.as_bytes())
    }
    .and_then(|()| out.flush());
    let verdict = if same { "same as" } else { "differs from" };
    let problems = match findings {
        0 => String::new(),
        1 => "; 1 schema or structure error".to_owned(),
        n => format!("; {n} schema or structure errors"),
    };
    eprintln!(
        "{name}: {} events, {verdict} {}{problems}",
        log.events.len(),
        snapshot_path.display()
    );
    let status = if same && findings == 0 {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    };
    finish_output(written, status)
}

/// Prints the schema and structure findings of the log, as `twinflow validate` does in text
/// form; returns how many there were.
fn report_findings(out: &mut impl Write, name: &str, log: &LogEvents) -> io::Result<usize> {
    let validator = EventValidator::bundled();
    let mut checker = StructureChecker::new();
    let mut findings = 0;
    for (event, &line) in log.events.iter().zip(&log.lines) {
        let seq = event.get("seq").and_then(serde_json::Value::as_u64);
        let flow_id = event
            .get("flow_id")
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned);
        for violation in validator.validate(event) {
            let diagnostic = Diagnostic::from_schema(name, line, seq, flow_id.clone(), &violation);
            writeln!(out, "{}", diagnostic.text())?;
            findings += 1;
        }
        checker.push(event, line);
    }
    for violation in checker.finish() {
        writeln!(
            out,
            "{}",
            Diagnostic::from_structure(name, violation).text()
        )?;
        findings += 1;
    }
    Ok(findings)
}

/// Maps the outcome of writing to standard output: a closed pipe is the reader's choice (STYLE
/// §5), anything else a failure of the tool.
fn finish_output(written: io::Result<()>, status: ExitStatus) -> anyhow::Result<ExitStatus> {
    match written {
        Ok(()) => Ok(status),
        Err(err) if err.kind() == io::ErrorKind::BrokenPipe => Ok(status),
        Err(err) => Err(err).context("cannot write to standard output"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn findings_are_located_by_file_line() {
        let events = vec![
            serde_json::json!({"flow_id": "f", "span_id": "s", "parent_id": null, "seq": 1,
                "event_type": "entry", "level": "info", "kind": "flow", "node": "x"}),
        ];
        let log = LogEvents {
            events,
            lines: vec![7],
        };
        let mut out = Vec::new();
        let findings = report_findings(&mut out, "log.jsonl", &log).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(findings >= 3, "{text}");
        assert!(
            text.contains("log.jsonl:7: schema: (event): \"action\" is a required property"),
            "{text}"
        );
        assert!(
            text.contains("log.jsonl:7: seq_gap: the flow's first event has seq 1"),
            "{text}"
        );
        assert!(text.contains("log.jsonl:7: missing_exit:"), "{text}");
    }

    #[test]
    fn pipe_closed_is_not_a_failure() {
        let closed = Err(io::Error::from(io::ErrorKind::BrokenPipe));
        assert_eq!(
            finish_output(closed, ExitStatus::Failure).unwrap(),
            ExitStatus::Failure
        );
        let other = Err(io::Error::other("disk full"));
        assert!(finish_output(other, ExitStatus::Success).is_err());
    }

    #[test]
    fn default_expected_folder_is_in_the_checkout() {
        let layout = Layout::discover(None).unwrap();
        assert!(layout.expected().ends_with("expected"));
        assert!(layout.root().join("fixtures").is_dir());
    }
}
