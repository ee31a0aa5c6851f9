//! Every output format, one module each (STYLE §5: text for people, formats for machines):
//! `text` (one line or a block per finding), `table` (fixture × check), `json`, `junit` and
//! `github` (Actions annotations). Each renders the same [`crate::finding::Finding`]s and
//! [`FixtureReport`]s; nothing outside this folder formats a finding.

pub mod github;
mod json;
mod junit;
mod table;
pub mod text;

use std::time::Duration;

pub use json::{REPORT_VERSION, finding_json, render_json};
pub use junit::render_junit;
pub use table::{render_table, render_timings};

use crate::suite::{FixtureReport, Verdict};

/// Counts over a suite run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    /// Fixtures checked.
    pub fixtures: usize,
    /// Fixtures that passed every check.
    pub passed: usize,
    /// Fixtures that failed only as declared.
    pub expected_failures: usize,
    /// Fixtures with a failure (or an unexpected pass).
    pub failed: usize,
    /// Fixtures where an engine produced nothing to check.
    pub errored: usize,
    /// Sum of the Rust engine's run times.
    pub rust_time: Duration,
    /// Sum of the Python engine's run times.
    pub python_time: Duration,
}

impl Totals {
    /// Counts `reports`.
    #[must_use]
    pub fn of(reports: &[FixtureReport]) -> Self {
        let mut totals = Self {
            fixtures: reports.len(),
            ..Self::default()
        };
        for report in reports {
            match report.verdict() {
                Verdict::Pass => totals.passed += 1,
                Verdict::ExpectedFail => totals.expected_failures += 1,
                Verdict::Fail => totals.failed += 1,
                Verdict::Error => totals.errored += 1,
            }
            totals.rust_time += report.engines[0].elapsed;
            totals.python_time += report.engines[1].elapsed;
        }
        totals
    }

    /// Whether the run has no problem.
    #[must_use]
    pub fn all_ok(&self) -> bool {
        self.failed == 0 && self.errored == 0
    }
}
