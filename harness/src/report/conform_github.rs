//! `twinflow conform --format github`: one annotation per finding on the fixture file, and a
//! Markdown summary (the scores, then the fixtures that did not pass) for `$GITHUB_STEP_SUMMARY`.

use std::fmt::Write as _;
use std::path::Path;

use super::github::fixture_annotation;
use crate::conform::{ConformCheck, ConformReport, scores};
use crate::suite::Status;

/// The annotations, one line each; fixture paths are made relative to `root`.
#[must_use]
pub fn render_conform_annotations(reports: &[ConformReport], root: &Path) -> String {
    let mut out = String::new();
    for report in reports {
        let file = report.path.strip_prefix(root).unwrap_or(&report.path);
        let file = file.display().to_string();
        for finding in &report.findings {
            let _ = writeln!(out, "{}", fixture_annotation(finding, &file));
        }
    }
    out
}

/// The Markdown summary.
#[must_use]
pub fn render_conform_summary(reports: &[ConformReport], runtime: &str) -> String {
    let mut out =
        format!("### twinflow conform: {runtime}\n\n| section | passed | score |\n|---|---|---|\n");
    for row in scores(reports) {
        let _ = writeln!(
            out,
            "| {} | {}/{} | {:.1} % |",
            row.section,
            row.passed,
            row.total,
            row.percent()
        );
    }
    let failing: Vec<&ConformReport> = reports
        .iter()
        .filter(|r| r.verdict() != Status::Pass)
        .collect();
    if failing.is_empty() {
        return out;
    }
    out.push_str("\n| fixture |");
    for check in ConformCheck::ALL {
        let _ = write!(out, " {} |", check.name());
    }
    out.push_str("\n|---|");
    for _ in ConformCheck::ALL {
        out.push_str("---|");
    }
    out.push('\n');
    for report in failing {
        let _ = write!(out, "| `{}` |", report.name);
        for check in ConformCheck::ALL {
            let status = report.cells.get(&check).copied().unwrap_or(Status::Skipped);
            let _ = write!(out, " {} |", status.label());
        }
        out.push('\n');
    }
    out
}
