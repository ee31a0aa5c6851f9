//! Counts over a suite run, shared by the table, JSON and JUnit renderers.

use std::time::Duration;

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
