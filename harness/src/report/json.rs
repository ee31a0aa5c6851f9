//! `twinflow check --json`, and findings as JSON objects for `validate --format json`: data for
//! scripts and dashboards, versioned.

use serde_json::{Value, json};

use super::totals::Totals;
use crate::finding::Finding;
use crate::suite::{COLUMNS, FixtureReport, Status};

/// The version of the JSON report's shape; it changes when a field changes meaning or goes.
pub const REPORT_VERSION: u32 = 1;

/// One finding as a JSON object: `{code, severity, runtime?, fixture?, location: {file?, line?,
/// column?, flow_id?, span_id?, seq?, pointer?, schema_path?}, message, help?, detail?}`.
#[must_use]
pub fn finding_json(finding: &Finding) -> Value {
    // A finding holds strings, numbers and options only: it always serializes.
    serde_json::to_value(finding).unwrap_or(Value::Null)
}

/// The reports as JSON: `{version, fixtures: [{name, path, verdict, checks: {schema: "ok", …},
/// engines: {rust: {ended, events, ms}, python: {…}}, findings: [...]}], totals: {…}}`.
#[must_use]
pub fn render_json(reports: &[FixtureReport]) -> Value {
    let fixtures: Vec<Value> = reports.iter().map(fixture).collect();
    let totals = Totals::of(reports);
    json!({
        "version": REPORT_VERSION,
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
    let checks: serde_json::Map<String, Value> = COLUMNS
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
    let findings: Vec<Value> = report.findings.iter().map(finding_json).collect();
    json!({
        "name": report.name,
        "path": report.path.display().to_string(),
        "verdict": report.verdict().label(),
        "checks": checks,
        "engines": engines,
        "findings": findings,
    })
}
