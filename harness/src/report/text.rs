//! Findings as text for people: one line each (`validate`, `compare`), or a block with its help
//! and detail (`check`), diffs colored on request.

use std::borrow::Cow;
use std::fmt::Write as _;

use crate::finding::{Check, Finding, Severity};
use crate::palette;

/// Whether `c` must not reach a terminal raw: a C0 or C1 control character or DEL (which can
/// move the cursor, clear the screen or forge a line) or a bidirectional formatting character
/// (which can reorder what is shown, "Trojan Source", CVE-2021-42574).
fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        )
}

/// `text` with every control and bidirectional formatting character escaped (`\u{1b}`, `\n`,
/// `\u{202e}`): text taken from a log or a flow can never move the cursor, color the terminal,
/// forge a line of the report or reorder it. Every text rendering of a finding goes through it.
#[must_use]
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_unsafe(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Where a finding is, for people: `file:line:column [runtime]` when it has a file, else
/// `fixture [runtime] › seq N (event L)`.
#[must_use]
pub fn place(finding: &Finding) -> String {
    let at = &finding.location;
    if let Some(file) = &at.file {
        let mut out = escape(file).into_owned();
        if let Some(line) = at.line {
            let _ = write!(out, ":{line}");
            if let Some(column) = at.column {
                let _ = write!(out, ":{column}");
            }
        }
        if let Some(runtime) = &finding.runtime {
            let _ = write!(out, " [{}]", escape(runtime));
        }
        return out;
    }
    let mut parts: Vec<String> = Vec::new();
    if let Some(fixture) = &finding.fixture {
        parts.push(escape(fixture).into_owned());
    }
    if let Some(runtime) = &finding.runtime {
        parts.push(format!("[{}]", escape(runtime)));
    }
    let mut out = parts.join(" ");
    match (at.seq, at.line) {
        (Some(seq), Some(line)) => {
            let _ = write!(out, " › seq {seq} (event {line})");
        }
        (None, Some(line)) => {
            let _ = write!(out, " › event {line}");
        }
        _ => {}
    }
    out
}

/// What is wrong, with the pointers that locate it inside an event (a finding without its place
/// and code).
#[must_use]
pub fn describe(finding: &Finding) -> String {
    let at = &finding.location;
    let mut out = String::new();
    if let Some(pointer) = &at.pointer {
        let shown = if pointer.is_empty() {
            "(event)"
        } else {
            pointer
        };
        let _ = write!(out, "{}: ", escape(shown));
    }
    out.push_str(&escape(&finding.message));
    let mut context: Vec<String> = Vec::new();
    if let Some(schema_path) = &at.schema_path {
        context.push(format!("schema {}", escape(schema_path)));
    }
    if finding.code.check == Check::Structure && at.file.is_some() {
        if let Some(flow) = &at.flow_id {
            context.push(format!("flow {}", escape(flow)));
        }
    }
    if at.file.is_some() {
        if let Some(seq) = at.seq {
            context.push(format!("seq {seq}"));
        }
    }
    if !context.is_empty() {
        let _ = write!(out, " ({})", context.join(", "));
    }
    out
}

/// One finding on one line: `place: code: message (context)`.
#[must_use]
pub fn line(finding: &Finding) -> String {
    format!(
        "{}: {}: {}",
        place(finding),
        finding.code,
        describe(finding)
    )
}

/// How much of each finding a block shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    /// Color severities and diffs.
    pub color: bool,
    /// Findings of one code, runtime and fixture shown before "… and N more".
    pub max_same: usize,
    /// Lines of a finding's detail (a diff) shown before "… N more lines".
    pub max_detail_lines: usize,
}

impl Style {
    /// Everything, without color: for reports that machines keep (JUnit failure text).
    pub const FULL: Self = Self {
        color: false,
        max_same: usize::MAX,
        max_detail_lines: usize::MAX,
    };
}

/// One finding as a block: its line headed by severity, then its help and its detail, indented
/// and cut after `style.max_detail_lines` lines.
#[must_use]
pub fn block(finding: &Finding, style: Style) -> String {
    let color = style.color;
    let (label, tint) = match finding.severity {
        Severity::Error => ("error", palette::DELETE),
        Severity::Expected => ("expected", palette::CAUTION),
        Severity::Note => ("note", palette::HUNK),
        Severity::Warning => ("warning", palette::CAUTION),
    };
    let (open, close) = palette::codes(palette::bold(tint), color);
    let mut out = format!(
        "{open}{label}[{}]{close}: {}: {}\n",
        finding.code,
        place(finding),
        describe(finding)
    );
    if let Some(help) = &finding.help {
        let _ = writeln!(out, "  = help: {}", escape(help));
    }
    if let Some(detail) = &finding.detail {
        let detail: String = detail
            .lines()
            .map(|text| escape(text).into_owned() + "\n")
            .collect();
        let detail = if matches!(finding.code.check, Check::Parity | Check::Snapshot) {
            paint_diff(&detail, color)
        } else {
            detail
        };
        let total = detail.lines().count();
        for text in detail.lines().take(style.max_detail_lines) {
            let _ = writeln!(out, "  {text}");
        }
        if total > style.max_detail_lines {
            let _ = writeln!(
                out,
                "  … {} more lines (--max-diff-lines to see more)",
                total - style.max_detail_lines
            );
        }
    }
    out
}

