//! The redaction rule of contract §3.4, checked on emitted events: every object key whose name
//! contains `api_key`, `password`, `token`, `secret` or `authorization` once lower-cased holds the string `[REDACTED]`, at any depth of `data` and `metrics`, except the key `tokens`
//! directly inside `metrics`. Keys added by a flow's `settings.observability.redact` cannot be
//! known from the log, so only the default list is checked.
//!
//! Runs for every event of `twinflow validate`: the clean case walks the values once without
//! allocating; pointers are built only for the (rare) misses.

use serde_json::Value;

/// The default key fragments, lower case (contract §3.4).
const FRAGMENTS: [&str; 5] = ["api_key", "password", "token", "secret", "authorization"];

/// What a redacted value is replaced by.
pub const REDACTED: &str = "[REDACTED]";

/// JSON pointers (into the event) of every value that should have been redacted and was not.
#[must_use]
pub fn unredacted(event: &serde_json::Map<String, Value>) -> Vec<String> {
    let mut misses = Vec::new();
    for (field, value) in event {
        match field.as_str() {
            "data" => walk(
                value,
                &mut |path| misses.push(format!("/data{path}")),
                &mut String::new(),
            ),
            "metrics" => {
                let Some(metrics) = value.as_object() else {
                    continue;
                };
                for (key, value) in metrics {
                    // The one exemption: an event's own token count.
                    if key == "tokens" {
                        continue;
                    }
                    let mut path = String::new();
                    push_segment(&mut path, key);
                    if is_sensitive(key) {
                        if !is_redacted(value) {
                            misses.push(format!("/metrics{path}"));
                        }
                    } else {
                        walk(
                            value,
                            &mut |p| misses.push(format!("/metrics{p}")),
                            &mut path,
                        );
                    }
                }
            }
            _ => {}
        }
    }
    misses
}

/// Whether a key falls under the default redaction list: a substring test on the key lower-cased
/// with the full Unicode mapping (contract §3.4), the rule both engines apply (Rust
/// `str::to_lowercase`, Python `str.lower`): `TO\u{212a}EN` (a Kelvin sign) is `token`.
#[must_use]
pub fn is_sensitive(key: &str) -> bool {
    if key.is_ascii() {
        // The common case allocates nothing.
        let key = key.as_bytes();
        return FRAGMENTS.iter().any(|fragment| {
            key.windows(fragment.len())
                .any(|window| window.eq_ignore_ascii_case(fragment.as_bytes()))
        });
    }
    let lower = key.to_lowercase();
    FRAGMENTS.iter().any(|fragment| lower.contains(fragment))
}

fn is_redacted(value: &Value) -> bool {
    value.as_str() == Some(REDACTED)
}

/// Walks `value`, calling `miss` with the pointer (relative to `value`) of each unredacted
/// sensitive key. `path` is the pointer so far; it only grows on the way down (and is restored).
fn walk(value: &Value, miss: &mut dyn FnMut(&str), path: &mut String) {
    match value {
        Value::Object(object) => {
            for (key, child) in object {
                let len = path.len();
                push_segment(path, key);
                if is_sensitive(key) {
                    if !is_redacted(child) {
                        miss(path);
                    }
                } else {
                    walk(child, miss, path);
                }
                path.truncate(len);
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                if matches!(child, Value::Object(_) | Value::Array(_)) {
                    let len = path.len();
                    path.push('/');
                    path.push_str(&index.to_string());
                    walk(child, miss, path);
                    path.truncate(len);
                }
            }
        }
        _ => {}
    }
}

/// Appends `/key` with RFC 6901 escaping.
fn push_segment(path: &mut String, key: &str) {
    path.push('/');
    for c in key.chars() {
        match c {
            '~' => path.push_str("~0"),
            '/' => path.push_str("~1"),
            c => path.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn misses(event: Value) -> Vec<String> {
        unredacted(event.as_object().unwrap())
    }

    #[test]
    fn redacted_values_at_any_depth_pass() {
        let event = json!({
            "data": {"input": {"API_KEY": "[REDACTED]", "nested": [{"db_password": "[REDACTED]"}]}},
            "metrics": {"tokens": 12, "duration_ms": 1.5},
        });
        assert!(misses(event).is_empty());
    }

    #[test]
    fn every_unredacted_value_is_located() {
        let event = json!({
            "data": {"input": {"headers": {"Authorization": "Bearer x"}, "list": [1, {"secret_sauce": {"a": 1}}]}},
            "metrics": {"token_budget": 5},
        });
        assert_eq!(
            misses(event),
            [
                "/data/input/headers/Authorization",
                "/data/input/list/1/secret_sauce",
                "/metrics/token_budget"
            ]
        );
    }

    #[test]
    fn keys_are_lower_cased_as_the_engines_do() {
        // U+212A KELVIN SIGN lower-cases to `k`, U+0130 to `i̇`: not ASCII, still sensitive.
        assert!(is_sensitive("TO\u{212a}EN"));
        assert!(is_sensitive("Db_PASSWORD_\u{e9}"));
        assert!(is_sensitive("\u{c9}T\u{c9}_SECRET"));
        // Lower-casing is not case folding: `ß` stays `ß`, `ſ` (long s) stays `ſ`, as in both
        // engines, so these are not redacted and not reported.
        assert!(!is_sensitive("pa\u{17f}\u{17f}word"));
        assert!(!is_sensitive("MyApiKey"));
        assert_eq!(
            misses(json!({"data": {"Au\u{212a}": 1, "TO\u{212a}EN": "x"}})),
            ["/data/TO\u{212a}EN"]
        );
    }

    #[test]
    fn only_the_events_own_tokens_are_exempt() {
        let event = json!({
            "data": {"input": {"metrics": {"tokens": 3}}, "output": {"a/b": {"tokens_used": 4}}},
            "metrics": {"tokens": 7},
        });
        assert_eq!(
            misses(event),
            [
                "/data/input/metrics/tokens",
                "/data/output/a~1b/tokens_used"
            ]
        );
    }
}
