//! `twinflow check --junit`: JUnit XML, the format CI systems (GitHub, GitLab, Jenkins) display,
//! valid against Jenkins xunit's `junit-10.xsd` (vendored in `harness/tests/data/`, where a test
//! validates the output). One `<testsuite>` per fixture, whose `file` is the fixture's path
//! relative to the project root (the XSD allows `file` on suites only; test-report actions fall
//! back to it), holding one `<testcase>`: a failure carries its findings, a declared divergence
//! (`parity.xfail`) is `<skipped>` with its reason.
//!
//! Written with `quick-xml` rather than `quick-junit`, which always writes a `disabled` attribute
//! the XSD rejects.

use std::io;
use std::path::Path;
use std::time::Duration;

use quick_xml::Writer;
use quick_xml::events::{BytesEnd, BytesStart, BytesText, Event};

use super::text;
use super::totals::Totals;
use crate::finding::{Finding, Severity};
use crate::suite::{FixtureReport, Verdict};

/// The reports as one `<testsuites name="twinflow">` document; fixture paths are made relative to
/// `root`.
#[must_use]
pub fn render_junit(reports: &[FixtureReport], root: &Path) -> String {
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
    reports: &[FixtureReport],
    root: &Path,
) -> io::Result<()> {
    let totals = Totals::of(reports);
    let time: Duration = reports.iter().map(elapsed).sum();
    let mut suites = BytesStart::new("testsuites");
    suites.push_attribute(("name", "twinflow"));
    suites.push_attribute(("tests", totals.fixtures.to_string().as_str()));
    suites.push_attribute(("failures", totals.failed.to_string().as_str()));
    suites.push_attribute(("errors", totals.errored.to_string().as_str()));
    suites.push_attribute(("time", seconds(time).as_str()));
    writer.write_event(Event::Start(suites))?;
    for report in reports {
        write_suite(writer, report, root)?;
    }
    writer.write_event(Event::End(BytesEnd::new("testsuites")))
}

fn write_suite(
    writer: &mut Writer<Vec<u8>>,
    report: &FixtureReport,
    root: &Path,
) -> io::Result<()> {
    let verdict = report.verdict();
    let count = |wanted: Verdict| usize::from(verdict == wanted).to_string();
    let file = report.path.strip_prefix(root).unwrap_or(&report.path);
    let file = file.display().to_string();
    let time = seconds(elapsed(report));
    let mut suite = BytesStart::new("testsuite");
    suite.push_attribute(("name", file.as_str()));
    suite.push_attribute(("tests", "1"));
    suite.push_attribute(("failures", count(Verdict::Fail).as_str()));
    suite.push_attribute(("errors", count(Verdict::Error).as_str()));
    suite.push_attribute(("skipped", count(Verdict::ExpectedFail).as_str()));
    suite.push_attribute(("time", time.as_str()));
    suite.push_attribute(("file", file.as_str()));
    writer.write_event(Event::Start(suite))?;
    let mut case = BytesStart::new("testcase");
    case.push_attribute(("name", report.name.as_str()));
    case.push_attribute(("classname", "fixtures"));
    case.push_attribute(("time", time.as_str()));
    match outcome(report) {
        None => writer.write_event(Event::Empty(case))?,
        Some((tag, message, kind, body)) => {
            writer.write_event(Event::Start(case))?;
            let mut element = BytesStart::new(tag);
            element.push_attribute(("message", clean(&message).as_str()));
            if let Some(kind) = kind {
                element.push_attribute(("type", kind.as_str()));
            }
            if body.is_empty() {
                writer.write_event(Event::Empty(element))?;
            } else {
                writer.write_event(Event::Start(element))?;
                writer.write_event(Event::Text(BytesText::new(&clean(&body))))?;
                writer.write_event(Event::End(BytesEnd::new(tag)))?;
            }
            writer.write_event(Event::End(BytesEnd::new("testcase")))?;
        }
    }
    writer.write_event(Event::End(BytesEnd::new("testsuite")))
}

/// What the test case holds besides its name: `(tag, message, type, text)`, or nothing for a pass.
fn outcome(report: &FixtureReport) -> Option<(&'static str, String, Option<String>, String)> {
    let errors: Vec<&Finding> = report.errors().collect();
    let first = errors.first();
    let message = first.map(|finding| text::line(finding)).unwrap_or_default();
    let kind = first.map(|finding| finding.code.to_string());
    let body: String = errors
        .iter()
        .map(|finding| text::block(finding, text::Style::FULL))
        .collect();
    match report.verdict() {
        Verdict::Pass => None,
        // A declared divergence is neither a pass nor a failure: CI systems show it as skipped.
        Verdict::ExpectedFail => {
            let reasons: Vec<&str> = report
                .findings
                .iter()
                .filter(|finding| finding.severity == Severity::Note)
                .map(|finding| finding.message.as_str())
                .collect();
            Some(("skipped", reasons.join("; "), None, String::new()))
        }
        Verdict::Fail => Some(("failure", message, kind, body)),
        Verdict::Error => Some(("error", message, kind, body)),
    }
}

fn elapsed(report: &FixtureReport) -> Duration {
    report.engines.iter().map(|side| side.elapsed).sum()
}

/// Seconds with three decimals, as the XSD's `SUREFIRE_TIME` wants.
pub(super) fn seconds(time: Duration) -> String {
    format!("{:.3}", time.as_secs_f64())
}

/// Characters XML 1.0 cannot hold at all (most control characters) become U+FFFD; escaping is
/// the writer's.
pub(super) fn clean(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\t' | '\n' | '\r' => c,
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => '\u{fffd}',
            c => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::clean;

    #[test]
    fn characters_xml_cannot_hold_are_replaced() {
        assert_eq!(clean("a\u{1b}b\tc"), "a\u{fffd}b\tc");
    }
}
