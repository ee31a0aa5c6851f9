//! The canonical value tree that normalized runs are made of, and its YAML rendering.
//!
//! contract §4 step 4: numbers compare by value (RFC 8785 canonical form, so `1` and `1.0` are
//! one value) and key order never matters (maps are sorted). Two [`Canon`] trees are equal exactly
//! when their YAML renderings are equal, which is what makes the text of `expected/*.snap` a
//! faithful stand-in for the normalized run.

use std::collections::BTreeMap;
use std::fmt::Write as _;

/// One value of a normalized run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Canon {
    /// JSON `null`.
    Null,
    /// JSON `true` / `false`.
    Bool(bool),
    /// A number in its RFC 8785 canonical spelling ([`canonical_number`]).
    Number(String),
    /// A string, with run ids already replaced by their labels.
    String(String),
    /// A value the normalization masked (contract §4 step 3: `metrics.duration_ms`); renders as
    /// `<name>`.
    Placeholder(&'static str),
    /// A list, in canonical order.
    List(Vec<Canon>),
    /// An object; keys sorted by code point (contract §4 step 4: key order never matters).
    Map(BTreeMap<String, Canon>),
}

impl Canon {
    /// The canonical tree of a JSON value taken as is: numbers canonical, keys sorted, nothing
    /// relabelled or masked.
    #[must_use]
    pub fn from_json(value: &serde_json::Value) -> Self {
        match value {
            serde_json::Value::Null => Self::Null,
            serde_json::Value::Bool(b) => Self::Bool(*b),
            serde_json::Value::Number(n) => Self::Number(canonical_number(n)),
            serde_json::Value::String(s) => Self::String(s.clone()),
            serde_json::Value::Array(items) => {
                Self::List(items.iter().map(Self::from_json).collect())
            }
            serde_json::Value::Object(map) => Self::Map(
                map.iter()
                    .map(|(k, v)| (k.clone(), Self::from_json(v)))
                    .collect(),
            ),
        }
    }

    /// Renders the tree as a block-style YAML document (the body of `expected/<fixture>.snap`).
    #[must_use]
    pub fn to_yaml(&self) -> String {
        let mut out = String::new();
        match self {
            Self::Map(map) if !map.is_empty() => write_map(&mut out, map, 0, false),
            Self::List(list) if !list.is_empty() => write_list(&mut out, list, 0),
            scalar => {
                write_scalar(&mut out, scalar);
                out.push('\n');
            }
        }
        out
    }
}

/// The RFC 8785 (JSON Canonicalization Scheme) spelling of a JSON number: integers as their
/// decimal digits, floats as ECMAScript's `Number.prototype.toString` spells them (`1.0` → `1`,
/// `1e21` → `1e+21`, `0.000001` → `0.000001`, `1e-7` → `1e-7`, `-0.0` → `0`).
///
/// Integers are written exactly even beyond 2^53, where RFC 8785 would first round them to a
/// double: the engines' integers are 64-bit (contract §1) and must not compare equal to a
/// neighbour.
#[must_use]
pub fn canonical_number(number: &serde_json::Number) -> String {
    if let Some(i) = number.as_i64() {
        return i.to_string();
    }
    if let Some(u) = number.as_u64() {
        return u.to_string();
    }
    // Without serde_json's `arbitrary_precision` every other number is an f64.
    number
        .as_f64()
        .map_or_else(|| number.to_string(), canonical_float)
}

