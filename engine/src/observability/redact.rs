//! Redaction (contract §3.4): every object key whose lower-cased name contains a listed fragment has
//! its value replaced by `"[REDACTED]"`, at any depth of `data` and `metrics`; the keys the event
//! schema defines at their top (and `data.error.type`) are exempt, so events stay valid. Then every occurrence of a known secret
//! value (`settings.observability.secrets`, and with `learn_secrets` the strings under redacted
//! keys of the starting state) inside any other string of `data`, `metrics` and the message is
//! replaced by the same marker. Works in place on the event's own maps, so clean maps are walked
//! but never copied.

use serde_json::{Map, Value};

/// The defaults of contract §3.
const DEFAULTS: [&str; 5] = ["api_key", "password", "token", "secret", "authorization"];

/// The replacement value.
pub(crate) const REDACTED: &str = "[REDACTED]";

/// The keys the event schema defines at the top of `data` and of `metrics`: never redacted by
/// name, so an event stays valid whatever the flow's `redact` list holds (contract §3.4); what
/// they hold is redacted as usual.
const DATA_KEYS: [&str; 4] = ["input", "output", "error", "attempt"];
const METRICS_KEYS: [&str; 3] = ["duration_ms", "tokens", "cost_usd"];

/// The shortest secret value, in characters: a shorter listed one is a load error, a shorter
/// learned one is ignored (contract §3.4).
pub(crate) const MIN_SECRET_CHARS: usize = 4;

/// A set of lower-cased key fragments, and the secret values to find inside strings.
#[derive(Debug, Clone)]
pub(crate) struct Redactor {
    fragments: Vec<String>,
    /// Secret values, longest first (by bytes: two secrets matching at one place are a prefix
    /// of each other, so this is also longest by characters).
    secrets: Vec<String>,
}

impl Redactor {
    /// The defaults plus `settings.observability.redact` (matched case-insensitively), and the
    /// secret values of `settings.observability.secrets`.
    pub(crate) fn new(extra: &[String], secrets: &[String]) -> Self {
        let mut fragments: Vec<String> = DEFAULTS.iter().map(|s| (*s).to_owned()).collect();
        for fragment in extra {
            let lower = fragment.to_lowercase();
            if !lower.is_empty() && !fragments.contains(&lower) {
                fragments.push(lower);
            }
        }
        let mut redactor = Self {
            fragments,
            secrets: Vec::new(),
        };
        redactor.add_secrets(secrets.iter().map(String::as_str));
        redactor
    }

