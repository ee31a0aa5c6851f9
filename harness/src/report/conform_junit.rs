//! `twinflow conform --junit`: JUnit XML in the shape of `twinflow check`'s (valid against
//! Jenkins xunit's `junit-10.xsd`): one `<testsuite>` per fixture carrying its file, holding one
//! `<testcase>` named by the fixture and classed by its contract section; a failure carries the
//! findings, an expected failure (the `--expect` manifest) is `<skipped>` with its reason.

use std::io;
use std::path::Path;

use quick_xml::Writer;
use quick_xml::events::{BytesEnd, BytesStart, BytesText, Event};

use super::junit::{clean, seconds};
use super::text;
use crate::conform::ConformReport;
use crate::suite::Status;

/// The reports as one `<testsuites name="twinflow conform">` document.
#[must_use]
pub fn render_conform_junit(reports: &[ConformReport], root: &Path) -> String {
    let mut writer = Writer::new_with_indent(Vec::new(), b' ', 2);
    // Writing into memory cannot fail.
    let _ = write_document(&mut writer, reports, root);
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&String::from_utf8_lossy(&writer.into_inner()));
    out.push('\n');
    out
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
    let verdict = report.verdict();
    let count = |wanted: &[Status]| usize::from(wanted.contains(&verdict)).to_string();
    let file = report
        .path
        .strip_prefix(root)
        .unwrap_or(&report.path)
        .display()
        .to_string();
    let time = seconds(report.elapsed);
    let mut suite = BytesStart::new("testsuite");
    suite.push_attribute(("name", file.as_str()));
    suite.push_attribute(("tests", "1"));
    suite.push_attribute((
        "failures",
        count(&[Status::Fail, Status::UnexpectedPass]).as_str(),
    ));
    suite.push_attribute(("errors", count(&[Status::Error]).as_str()));
    suite.push_attribute(("skipped", count(&[Status::ExpectedFail]).as_str()));
    suite.push_attribute(("time", time.as_str()));
    suite.push_attribute(("file", file.as_str()));
    writer.write_event(Event::Start(suite))?;
    let mut case = BytesStart::new("testcase");
    case.push_attribute(("name", report.name.as_str()));
    case.push_attribute(("classname", report.section));
    case.push_attribute(("time", time.as_str()));
    let errors: Vec<_> = report.findings.iter().filter(|f| f.is_error()).collect();
    let (tag, message, body) = match verdict {
        Status::Pass | Status::Skipped => {
            writer.write_event(Event::Empty(case))?;
            return writer.write_event(Event::End(BytesEnd::new("testsuite")));
        }
        Status::ExpectedFail => (
            "skipped",
            report.expected_failure.clone().unwrap_or_default(),
            String::new(),
        ),
        Status::Error => ("error", first_line(&errors), all_blocks(&errors)),
        Status::Fail | Status::UnexpectedPass => {
            ("failure", first_line(&errors), all_blocks(&errors))
        }
    };
    writer.write_event(Event::Start(case))?;
    let mut element = BytesStart::new(tag);
    element.push_attribute(("message", clean(&message).as_str()));
    if let Some(first) = errors.first().filter(|_| tag != "skipped") {
        element.push_attribute(("type", first.code.to_string().as_str()));
    }
    if body.is_empty() {
        writer.write_event(Event::Empty(element))?;
    } else {
        writer.write_event(Event::Start(element))?;
        writer.write_event(Event::Text(BytesText::new(&clean(&body))))?;
        writer.write_event(Event::End(BytesEnd::new(tag)))?;
    }
    writer.write_event(Event::End(BytesEnd::new("testcase")))?;
    writer.write_event(Event::End(BytesEnd::new("testsuite")))
}

fn first_line(errors: &[&crate::finding::Finding]) -> String {
    errors.first().map(|f| text::line(f)).unwrap_or_default()
}

fn all_blocks(errors: &[&crate::finding::Finding]) -> String {
    errors
        .iter()
        .map(|f| text::block(f, text::Style::FULL))
        .collect()
}