/// ECMAScript `Number::toString(x)` for a finite double (ECMA-262 §6.1.6.1.20).
fn canonical_float(x: f64) -> String {
    if x == 0.0 {
        return "0".to_owned();
    }
    if !x.is_finite() {
        // JSON cannot carry these; spelled as ECMAScript would, for completeness.
        return if x.is_nan() {
            "NaN".to_owned()
        } else if x > 0.0 {
            "Infinity".to_owned()
        } else {
            "-Infinity".to_owned()
        };
    }
    // `{:e}` gives the shortest digits that round-trip: "1.5e-5", "1e16", "1.2345e2".
    let scientific = format!("{:e}", x.abs());
    let (mantissa, exponent) = scientific
        .split_once('e')
        .unwrap_or((scientific.as_str(), "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let k = i32::try_from(digits.len()).unwrap_or(i32::MAX);
    // ECMAScript's n: the value is 0.digits × 10^n.
    let n = exponent + 1;
    let mut out = String::with_capacity(digits.len() + 8);
    if x < 0.0 {
        out.push('-');
    }
    if k <= n && n <= 21 {
        out.push_str(&digits);
        push_zeros(&mut out, n - k);
    } else if 0 < n && n <= 21 {
        let split = usize::try_from(n).unwrap_or(0);
        out.push_str(&digits[..split]);
        out.push('.');
        out.push_str(&digits[split..]);
    } else if -6 < n && n <= 0 {
        out.push_str("0.");
        push_zeros(&mut out, -n);
        out.push_str(&digits);
    } else {
        out.push_str(&digits[..1]);
        if k > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let shown = n - 1;
        let _ = write!(
            out,
            "e{}{}",
            if shown >= 0 { '+' } else { '-' },
            shown.abs()
        );
    }
    out
}

fn push_zeros(out: &mut String, count: i32) {
    for _ in 0..count {
        out.push('0');
    }
}

/// Writes the entries of a non-empty map, one per line at `indent`; with `first_inline` the first
/// entry continues the current line (after a list item's `- `).
pub(super) fn write_map(
    out: &mut String,
    map: &BTreeMap<String, Canon>,
    indent: usize,
    first_inline: bool,
) {
    for (i, (key, value)) in map.iter().enumerate() {
        if i > 0 || !first_inline {
            pad(out, indent);
        }
        write_string(out, key);
        out.push(':');
        write_nested(out, value, indent + 2, false);
    }
}

/// Writes the items of a non-empty list, one `- ` per item at `indent`.
fn write_list(out: &mut String, list: &[Canon], indent: usize) {
    for item in list {
        pad(out, indent);
        out.push('-');
        write_nested(out, item, indent + 2, true);
    }
}

/// Writes `value` after a map key's `:` or (`after_dash`) a list item's `-`, nested at `indent`:
/// a non-empty map on the next lines (after a `-`, from the same line on), a non-empty list on the
/// next lines, anything else on the same line.
pub(super) fn write_nested(out: &mut String, value: &Canon, indent: usize, after_dash: bool) {
    match value {
        Canon::Map(inner) if !inner.is_empty() => {
            out.push(if after_dash { ' ' } else { '\n' });
            write_map(out, inner, indent, after_dash);
        }
        Canon::List(inner) if !inner.is_empty() => {
            out.push('\n');
            write_list(out, inner, indent);
        }
        scalar => {
            out.push(' ');
            write_scalar(out, scalar);
            out.push('\n');
        }
    }
}

pub(super) fn pad(out: &mut String, indent: usize) {
    for _ in 0..indent {
        out.push(' ');
    }
}

/// Writes a scalar or an empty collection (`{}`, `[]`).
fn write_scalar(out: &mut String, value: &Canon) {
    match value {
        Canon::Null => out.push_str("null"),
        Canon::Bool(true) => out.push_str("true"),
        Canon::Bool(false) => out.push_str("false"),
        Canon::Number(n) => out.push_str(n),
        Canon::String(s) => write_string(out, s),
        Canon::Placeholder(name) => {
            out.push('<');
            out.push_str(name);
            out.push('>');
        }
        Canon::List(_) => out.push_str("[]"),
        Canon::Map(_) => out.push_str("{}"),
    }
}

/// Writes a string plain when a YAML reader would read it back as the same string, and
/// double-quoted (JSON escapes, which YAML's double-quoted style shares) otherwise. The test is
/// deliberately conservative: quoting too often costs readability, never correctness.
pub(super) fn write_string(out: &mut String, s: &str) {
    if is_plain_safe(s) {
        out.push_str(s);
    } else {
        // Serializing a &str to JSON cannot fail.
        out.push_str(&serde_json::to_string(s).unwrap_or_default());
    }
}

/// Words that YAML 1.1 or 1.2 readers turn into booleans or null when unquoted.
const RESERVED_WORDS: [&str; 11] = [
    "null", "true", "false", "yes", "no", "on", "off", "y", "n", "nan", "inf",
];

fn is_plain_safe(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    if !(first.is_ascii_alphabetic() || first == '_') {
        return false;
    }
    if s.ends_with(' ') || s.contains(": ") || s.contains(" #") || s.ends_with(':') {
        return false;
    }
    if RESERVED_WORDS.iter().any(|w| s.eq_ignore_ascii_case(w)) {
        return false;
    }
    s.chars().all(|c| {
        c.is_ascii_alphanumeric()
            || matches!(
                c,
                ' ' | '_' | '.' | '-' | '/' | '(' | ')' | '[' | ']' | ',' | '#' | '+' | '=' | ':'
            )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn number(text: &str) -> String {
        let value: serde_json::Value = serde_json::from_str(text).expect("a JSON number");
        match value {
            serde_json::Value::Number(n) => canonical_number(&n),
            other => panic!("not a number: {other}"),
        }
    }

    #[test]
    fn integral_floats_spell_like_integers() {
        assert_eq!(number("1.0"), "1");
        assert_eq!(number("1"), "1");
        assert_eq!(number("-0.0"), "0");
        assert_eq!(number("1e16"), "10000000000000000");
        assert_eq!(number("10000000000000000"), "10000000000000000");
    }

    #[test]
    fn floats_follow_ecmascript() {
        assert_eq!(number("19.5"), "19.5");
        assert_eq!(number("0.1"), "0.1");
        assert_eq!(number("1.5e-5"), "0.000015");
        assert_eq!(number("1e-7"), "1e-7");
        assert_eq!(number("1.25e-7"), "1.25e-7");
        assert_eq!(number("1e21"), "1e+21");
        assert_eq!(number("1.5e300"), "1.5e+300");
        assert_eq!(number("123456789012345680000"), "123456789012345680000");
        assert_eq!(number("-2.5"), "-2.5");
        assert_eq!(number("0.30000000000000004"), "0.30000000000000004");
    }

    #[test]
    fn big_integers_stay_exact() {
        assert_eq!(number("9007199254740993"), "9007199254740993");
        assert_eq!(number("18446744073709551615"), "18446744073709551615");
        assert_eq!(number("-9223372036854775808"), "-9223372036854775808");
    }

    #[test]
    fn maps_render_sorted_and_nested() {
        let tree =
            Canon::from_json(&json!({"b": [1, {"y": 2, "x": []}], "a": {}, "c": {"k": null}}));
        assert_eq!(
            tree.to_yaml(),
            "a: {}\nb:\n  - 1\n  - x: []\n    \"y\": 2\nc:\n  k: null\n"
        );
    }

    #[test]
    fn nested_lists_render_as_blocks() {
        let tree = Canon::from_json(&json!([[1, 2], []]));
        assert_eq!(tree.to_yaml(), "-\n  - 1\n  - 2\n- []\n");
    }

    #[test]
    fn strings_that_would_change_meaning_are_quoted() {
        for s in [
            "", "yes", "No", "true", "null", "~", "1", "1.5", "-a", "a: b", "a #b", "x ", "é",
            "a\nb", "[x]", "{x}", "'q'", "\"q\"", "*ref", "&a", "!tag", "%x", "@x", "`x", "|", ">",
        ] {
            let rendered = Canon::String(s.to_owned()).to_yaml();
            assert!(
                rendered.starts_with('"'),
                "{s:?} rendered plain: {rendered}"
            );
            let back: String =
                serde_json::from_str(rendered.trim_end()).expect("quoted strings are JSON strings");
            assert_eq!(back, s);
        }
    }

    #[test]
    fn ordinary_strings_stay_plain() {
        for s in [
            "flow started",
            "span#12",
            "parallel(a,b,c)",
            "load.step[0]",
            "state.set",
        ] {
            assert_eq!(Canon::String(s.to_owned()).to_yaml(), format!("{s}\n"));
        }
    }

    #[test]
    fn placeholders_render_in_angle_brackets() {
        assert_eq!(
            Canon::Placeholder("duration_ms").to_yaml(),
            "<duration_ms>\n"
        );
    }
}
