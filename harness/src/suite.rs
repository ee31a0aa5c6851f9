//! The per-fixture checks (issue 4 §3), shared by the `fixtures` test target and `twinflow check`.
//!
//! Each fixture runs through both engines; then, per engine, **outcome** (the run ends as
//! `parity.expect` says), **schema** (every event validates against `schema/event.schema.json`),
//! **structure** (contract §3 sequence rules and §4 step-3 checks) and **snapshot** (the normalized
//! run equals `expected/<fixture>.snap`); across engines, **parity** (normalized Rust == normalized
//! Python). `parity.xfail` turns a parity failure, and the xfailed engine's snapshot failure, into
//! expected failures (a declared divergence); schema, structure and outcome failures and crashes
//! still fail. When the engines agree again, the xfail is an unexpected pass, which fails.

use std::collections::BTreeMap;
use std::fmt;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::Value;

use crate::diff::{render_diff, render_labeled_diff};
use crate::fixture::{Expect, Fixture, Xfail};
use crate::layout::Layout;
use crate::normalize::{Canon, NormalizeError, normalize, normalize_value};
use crate::run::{Engine, LoadFailure, Outcome, RunConfig, RunFailure, RunStatus, run_both};
use crate::schema::{EventValidator, SchemaViolation};
use crate::snapshot::{self, SnapshotError};
use crate::structure::{StructureViolation, check_events};

/// One column of the summary table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Check {
    /// The run ends as `parity.expect` says.
    Outcome,
    /// Every event validates against the event schema.
    Schema,
    /// contract §3/§4 structural rules.
    Structure,
    /// Normalized Rust == normalized Python.
    Parity,
    /// Both normalized runs == `expected/<fixture>.snap`.
    Snapshot,
}

impl Check {
    /// Every check, in table order.
    pub const ALL: [Self; 5] = [
        Self::Schema,
        Self::Structure,
        Self::Parity,
        Self::Snapshot,
        Self::Outcome,
    ];

    /// The column name.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Outcome => "outcome",
            Self::Schema => "schema",
            Self::Structure => "structure",
            Self::Parity => "parity",
            Self::Snapshot => "snapshot",
        }
    }

    /// The check named `name`, if any.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|check| check.name() == name)
    }
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

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
    LoadError(LoadFailure),
    /// Nothing usable came back.
    Errored(RunFailure),
}

impl Ended {
    fn of(outcome: &Outcome) -> Self {
        match outcome {
            Outcome::Events(ran) => match ran.status {
                RunStatus::Completed => Self::Completed,
                RunStatus::Failed => Self::Failed,
            },
            Outcome::Load(failure) => Self::LoadError(failure.clone()),
            Outcome::Errored(failure) => Self::Errored(failure.clone()),
        }
    }

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

/// The last end event (`exit` or `error` at level `error`) of the root span, by `seq`.
fn root_end(events: &[Value]) -> Ended {
    let mut last: Option<(u64, &str)> = None;
    for event in events {
        let is_root = event.get("kind").and_then(Value::as_str) == Some("flow")
            && event.get("parent_id").is_some_and(Value::is_null);
        if !is_root {
            continue;
        }
        let seq = event.get("seq").and_then(Value::as_u64).unwrap_or(0);
        let kind = event
            .get("event_type")
            .and_then(Value::as_str)
            .unwrap_or("");
        let is_end = kind == "exit"
            || (kind == "error" && event.get("level").and_then(Value::as_str) == Some("error"));
        if is_end && last.is_none_or(|(s, _)| seq >= s) {
            last = Some((seq, kind));
        }
    }
    match last {
        Some((_, "exit")) => Ended::Completed,
        Some(_) => Ended::Failed,
        None => Ended::Unfinished,
    }
}

/// A schema violation located in its run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaFinding {
    /// 1-based position of the event in the run.
    pub line: usize,
    /// The event's `seq`, when it has an integer one.
    pub seq: Option<u64>,
    /// What is wrong, with both pointers.
    pub violation: SchemaViolation,
}

