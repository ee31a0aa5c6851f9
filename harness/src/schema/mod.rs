//! Validation of single events against the event JSON Schema (contract §3, `schema/event.schema.json`).
//!
//! The validator is compiled once and shared by every thread that validates events: it runs for
//! every event of every log, so the common case (a valid event) takes the fast `is_valid` path and
//! the full list of violations is only collected for an invalid event.

mod typed;

use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::Value;

pub use typed::fast_facts;

/// The bundled event schema, the normative machine form of contract §3.
pub const BUNDLED_SCHEMA: &str = include_str!("../../../schema/event.schema.json");

/// Longest message kept from the schema library; messages quote the offending instance, which can
/// be a whole multi-megabyte event.
const MAX_MESSAGE_CHARS: usize = 300;

/// Why a schema could not be turned into a validator.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    /// The schema file could not be read.
    #[error("cannot read schema {}: {source}", path.display())]
    Read {
        /// The schema file.
        path: PathBuf,
        /// The I/O failure.
        source: std::io::Error,
    },
    /// The schema file is not JSON.
    #[error("schema {}:{}:{}: invalid JSON: {source}", path.display(), source.line(), source.column())]
    Json {
        /// The schema file.
        path: PathBuf,
        /// The parse failure, with its line and column.
        source: serde_json::Error,
    },
    /// The document is JSON but not a usable JSON Schema.
    #[error("schema {origin}: not a valid JSON Schema: {message} (at {pointer})")]
    Invalid {
        /// The schema file, or `<bundled>`.
        origin: String,
        /// The JSON pointer inside the schema where the problem is.
        pointer: String,
        /// What is wrong.
        message: String,
    },
}

/// One way an event breaks the schema, with both JSON pointers kept apart until rendering
/// (STYLE §3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaViolation {
    /// JSON pointer to the offending value inside the event (`""` for the event itself).
    pub instance_path: String,
    /// JSON pointer to the schema keyword that failed (`/properties/level/enum`).
    pub schema_path: String,
    /// The failing keyword (`enum`, `required`, `pattern`…).
    pub keyword: String,
    /// Human-readable description from the validator, shortened when it quotes a huge value.
    pub message: String,
}

impl fmt::Display for SchemaViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = if self.instance_path.is_empty() {
            "/"
        } else {
            &self.instance_path
        };
        write!(
            f,
            "{at}: {} (schema {}, keyword {})",
            self.message, self.schema_path, self.keyword
        )
    }
}

/// A compiled event schema (draft 2020-12 unless the schema says otherwise). `Send + Sync`: build
/// it once and share it between threads.
pub struct EventValidator {
    validator: jsonschema::Validator,
    id: Option<String>,
    /// Compiled from [`BUNDLED_SCHEMA`]: the typed fast path ([`fast_facts`]) may be used.
    bundled: bool,
}

impl fmt::Debug for EventValidator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventValidator")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl EventValidator {
    /// The validator for the bundled `schema/event.schema.json` (schema version v1).
    ///
    /// # Panics
    /// Never for a released build: the bundled schema is a compile-time constant that the unit
    /// tests compile, so a failure here is a bug in the repository, not in the input.
    #[must_use]
    pub fn bundled() -> Self {
        match Self::from_json_text(BUNDLED_SCHEMA, "<bundled>") {
            Ok(validator) => Self {
                bundled: true,
                ..validator
            },
            Err(err) => panic!("the bundled event schema does not compile: {err}"),
        }
    }

    /// Compiles the schema in `path` (`twinflow validate --schema FILE`).
    ///
    /// # Errors
    /// [`SchemaError`] when the file cannot be read, is not JSON or is not a valid JSON Schema.
    pub fn from_file(path: &Path) -> Result<Self, SchemaError> {
        let text = std::fs::read_to_string(path).map_err(|source| SchemaError::Read {
            path: path.to_owned(),
            source,
        })?;
        let schema: Value = serde_json::from_str(&text).map_err(|source| SchemaError::Json {
            path: path.to_owned(),
            source,
        })?;
        Self::from_value(&schema, &path.display().to_string())
    }

    /// Compiles a schema given as JSON text; `origin` names it in errors.
    ///
    /// # Errors
    /// [`SchemaError::Invalid`] when the text is not JSON or not a valid JSON Schema.
    pub fn from_json_text(text: &str, origin: &str) -> Result<Self, SchemaError> {
        let schema: Value = serde_json::from_str(text).map_err(|err| SchemaError::Invalid {
            origin: origin.to_owned(),
            pointer: String::new(),
            message: err.to_string(),
        })?;
        Self::from_value(&schema, origin)
    }

    /// Compiles an already parsed schema; `origin` names it in errors.
    ///
    /// # Errors
    /// [`SchemaError::Invalid`] when `schema` is not a valid JSON Schema. No reference is ever
    /// fetched over the network (the crate is built without HTTP resolution).
    pub fn from_value(schema: &Value, origin: &str) -> Result<Self, SchemaError> {
        let validator =
            jsonschema::options()
                .build(schema)
                .map_err(|err| SchemaError::Invalid {
                    origin: origin.to_owned(),
                    pointer: err.schema_path().to_string(),
                    message: shorten(err.to_string()),
                })?;
        let id = schema.get("$id").and_then(Value::as_str).map(str::to_owned);
        Ok(Self {
            validator,
            id,
            bundled: false,
        })
    }

    /// Whether this is the bundled schema, whose rules [`fast_facts`] checks in code. Any other
    /// schema (`--schema FILE`, even a copy of the bundled one) takes the generic path only.
    #[must_use]
    pub fn is_bundled(&self) -> bool {
        self.bundled
    }

    /// The schema's `$id` (its version: `https://twinflow.dev/schema/v1/event.schema.json`), if
    /// it declares one.
    #[must_use]
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// Whether `event` satisfies the schema; the cheapest check, without any report.
    #[must_use]
    pub fn is_valid(&self, event: &Value) -> bool {
        self.validator.is_valid(event)
    }

    /// Every violation of the schema by `event`, empty when it is valid.
    #[must_use]
    pub fn validate(&self, event: &Value) -> Vec<SchemaViolation> {
        // Fast path: nearly every event is valid, and `is_valid` stops early without building
        // error values or paths.
        if self.validator.is_valid(event) {
            return Vec::new();
        }
        self.validator
            .iter_errors(event)
            .map(|err| SchemaViolation {
                instance_path: err.instance_path().to_string(),
                schema_path: err.schema_path().to_string(),
                keyword: err.kind().keyword().to_owned(),
                message: shorten(err.to_string()),
            })
            .collect()
    }
}

