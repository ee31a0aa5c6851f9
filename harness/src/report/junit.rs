//! `twinflow check --junit`: JUnit XML (written by `quick-junit`), the format CI systems (GitHub,
//! GitLab, Jenkins) display. One `<testcase>` per fixture, its `file` relative to the project
//! root; a failure carries its findings, a declared divergence (`parity.xfail`) is `<skipped>`
//! with its reason.

use std::path::Path;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use super::text;
use crate::finding::{Finding, Severity};
use crate::suite::{FixtureReport, Verdict};

/// The reports as one `<testsuites name="twinflow">` document; fixture paths are made relative to
/// `root`.
#[must_use]
pub fn render_junit(reports: &[FixtureReport], root: &Path) -> String {
    let mut suite = TestSuite::new("twinflow check");
    suite.add_test_cases(reports.iter().map(|report| testcase(report, root)));
    let mut document = Report::new("twinflow");
    document.add_test_suite(suite);
    // Serializing strings and numbers into memory cannot fail.
    document.to_string().unwrap_or_default()
}

fn testcase(report: &FixtureReport, root: &Path) -> TestCase {
    let errors: Vec<&Finding> = report.errors().collect();
    let status = match report.verdict() {
        Verdict::Pass => TestCaseStatus::success(),
        Verdict::ExpectedFail => {
            // A declared divergence is neither a pass nor a failure: CI systems show it as skipped.
            let reasons: Vec<&str> = report
                .findings
                .iter()
                .filter(|finding| finding.severity == Severity::Note)
                .map(|finding| finding.message.as_str())
                .collect();
            let mut status = TestCaseStatus::skipped();
            status.set_message(reasons.join("; "));
            status
        }
        verdict => {
            let kind = if verdict == Verdict::Error {
                NonSuccessKind::Error
            } else {
                NonSuccessKind::Failure
            };
            let mut status = TestCaseStatus::non_success(kind);
            if let Some(first) = errors.first() {
                status.set_message(text::line(first));
                status.set_type(first.code.to_string());
            }
            let body: String = errors
                .iter()
                .map(|finding| text::block(finding, text::Style::FULL))
                .collect();
            status.set_description(body);
            status
        }
    };
    let mut case = TestCase::new(report.name.as_str(), status);
    case.set_classname("fixtures");
    case.set_time(report.engines.iter().map(|side| side.elapsed).sum());
    let file = report.path.strip_prefix(root).unwrap_or(&report.path);
    case.extra
        .insert("file".into(), file.display().to_string().into());
    case
}