/// Findings as blocks, at most `style.max_same` of each code, runtime and fixture (one changed
/// message must not print the same kind of finding thousands of times), with a count of those
/// left out.
#[must_use]
pub fn blocks<'f>(findings: impl IntoIterator<Item = &'f Finding>, style: Style) -> String {
    let cap = style.max_same;
    let mut out = String::new();
    let mut shown: Vec<(&Finding, usize)> = Vec::new();
    for finding in findings {
        let same = |other: &Finding| {
            other.code == finding.code
                && other.runtime == finding.runtime
                && other.fixture == finding.fixture
        };
        match shown.iter_mut().find(|(first, _)| same(first)) {
            Some((_, count)) => {
                *count += 1;
                if *count > cap {
                    continue;
                }
            }
            None => shown.push((finding, 1)),
        }
        out.push_str(&block(finding, style));
    }
    for (first, count) in shown {
        if count > cap {
            let _ = writeln!(
                out,
                "  … and {} more {} finding(s) like the above for {}",
                count - cap,
                first.code,
                place(first)
            );
        }
    }
    out
}

/// A unified diff with its `-`/`+`/`@@` lines colored.
fn paint_diff(diff: &str, color: bool) -> String {
    if !color {
        return diff.to_owned();
    }
    let mut out = String::with_capacity(diff.len() + diff.len() / 4);
    for text in diff.lines() {
        let tint = match text.as_bytes().first() {
            Some(b'-') => palette::DELETE,
            Some(b'+') => palette::INSERT,
            Some(b'@') => palette::HUNK,
            _ => anstyle::Style::new(),
        };
        let _ = writeln!(out, "{tint}{text}{tint:#}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Code;

    fn schema_finding() -> Finding {
        let violation = crate::schema::SchemaViolation {
            instance_path: "/level".into(),
            schema_path: "/properties/level/enum".into(),
            keyword: "enum".into(),
            message: "\"loud\" is not one of [...]".into(),
        };
        Finding::from_schema(&violation, 3, Some(2), None)
    }

    #[test]
    fn a_log_finding_is_one_located_line() {
        assert_eq!(
            line(&schema_finding().in_file("a.jsonl")),
            "a.jsonl:3: schema.enum: /level: \"loud\" is not one of [...] \
             (schema /properties/level/enum, seq 2)"
        );
    }

    #[test]
    fn a_run_finding_names_fixture_runtime_and_seq() {
        let mut finding = schema_finding().in_runtime("python");
        finding.fixture = Some("fanout".into());
        assert_eq!(
            line(&finding),
            "fanout [python] › seq 2 (event 3): schema.enum: /level: \"loud\" is not one of \
             [...] (schema /properties/level/enum)"
        );
    }

    #[test]
    fn control_and_bidi_characters_never_reach_the_terminal() {
        let mut finding = Finding::new(
            Code::new(Check::Structure, "seq_gap"),
            "node 'a\u{1b}[2J\nforged: ok' \u{202e}gnp.exe\u{9b}",
        )
        .in_file("x\u{7}.jsonl")
        .with_help("see \u{2066}here")
        .with_detail("-a\u{1b}[31m\n+b\r");
        finding.location.flow_id = Some("f\u{8}".into());
        let shown = [line(&finding), block(&finding, Style::FULL)];
        for text in &shown {
            assert!(!text.chars().any(is_unsafe_but_newline), "{text:?}");
        }
        assert_eq!(
            line(&finding),
            "x\\u{7}.jsonl: structure.seq_gap: node 'a\\u{1b}[2J\\nforged: ok' \\u{202e}gnp.exe\\u{9b} \
             (flow f\\u{8})"
        );
        assert!(
            shown[1].contains("  -a\\u{1b}[31m\n  +b\\r\n"),
            "{}",
            shown[1]
        );
        finding.fixture = Some("fx\u{202d}".into());
        finding.location.file = None;
        assert_eq!(place(&finding), "fx\\u{202d}");
    }

    fn is_unsafe_but_newline(c: char) -> bool {
        c != '\n' && is_unsafe(c)
    }

    #[test]
    fn repeated_findings_are_capped() {
        let one = Finding::new(Code::new(Check::Parity, "events"), "differ").with_detail("-a\n+b");
        let style = Style {
            color: false,
            max_same: 2,
            max_detail_lines: 1,
        };
        let text = blocks(&vec![one; 5], style);
        assert_eq!(text.matches("error[parity.events]").count(), 2, "{text}");
        assert!(text.contains("… and 3 more parity.events"), "{text}");
        assert!(text.contains("  -a\n  … 1 more lines"), "{text}");
    }
}
