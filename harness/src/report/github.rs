//! Findings as GitHub Actions workflow commands (docs: "Workflow commands for GitHub Actions",
//! "Setting an error message"), so that CI shows them on the files they concern.

use std::fmt::Write as _;

use super::text;
use super::totals::Totals;
use crate::finding::{Finding, Severity};
use crate::suite::{COLUMNS, FixtureReport, Status};

/// One `::error` (or `::warning`, `::notice`) command. Property values escape `%`, CR, LF, `:`
/// and `,`; the message escapes `%`, CR and LF.
#[must_use]
pub fn annotation(finding: &Finding) -> String {
    let command = match finding.severity {
        Severity::Error => "error",
        Severity::Expected | Severity::Warning => "warning",
        Severity::Note => "notice",
    };
    let at = &finding.location;
    let mut properties = Vec::new();
    if let Some(file) = &at.file {
        properties.push(format!("file={}", escape_property(file)));
        if let Some(line) = at.line {
            properties.push(format!("line={line}"));
        }
        if let Some(column) = at.column {
            properties.push(format!("col={column}"));
        }
    }
    properties.push(format!(
        "title={}",
        escape_property(&format!("twinflow {}", finding.code))
    ));
    // The file and line are in the properties; without a file, the message says where.
    let mut message = if at.file.is_some() {
        text::describe(finding)
    } else {
        text::line(finding)
    };
    if let Some(help) = &finding.help {
        message.push_str("\nhelp: ");
        message.push_str(&text::escape(help));
    }
    format!(
        "::{command} {}::{}",
        properties.join(","),
        escape_data(&message)
    )
}

/// A finding of a fixture run as an annotation on the fixture file (`fixture_file`, relative to
/// the root), at the finding's line when it is located in that file.
#[must_use]
pub fn fixture_annotation(finding: &Finding, fixture_file: &str) -> String {
    if finding.location.file.as_deref() == Some(fixture_file) {
        return annotation(finding);
    }
    let mut located = finding.clone();
    located.location.file = Some(fixture_file.to_owned());
    located.location.line = None;
    located.location.column = None;
    // The finding's own place (an event, a snapshot) goes into the message.
    located.message = format!("{}: {}", text::place(finding), finding.message);
    located.detail = None;
    annotation(&located)
}

/// A Markdown summary for `$GITHUB_STEP_SUMMARY`: the totals, then one row per fixture that did
/// not pass.
#[must_use]
pub fn step_summary(reports: &[FixtureReport]) -> String {
    let totals = Totals::of(reports);
    let mut out = format!(
        "### twinflow check\n\n{} fixtures: {} passed, {} failed as declared, {} failed, {} errored\n",
        totals.fixtures, totals.passed, totals.expected_failures, totals.failed, totals.errored
    );
    let shown: Vec<&FixtureReport> = reports
        .iter()
        .filter(|report| report.verdict() != crate::suite::Verdict::Pass)
        .collect();
    if shown.is_empty() {
        return out;
    }
    out.push_str("\n| fixture |");
    for column in COLUMNS {
        let _ = write!(out, " {column} |");
    }
    out.push_str(" cause |\n|---|");
    for _ in COLUMNS {
        out.push_str("---|");
    }
    out.push_str("---|\n");
    for report in shown {
        let _ = write!(out, "| `{}` |", text::escape(&report.name));
        for column in COLUMNS {
            let status = report
                .cells
                .get(&column)
                .copied()
                .unwrap_or(Status::Skipped);
            let _ = write!(out, " {} |", status.label());
        }
        let cause = super::rerun::cause(report).replace('|', "\\|");
        let _ = writeln!(out, " {} |", text::escape(&cause));
    }
    out
}

fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{Check, Code};

    #[test]
    fn annotations_escape() {
        let mut finding = Finding::new(Code::new(Check::Structure, "seq_gap"), "50% lost\nreally")
            .in_file("dir,x/a:b.jsonl");
        finding.location.line = Some(9);
        assert_eq!(
            annotation(&finding),
            "::error file=dir%2Cx/a%3Ab.jsonl,line=9,title=twinflow structure.seq_gap::\
             50%25 lost\\nreally"
        );
    }
}
