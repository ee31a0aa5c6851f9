//! Findings as GitHub Actions workflow commands (docs: "Workflow commands for GitHub Actions",
//! "Setting an error message"), so that CI shows them on the files they concern.

use crate::finding::{Finding, Severity};

use super::text;

/// One `::error` (or `::warning`, `::notice`) command. Property values escape `%`, CR, LF, `:`
/// and `,`; the message escapes `%`, CR and LF.
#[must_use]
pub fn annotation(finding: &Finding) -> String {
    let command = match finding.severity {
        Severity::Error => "error",
        Severity::Expected => "warning",
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
        message.push_str(help);
    }
    format!(
        "::{command} {}::{}",
        properties.join(","),
        escape_data(&message)
    )
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
             50%25 lost%0Areally"
        );
    }
}
