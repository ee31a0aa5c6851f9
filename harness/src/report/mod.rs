//! Reports of a suite run (STYLE §5: text for people, formats for machines): the summary table,
//! JUnit XML and JSON. Every renderer takes the same [`FixtureReport`]s.

mod json;
mod junit;
mod table;

use std::time::Duration;

pub use json::render_json;
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

/// `text` without ANSI color sequences (machine formats never carry them).
#[must_use]
pub fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' && chars.peek() == Some(&'[') {
            chars.next();
            // CSI: parameters and intermediates, then one final byte in @..~.
            for next in chars.by_ref() {
                if ('@'..='~').contains(&next) {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ansi_sequences_are_removed() {
        assert_eq!(strip_ansi("\x1b[31m-a\x1b[0m b"), "-a b");
        assert_eq!(strip_ansi("plain"), "plain");
    }
}