/// How an engine's normalized run compares to the stored snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnapshotOutcome {
    /// Not compared (not selected, or nothing rendered).
    NotCompared,
    /// Same body.
    Match,
    /// Different body: the diff from the stored snapshot to this run.
    Differs(String),
    /// `expected/<fixture>.snap` does not exist.
    Missing,
    /// The snapshot file cannot be read.
    Unreadable(String),
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
    /// Schema violations, in event order.
    pub schema: Vec<SchemaFinding>,
    /// Structural violations.
    pub structure: Vec<StructureViolation>,
    /// Why the events could not be normalized, if they could not.
    pub normalize_error: Option<NormalizeError>,
    /// The root span's end event contradicts the status the engine reports.
    pub end_mismatch: Option<String>,
    /// The console handlers' output is not one pinned line per event (contract §3.5).
    pub console_mismatch: Option<String>,
    /// The snapshot body this run produces: the normalized events, or the load error.
    pub rendered: Option<String>,
    /// The comparison with `expected/<fixture>.snap`.
    pub snapshot: SnapshotOutcome,
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
    /// The diff from the Rust rendering to the Python one, empty when they agree.
    pub parity_diff: String,
    /// One status per check, in [`Check::ALL`] order.
    pub cells: BTreeMap<Check, Status>,
    /// What needs a person's attention, one entry per problem, ready to print.
    pub problems: Vec<String>,
    /// Expected failures and their reasons, ready to print.
    pub notes: Vec<String>,
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

    /// The snapshot body to store: the rendering of the first engine not declared to fail (Rust
    /// when neither is), provided the engines agree or their disagreement is declared. `None` when
    /// no such rendering exists or the engines disagree without an xfail: a divergence is never
    /// frozen into a snapshot.
    #[must_use]
    pub fn reference(&self) -> Option<&str> {
        let both_rendered = self.engines.iter().all(|side| side.rendered.is_some());
        let parity_ok = (both_rendered && self.parity_diff.is_empty()) || self.xfail.any();
        if !parity_ok {
            return None;
        }
        let reference = Engine::ALL
            .into_iter()
            .find(|&engine| xfail_reason(&self.xfail, engine).is_none())?;
        self.engine(reference).rendered.as_deref()
    }

    /// The problems and notes as one text (the failure message of a test).
    #[must_use]
    pub fn details(&self) -> String {
        let mut out = String::new();
        for note in &self.notes {
            let _ = writeln!(out, "{note}");
        }
        for problem in &self.problems {
            let _ = writeln!(out, "{problem}");
        }
        out
    }
}

/// The reason `xfail` gives for `engine`.
#[must_use]
pub fn xfail_reason(xfail: &Xfail, engine: Engine) -> Option<&str> {
    match engine {
        Engine::Rust => xfail.rust.as_deref(),
        Engine::Python => xfail.python.as_deref(),
    }
}

/// What the suite checks and how.
#[derive(Debug, Clone)]
pub struct SuiteOptions {
    /// The checks that count; the others are shown as skipped.
    pub checks: Vec<Check>,
    /// Each engine's time limit per fixture.
    pub timeout: Duration,
    /// Color in diffs.
    pub color: bool,
}

impl Default for SuiteOptions {
    fn default() -> Self {
        Self {
            checks: Check::ALL.to_vec(),
            timeout: crate::run::DEFAULT_TIMEOUT,
            color: false,
        }
    }
}

/// The checks, ready to run on fixtures.
#[derive(Debug)]
pub struct Suite {
    config: RunConfig,
    expected: PathBuf,
    validator: EventValidator,
    options: SuiteOptions,
}

impl Suite {
    /// A suite over the checkout `layout`, validating with the bundled schema.
    #[must_use]
    pub fn new(layout: Layout, options: SuiteOptions) -> Self {
        Self {
            expected: layout.expected(),
            config: RunConfig {
                layout,
                timeout: options.timeout,
            },
            validator: EventValidator::bundled(),
            options,
        }
    }

    fn wants(&self, check: Check) -> bool {
        self.options.checks.contains(&check)
    }

