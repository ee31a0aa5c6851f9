//! `twinflow check --json`: the whole run as one JSON document, for scripts and dashboards.

use serde_json::{Value, json};

use super::Totals;
use super::strip_ansi;
use crate::suite::{Check, FixtureReport, Status};

/// The reports as JSON: `{fixtures: [{name, path, verdict, checks: {schema: "ok", …}, engines:
/// {rust: {ended, events, ms}, python: {…}}, problems, notes}], totals: {…}}`. Messages carry no
/// color.
#[must_use]
pub fn render_json(reports: &[FixtureReport]) -> Value {
    let fixtures: Vec<Value> = reports.iter().map(fixture).collect();
    let totals = Totals::of(reports);
    json!({
        "fixtures": fixtures,
        "totals": {
            "fixtures": totals.fixtures,
            "passed": totals.passed,
            "expected_failures": totals.expected_failures,
            "failed": totals.failed,
            "errored": totals.errored,
            "rust_ms": totals.rust_time.as_secs_f64() * 1e3,
            "python_ms": totals.python_time.as_secs_f64() * 1e3,
        },
    })
}

fn fixture(report: &FixtureReport) -> Value {
    let checks: serde_json::Map<String, Value> = Check::ALL
        .into_iter()
        .map(|check| {
            let status = report.cells.get(&check).copied().unwrap_or(Status::Skipped);
            (check.name().to_owned(), Value::from(status.label()))
        })
        .collect();
    let engines: serde_json::Map<String, Value> = report
        .engines
        .iter()
        .map(|side| {
            (
                side.engine.name().to_owned(),
                json!({
                    "ended": side.ended.label(),
                    "events": side.events,
                    "ms": side.elapsed.as_secs_f64() * 1e3,
                }),
            )
        })
        .collect();
    let clean = |texts: &[String]| -> Vec<String> { texts.iter().map(|t| strip_ansi(t)).collect() };
    json!({
        "name": report.name,
        "path": report.path.display().to_string(),
        "verdict": report.verdict().label(),
        "checks": checks,
        "engines": engines,
        "problems": clean(&report.problems),
        "notes": clean(&report.notes),
    })
}