    /// Adds secret values; those shorter than `MIN_SECRET_CHARS` characters are ignored.
    fn add_secrets<'s>(&mut self, secrets: impl Iterator<Item = &'s str>) {
        for secret in secrets {
            if secret.chars().count() >= MIN_SECRET_CHARS
                && !self.secrets.iter().any(|s| s == secret)
            {
                self.secrets.push(secret.to_owned());
            }
        }
        self.secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    }

    /// `learn_secrets` (contract §3.4): every string, at any depth, of a value that key redaction
    /// replaces in the starting state becomes a secret value for the rest of the run.
    pub(crate) fn learn(&mut self, state: &Map<String, Value>) {
        let mut found = Vec::new();
        let mut todo: Vec<(&Value, bool)> = state
            .iter()
            .map(|(key, value)| (value, self.matches(key)))
            .collect();
        while let Some((value, redacted)) = todo.pop() {
            match value {
                Value::String(s) if redacted => found.push(s.as_str()),
                Value::Array(items) => todo.extend(items.iter().map(|item| (item, redacted))),
                Value::Object(map) => todo.extend(
                    map.iter()
                        .map(|(key, item)| (item, redacted || self.matches(key))),
                ),
                _ => {}
            }
        }
        self.add_secrets(found.into_iter());
    }

    /// `text` with every secret value replaced by the marker, or `None` when it holds none: one
    /// scan from the left, the longest secret starting at a place wins, the text after a match
    /// goes on from its end (the marker itself is never searched).
    pub(crate) fn scrub(&self, text: &str) -> Option<String> {
        if !self.secrets.iter().any(|s| text.contains(s.as_str())) {
            return None;
        }
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(c) = rest.chars().next() {
            match self.secrets.iter().find(|s| rest.starts_with(s.as_str())) {
                Some(secret) => {
                    out.push_str(REDACTED);
                    rest = &rest[secret.len()..];
                }
                None => {
                    out.push(c);
                    rest = &rest[c.len_utf8()..];
                }
            }
        }
        Some(out)
    }

    /// Redacts an event's message (secret values only; keys do not apply).
    pub(crate) fn redact_message(&self, message: &mut Option<String>) {
        if let Some(clean) = message.as_deref().and_then(|text| self.scrub(text)) {
            *message = Some(clean);
        }
    }

    /// Whether a key's value must be redacted.
    pub(crate) fn matches(&self, key: &str) -> bool {
        if key.is_ascii() {
            // No allocation on the hot path: ASCII case-insensitive substring search.
            let key = key.as_bytes();
            self.fragments.iter().any(|f| {
                let f = f.as_bytes();
                f.len() <= key.len() && key.windows(f.len()).any(|w| w.eq_ignore_ascii_case(f))
            })
        } else {
            let lower = key.to_lowercase();
            self.fragments.iter().any(|f| lower.contains(f.as_str()))
        }
    }

    /// Redacts an event's `data` at any depth, but for the schema's own keys at its top and the
    /// `type` of `data.error` (its `message` is scrubbed of secret values like any string).
    pub(crate) fn redact_data(&self, data: &mut Map<String, Value>) {
        self.redact_map(data, &DATA_KEYS);
        if let Some(Value::Object(error)) = data.get_mut("error") {
            for (key, value) in error.iter_mut() {
                match key.as_str() {
                    "type" => {}
                    "message" => self.redact_value(value),
                    _ if self.matches(key) => *value = Value::String(REDACTED.to_owned()),
                    _ => self.redact_value(value),
                }
            }
        }
    }

    /// Redacts an event's `metrics`, but for the schema's own keys at its top.
    pub(crate) fn redact_metrics(&self, metrics: &mut Map<String, Value>) {
        self.redact_map(metrics, &METRICS_KEYS);
    }

    /// Redacts `map` at any depth; the keys in `kept` (at this level only) keep their value, and
    /// `error` is left to `redact_data`.
    fn redact_map(&self, map: &mut Map<String, Value>, kept: &[&str]) {
        for (key, value) in map.iter_mut() {
            // `data.error` is the schema's only as an object; anything else there is a key like
            // any other.
            let exempt = kept.contains(&key.as_str()) && (key != "error" || value.is_object());
            if exempt {
                if key != "error" {
                    self.redact_value(value);
                }
            } else if self.matches(key) {
                *value = Value::String(REDACTED.to_owned());
            } else {
                self.redact_value(value);
            }
        }
    }

    fn redact_value(&self, value: &mut Value) {
        match value {
            Value::Object(map) => self.redact_map(map, &[]),
            Value::Array(items) => items.iter_mut().for_each(|item| self.redact_value(item)),
            Value::String(text) if !self.secrets.is_empty() => {
                if let Some(clean) = self.scrub(text) {
                    *text = clean;
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A JSON object literal as the map an event holds.
    fn object(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            other => panic!("not an object: {other}"),
        }
    }

    #[test]
    fn redacts_at_any_depth_case_insensitively() {
        let r = Redactor::new(&["SSN".to_owned()], &[]);
        let mut data = object(
            json!({"input": {"API_KEY": 1, "MyApiKey": 2, "list": [{"db_Password": "x", "customer_ssn_hash": "y"}], "X-Api-Key": "k", "Proxy-Authorization": "b", "tokens_used": 3}}),
        );
        r.redact_data(&mut data);
        assert_eq!(
            Value::Object(data),
            json!({"input": {"API_KEY": "[REDACTED]", "MyApiKey": 2, "list": [{"db_Password": "[REDACTED]", "customer_ssn_hash": "[REDACTED]"}], "X-Api-Key": "k", "Proxy-Authorization": "[REDACTED]", "tokens_used": "[REDACTED]"}})
        );
    }

    #[test]
    fn the_schemas_own_keys_are_never_redacted_by_name() {
        let extra = ["input", "attempt", "error", "type", "duration", "cost"].map(String::from);
        let r = Redactor::new(&extra, &[]);
        let mut data = object(json!({"input": {"duration": 1, "x": 2}, "attempt": 2,
            "error": {"type": "ActionError", "message": "m", "error_code": 7}}));
        r.redact_data(&mut data);
        assert_eq!(
            Value::Object(data),
            json!({"input": {"duration": "[REDACTED]", "x": 2}, "attempt": 2,
                "error": {"type": "ActionError", "message": "m", "error_code": "[REDACTED]"}})
        );
        // An `error` that is not the schema's object is a key like any other.
        let mut data = object(json!({"error": "Bearer abc"}));
        r.redact_data(&mut data);
        assert_eq!(Value::Object(data), json!({"error": "[REDACTED]"}));
        let mut metrics =
            object(json!({"duration_ms": 1.5, "cost_usd": 0.1, "tokens": 3, "cost_x": 1}));
        r.redact_metrics(&mut metrics);
        assert_eq!(
            Value::Object(metrics),
            json!({"duration_ms": 1.5, "cost_usd": 0.1, "tokens": 3, "cost_x": "[REDACTED]"})
        );
    }

    #[test]
    fn top_level_metric_tokens_are_exempt() {
        let r = Redactor::new(&[], &[]);
        let mut metrics = object(json!({"tokens": 250, "max_tokens": 5, "cost_usd": 0.1}));
        r.redact_metrics(&mut metrics);
        assert_eq!(
            Value::Object(metrics),
            json!({"tokens": 250, "max_tokens": "[REDACTED]", "cost_usd": 0.1})
        );
    }

    #[test]
    fn secret_values_longest_first_in_one_scan() {
        let secrets = ["abcd", "abcdef", "cdefgh", "xyz", "REDACTED"].map(String::from);
        let r = Redactor::new(&[], &secrets);
        // `xyz` is too short; `abcdef` wins over `abcd` where both start; the scan goes on after
        // a match, so `cdefgh` overlapping it is not found; the marker is never searched.
        assert_eq!(r.scrub("xyz"), None);
        assert_eq!(
            r.scrub("1abcdefgh abcd REDACTED é").as_deref(),
            Some("1[REDACTED]gh [REDACTED] [REDACTED] é")
        );
        let mut data = object(
            json!({"password": "REDACTED-no", "list": ["say abcd", 1], "k": {"abcd": "abcd"}}),
        );
        r.redact_data(&mut data);
        assert_eq!(
            Value::Object(data),
            json!({"password": "[REDACTED]", "list": ["say [REDACTED]", 1], "k": {"abcd": "[REDACTED]"}})
        );
    }

    #[test]
    fn learns_strings_under_redacted_keys() {
        let mut r = Redactor::new(&[], &[]);
        let state = object(
            json!({"user": "ann", "auth": {"api_key": ["sk-123", 7, {"x": "deep-1"}]}, "pin": "12", "password": "abc"}),
        );
        r.learn(&state);
        assert_eq!(
            r.scrub("sk-123 deep-1 ann abc").as_deref(),
            Some("[REDACTED] [REDACTED] ann abc")
        );
    }
}