    /// Runs `fixtures` on `jobs` threads and returns their reports in fixture order; `progress`
    /// hears about each report as it is done (from worker threads).
    pub fn check_all(
        &self,
        fixtures: &[Fixture],
        jobs: usize,
        progress: &(dyn Fn(&FixtureReport) + Sync),
    ) -> Vec<FixtureReport> {
        let next = AtomicUsize::new(0);
        let reports: Mutex<Vec<Option<FixtureReport>>> = Mutex::new(vec![None; fixtures.len()]);
        std::thread::scope(|scope| {
            for _ in 0..jobs.clamp(1, fixtures.len().max(1)) {
                scope.spawn(|| {
                    loop {
                        let index = next.fetch_add(1, Ordering::Relaxed);
                        let Some(fixture) = fixtures.get(index) else {
                            break;
                        };
                        let report = self.check(fixture);
                        progress(&report);
                        let mut slots = reports
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner);
                        slots[index] = Some(report);
                    }
                });
            }
        });
        reports
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .into_iter()
            .flatten()
            .collect()
    }

    /// Runs one fixture through both engines and checks everything selected.
    #[must_use]
    pub fn check(&self, fixture: &Fixture) -> FixtureReport {
        let [rust, python] = run_both(fixture, &self.config);
        let stored = if self.wants(Check::Snapshot) {
            Some(snapshot::read_expected(&self.expected, &fixture.name))
        } else {
            None
        };
        let engines = [&rust, &python].map(|run| {
            let mut report =
                self.engine_report(run.engine, run.elapsed, &run.outcome, stored.as_ref());
            if let Outcome::Events(ran) = &run.outcome {
                report.console_mismatch =
                    console_mismatch(ran, fixture.console_handlers, self.options.color);
            }
            report
        });
        let mut parity_diff = match (&engines[0].rendered, &engines[1].rendered) {
            (Some(r), Some(p)) if !snapshot::same_body(r, p) => {
                render_labeled_diff("rust", r, "python", p, self.options.color)
            }
            _ => String::new(),
        };
        // The reported status and final state are compared too: a level filter or disabled
        // observability can hide them from the events.
        if let (Outcome::Events(r), Outcome::Events(p)) = (&rust.outcome, &python.outcome) {
            let (r, p) = (end_yaml(r), end_yaml(p));
            if r != p {
                parity_diff.push_str("final status and state (rust → python):\n");
                parity_diff.push_str(&render_labeled_diff(
                    "rust",
                    &r,
                    "python",
                    &p,
                    self.options.color,
                ));
            }
        }
        let mut report = FixtureReport {
            name: fixture.name.clone(),
            path: fixture.path.clone(),
            expect: fixture.parity.expect,
            xfail: fixture.parity.xfail.clone(),
            engines,
            parity_diff,
            cells: BTreeMap::new(),
            problems: Vec::new(),
            notes: Vec::new(),
        };
        self.judge(&mut report);
        report
    }

    fn engine_report(
        &self,
        engine: Engine,
        elapsed: Duration,
        outcome: &Outcome,
        stored: Option<&Result<Option<String>, SnapshotError>>,
    ) -> EngineReport {
        let mut report = EngineReport {
            engine,
            elapsed,
            ended: Ended::of(outcome),
            events: 0,
            schema: Vec::new(),
            structure: Vec::new(),
            normalize_error: None,
            end_mismatch: None,
            console_mismatch: None,
            rendered: None,
            snapshot: SnapshotOutcome::NotCompared,
        };
        match outcome {
            Outcome::Events(ran) => {
                let events = &ran.events;
                report.events = events.len();
                let shown = match root_end(events) {
                    Ended::Completed => Some(RunStatus::Completed),
                    Ended::Failed => Some(RunStatus::Failed),
                    _ => None,
                };
                if let Some(shown) = shown.filter(|shown| *shown != ran.status) {
                    report.end_mismatch = Some(format!(
                        "the root span's last event says the run {}, the engine reports it {}",
                        shown.name(),
                        ran.status.name()
                    ));
                }
                if self.wants(Check::Schema) {
                    report.schema = self.schema_findings(events);
                }
                if self.wants(Check::Structure) {
                    report.structure = check_events(events);
                }
                match normalize(events) {
                    Ok(normalized) => report.rendered = Some(normalized.to_yaml()),
                    Err(err) => report.normalize_error = Some(err),
                }
            }
            Outcome::Load(failure) => report.rendered = Some(load_failure_yaml(failure)),
            Outcome::Errored(_) => {}
        }
        report.snapshot = match (stored, &report.rendered) {
            (None, _) | (_, None) => SnapshotOutcome::NotCompared,
            (Some(Err(err)), Some(_)) => SnapshotOutcome::Unreadable(err.to_string()),
            (Some(Ok(None)), Some(_)) => SnapshotOutcome::Missing,
            (Some(Ok(Some(body))), Some(rendered)) => {
                if snapshot::same_body(body, rendered) {
                    SnapshotOutcome::Match
                } else {
                    SnapshotOutcome::Differs(render_diff(
                        &snapshot::canonical_body(body),
                        &snapshot::canonical_body(rendered),
                        self.options.color,
                    ))
                }
            }
        };
        report
    }

    fn schema_findings(&self, events: &[Value]) -> Vec<SchemaFinding> {
        let mut findings = Vec::new();
        for (line, event) in (1..).zip(events) {
            for violation in self.validator.validate(event) {
                findings.push(SchemaFinding {
                    line,
                    seq: event.get("seq").and_then(Value::as_u64),
                    violation,
                });
            }
        }
        findings
    }

    /// Fills the cells, problems and notes of a report.
    fn judge(&self, report: &mut FixtureReport) {
        let mut judge = Judge { report };
        judge.errored();
        for check in Check::ALL {
            let status = if self.wants(check) {
                judge.cell(check)
            } else {
                Status::Skipped
            };
            judge.report.cells.insert(check, status);
        }
        judge.unexpected_passes();
        judge.notes();
    }
}

