//! Python spelling of values (contract §1.3, brief "Text spelling"): `str()` and `repr()` of
//! the JSON-like values templates produce, and the two JSON writers of the contract (`tojson`,
//! contract §1, and `json.stringify`, contract §1.3).
//!
//! Both engines must write the same text, and the Python twin writes what CPython writes, so this
//! module reproduces CPython's `float.__repr__`, `str.__repr__` and `json.dumps` byte for byte.

use std::fmt::Write as _;

use minijinja::value::{Value as MjValue, ValueKind};
use serde_json::Value;

/// `repr(f)` of a Python float: the shortest digits that round-trip, `.0` on integral values,
/// exponent form below 1e-4 and from 1e16 up (`1.5e-05`, `1e+16`). Non-finite values are spelled
/// `inf`/`-inf`/`nan` like Python, although contract values never hold them.
pub(crate) fn float_repr(f: f64) -> String {
    let mut out = String::new();
    write_float(&mut out, f);
    out
}

/// Appends `repr(f)` to `out` (see [`float_repr`]).
pub(crate) fn write_float(out: &mut String, f: f64) {
    if f.is_nan() {
        out.push_str("nan");
        return;
    }
    if f.is_infinite() {
        out.push_str(if f > 0.0 { "inf" } else { "-inf" });
        return;
    }
    if f == 0.0 {
        out.push_str(if f.is_sign_negative() { "-0.0" } else { "0.0" });
        return;
    }
    // `{:e}` gives Rust's shortest round-trip digits in scientific form: "1.5e-5", "1e16".
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let negative = mantissa.starts_with('-');
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    if negative {
        out.push('-');
    }
    if (-4..16).contains(&exp) {
        // Positional form, as CPython's repr does for 1e-4 <= |f| < 1e16.
        if exp >= 0 {
            let int_len = exp as usize + 1;
            if digits.len() <= int_len {
                out.push_str(&digits);
                out.extend(std::iter::repeat_n('0', int_len - digits.len()));
                out.push_str(".0");
            } else {
                out.push_str(&digits[..int_len]);
                out.push('.');
                out.push_str(&digits[int_len..]);
            }
        } else {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (-exp - 1) as usize));
            out.push_str(&digits);
        }
    } else {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let _ = write!(out, "e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs());
    }
}

/// Appends Python's `repr()` of a string: single quotes unless the string holds `'` and no `"`;
/// `\\`, the quote, `\n`, `\r`, `\t` escaped, other characters below 0x20 and 0x7f as `\xNN`.
pub(crate) fn write_str_repr(out: &mut String, s: &str) {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push(quote);
}

/// Appends Python's `str()` of a JSON value: strings as they are, containers by `repr`.
pub(crate) fn write_json_text(out: &mut String, v: &Value) {
    match v {
        Value::String(s) => out.push_str(s),
        other => write_json_repr(out, other),
    }
}

/// Python's `str()` of a JSON value as a new string.
pub(crate) fn json_text(v: &Value) -> String {
    let mut out = String::new();
    write_json_text(&mut out, v);
    out
}

/// Appends Python's `repr()` of a JSON value (`['a', 1, True, None]`, `{'k': 1.5}`).
pub(crate) fn write_json_repr(out: &mut String, v: &Value) {
    match v {
        Value::Null => out.push_str("None"),
        Value::Bool(true) => out.push_str("True"),
        Value::Bool(false) => out.push_str("False"),
        Value::Number(n) => write_number(out, n),
        Value::String(s) => write_str_repr(out, s),
        Value::Array(items) => write_joined(out, ['[', ']'], ", ", items, write_json_repr),
        Value::Object(map) => write_joined(out, ['{', '}'], ", ", map, |out, (k, item)| {
            write_str_repr(out, k);
            out.push_str(": ");
            write_json_repr(out, item);
        }),
    }
}

/// A JSON number as Python spells it: integers as they are, floats by `repr`.
fn write_number(out: &mut String, n: &serde_json::Number) {
    if let Some(i) = n.as_i64() {
        let _ = write!(out, "{i}");
    } else if let Some(u) = n.as_u64() {
        let _ = write!(out, "{u}");
    } else {
        write_float(out, n.as_f64().unwrap_or(f64::NAN));
    }
}

/// Writes `brackets[0]`, the items (each by `each`) separated by `separator`, then `brackets[1]`:
/// the shape of every list and object spelling here.
fn write_joined<T>(
    out: &mut String,
    brackets: [char; 2],
    separator: &str,
    items: impl IntoIterator<Item = T>,
    mut each: impl FnMut(&mut String, T),
) {
    out.push(brackets[0]);
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.push_str(separator);
        }
        each(out, item);
    }
    out.push(brackets[1]);
}

/// Appends Python's `str()` of a template value (the `{{ x }}` formatter and the `string` filter).
pub(crate) fn write_mj_text(out: &mut String, v: &MjValue) {
    match v.kind() {
        ValueKind::String => out.push_str(v.as_str().unwrap_or_default()),
        _ => write_mj_repr(out, v),
    }
}

