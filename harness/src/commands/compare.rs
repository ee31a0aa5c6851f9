//! `twinflow compare LOG --fixture NAME`: checks a JSON Lines log from any runtime exactly as the
//! parity harness checks its own runs (schema, contract §4 step 3 structure, normalization) and
//! diffs its normalized form against the fixture's expected snapshot (`expected/NAME.snap`). This
//! is how a third runtime proves parity without being embedded.
//!
//! Exit status: 0 the log is valid and its normalized form equals the snapshot; 1 it breaks the
//! schema or the structural rules, or differs from the snapshot; 2 unusable input (the log cannot
//! be read or parsed, its events cannot be placed in a span tree, there is no snapshot).

use std::fs::File;
use std::io::{self, BufRead, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;

use super::{Color, ExitStatus, compare_end};
use crate::check_log::{check_log, compare_with_snapshot};
use crate::finding::Finding;
use crate::jsonl::{self, JsonlError, LogEvents};
use crate::layout::Layout;
use crate::normalize::Normalized;
use crate::report::text;
use crate::schema::EventValidator;
use crate::snapshot::{self, BodyMatcher};

/// Arguments of `twinflow compare`.
#[derive(Debug, clap::Args)]
pub struct CompareArgs {
    /// The JSON Lines event log of one run of the fixture; `-` reads standard input, gzip is
    /// decompressed. Not needed with --load-error.
    #[arg(value_name = "LOG", required_unless_present = "load_error")]
    pub log: Option<PathBuf>,
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
    /// Color the diff: `auto` colors it when standard output is a terminal that supports colour
    /// and `NO_COLOR` is not set (`CLICOLOR_FORCE` forces it, `CLICOLOR=0` turns it off).
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    pub color: Color,
    /// How the run ended, as the runtime reports it (its exit status 0 or 1): checked against the
    /// reference engine's run of the fixture. An empty log (observability disabled) needs it.
    #[arg(long, value_enum, value_name = "S")]
    pub status: Option<super::compare_end::Status>,
    /// The run's final state (a JSON file; `-` reads standard input), checked with --status
    /// against the reference engine's.
    #[arg(long, value_name = "FILE", requires = "status")]
    pub state: Option<PathBuf>,
    /// Instead of a log: the runtime's standard error for a flow that must not load, checked for
    /// the load error the fixture's snapshot pins (`{file}:{line}:{column}: {kind}: {message}`,
    /// contract §1.4; kind, line, column, and the message unless `YamlSyntax`).
    #[arg(long, value_name = "STDERR", conflicts_with_all = ["log", "status", "write"])]
    pub load_error: Option<PathBuf>,
    /// The file name the runtime was given for the flow (the prefix of its load error line);
    /// default: any.
    #[arg(long, value_name = "FILE", requires = "load_error")]
    pub flow_file: Option<String>,
    /// The project whose fixtures --status and --state are checked against (default: found from
    /// the current directory, or `$TWINFLOW_ROOT`).
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
}

/// Runs `twinflow compare`.
///
/// # Errors
/// Only for failures of the tool itself (writing the output); unusable input is reported on
/// standard error and gives [`ExitStatus::Error`].
pub fn run(args: &CompareArgs) -> anyhow::Result<ExitStatus> {
    if let Some(stderr) = &args.load_error {
        return run_load_error(args, stderr);
    }
    let (expected_dir, log) = match inputs(args) {
        Ok(Ok(inputs)) => inputs,
        Ok(Err(unparsable)) => {
            // A line that is not JSON makes the log invalid, as for `validate` (exit 1).
            let flushed = print(&mut io::stdout().lock(), &[*unparsable]);
            return finish_output(flushed, ExitStatus::Failure);
        }
        Err(message) => {
            eprintln!("error: {message}");
            return Ok(ExitStatus::Error);
        }
    };
    let name = log_name(args);
    let stdout = io::stdout();
    let color = args.color.enabled(&stdout);
    let mut out = io::BufWriter::new(stdout.lock());
    // The same chain `twinflow check` runs on the engines' own runs.
    let mut checked = check_log(&log, Some(&log.lines), &EventValidator::bundled());
    for finding in &mut checked.findings {
        finding.location.file = Some(name.clone());
    }
    let Some(normalized) = checked.normalized.take() else {
        // The chain's last finding says why; it makes the log unusable, not just invalid.
        let why = checked.findings.pop().map(|finding| finding.message);
        let flushed = print(&mut out, &checked.findings);
        eprintln!("error: {name}: {}", why.unwrap_or_default());
        return finish_output(flushed, ExitStatus::Error);
    };
    let mut problems = checked.findings;
    // The snapshot's body is read in chunks as the log's is rendered: neither is held whole.
    let opened = snapshot::open_body(&expected_dir, &args.fixture);
    let same = render_once(&normalized, opened, args.write.as_deref())?;
    // A snapshot that matched exists and equals the log's body: it is read whole only when its
    // text is needed (to say why it cannot be used, for the diff, for an empty log's end check).
    let stored =
        (!same || log.is_empty()).then(|| snapshot::read_expected(&expected_dir, &args.fixture));
    let snapshot_path = snapshot::path_for(&expected_dir, &args.fixture);
    if let Some(unusable) = stored.as_ref().filter(|s| !matches!(s, Ok(Some(_)))) {
        let flushed = print(&mut out, &problems);
        match unusable {
            Err(err) => eprintln!("error: {err}"),
            _ => eprintln!(
                "error: no expected snapshot for fixture '{}': {} does not exist",
                args.fixture,
                snapshot_path.display()
            ),
        }
        return finish_output(flushed, ExitStatus::Error);
    }
    // Only a log that differs is rendered whole, for the diff.
    let difference = match &stored {
        Some(stored) if !same => {
            compare_with_snapshot(&normalized.to_yaml(), stored, &expected_dir, &args.fixture)
        }
        _ => None,
    };
    let end = compare_end::EndArgs {
        root: args.root.as_deref(),
        fixture: &args.fixture,
        status: args.status,
        state: args.state.as_deref(),
    };
    match compare_end::check_end(&end, &log, stored.as_ref()) {
        Ok(findings) => problems.extend(findings),
        Err(message) => {
            eprintln!("error: {message}");
            return Ok(ExitStatus::Error);
        }
    }
    let summary = format!(
        "{name}: {} events, {} {}",
        log.len(),
        if difference.is_none() {
            "same as"
        } else {
            "differs from"
        },
        snapshot_path.display()
    );
    conclude(&mut out, &problems, difference.as_ref(), color, &summary)
}

/// Renders the normalized log once, in chunks, into `--write`'s file and against the stored
/// snapshot's body (read as it goes), so that neither text is held whole; whether they certainly
/// are the same (when not, [`compare_with_snapshot`] decides on the whole texts).
fn render_once(
    normalized: &Normalized<'_, LogEvents>,
    stored: Option<impl BufRead>,
    write: Option<&Path>,
) -> anyhow::Result<bool> {
    let context = |path: &Path| format!("cannot write the normalized log to {}", path.display());
    let mut file = match write {
        Some(path) => Some(io::BufWriter::new(
            File::create(path).with_context(|| context(path))?,
        )),
        None => None,
    };
    let mut matcher = stored.map(BodyMatcher::new);
    let mut written = Ok(());
    normalized.write_yaml(&mut |chunk| {
        if let Some(matcher) = &mut matcher {
            matcher.feed(chunk);
        }
        if let (Some(file), Ok(())) = (&mut file, &written) {
            written = file.write_all(chunk.as_bytes());
        }
    });
    if let (Some(path), Some(mut file)) = (write, file) {
        written
            .and_then(|()| file.flush())
            .with_context(|| context(path))?;
    }
    Ok(matcher.is_some_and(BodyMatcher::finish))
}

/// Prints the findings and the snapshot's diff, then the summary with a tally on standard error.
fn conclude(
    out: &mut impl Write,
    problems: &[Finding],
    difference: Option<&Finding>,
    color: bool,
    summary: &str,
) -> anyhow::Result<ExitStatus> {
    let written = print(out, problems).and_then(|()| match difference {
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
    let tally = match problems.len() {
        0 => String::new(),
        1 => "; 1 other error".to_owned(),
        n => format!("; {n} other errors"),
    };
    eprintln!("{summary}{tally}");
    let status = if difference.is_none() && problems.is_empty() {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    };
    finish_output(written, status)
}

/// `compare --load-error STDERR --fixture NAME`: the runtime's standard error against the load
/// error the snapshot pins.
fn run_load_error(args: &CompareArgs, stderr: &Path) -> anyhow::Result<ExitStatus> {
    let inputs = expected_dir(args)
        .and_then(|dir| compare_end::load_error_inputs(&dir, &args.fixture, stderr));
    let (pinned, text) = match inputs {
        Ok(inputs) => inputs,
        Err(message) => {
            eprintln!("error: {message}");
            return Ok(ExitStatus::Error);
        }
    };
    let reported = crate::conform::parse_reported(&text, args.flow_file.as_deref());
    match crate::conform::check_load_error(reported.as_ref(), &pinned) {
        None => {
            eprintln!("{}: the load error the fixture pins", stderr.display());
            Ok(ExitStatus::Success)
        }
        Some(finding) => {
            let finding = finding.in_file(stderr.display().to_string());
            finish_output(
                print(&mut io::stdout().lock(), &[finding]),
                ExitStatus::Failure,
            )
        }
    }
}

/// The log's name in messages.
fn log_name(args: &CompareArgs) -> String {
    args.log
        .as_deref()
        .map_or_else(String::new, |log| log.display().to_string())
}

/// The snapshot folder (`--expected`, else the checkout's).
fn expected_dir(args: &CompareArgs) -> Result<PathBuf, String> {
    match &args.expected {
        Some(dir) => Ok(dir.clone()),
        None => Ok(Layout::discover(args.root.as_deref())
            .map_err(|err| format!("{err}; or pass --expected DIR"))?
            .expected()),
    }
}

/// The snapshot folder and the log; the finding for a line that is not JSON; or why they cannot
/// be had.
fn inputs(args: &CompareArgs) -> Result<Result<(PathBuf, LogEvents), Box<Finding>>, String> {
    let expected_dir = expected_dir(args)?;
    let path = args.log.as_deref().ok_or("a LOG is needed")?;
    match jsonl::read_events(path) {
        Ok(log) => Ok(Ok((expected_dir, log))),
        Err(JsonlError::Line { name, source }) => Ok(Err(Box::new(
            Finding::from_line_error(&source).in_file(name),
        ))),
        Err(err) => Err(err.to_string()),
    }
}

/// Findings, one line each.
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