/// Works out the statuses and messages of one report.
struct Judge<'r> {
    report: &'r mut FixtureReport,
}

impl Judge<'_> {
    /// Engines that produced nothing to check: one problem each (an xfail excuses a divergence,
    /// not a crash or a hang).
    fn errored(&mut self) {
        for engine in Engine::ALL {
            if let Ended::Errored(failure) = &self.report.engine(engine).ended {
                let text = format!(
                    "{} [{engine}] produced nothing to check: {failure}",
                    self.report.name
                );
                self.report.problems.push(text);
            }
        }
    }

    fn cell(&mut self, check: Check) -> Status {
        if check == Check::Parity {
            return self.parity();
        }
        let mut cell = Status::Skipped;
        for engine in Engine::ALL {
            let (status, problem) = self.engine_check(engine, check);
            // `parity.xfail` declares a divergence: it excuses the engine's snapshot, never a
            // schema, structure or outcome failure (those are bugs whatever the engines agree on).
            let declared =
                check == Check::Snapshot && xfail_reason(&self.report.xfail, engine).is_some();
            let status = match status {
                Status::Fail | Status::Error if declared => Status::ExpectedFail,
                other => other,
            };
            if status.is_problem() {
                if let Some(problem) = problem {
                    self.report.problems.push(problem);
                }
            }
            cell = cell.max(status);
        }
        cell
    }

    /// One engine's status for a per-engine check, and the problem text when it fails.
    fn engine_check(&self, engine: Engine, check: Check) -> (Status, Option<String>) {
        let name = &self.report.name;
        let side = self.report.engine(engine);
        if matches!(side.ended, Ended::Errored(_)) {
            // Reported once per engine by `Judge::errored`.
            return (Status::Error, None);
        }
        match check {
            Check::Outcome => {
                let Some(expect) = self.report.expect else {
                    return (Status::Skipped, None);
                };
                let ok = matches!(
                    (&side.ended, expect),
                    (Ended::Completed, Expect::Completed) | (Ended::Failed, Expect::Failed)
                );
                if ok {
                    return (Status::Pass, None);
                }
                let detail = match &side.ended {
                    Ended::LoadError(failure) => format!("load error: {failure}"),
                    other => other.label().to_owned(),
                };
                (
                    Status::Fail,
                    Some(format!(
                        "{name} [{engine}] outcome: parity.expect is {expect}, the run ended {detail}"
                    )),
                )
            }
            Check::Schema => {
                if matches!(side.ended, Ended::LoadError(_)) {
                    return (Status::Skipped, None);
                }
                if side.schema.is_empty() {
                    return (Status::Pass, None);
                }
                let mut text = format!(
                    "{name} [{engine}] schema: {} violation(s)",
                    side.schema.len()
                );
                for finding in side.schema.iter().take(20) {
                    let seq = finding
                        .seq
                        .map_or_else(|| "?".to_owned(), |s| s.to_string());
                    let v = &finding.violation;
                    let pointer = if v.instance_path.is_empty() {
                        "/"
                    } else {
                        &v.instance_path
                    };
                    let _ = write!(
                        text,
                        "\n  {engine} › seq {seq} (event {}) › {pointer}: {} (keyword {}, schema {})",
                        finding.line, v.message, v.keyword, v.schema_path
                    );
                }
                (Status::Fail, Some(text))
            }
            Check::Structure => {
                if matches!(side.ended, Ended::LoadError(_)) {
                    return (Status::Skipped, None);
                }
                if side.structure.is_empty()
                    && side.normalize_error.is_none()
                    && side.end_mismatch.is_none()
                    && side.console_mismatch.is_none()
                {
                    return (Status::Pass, None);
                }
                let mut text = format!("{name} [{engine}] structure:");
                if let Some(mismatch) = &side.end_mismatch {
                    let _ = write!(text, "\n  {mismatch}");
                }
                if let Some(mismatch) = &side.console_mismatch {
                    let _ = write!(text, "\n  {mismatch}");
                }
                if let Some(err) = &side.normalize_error {
                    let _ = write!(text, "\n  cannot normalize: {err}");
                }
                for violation in side.structure.iter().take(20) {
                    let seq = violation
                        .seq
                        .map_or_else(|| "?".to_owned(), |s| s.to_string());
                    let _ = write!(
                        text,
                        "\n  {engine} › seq {seq} (event {}) › {}: {}",
                        violation.line, violation.kind, violation.message
                    );
                }
                (Status::Fail, Some(text))
            }
            Check::Snapshot => self.snapshot(engine),
            Check::Parity => (Status::Skipped, None),
        }
    }

    fn snapshot(&self, engine: Engine) -> (Status, Option<String>) {
        let name = &self.report.name;
        let side = self.report.engine(engine);
        match &side.snapshot {
            SnapshotOutcome::NotCompared if side.rendered.is_none() => (
                Status::Fail,
                Some(format!(
                    "{name} [{engine}] snapshot: nothing to compare (the events cannot be normalized)"
                )),
            ),
            SnapshotOutcome::NotCompared => (Status::Skipped, None),
            SnapshotOutcome::Match => (Status::Pass, None),
            SnapshotOutcome::Missing => (
                Status::Fail,
                Some(format!(
                    "{name} [{engine}] snapshot: expected/{name}.snap does not exist; review the run and create it with scripts/regen-expected (or INSTA_UPDATE=always cargo test -p twinflow --test fixtures)"
                )),
            ),
            SnapshotOutcome::Unreadable(err) => (
                Status::Fail,
                Some(format!("{name} [{engine}] snapshot: {err}")),
            ),
            SnapshotOutcome::Differs(diff) => (
                Status::Fail,
                Some(format!(
                    "{name} [{engine}] snapshot: differs from expected/{name}.snap\n{diff}"
                )),
            ),
        }
    }

    fn parity(&mut self) -> Status {
        let name = self.report.name.clone();
        let [rust, python] = &self.report.engines;
        let declared = self.report.xfail.any();
        let status = match (&rust.rendered, &python.rendered) {
            (Some(_), Some(_)) if self.report.parity_diff.is_empty() => Status::Pass,
            (Some(_), Some(_)) => {
                if !declared {
                    self.report.problems.push(format!(
                        "{name} parity: the engines disagree (normalized rust → python)\n{}",
                        self.report.parity_diff
                    ));
                }
                Status::Fail
            }
            _ => Status::Error,
        };
        match status {
            Status::Fail | Status::Error if declared => Status::ExpectedFail,
            other => other,
        }
    }

    /// An xfailed engine that passes its own checks and agrees with its twin.
    fn unexpected_passes(&mut self) {
        if self.report.cells.get(&Check::Parity) != Some(&Status::Pass) {
            return;
        }
        for engine in Engine::ALL {
            let Some(reason) = xfail_reason(&self.report.xfail, engine) else {
                continue;
            };
            let passes = [Check::Outcome, Check::Schema, Check::Structure]
                .into_iter()
                .all(|check| {
                    matches!(
                        self.engine_check(engine, check).0,
                        Status::Pass | Status::Skipped
                    )
                });
            if passes {
                let name = &self.report.name;
                self.report.problems.push(format!(
                    "{name} [{engine}] unexpected pass: parity.xfail.{engine} says \"{reason}\", but the engines now agree; remove the xfail"
                ));
                self.report
                    .cells
                    .insert(Check::Parity, Status::UnexpectedPass);
            }
        }
    }

    fn notes(&mut self) {
        let expected = self
            .report
            .cells
            .values()
            .any(|status| *status == Status::ExpectedFail);
        if !expected {
            return;
        }
        for engine in Engine::ALL {
            if let Some(reason) = xfail_reason(&self.report.xfail, engine) {
                let note = format!("{} [{engine}] expected failure: {reason}", self.report.name);
                self.report.notes.push(note);
            }
        }
    }
}

