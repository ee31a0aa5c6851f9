//! Line location: turning one line into JSON, or into a [`LineError`] located by line and byte
//! column, with a snippet of the text around the column.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
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
    parse_with(bytes, line, unterminated, serde_json::from_str)
}

/// Checks that one line of a log is UTF-8 and one JSON value, without building it (a whole log is
/// held as text, its events parsed when needed); the errors are [`parse_line`]'s, word for word.
///
/// # Errors
/// As [`parse_line`].
pub fn check_line(bytes: &[u8], line: u64, unterminated: bool) -> Result<&str, LineError> {
    parse_with(bytes, line, unterminated, |text| {
        let mut walker = serde_json::Deserializer::from_str(text);
        Walk { distinct: false }.deserialize(&mut walker)?;
        walker.end().map(|()| text)
    })
}

/// The UTF-8 check and error location shared by [`parse_line`] and [`check_line`]; `parse` reads
/// the text.
fn parse_with<'b, T>(
    bytes: &'b [u8],
    line: u64,
    unterminated: bool,
    parse: impl FnOnce(&'b str) -> Result<T, serde_json::Error>,
) -> Result<T, LineError> {
    let text = std::str::from_utf8(bytes).map_err(|err| {
        let at = err.valid_up_to();
        LineError::InvalidUtf8 {
            line,
            column: column_of(at),
            byte: bytes[at],
        }
    })?;
    parse(text).map_err(|err| {
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

/// The first key repeated inside one object of `text` (a line that is one JSON value), located
/// by line and byte column; `None` when every object's keys are distinct (or the line is not JSON:
/// [`parse_line`] says so).
#[must_use]
pub fn duplicate_key(text: &str, line: u64) -> Option<LineError> {
    let mut walker = serde_json::Deserializer::from_str(text);
    let found = Walk { distinct: true }.deserialize(&mut walker).err()?;
    // Any other error means the line is not JSON: `parse_line` reports that.
    let message = found.to_string();
    let key = message
        .strip_prefix(DUPLICATE)
        .and_then(|rest| rest.rfind(" at line ").map(|cut| rest[..cut].to_owned()))?;
    Some(LineError::DuplicateKey {
        line,
        column: key_start(text.as_bytes(), found.column()),
        key,
    })
}

/// The 1-based column of the opening quote of the key whose closing quote is at 1-based
/// `column` (where serde_json stops after reading a key).
fn key_start(text: &[u8], column: usize) -> u64 {
    let close = column.saturating_sub(1).min(text.len().saturating_sub(1));
    let mut at = close;
    while at > 0 {
        at -= 1;
        let escapes = text[..at].iter().rev().take_while(|b| **b == b'\\').count();
        if text[at] == b'"' && escapes % 2 == 0 {
            return column_of(at);
        }
    }
    column_of(close)
}

const DUPLICATE: &str = "duplicate key ";

/// Walks a JSON value, building nothing, every string decoded as `serde_json::Value` would decode
/// it (so the errors are the same); with `distinct`, fails at the first key repeated within one
/// object.
#[derive(Clone, Copy)]
struct Walk {
    distinct: bool,
}

impl<'de> DeserializeSeed<'de> for Walk {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(self)?.is_some() {}
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen: HashSet<Cow<'de, str>> = HashSet::new();
        while let Some(key) = map.next_key::<Text<'de>>()? {
            if self.distinct {
                if seen.contains(&key.0) {
                    let quoted = serde_json::to_string(&key.0).unwrap_or_default();
                    return Err(de::Error::custom(format!("{DUPLICATE}{quoted}")));
                }
                seen.insert(key.0);
            }
            map.next_value_seed(self)?;
        }
        Ok(())
    }
}

/// A JSON string (a value or an object key), borrowed from the line when it has no escape.
#[derive(Debug)]
pub struct Text<'a>(pub Cow<'a, str>);

impl<'de: 'a, 'a> de::Deserialize<'de> for Text<'a> {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v.to_owned())))
            }
        }
        deserializer.deserialize_str(V)
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_key_is_located_at_its_opening_quote() {
        let text = r#"{"a":{"k\"x":1,"b":[{}],"k\"x":2}}"#;
        let Some(LineError::DuplicateKey { line, column, key }) = duplicate_key(text, 7) else {
            panic!("no duplicate found");
        };
        assert_eq!((line, key.as_str()), (7, r#""k\"x""#));
        assert_eq!(column, 1 + text.rfind(r#""k\"x""#).unwrap() as u64);
        assert_eq!(duplicate_key(r#"{"a":{"a":1},"b":{"a":2}}"#, 1), None);
        assert_eq!(duplicate_key("{not json", 1), None);
    }
}
