//! The summary table `twinflow check` prints: one row per fixture, one column per check, then the
//! totals and each engine's cost.

use std::fmt::Write as _;
use std::time::Duration;

use super::totals::Totals;
use crate::suite::{COLUMNS, FixtureReport, Status};

/// The fixture × check table, with each engine's run time, and a totals line.
///
/// ```text
/// fixture              schema  structure  parity  snapshot  outcome   rust ms  python ms
/// linear_three_nodes   ok      ok         ok      ok        ok           0.4        1.9
/// ```
#[must_use]
pub fn render_table(reports: &[FixtureReport]) -> String {
    let width = reports
        .iter()
        .map(|report| report.name.len())
        .max()
        .unwrap_or(0)
        .max("fixture".len());
    let mut out = String::new();
    let _ = write!(out, "{:<width$}", "fixture");
    for check in COLUMNS {
        let _ = write!(out, "  {:<9}", check.name());
    }
    let _ = writeln!(out, "  {:>8}  {:>9}", "rust ms", "python ms");
    for report in reports {
        let _ = write!(out, "{:<width$}", report.name);
        for check in COLUMNS {
            let status = report.cells.get(&check).copied().unwrap_or(Status::Skipped);
            let _ = write!(out, "  {:<9}", status.label());
        }
        let _ = writeln!(
            out,
            "  {:>8}  {:>9}",
            millis(report.engines[0].elapsed),
            millis(report.engines[1].elapsed)
        );
    }
    let totals = Totals::of(reports);
    let _ = writeln!(
        out,
        "\n{} fixtures: {} passed, {} failed as declared (xfail), {} failed, {} errored",
        totals.fixtures, totals.passed, totals.expected_failures, totals.failed, totals.errored
    );
    out
}

/// One line with each engine's total and per-fixture cost, and the wall time of the whole run.
#[must_use]
pub fn render_timings(reports: &[FixtureReport], wall: Duration) -> String {
    let totals = Totals::of(reports);
    let per = |total: Duration| {
        if totals.fixtures == 0 {
            0.0
        } else {
            total.as_secs_f64() * 1e3 / totals.fixtures as f64
        }
    };
    format!(
        "time: {:.2} s wall; rust {} ms in total ({:.2} ms per fixture), python {} ms in total ({:.2} ms per fixture)\n",
        wall.as_secs_f64(),
        millis(totals.rust_time),
        per(totals.rust_time),
        millis(totals.python_time),
        per(totals.python_time),
    )
}

fn millis(duration: Duration) -> String {
    format!("{:.1}", duration.as_secs_f64() * 1e3)
}
