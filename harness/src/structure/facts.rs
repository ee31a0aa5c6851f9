//! The few fields of an event that the structural rules look at, extracted once per event.
//!
//! Extraction runs on the worker threads of `twinflow validate`, so the sequential checker never
//! touches the parsed JSON tree and the tree can be dropped as soon as it is validated. Ids are
//! packed into a `u128` when they are the lower-case hyphenated UUIDs the schema asks for, so the
//! common case allocates nothing.

use std::fmt;

use serde_json::Value;
use yamlflow::{EventType, Level, SpanKind};

use super::redaction;

/// A flow or span id: a packed UUID, or the text of an id that is not one (the schema reports
/// that; the structure is still checked).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Id {
    /// A lower-case hyphenated UUID, packed.
    Uuid(u128),
    /// Any other string.
    Text(Box<str>),
}

impl Id {
    /// Packs `text` when it is a lower-case hyphenated UUID, keeps it as text otherwise.
    pub(crate) fn parse(text: &str) -> Self {
        parse_uuid(text.as_bytes()).map_or_else(|| Self::Text(text.into()), Self::Uuid)
    }
}

/// Lower-case hex digit values; `0xff` marks every other byte.
const HEX: [u8; 256] = {
    let mut table = [0xff; 256];
    let mut i = 0;
    while i < 10 {
        table[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        table[b'a' as usize + i] = 10 + i as u8;
        i += 1;
    }
    table
};

/// Decodes `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` with lower-case hex digits only, so that
/// formatting the packed value gives back exactly the original text. Runs three times per event:
/// table lookups and one validity check at the end instead of a branch per digit.
fn parse_uuid(bytes: &[u8]) -> Option<u128> {
    if bytes.len() != 36
        || bytes[8] != b'-'
        || bytes[13] != b'-'
        || bytes[18] != b'-'
        || bytes[23] != b'-'
    {
        return None;
    }
    let mut invalid = 0u8;
    let mut hex = |acc: u64, digits: &[u8]| {
        digits.iter().fold(acc, |acc, &digit| {
            let value = HEX[usize::from(digit)];
            invalid |= value;
            (acc << 4) | u64::from(value & 0x0f)
        })
    };
    let high = hex(0, &bytes[0..8]);
    let high = hex(high, &bytes[9..13]);
    let high = hex(high, &bytes[14..18]);
    let low = hex(0, &bytes[19..23]);
    let low = hex(low, &bytes[24..36]);
    (invalid <= 0x0f).then_some((u128::from(high) << 64) | u128::from(low))
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Uuid(value) => {
                let hex = format!("{value:032x}");
                write!(
                    f,
                    "{}-{}-{}-{}-{}",
                    &hex[0..8],
                    &hex[8..12],
                    &hex[12..16],
                    &hex[16..20],
                    &hex[20..32]
                )
            }
            Self::Text(text) => f.write_str(text),
        }
    }
}

/// What an event says about its parent span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Parent {
    /// `parent_id: null`: the event belongs to a root span.
    Root,
    /// The parent span's id.
    Span(Id),
    /// Missing or not a string: the schema reports it; the structure ignores it.
    Unknown,
}

/// A span's `node` name, kept inline when short (nearly always) so extracting facts on a worker
/// thread allocates nothing that the checker thread would have to free.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum Name {
    /// Up to [`Name::INLINE`] bytes, in place.
    Inline { len: u8, bytes: [u8; Name::INLINE] },
    /// Longer names.
    Heap(Box<str>),
}

impl Name {
    const INLINE: usize = 38;

    pub(crate) fn new(text: &str) -> Self {
        if text.len() <= Self::INLINE {
            let mut bytes = [0; Self::INLINE];
            bytes[..text.len()].copy_from_slice(text.as_bytes());
            #[allow(clippy::cast_possible_truncation)] // at most INLINE, checked above
            let len = text.len() as u8;
            Self::Inline { len, bytes }
        } else {
            Self::Heap(text.into())
        }
    }

