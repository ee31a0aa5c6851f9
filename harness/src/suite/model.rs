//! What the suite learns about a fixture: each engine's side, the table cells, the verdict. Data
//! only; [`super::verdict`] fills the cells and the checks fill the findings.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::finding::{Check, Finding};
use crate::fixture::{Declared, Expect, Xfail};
use crate::run::{Engine, LoadError, RunFailure};

/// The checks `twinflow check` shows as columns, in table order.
pub const COLUMNS: [Check; 5] = [
    Check::Schema,
    Check::Structure,
    Check::Parity,
    Check::Snapshot,
    Check::Outcome,
];

/// The result of one check for one fixture (a table cell).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Status {
    /// Not checked (not selected, no expectation, or nothing to check such as the events of a
    /// load error).
    Skipped,
    /// Passed.
    Pass,
    /// Failed, as `parity.xfail` says it would.
    ExpectedFail,
    /// Failed.
    Fail,
    /// An xfailed engine passed: the xfail must go.
    UnexpectedPass,
    /// An engine produced nothing to check (exception, panic, timeout).
    Error,
}

impl Status {
    /// The table spelling.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Skipped => "-",
            Self::Pass => "ok",
            Self::ExpectedFail => "xfail",
            Self::Fail => "FAIL",
            Self::UnexpectedPass => "XPASS",
            Self::Error => "ERROR",
        }
    }

    /// Whether this status is a problem (fails the suite).
    #[must_use]
    pub fn is_problem(self) -> bool {
        matches!(self, Self::Fail | Self::UnexpectedPass | Self::Error)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// How an engine's run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ended {
    /// The root span ended with `exit`.
    Completed,
    /// The root span ended with `error`.
    Failed,
    /// Events, but no root span end (or no root span).
    Unfinished,
    /// The flow did not load.
    LoadError(LoadError),
    /// Nothing usable came back.
    Errored(RunFailure),
}

impl Ended {
    /// A short spelling for tables and reports.
    #[must_use]
    pub fn label(&self) -> &'static str {
        match self {
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::Unfinished => "unfinished",
            Self::LoadError(_) => "load error",
            Self::Errored(_) => "errored",
        }
    }
}

/// One engine's side of a fixture's report.
#[derive(Debug, Clone)]
pub struct EngineReport {
    /// The engine.
    pub engine: Engine,
    /// Wall time of its run.
    pub elapsed: Duration,
    /// How the run ended.
    pub ended: Ended,
    /// How many events it emitted.
    pub events: usize,
    /// The snapshot body this run produces: the normalized events, or the load error. Shared with
    /// the other engine's when both are the same text, so agreeing engines hold it once.
    pub rendered: Option<Arc<String>>,
    /// Whether its snapshot was compared (selected, and something to compare).
    pub snapshot_compared: bool,
    /// Its raw events, kept only when the fixture fails (for `twinflow check --export-dir`).
    pub log: Option<crate::jsonl::LogEvents>,
}

/// Everything checked for one fixture.
#[derive(Debug, Clone)]
pub struct FixtureReport {
    /// The fixture's name.
    pub name: String,
    /// The fixture file.
    pub path: PathBuf,
    /// `parity.expect`.
    pub expect: Option<Expect>,
    /// `parity.xfail`.
    pub xfail: Xfail,
    /// `[rust, python]`.
    pub engines: [EngineReport; 2],
    /// Everything found, each finding tagged with its fixture and runtime; a declared divergence
    /// has severity `expected`.
    pub findings: Vec<Finding>,
    /// One status per column, in [`COLUMNS`] order.
    pub cells: BTreeMap<Check, Status>,
}

/// A fixture's overall result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    /// Every selected check passed.
    Pass,
    /// Only expected failures.
    ExpectedFail,
    /// At least one failure (or an unexpected pass).
    Fail,
    /// An engine produced nothing to check.
    Error,
}

impl Verdict {
    /// The report spelling.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Pass => "ok",
            Self::ExpectedFail => "xfail",
            Self::Fail => "FAIL",
            Self::Error => "ERROR",
        }
    }

    /// Whether the fixture is fine (passed, or failed as declared).
    #[must_use]
    pub fn is_ok(self) -> bool {
        matches!(self, Self::Pass | Self::ExpectedFail)
    }
}

impl FixtureReport {
    /// The fixture's overall result, from its cells.
    #[must_use]
    pub fn verdict(&self) -> Verdict {
        let worst = self
            .cells
            .values()
            .copied()
            .max()
            .unwrap_or(Status::Skipped);
        match worst {
            Status::Error => Verdict::Error,
            Status::Fail | Status::UnexpectedPass => Verdict::Fail,
            Status::ExpectedFail => Verdict::ExpectedFail,
            Status::Pass | Status::Skipped => Verdict::Pass,
        }
    }

    /// The engine's side of the report.
    #[must_use]
    pub fn engine(&self, engine: Engine) -> &EngineReport {
        &self.engines[usize::from(engine == Engine::Python)]
    }

    /// The findings that fail the fixture.
    pub fn errors(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|finding| finding.is_error())
    }

    /// The snapshot body to store: the rendering of the first engine not declared to fail (Rust
    /// when neither is), provided the engines agree or their disagreement is declared. `None` when
    /// no such rendering exists or the engines disagree without an xfail: a divergence is never
    /// frozen into a snapshot.
    #[must_use]
    pub fn reference(&self) -> Option<&str> {
        let both_rendered = self.engines.iter().all(|side| side.rendered.is_some());
        let agree = !self
            .findings
            .iter()
            .any(|finding| finding.code.check == Check::Parity && finding.code.rule != "xfail");
        if !((both_rendered && agree) || self.xfail.any()) {
            return None;
        }
        let reference = Engine::ALL
            .into_iter()
            .find(|&engine| xfail_reason(&self.xfail, engine).is_none())?;
        self.engine(reference)
            .rendered
            .as_deref()
            .map(String::as_str)
    }
}

/// What `xfail` declares for `engine`.
pub(crate) fn xfail_declared(xfail: &Xfail, engine: Engine) -> Option<&Declared> {
    match engine {
        Engine::Rust => xfail.rust.as_ref(),
        Engine::Python => xfail.python.as_ref(),
    }
}

/// The reason `xfail` gives for `engine`.
#[must_use]
pub fn xfail_reason(xfail: &Xfail, engine: Engine) -> Option<&str> {
    xfail_declared(xfail, engine).map(|declared| declared.reason.as_str())
}

/// What the suite checks and how.
#[derive(Debug, Clone)]
pub struct SuiteOptions {
    /// The columns that count; the others are shown as skipped.
    pub checks: Vec<Check>,
    /// Each engine's time limit per fixture.
    pub timeout: Duration,
    /// Each engine's side of a fixture in a worker process (`RunConfig::isolate`).
    pub isolate: bool,
}

impl Default for SuiteOptions {
    fn default() -> Self {
        Self {
            checks: COLUMNS.to_vec(),
            timeout: crate::run::DEFAULT_TIMEOUT,
            isolate: true,
        }
    }
}