/// Checks the console handlers' output against the run's own events: each of the `handlers`
/// writes `[{level}] {node} {event_type}` (then `: {message}`) per event, in `seq` order
/// (contract §3.5). `None` when it matches.
fn console_mismatch(ran: &crate::run::Ran, handlers: usize, color: bool) -> Option<String> {
    let mut ordered: Vec<&Value> = ran.events.iter().collect();
    ordered.sort_by_key(|event| event.get("seq").and_then(Value::as_u64));
    let mut expected = String::new();
    for event in ordered {
        let field = |name: &str| event.get(name).and_then(Value::as_str).unwrap_or("?");
        let mut line = format!(
            "[{}] {} {}",
            field("level"),
            field("node"),
            field("event_type")
        );
        if let Some(message) = event.get("message").and_then(Value::as_str) {
            let _ = write!(line, ": {message}");
        }
        for _ in 0..handlers {
            expected.push_str(&line);
            expected.push('\n');
        }
    }
    if expected == ran.console {
        return None;
    }
    Some(format!(
        "console output differs from one line per event and console handler ({handlers}):\n{}",
        render_labeled_diff("expected", &expected, "console", &ran.console, color)
    ))
}

/// A run's reported status and final state, normalized as values inside its events are (ids
/// relabelled, nested events and flow logs without what varies; numbers by value, keys sorted).
fn end_yaml(ran: &crate::run::Ran) -> String {
    let state =
        normalize_value(&ran.events, &ran.state).unwrap_or_else(|_| Canon::from_json(&ran.state));
    Canon::Map(BTreeMap::from([
        (
            "status".to_owned(),
            Canon::String(ran.status.name().to_owned()),
        ),
        ("final_state".to_owned(), state),
    ]))
    .to_yaml()
}