    /// The name as text.
    pub(crate) fn as_str(&self) -> &str {
        match self {
            // Copied from a `&str` whole, so always valid UTF-8.
            Self::Inline { len, bytes } => {
                std::str::from_utf8(&bytes[..usize::from(*len)]).unwrap_or("")
            }
            Self::Heap(text) => text,
        }
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an event says about its span's `action`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Action {
    /// Missing or not a string or null: the schema reports it.
    Unknown,
    /// `action: null`.
    Null,
    /// The action's name.
    Name(Name),
}

/// Top-level fields that carry a schema version marker. Version 1 events have none (the bundled
/// schema forbids extra fields); a later version or another runtime may add one, and a log that
/// mixes markers mixes schema versions.
const VERSION_FIELDS: [&str; 3] = ["schema_version", "$schema", "schema"];

/// The fields of one event that the structural rules need (contract §3 and §4 step 3), extracted
/// from the parsed event. Fields that are missing or of the wrong type are `None`: the schema
/// reports them, and the checks that need them are skipped for that event.
#[derive(Debug, Clone, PartialEq)]
pub struct EventFacts {
    pub(crate) flow: Option<Id>,
    pub(crate) span: Option<Id>,
    pub(crate) parent: Parent,
    pub(crate) kind: Option<SpanKind>,
    pub(crate) event_type: Option<EventType>,
    pub(crate) level: Option<Level>,
    pub(crate) seq: Option<u64>,
    pub(crate) timestamp: Option<f64>,
    pub(crate) duration_ms: Option<f64>,
    pub(crate) node: Option<Name>,
    pub(crate) action: Action,
    pub(crate) version: Option<Box<str>>,
    /// The run's tenant, when the event carries one (contract §3.8).
    pub(crate) tenant: Option<Box<str>>,
    /// Pointers of values the redaction rule covers that were not redacted (contract §3.4).
    pub(crate) unredacted: Vec<String>,
}

impl EventFacts {
    /// Extracts the facts from one parsed event; never fails.
    #[must_use]
    pub fn from_value(event: &Value) -> Self {
        let mut facts = Self::empty();
        let Some(object) = event.as_object() else {
            return facts;
        };
        facts.unredacted = redaction::unredacted(object);
        // One pass over the (thirteen) fields: cheaper than a hashed lookup per field.
        for (key, value) in object {
            match key.as_str() {
                "flow_id" => facts.flow = value.as_str().map(Id::parse),
                "span_id" => facts.span = value.as_str().map(Id::parse),
                "parent_id" => {
                    facts.parent = match value {
                        Value::Null => Parent::Root,
                        Value::String(id) => Parent::Span(Id::parse(id)),
                        _ => Parent::Unknown,
                    };
                }
                "node" => facts.node = value.as_str().map(Name::new),
                "action" => {
                    facts.action = match value {
                        Value::Null => Action::Null,
                        Value::String(name) => Action::Name(Name::new(name)),
                        _ => Action::Unknown,
                    };
                }
                "kind" => facts.kind = value.as_str().and_then(SpanKind::parse),
                "event_type" => facts.event_type = value.as_str().and_then(EventType::parse),
                "level" => facts.level = value.as_str().and_then(Level::parse),
                "seq" => facts.seq = value.as_u64(),
                "tenant" => facts.tenant = value.as_str().map(Into::into),
                "timestamp" => facts.timestamp = value.as_f64(),
                "metrics" => {
                    facts.duration_ms = value.as_object().and_then(|metrics| {
                        metrics
                            .iter()
                            .find_map(|(name, v)| (name == "duration_ms").then_some(v))
                            .and_then(Value::as_f64)
                    });
                }
                field if facts.version.is_none() && VERSION_FIELDS.contains(&field) => {
                    facts.version = match value {
                        Value::String(marker) => Some(marker.as_str().into()),
                        Value::Number(number) => Some(number.to_string().into_boxed_str()),
                        _ => None,
                    };
                }
                _ => {}
            }
        }
        facts
    }