/// Cuts `message` to [`MAX_MESSAGE_CHARS`] characters, marking the cut.
fn shorten(message: String) -> String {
    match message.char_indices().nth(MAX_MESSAGE_CHARS) {
        Some((cut, _)) => {
            let mut short = message[..cut].to_owned();
            short.push('…');
            short
        }
        None => message,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn valid_entry() -> Value {
        json!({
            "flow_id": "0b6f3c2e-8f1d-4f3a-9a51-3f0f5d1c2b7a",
            "span_id": "7c1e2d3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f",
            "parent_id": null,
            "node": "order_pipeline",
            "kind": "flow",
            "action": null,
            "level": "info",
            "timestamp": 1_700_000_000.123_456,
            "seq": 0,
            "event_type": "entry",
            "message": "flow started",
            "data": {"input": {"count": 1}},
            "metrics": {}
        })
    }

    #[test]
    fn bundled_schema_compiles_and_carries_its_version() {
        let validator = EventValidator::bundled();
        assert_eq!(
            validator.id(),
            Some("https://twinflow.dev/schema/v1/event.schema.json")
        );
    }

    #[test]
    fn valid_event_has_no_violation() {
        let validator = EventValidator::bundled();
        assert!(validator.is_valid(&valid_entry()));
        assert_eq!(validator.validate(&valid_entry()), Vec::new());
    }

    #[test]
    fn every_violation_is_reported_with_both_pointers() {
        let validator = EventValidator::bundled();
        let mut event = valid_entry();
        event["level"] = json!("loud");
        event["seq"] = json!(-1);
        event.as_object_mut().unwrap().remove("message");
        let violations = validator.validate(&event);
        let level = violations
            .iter()
            .find(|v| v.instance_path == "/level")
            .unwrap();
        assert_eq!(level.keyword, "enum");
        assert_eq!(level.schema_path, "/properties/level/enum");
        let seq = violations
            .iter()
            .find(|v| v.instance_path == "/seq")
            .unwrap();
        assert_eq!(seq.keyword, "minimum");
        let required = violations.iter().find(|v| v.keyword == "required").unwrap();
        assert_eq!(required.instance_path, "");
        assert!(required.message.contains("message"), "{required:?}");
    }

    #[test]
    fn conditional_rules_apply() {
        let validator = EventValidator::bundled();
        let mut event = valid_entry();
        event["parent_id"] = json!("7c1e2d3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f");
        let violations = validator.validate(&event);
        assert!(
            violations.iter().any(|v| v.instance_path == "/parent_id"),
            "{violations:?}"
        );
    }

    #[test]
    fn long_messages_are_shortened() {
        let validator = EventValidator::bundled();
        let huge = Value::String("x".repeat(100_000));
        let violations = validator.validate(&huge);
        assert_eq!(violations.len(), 1);
        assert!(violations[0].message.chars().count() <= MAX_MESSAGE_CHARS + 1);
        assert!(violations[0].message.ends_with('…'));
    }

    #[test]
    fn invalid_schema_is_a_typed_error() {
        let err = EventValidator::from_json_text(r#"{"type": 12}"#, "bad.json").unwrap_err();
        assert!(matches!(err, SchemaError::Invalid { .. }), "{err:?}");
        assert!(
            err.to_string()
                .starts_with("schema bad.json: not a valid JSON Schema"),
            "{err}"
        );
        let err = EventValidator::from_json_text("{", "broken.json").unwrap_err();
        assert!(matches!(err, SchemaError::Invalid { .. }), "{err:?}");
    }

    #[test]
    fn missing_schema_file_is_a_read_error() {
        let err = EventValidator::from_file(Path::new("/nonexistent/schema.json")).unwrap_err();
        assert!(matches!(err, SchemaError::Read { .. }), "{err:?}");
    }

    #[test]
    fn validator_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<EventValidator>();
    }
}
