//! `twinflow check --junit`: JUnit XML, the format CI systems (GitHub, GitLab, Jenkins) display.
//! One `<testcase>` per fixture, its file relative to the project root; a failure carries its
//! findings, a declared divergence (`parity.xfail`) is `<skipped>` with its reason.

use std::fmt::Write as _;

use std::path::Path;

use super::text;
use super::totals::Totals;
use crate::finding::{Finding, Severity};
use crate::suite::{FixtureReport, Verdict};

/// The reports as one `<testsuite name="twinflow">` document; fixture paths are made relative to
/// `root`.
#[must_use]
pub fn render_junit(reports: &[FixtureReport], root: &Path) -> String {
    let totals = Totals::of(reports);
    let seconds: f64 = reports
        .iter()
        .flat_map(|report| report.engines.iter())
        .map(|side| side.elapsed.as_secs_f64())
        .sum();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"twinflow\" tests=\"{}\" failures=\"{}\" errors=\"{}\" time=\"{seconds:.3}\">",
        totals.fixtures, totals.failed, totals.errored
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"twinflow check\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{seconds:.3}\">",
        totals.fixtures, totals.failed, totals.errored, totals.expected_failures
    );
    for report in reports {
        testcase(&mut out, report, root);
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

fn testcase(out: &mut String, report: &FixtureReport, root: &Path) {
    let time: f64 = report
        .engines
        .iter()
        .map(|side| side.elapsed.as_secs_f64())
        .sum();
    let file = report.path.strip_prefix(root).unwrap_or(&report.path);
    let _ = write!(
        out,
        "    <testcase classname=\"fixtures\" name=\"{}\" file=\"{}\" time=\"{time:.3}\"",
        escape(&report.name),
        escape(&file.display().to_string())
    );
    let errors: Vec<&Finding> = report.errors().collect();
    let body: String = errors
        .iter()
        .map(|finding| text::block(finding, text::Style::FULL))
        .collect();
    let first = errors
        .first()
        .map(|finding| text::line(finding))
        .unwrap_or_default();
    let reasons: Vec<&str> = report
        .findings
        .iter()
        .filter(|finding| finding.severity == Severity::Note)
        .map(|finding| finding.message.as_str())
        .collect();
    match report.verdict() {
        Verdict::Pass => out.push_str("/>\n"),
        Verdict::ExpectedFail => {
            // A declared divergence is neither a pass nor a failure: CI systems show it as skipped.
            let _ = write!(
                out,
                ">\n      <skipped message=\"{}\"/>\n    </testcase>\n",
                escape(&reasons.join("; "))
            );
        }
        Verdict::Fail => {
            let _ = write!(
                out,
                ">\n      <failure message=\"{}\" type=\"mismatch\">{}</failure>\n    </testcase>\n",
                escape(&first),
                escape(&body)
            );
        }
        Verdict::Error => {
            let _ = write!(
                out,
                ">\n      <error message=\"{}\" type=\"engine\">{}</error>\n    </testcase>\n",
                escape(&first),
                escape(&body)
            );
        }
    }
}

/// XML text and attribute escaping; characters XML 1.0 cannot hold at all become U+FFFD.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn markup_and_control_characters_are_escaped() {
        assert_eq!(
            escape("a<b & \"c\"\u{1b}"),
            "a&lt;b &amp; &quot;c&quot;\u{fffd}"
        );
    }
}
