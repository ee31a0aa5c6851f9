//! Line location: turning one line into JSON, or into a [`LineError`] located by line and byte
//! column, with a snippet of the text around the column.

use serde_json::Value;

use super::error::LineError;

/// Bytes shown on each side of a JSON error's position.
const SNIPPET_BEFORE: usize = 24;
const SNIPPET_AFTER: usize = 16;

/// Parses one line of a log into JSON; `unterminated` marks the last line of a log that has no
/// newline, so that an incomplete value is reported as a likely truncation.
///
/// # Errors
/// [`LineError::InvalidUtf8`] or [`LineError::Json`], located by line and byte column.
pub fn parse_line(bytes: &[u8], line: u64, unterminated: bool) -> Result<Value, LineError> {
    let text = std::str::from_utf8(bytes).map_err(|err| {
        let at = err.valid_up_to();
        LineError::InvalidUtf8 {
            line,
            column: column_of(at),
            byte: bytes[at],
        }
    })?;
    serde_json::from_str(text).map_err(|err| {
        // The line holds no newline, so serde_json's column is a byte offset into this line.
        let column = err.column() as u64;
        let full = err.to_string();
        let message = match full.rfind(" at line ") {
            Some(cut) => full[..cut].to_owned(),
            None => full,
        };
        LineError::Json {
            line,
            column,
            message,
            snippet: snippet(
                text,
                usize::try_from(column)
                    .unwrap_or(usize::MAX)
                    .saturating_sub(1),
            ),
            truncated: unterminated && err.is_eof(),
        }
    })
}

fn column_of(offset: usize) -> u64 {
    u64::try_from(offset).map_or(u64::MAX, |offset| offset + 1)
}

/// The text around byte `at`, cut at character boundaries, control characters escaped.
pub(super) fn snippet(text: &str, at: usize) -> String {
    let at = at.min(text.len());
    let mut start = at.saturating_sub(SNIPPET_BEFORE);
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = (at + SNIPPET_AFTER).min(text.len());
    while !text.is_char_boundary(end) {
        end += 1;
    }
    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    for c in text[start..end].chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    if end < text.len() {
        out.push('…');
    }
    out
}
