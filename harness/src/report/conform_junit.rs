//! `twinflow conform --junit`: JUnit XML in the shape of `twinflow check`'s (valid against
//! Jenkins xunit's `junit-10.xsd`): one `<testsuite>` per fixture carrying its file, holding one
//! `<testcase>` named by the fixture and classed by its contract section; a failure carries the
//! findings, an expected failure (the `--expect` manifest) is `<skipped>` with its reason.

use std::io;
use std::path::Path;

use quick_xml::Writer;

use super::junit::{CaseOutcome, OneCase, relative, write_suites, xml_document};
use super::text;
use crate::conform::ConformReport;
use crate::finding::Finding;
use crate::suite::Status;

/// The reports as one `<testsuites name="twinflow conform">` document.
#[must_use]
pub fn render_conform_junit(reports: &[ConformReport], root: &Path) -> String {
    xml_document(|writer| write_document(writer, reports, root))
}

fn write_document(
    writer: &mut Writer<Vec<u8>>,
    reports: &[ConformReport],
    root: &Path,
) -> io::Result<()> {
    let count = |wanted: &[Status]| {
        reports
            .iter()
            .filter(|r| wanted.contains(&r.verdict()))
            .count()
    };
    let cases = reports
        .iter()
        .map(|report| OneCase {
            file: relative(&report.path, root),
            name: &report.name,
            classname: report.section,
            time: report.elapsed,
            outcome: outcome(report),
        })
        .collect();
    let failures = count(&[Status::Fail, Status::UnexpectedPass]);
    write_suites(
        writer,
        "twinflow conform",
        failures,
        count(&[Status::Error]),
        cases,
    )
}

/// A failure or error with the findings, `skipped` with the manifest's reason, or nothing.
fn outcome(report: &ConformReport) -> Option<CaseOutcome> {
    let errors: Vec<&Finding> = report.findings.iter().filter(|f| f.is_error()).collect();
    let message = errors.first().map(|f| text::line(f)).unwrap_or_default();
    let kind = errors.first().map(|f| f.code.to_string());
    let body: String = errors
        .iter()
        .map(|f| text::block(f, text::Style::FULL))
        .collect();
    match report.verdict() {
        Status::Pass | Status::Skipped => None,
        Status::ExpectedFail => Some((
            "skipped",
            report.expected_failure.clone().unwrap_or_default(),
            None,
            String::new(),
        )),
        Status::Error => Some(("error", message, kind, body)),
        Status::Fail | Status::UnexpectedPass => Some(("failure", message, kind, body)),
    }
}
