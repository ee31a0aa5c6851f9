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
    xml_document(|writer| write_document(writer, reports, root))
}

/// An XML document written by `write` into memory, with its declaration.
pub(super) fn xml_document(write: impl FnOnce(&mut Writer<Vec<u8>>) -> io::Result<()>) -> String {
    let mut writer = Writer::new_with_indent(Vec::new(), b' ', 2);
    // Writing into memory cannot fail.
    let _ = write(&mut writer);
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
    let cases = reports
        .iter()
        .map(|report| OneCase {
            file: relative(&report.path, root),
            name: &report.name,
            classname: "fixtures",
            time: elapsed(report),
            outcome: outcome(report),
        })
        .collect();
    write_suites(writer, "twinflow", totals.failed, totals.errored, cases)
}

/// `path` relative to `root` when it lies inside it.
pub(super) fn relative(path: &Path, root: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}

/// The `<testsuites name=...>` element around one single-case suite per item.
pub(super) fn write_suites(
    writer: &mut Writer<Vec<u8>>,
    name: &str,
    failures: usize,
    errors: usize,
    cases: Vec<OneCase<'_>>,
) -> io::Result<()> {
    let time: Duration = cases.iter().map(|case| case.time).sum();
    let mut suites = BytesStart::new("testsuites");
    suites.push_attribute(("name", name));
    suites.push_attribute(("tests", cases.len().to_string().as_str()));
    suites.push_attribute(("failures", failures.to_string().as_str()));
    suites.push_attribute(("errors", errors.to_string().as_str()));
    suites.push_attribute(("time", seconds(time).as_str()));
    writer.write_event(Event::Start(suites))?;
    for case in cases {
        write_one_case_suite(writer, case)?;
    }
    writer.write_event(Event::End(BytesEnd::new("testsuites")))
}

/// One fixture as a `<testsuite>` holding its one `<testcase>`.
pub(super) struct OneCase<'a> {
    /// The fixture's file, relative to the root: the suite's name and `file`.
    pub(super) file: String,
    /// The test case's name.
    pub(super) name: &'a str,
    /// The test case's class.
    pub(super) classname: &'a str,
    /// Its time.
    pub(super) time: Duration,
    /// Its outcome; `None` for a pass.
    pub(super) outcome: Option<CaseOutcome>,
}

/// Writes `case` as a suite whose counts follow its outcome's tag.
pub(super) fn write_one_case_suite(
    writer: &mut Writer<Vec<u8>>,
    case: OneCase<'_>,
) -> io::Result<()> {
    let tag = case.outcome.as_ref().map(|outcome| outcome.0);
    let count = |wanted: &str| usize::from(tag == Some(wanted)).to_string();
    let time = seconds(case.time);
    let mut suite = BytesStart::new("testsuite");
    suite.push_attribute(("name", case.file.as_str()));
    suite.push_attribute(("tests", "1"));
    suite.push_attribute(("failures", count("failure").as_str()));
    suite.push_attribute(("errors", count("error").as_str()));
    suite.push_attribute(("skipped", count("skipped").as_str()));
    suite.push_attribute(("time", time.as_str()));
    suite.push_attribute(("file", case.file.as_str()));
    writer.write_event(Event::Start(suite))?;
    let mut element = BytesStart::new("testcase");
    element.push_attribute(("name", case.name));
    element.push_attribute(("classname", case.classname));
    element.push_attribute(("time", time.as_str()));
    write_case(writer, element, case.outcome)?;
    writer.write_event(Event::End(BytesEnd::new("testsuite")))
}

/// What a test case holds besides its name: `(tag, message, type, text)`, or nothing for a pass.
pub(super) type CaseOutcome = (&'static str, String, Option<String>, String);

/// A `<testcase>` (`case`, its attributes set) with its outcome element.
fn write_case(
    writer: &mut Writer<Vec<u8>>,
    case: BytesStart<'_>,
    outcome: Option<CaseOutcome>,
) -> io::Result<()> {
    let Some((tag, message, kind, body)) = outcome else {
        return writer.write_event(Event::Empty(case));
    };
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
    writer.write_event(Event::End(BytesEnd::new("testcase")))
}

/// What the test case holds besides its name, or nothing for a pass.
fn outcome(report: &FixtureReport) -> Option<CaseOutcome> {
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
fn clean(text: &str) -> String {
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
