//! The end of a `twinflow check` run: which fixtures failed, what moved in each, and the exact
//! commands that rerun only them or regenerate their snapshots.

use std::fmt::Write as _;

use crate::finding::Severity;
use crate::suite::{FixtureReport, Movement, Verdict, movement};

/// What went wrong in one failed fixture, in a few words.
#[must_use]
pub fn cause(report: &FixtureReport) -> String {
    match movement(report) {
        Some(Movement::Moved(engine)) => {
            return format!(
                "{engine} moved ({} still matches the snapshot)",
                engine.other()
            );
        }
        Some(Movement::BothSame) => {
            return "both engines changed the same way: regenerate if intended".to_owned();
        }
        Some(Movement::BothDifferently) | None => {}
    }
    let mut codes: Vec<String> = Vec::new();
    for finding in report.errors() {
        let runtime = finding.runtime.as_deref().unwrap_or("both");
        let code = format!("{runtime}: {}", finding.code);
        if !codes.contains(&code) {
            codes.push(code);
        }
    }
    codes.join(", ")
}

/// The failed fixtures with their causes and the commands to go on with; empty when none failed.
#[must_use]
pub fn render_rerun(reports: &[FixtureReport]) -> String {
    let failed: Vec<&FixtureReport> = reports
        .iter()
        .filter(|report| !report.verdict().is_ok())
        .collect();
    if failed.is_empty() {
        return String::new();
    }
    let width = failed.iter().map(|r| r.name.len()).max().unwrap_or(0);
    let mut out = format!("\nfailed fixtures ({}):\n", failed.len());
    for report in &failed {
        let label = match report.verdict() {
            Verdict::Error => "ERROR",
            _ => "FAIL",
        };
        let _ = writeln!(
            out,
            "  {label:<5} {:<width$}  {}",
            report.name,
            cause(report)
        );
    }
    let names: Vec<&str> = failed.iter().map(|r| r.name.as_str()).collect();
    let _ = writeln!(out, "\nrerun them:   twinflow check {}", names.join(" "));
    let _ = writeln!(
        out,
        "one in cargo: cargo test --test fixtures -- {}",
        names[0]
    );
    let same: Vec<&str> = failed
        .iter()
        .filter(|report| movement(report) == Some(Movement::BothSame))
        .filter(|report| {
            // Regenerating is only the answer when nothing but the snapshot failed.
            report.errors().all(|f| {
                f.code.check == crate::finding::Check::Snapshot && f.severity == Severity::Error
            })
        })
        .map(|report| report.name.as_str())
        .collect();
    if !same.is_empty() {
        let _ = writeln!(
            out,
            "both engines moved the same way in {}; if intended: scripts/regen-expected {}, then \
             review git diff expected/",
            same.len(),
            same.join(" ")
        );
    }
    out
}
