//! `twinflow conform --junit`: JUnit XML in the shape of `twinflow check`'s (valid against
//! Jenkins xunit's `junit-10.xsd`): one `<testsuite>` per fixture carrying its file, holding one
//! `<testcase>` named by the fixture and classed by its contract section; a failure carries the
//! findings, an expected failure (the `--expect` manifest) is `<skipped>` with its reason.

use std::io;
use std::path::Path;

use quick_xml::Writer;
use quick_xml::events::{BytesEnd, BytesStart, Event};

use super::junit::{CaseOutcome, OneCase, seconds, write_one_case_suite, xml_document};
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
            .to_string()
    };
    let time = seconds(reports.iter().map(|r| r.elapsed).sum());
    let mut suites = BytesStart::new("testsuites");
    suites.push_attribute(("name", "twinflow conform"));
    suites.push_attribute(("tests", reports.len().to_string().as_str()));
    suites.push_attribute((
        "failures",
        count(&[Status::Fail, Status::UnexpectedPass]).as_str(),
    ));
    suites.push_attribute(("errors", count(&[Status::Error]).as_str()));
    suites.push_attribute(("time", time.as_str()));
    writer.write_event(Event::Start(suites))?;
    for report in reports {
        write_suite(writer, report, root)?;
    }
    writer.write_event(Event::End(BytesEnd::new("testsuites")))
}

fn write_suite(
    writer: &mut Writer<Vec<u8>>,
    report: &ConformReport,
    root: &Path,
) -> io::Result<()> {
    let file = report.path.strip_prefix(root).unwrap_or(&report.path);
    write_one_case_suite(
        writer,
        OneCase {
            file: file.display().to_string(),
            name: &report.name,
            classname: report.section,
            time: report.elapsed,
            outcome: outcome(report),
        },
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
