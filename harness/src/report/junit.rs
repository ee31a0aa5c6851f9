//! `twinflow check --junit`: JUnit XML, the format CI systems (GitHub, GitLab, Jenkins) display.
//! One `<testcase>` per fixture; a failure carries every problem, an expected failure is a pass
//! whose reason goes to `<system-out>`.

use std::fmt::Write as _;

use super::Totals;
use super::strip_ansi;
use crate::suite::{FixtureReport, Verdict};

/// The reports as one `<testsuite name="twinflow">` document.
#[must_use]
pub fn render_junit(reports: &[FixtureReport]) -> String {
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
        "  <testsuite name=\"twinflow check\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"0\" time=\"{seconds:.3}\">",
        totals.fixtures, totals.failed, totals.errored
    );
    for report in reports {
        testcase(&mut out, report);
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

fn testcase(out: &mut String, report: &FixtureReport) {
    let time: f64 = report
        .engines
        .iter()
        .map(|side| side.elapsed.as_secs_f64())
        .sum();
    let _ = write!(
        out,
        "    <testcase classname=\"fixtures\" name=\"{}\" file=\"{}\" time=\"{time:.3}\"",
        escape(&report.name),
        escape(&report.path.display().to_string())
    );
    let body = strip_ansi(&report.problems.join("\n"));
    let first = body.lines().next().unwrap_or("").to_owned();
    match report.verdict() {
        Verdict::Pass if report.notes.is_empty() => out.push_str("/>\n"),
        Verdict::Pass | Verdict::ExpectedFail => {
            let notes = strip_ansi(&report.notes.join("\n"));
            let _ = write!(
                out,
                ">\n      <system-out>{}</system-out>\n    </testcase>\n",
                escape(&notes)
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