    pub(crate) fn empty() -> Self {
        Self {
            flow: None,
            span: None,
            parent: Parent::Unknown,
            kind: None,
            event_type: None,
            level: None,
            seq: None,
            timestamp: None,
            duration_ms: None,
            node: None,
            action: Action::Unknown,
            version: None,
            tenant: None,
            unredacted: Vec::new(),
        }
    }

    /// The event's `seq`, when it is a non-negative integer.
    #[must_use]
    pub fn seq(&self) -> Option<u64> {
        self.seq
    }

    /// JSON pointers of the values the redaction rule covers that were not redacted.
    #[must_use]
    pub fn unredacted(&self) -> &[String] {
        &self.unredacted
    }

    /// The event's `flow_id`, when it is a string.
    #[must_use]
    pub fn flow_id(&self) -> Option<String> {
        self.flow.as_ref().map(ToString::to_string)
    }

    /// Whether this event ends its span: an `exit`, or an `error` that is not a retried attempt
    /// (level `warn`, contract §3.2).
    pub(crate) fn is_final(&self) -> bool {
        match self.event_type {
            Some(EventType::Exit) => true,
            Some(EventType::Error) => self.level != Some(Level::Warn),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn uuid_ids_round_trip_through_packing() {
        let text = "0b6f3c2e-8f1d-4f3a-9a51-3f0f5d1c2b7a";
        let id = Id::parse(text);
        assert!(matches!(id, Id::Uuid(_)));
        assert_eq!(id.to_string(), text);
    }

    #[test]
    fn names_inline_or_on_the_heap() {
        for text in [
            "load",
            "prepare.step[12]",
            &"x".repeat(Name::INLINE),
            &"y".repeat(80),
            "é✓",
        ] {
            let name = Name::new(text);
            assert_eq!(name.as_str(), text);
            assert_eq!(
                matches!(name, Name::Inline { .. }),
                text.len() <= Name::INLINE
            );
        }
    }

    #[test]
    fn other_ids_stay_text() {
        for text in [
            "0B6F3C2E-8F1D-4F3A-9A51-3F0F5D1C2B7A",
            "span-1",
            "0b6f3c2e_8f1d-4f3a-9a51-3f0f5d1c2b7a",
            "0b6f3c2e-8f1d-4f3a-9a51-3f0f5d1c2b7g",
            "0b6f3c2e-8f1d-4f3a-9a51-3f0f5d1c2b7\u{e9}",
            "",
        ] {
            let id = Id::parse(text);
            assert_eq!(id, Id::Text(text.into()));
            assert_eq!(id.to_string(), text);
        }
    }

    #[test]
    fn facts_of_a_full_event() {
        let facts = EventFacts::from_value(&json!({
            "flow_id": "f", "span_id": "s", "parent_id": null, "node": "n", "kind": "node",
            "level": "warn", "seq": 3, "timestamp": 1.5, "event_type": "error",
            "metrics": {"duration_ms": 2}, "schema_version": 2
        }));
        assert_eq!(facts.flow_id().as_deref(), Some("f"));
        assert_eq!(facts.parent, Parent::Root);
        assert_eq!(facts.kind, Some(SpanKind::Node));
        assert_eq!(facts.seq(), Some(3));
        assert_eq!(facts.duration_ms, Some(2.0));
        assert_eq!(facts.version.as_deref(), Some("2"));
        assert!(!facts.is_final(), "a warn error is a retried attempt");
    }

    #[test]
    fn facts_of_garbage_are_empty() {
        let facts = EventFacts::from_value(&json!([1, 2]));
        assert_eq!(facts, EventFacts::empty());
        let facts = EventFacts::from_value(&json!({"seq": -1, "parent_id": 5, "kind": "other"}));
        assert_eq!(facts.seq(), None);
        assert_eq!(facts.parent, Parent::Unknown);
        assert_eq!(facts.kind, None);
    }
}