/// The snapshot body of a run that did not load: the load error, without its origin (both engines
/// load the text as `<string>`).
#[must_use]
pub fn load_failure_yaml(failure: &LoadFailure) -> String {
    let optional =
        |value: Option<usize>| value.map_or(Canon::Null, |v| Canon::Number(v.to_string()));
    let tree = Canon::Map(BTreeMap::from([(
        "load_error".to_owned(),
        Canon::Map(BTreeMap::from([
            ("kind".to_owned(), Canon::String(failure.kind.clone())),
            (
                "message".to_owned(),
                // The parsers' own wording (saphyr, PyYAML): only kind and position are contract.
                if failure.kind == "YamlSyntax" {
                    Canon::Placeholder("parser message")
                } else {
                    Canon::String(failure.message.clone())
                },
            ),
            ("line".to_owned(), optional(failure.line)),
            ("column".to_owned(), optional(failure.column)),
            (
                "key".to_owned(),
                failure
                    .key
                    .as_ref()
                    .map_or(Canon::Null, |k| Canon::String(k.clone())),
            ),
        ])),
    )]));
    tree.to_yaml()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ran(console: &str) -> crate::run::Ran {
        let event = |seq: u64, event_type: &str, message: Value| {
            serde_json::json!({"seq": seq, "level": "info", "node": "greet",
                "event_type": event_type, "message": message})
        };
        crate::run::Ran {
            // Out of seq order on purpose: lines follow seq.
            events: vec![
                event(1, "metric", Value::Null),
                event(0, "entry", Value::from("node started")),
            ],
            status: RunStatus::Completed,
            state: serde_json::json!({}),
            console: console.to_owned(),
        }
    }

    #[test]
    fn console_output_is_one_pinned_line_per_event_and_handler() {
        let one = "[info] greet entry: node started\n[info] greet metric\n";
        assert_eq!(console_mismatch(&ran(one), 1, false), None);
        assert_eq!(console_mismatch(&ran(""), 0, false), None);
        let twice = "[info] greet entry: node started\n[info] greet entry: node started\n\
                     [info] greet metric\n[info] greet metric\n";
        assert_eq!(console_mismatch(&ran(twice), 2, false), None);
        let drifted = "[INFO] greet entry: node started\n[info] greet metric\n";
        let problem = console_mismatch(&ran(drifted), 1, false).expect("reported");
        assert!(problem.contains("[INFO] greet entry"), "{problem}");
        assert!(console_mismatch(&ran(one), 0, false).is_some());
    }
}
