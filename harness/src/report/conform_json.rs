//! `twinflow conform --format json`: `{version, runtime, fixtures: [{name, path, section, verdict,
//! checks: {run: "ok", …}, ms, expected_failure?, findings}], scores: [{section, passed, expected,
//! total, percent}]}` (the last score is the total).

use serde_json::{Value, json};

use super::json::{REPORT_VERSION, finding_json};
use crate::conform::{ConformCheck, ConformReport, scores};
use crate::suite::Status;

/// The reports as one JSON value.
#[must_use]
pub fn render_conform_json(reports: &[ConformReport], runtime: &str) -> Value {
    let fixtures: Vec<Value> = reports.iter().map(fixture).collect();
    let scores: Vec<Value> = scores(reports)
        .iter()
        .map(|row| {
            json!({"section": row.section, "passed": row.passed, "expected": row.expected,
                   "total": row.total, "percent": row.percent()})
        })
        .collect();
    json!({"version": REPORT_VERSION, "runtime": runtime, "fixtures": fixtures, "scores": scores})
}

fn fixture(report: &ConformReport) -> Value {
    let checks: serde_json::Map<String, Value> = ConformCheck::ALL
        .into_iter()
        .map(|check| {
            let status = report.cells.get(&check).copied().unwrap_or(Status::Skipped);
            (check.name().to_owned(), Value::from(status.label()))
        })
        .collect();
    json!({
        "name": report.name,
        "path": report.path.display().to_string(),
        "section": report.section,
        "verdict": report.verdict().label(),
        "checks": checks,
        "ms": report.elapsed.as_secs_f64() * 1e3,
        "expected_failure": report.expected_failure,
        "findings": report.findings.iter().map(finding_json).collect::<Vec<_>>(),
    })
}
