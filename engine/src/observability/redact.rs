//! Redaction (contract §3): every object key whose lower-cased name contains a listed fragment has
//! its value replaced by `"[REDACTED]"`, at any depth of `data` and `metrics`; the one exemption
//! is `tokens` directly inside the top-level `metrics`. Works in place on the event's own maps, so
//! clean maps are walked but never copied.

use serde_json::{Map, Value};

/// The defaults of contract §3.
const DEFAULTS: [&str; 5] = ["api_key", "password", "token", "secret", "authorization"];

/// The replacement value.
pub(crate) const REDACTED: &str = "[REDACTED]";

/// A set of lower-cased key fragments.
#[derive(Debug, Clone)]
pub(crate) struct Redactor {
    fragments: Vec<String>,
}

impl Redactor {
    /// The defaults plus `settings.observability.redact` (matched case-insensitively).
    pub(crate) fn new(extra: &[String]) -> Self {
        let mut fragments: Vec<String> = DEFAULTS.iter().map(|s| (*s).to_owned()).collect();
        for fragment in extra {
            let lower = fragment.to_lowercase();
            if !lower.is_empty() && !fragments.contains(&lower) {
                fragments.push(lower);
            }
        }
        Self { fragments }
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

    /// Redacts an event's `data` at any depth.
    pub(crate) fn redact_data(&self, data: &mut Map<String, Value>) {
        self.redact_map(data);
    }

    /// Redacts an event's `metrics`, keeping the top-level `tokens` as it is.
    pub(crate) fn redact_metrics(&self, metrics: &mut Map<String, Value>) {
        for (key, value) in metrics.iter_mut() {
            if key == "tokens" {
                continue;
            }
            if self.matches(key) {
                *value = Value::String(REDACTED.to_owned());
            } else {
                self.redact_value(value);
            }
        }
    }

    fn redact_map(&self, map: &mut Map<String, Value>) {
        for (key, value) in map.iter_mut() {
            if self.matches(key) {
                *value = Value::String(REDACTED.to_owned());
            } else {
                self.redact_value(value);
            }
        }
    }

    fn redact_value(&self, value: &mut Value) {
        match value {
            Value::Object(map) => self.redact_map(map),
            Value::Array(items) => items.iter_mut().for_each(|item| self.redact_value(item)),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn redacts_at_any_depth_case_insensitively() {
        let r = Redactor::new(&["SSN".to_owned()]);
        let mut data = json!({"input": {"API_KEY": 1, "MyApiKey": 2, "list": [{"db_Password": "x", "customer_ssn_hash": "y"}], "X-Api-Key": "k", "Proxy-Authorization": "b", "tokens_used": 3}})
            .as_object()
            .cloned()
            .unwrap();
        r.redact_data(&mut data);
        assert_eq!(
            Value::Object(data),
            json!({"input": {"API_KEY": "[REDACTED]", "MyApiKey": 2, "list": [{"db_Password": "[REDACTED]", "customer_ssn_hash": "[REDACTED]"}], "X-Api-Key": "k", "Proxy-Authorization": "[REDACTED]", "tokens_used": "[REDACTED]"}})
        );
    }

    #[test]
    fn top_level_metric_tokens_are_exempt() {
        let r = Redactor::new(&[]);
        let mut metrics = json!({"tokens": 250, "max_tokens": 5, "cost_usd": 0.1})
            .as_object()
            .cloned()
            .unwrap();
        r.redact_metrics(&mut metrics);
        assert_eq!(
            Value::Object(metrics),
            json!({"tokens": 250, "max_tokens": "[REDACTED]", "cost_usd": 0.1})
        );
    }
}
