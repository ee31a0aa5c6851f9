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

use super::{Color, ExitStatus};
use crate::check_log::{check_log, compare_with_snapshot};
use crate::finding::Finding;
use crate::jsonl::{self, LogEvents};
use crate::layout::Layout;
use crate::report::text;
use crate::schema::EventValidator;
use crate::snapshot;

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

/// Runs `twinflow compare`.
///
/// # Errors
/// Only for failures of the tool itself (writing the output); unusable input is reported on
/// standard error and gives [`ExitStatus::Error`].
pub fn run(args: &CompareArgs) -> anyhow::Result<ExitStatus> {
    let (expected_dir, log) = match inputs(args) {
        Ok(inputs) => inputs,
        Err(message) => {
            eprintln!("error: {message}");
            return Ok(ExitStatus::Error);
        }
    };
    let name = args.log.display().to_string();
    let stdout = io::stdout();
    let color = args.color.enabled(stdout.is_terminal());
    let mut out = io::BufWriter::new(stdout.lock());
    // The same chain `twinflow check` runs on the engines' own runs.
    let mut checked = check_log(&log.events, Some(&log.lines), &EventValidator::bundled());
    for finding in &mut checked.findings {
        finding.location.file = Some(name.clone());
    }
    let (problems, normalized): (Vec<Finding>, _) = match checked.normalized.take() {
        Some(normalized) => (checked.findings, normalized),
        None => {
            // The chain's last finding says why; it makes the log unusable, not just invalid.
            let why = checked.findings.pop().map(|finding| finding.message);
            let flushed = print(&mut out, &checked.findings);
            eprintln!("error: {name}: {}", why.unwrap_or_default());
            return finish_output(flushed, ExitStatus::Error);
        }
    };
    if let Some(path) = &args.write {
        std::fs::write(path, &normalized)
            .with_context(|| format!("cannot write the normalized log to {}", path.display()))?;
    }
    let stored = snapshot::read_expected(&expected_dir, &args.fixture);
    let snapshot_path = snapshot::path_for(&expected_dir, &args.fixture);
    if !matches!(stored, Ok(Some(_))) {
        let flushed = print(&mut out, &problems);
        match &stored {
            Err(err) => eprintln!("error: {err}"),
            _ => eprintln!(
                "error: no expected snapshot for fixture '{}': {} does not exist",
                args.fixture,
                snapshot_path.display()
            ),
        }
        return finish_output(flushed, ExitStatus::Error);
    }
    let difference = compare_with_snapshot(&normalized, &stored, &expected_dir, &args.fixture);
    let written = print(&mut out, &problems).and_then(|()| match &difference {
        Some(finding) => out.write_all(
            text::block(
                finding,
                text::Style {
                    color,
                    max_same: usize::MAX,
                    max_detail_lines: usize::MAX,
                },
            )
            .as_bytes(),
        ),
        None => Ok(()),
    });
    let written = written.and_then(|()| out.flush());
    let verdict = if difference.is_none() {
        "same as"
    } else {
        "differs from"
    };
    let tally = match problems.len() {
        0 => String::new(),
        1 => "; 1 schema or structure error".to_owned(),
        n => format!("; {n} schema or structure errors"),
    };
    eprintln!(
        "{name}: {} events, {verdict} {}{tally}",
        log.events.len(),
        snapshot_path.display()
    );
    let status = if difference.is_none() && problems.is_empty() {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    };
    finish_output(written, status)
}

/// The snapshot folder and the log, or why they cannot be had.
fn inputs(args: &CompareArgs) -> Result<(PathBuf, LogEvents), String> {
    let expected_dir = match &args.expected {
        Some(dir) => dir.clone(),
        None => Layout::discover(None)
            .map_err(|err| format!("{err}; or pass --expected DIR"))?
            .expected(),
    };
    let log = jsonl::read_events(&args.log).map_err(|err| err.to_string())?;
    Ok((expected_dir, log))
}

/// The log's schema and structure findings, one line each.
fn print(out: &mut impl Write, findings: &[Finding]) -> io::Result<()> {
    for finding in findings {
        writeln!(out, "{}", text::line(finding))?;
    }
    Ok(())
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
