//! The parts of `twinflow compare` beyond the events: `--status` and `--state` (how the run ended,
//! against the reference engine's run of the fixture, as `twinflow conform` checks it) and
//! `--load-error` (a runtime's standard error against the load error the snapshot pins). An empty
//! log (observability disabled) proves nothing by itself: it needs `--status`.

use std::io::Read as _;
use std::path::Path;

use crate::conform::{self, ExpectedEnd};
use crate::finding::{Check, Code, Finding};
use crate::fixture;
use crate::jsonl::LogEvents;
use crate::layout::Layout;
use crate::run::{DEFAULT_TIMEOUT, RunConfig, RunStatus};
use crate::snapshot::{self, SnapshotError};

/// `--status`: how the runtime says the run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Status {
    /// Exit status 0.
    Completed,
    /// Exit status 1.
    Failed,
}

/// What `compare` is told about the run's end.
pub(super) struct EndArgs<'a> {
    /// `--root`.
    pub(super) root: Option<&'a Path>,
    /// `--fixture`.
    pub(super) fixture: &'a str,
    /// `--status`.
    pub(super) status: Option<Status>,
    /// `--state`.
    pub(super) state: Option<&'a Path>,
}

/// The findings about the run's end: none when the fixture is a load error or nothing is asked of
/// a non-empty log; `conform.state` for an empty log without `--status`. `stored` is the
/// snapshot's body when it was read whole (always for an empty log).
///
/// # Errors
/// Why the reference cannot be had (no checkout, no such fixture, an unreadable state).
pub(super) fn check_end(
    args: &EndArgs<'_>,
    events: &LogEvents,
    stored: Option<&Result<Option<String>, SnapshotError>>,
) -> Result<Vec<Finding>, String> {
    // Parsing the snapshot for a pinned load error is only needed for an empty log (a big log's
    // snapshot is big).
    let pins_load_error =
        || matches!(stored, Some(Ok(Some(body))) if conform::pinned(body).is_some());
    let Some(status) = args.status else {
        if events.is_empty() && !pins_load_error() {
            let finding = Finding::new(
                Code::new(Check::Conform, "state"),
                "the log is empty: it shows neither how the run ended nor its final state",
            )
            .with_help("pass the run's --status (and --state FILE) to have them checked");
            return Ok(vec![finding]);
        }
        return Ok(Vec::new());
    };
    let layout = Layout::discover(args.root).map_err(|err| err.to_string())?;
    let found = fixture::load_all(&layout.fixtures(), &[args.fixture.to_owned()])
        .map_err(|err| err.to_string())?;
    let fixture = found.first().ok_or("no such fixture")?;
    let expected = conform::reference_end(
        fixture,
        &RunConfig {
            layout,
            timeout: DEFAULT_TIMEOUT,
            isolate: true,
        },
    );
    let status = match status {
        Status::Completed => RunStatus::Completed,
        Status::Failed => RunStatus::Failed,
    };
    let code = match status {
        RunStatus::Completed => 0,
        RunStatus::Failed => 1,
    };
    let mut findings: Vec<Finding> = conform::check_exit(&expected, code).into_iter().collect();
    if let Some(path) = args.state {
        let text = read_text(path).map_err(|err| format!("{}: {err}", path.display()))?;
        let state = conform::parse_state(text.as_bytes());
        if findings.is_empty() {
            // The state may name the events' ids.
            findings.extend(conform::check_state(&expected, events, status, state));
        }
    }
    if let ExpectedEnd::Unavailable(why) = expected {
        return Err(format!("the reference engine produced nothing: {why}"));
    }
    Ok(findings)
}

/// The load error pinned by the snapshot in `expected` for `fixture`, and the text of `stderr`.
///
/// # Errors
/// Why they cannot be had: no snapshot, one that pins no load error, an unreadable file.
pub(super) fn load_error_inputs(
    expected: &Path,
    fixture: &str,
    stderr: &Path,
) -> Result<(conform::LoadErrorSeen, String), String> {
    let pinned = match snapshot::read_expected(expected, fixture) {
        Ok(Some(body)) => conform::pinned(&body)
            .ok_or_else(|| format!("fixture '{fixture}' pins no load error"))?,
        Ok(None) => return Err(format!("no expected snapshot for fixture '{fixture}'")),
        Err(err) => return Err(err.to_string()),
    };
    let text = read_text(stderr).map_err(|err| format!("{}: {err}", stderr.display()))?;
    Ok((pinned, text))
}

/// A file's text, or standard input's for `-`.
pub(super) fn read_text(path: &Path) -> std::io::Result<String> {
    if path.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text)?;
        Ok(text)
    } else {
        std::fs::read_to_string(path)
    }
}
