//! `twinflow conform`'s text report: the failing fixtures' findings, the fixture × check table,
//! the score per contract section and the total.

use std::fmt::Write as _;

use super::text::{self, Style};
use crate::conform::{ConformCheck, ConformReport, SectionScore, scores};
use crate::suite::Status;

/// The findings of every fixture that is not a plain pass (or only of those that fail, without
/// `expected` failures), as blocks.
#[must_use]
pub fn render_conform_findings(reports: &[ConformReport], style: Style, expected: bool) -> String {
    reports
        .iter()
        .filter(|report| match report.verdict() {
            Status::Pass => false,
            Status::ExpectedFail => expected,
            _ => true,
        })
        .map(|report| text::blocks(&report.findings, style))
        .collect()
}

/// The fixture × check table (`all` rows, or only those that are not a plain pass), then the
/// scores.
///
/// ```text
/// fixture              run  exit  schema  structure  snapshot  state  load_error      ms
/// linear_three_nodes   ok   ok    ok      ok         ok        ok     -             21.5
/// ```
#[must_use]
pub fn render_conform_table(reports: &[ConformReport], all: bool) -> String {
    let shown: Vec<&ConformReport> = reports
        .iter()
        .filter(|report| all || report.verdict() != Status::Pass)
        .collect();
    let width = shown
        .iter()
        .map(|r| r.name.len())
        .max()
        .unwrap_or(0)
        .max("fixture".len());
    let mut out = String::new();
    if !shown.is_empty() {
        let _ = write!(out, "{:<width$}", "fixture");
        for check in ConformCheck::ALL {
            let _ = write!(out, "  {:<w$}", check.name(), w = column_width(check));
        }
        let _ = writeln!(out, "  {:>8}", "ms");
        for report in shown {
            let _ = write!(out, "{:<width$}", report.name);
            for check in ConformCheck::ALL {
                let status = report.cells.get(&check).copied().unwrap_or(Status::Skipped);
                let _ = write!(out, "  {:<w$}", status.label(), w = column_width(check));
            }
            let _ = writeln!(out, "  {:>8.1}", report.elapsed.as_secs_f64() * 1e3);
        }
        out.push('\n');
    }
    out.push_str(&render_scores(&scores(reports)));
    out
}

fn column_width(check: ConformCheck) -> usize {
    check.name().len().max(5)
}

/// One line per contract section, then the total: `§1.3 Templates   14/15   93.3 %`.
#[must_use]
pub fn render_scores(rows: &[SectionScore]) -> String {
    let width = rows
        .iter()
        .map(|row| row.section.chars().count())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for row in rows {
        let pad = width - row.section.chars().count();
        let expected = if row.expected > 0 {
            format!(" ({} failing as expected)", row.expected)
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "{}{}  {:>3}/{:<3}  {:>5.1} %{expected}",
            row.section,
            " ".repeat(pad),
            row.passed,
            row.total,
            row.percent()
        );
    }
    out
}