/// Appends Python's `repr()` of a template value. Values that have no JSON counterpart (macros,
/// the `loop` object) fall back to minijinja's own spelling.
pub(crate) fn write_mj_repr(out: &mut String, v: &MjValue) {
    match v.kind() {
        ValueKind::None | ValueKind::Undefined => out.push_str("None"),
        ValueKind::Bool => out.push_str(if v.is_true() { "True" } else { "False" }),
        ValueKind::Number => {
            if v.is_integer() {
                let _ = write!(out, "{v}");
            } else {
                write_float(out, f64::try_from(v.clone()).unwrap_or(f64::NAN));
            }
        }
        ValueKind::String => write_str_repr(out, v.as_str().unwrap_or_default()),
        ValueKind::Seq | ValueKind::Iterable => {
            let items = v.try_iter().into_iter().flatten();
            write_joined(out, ['[', ']'], ", ", items, |out, item| {
                write_mj_repr(out, &item)
            });
        }
        ValueKind::Map => {
            let keys = v.try_iter().into_iter().flatten();
            write_joined(out, ['{', '}'], ", ", keys, |out, key| {
                write_mj_repr(out, &key);
                out.push_str(": ");
                write_mj_repr(out, &v.get_item(&key).unwrap_or_default());
            });
        }
        _ => {
            let _ = write!(out, "{v}");
        }
    }
}

/// How [`write_json`] lays out and escapes its output.
#[derive(Debug, Clone, Copy)]
pub(crate) struct JsonStyle {
    /// Keys sorted by code point (`json.stringify`) or in insertion order (`tojson`).
    pub(crate) sort_keys: bool,
    /// Separators `", "`/`": "` (`tojson`, Jinja2's `json.dumps` defaults) or `,`/`:`.
    pub(crate) spaced: bool,
    /// `<`, `>`, `&`, `'` as `\u003c`... (Jinja2's `htmlsafe_json_dumps`).
    pub(crate) html_safe: bool,
}

/// Writes `v` as CPython's `json.dumps(v, ensure_ascii=False, ...)` does: floats by `repr`,
/// `"`, `\\` and control characters escaped (`\n`, `\r`, `\t`, `\b`, `\f`, else `\u00XX`).
pub(crate) fn write_json(out: &mut String, v: &Value, style: JsonStyle) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => write_number(out, n),
        Value::String(s) => write_json_str(out, s, style.html_safe),
        Value::Array(items) => {
            let separator = if style.spaced { ", " } else { "," };
            write_joined(out, ['[', ']'], separator, items, |out, item| {
                write_json(out, item, style);
            });
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            if style.sort_keys {
                entries.sort_by(|a, b| a.0.cmp(b.0));
            }
            let separator = if style.spaced { ", " } else { "," };
            write_joined(out, ['{', '}'], separator, entries, |out, (k, item)| {
                write_json_str(out, k, style.html_safe);
                out.push_str(if style.spaced { ": " } else { ":" });
                write_json(out, item, style);
            });
        }
    }
}

fn write_json_str(out: &mut String, s: &str, html_safe: bool) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' if html_safe => out.push_str("\\u003c"),
            '>' if html_safe => out.push_str("\\u003e"),
            '&' if html_safe => out.push_str("\\u0026"),
            '\'' if html_safe => out.push_str("\\u0027"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn floats_follow_python_repr() {
        let cases = [
            (1e16, "1e+16"),
            (1.5e-5, "1.5e-05"),
            (0.1 + 0.2, "0.30000000000000004"),
            (3.0, "3.0"),
            (1e15, "1000000000000000.0"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (2.5, "2.5"),
            (-0.0, "-0.0"),
            (12345678901234567890.0, "1.2345678901234567e+19"),
            (100.0, "100.0"),
            (-3.5, "-3.5"),
            (123.456, "123.456"),
        ];
        for (f, want) in cases {
            assert_eq!(float_repr(f), want, "{f}");
        }
    }

    #[test]
    fn strings_follow_python_repr() {
        let mut out = String::new();
        write_json_repr(
            &mut out,
            &json!([
                "plain",
                "it's",
                "say \"hi\"",
                "both '\"",
                "tab\tnew\nline",
                "Zoë",
                "\u{1}"
            ]),
        );
        assert_eq!(
            out,
            r#"['plain', "it's", 'say "hi"', 'both \'"', 'tab\tnew\nline', 'Zoë', '\x01']"#
        );
    }

    #[test]
    fn containers_and_scalars() {
        let mut out = String::new();
        write_json_repr(&mut out, &json!({"k": 1.5, "n": [false, null, true, 2]}));
        assert_eq!(out, "{'k': 1.5, 'n': [False, None, True, 2]}");
        assert_eq!(json_text(&json!("as is")), "as is");
    }

    #[test]
    fn json_writers() {
        let v = json!({"z": 1, "a": [true, null, 2.0], "h": "<&'>\u{e9}"});
        let mut out = String::new();
        write_json(
            &mut out,
            &v,
            JsonStyle {
                sort_keys: false,
                spaced: true,
                html_safe: true,
            },
        );
        assert_eq!(
            out,
            r#"{"z": 1, "a": [true, null, 2.0], "h": "\u003c\u0026\u0027\u003eé"}"#
        );
        let mut out = String::new();
        write_json(
            &mut out,
            &v,
            JsonStyle {
                sort_keys: true,
                spaced: false,
                html_safe: false,
            },
        );
        assert_eq!(out, r#"{"a":[true,null,2.0],"h":"<&'>é","z":1}"#);
    }
}
