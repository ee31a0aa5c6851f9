//! The fast path of `twinflow validate` for the bundled schema: one line deserialized into a
//! borrowed, typed event (no `serde_json::Value`, no map), the bundled schema's rules checked in
//! code, and the structural facts taken on the way.
//!
//! It only ever says "valid, and here are the facts": any line it cannot prove valid (a schema
//! violation, a duplicate key, an unredacted value, an escape it does not model, a number it does
//! not take) returns `None`, and the caller falls back to the generic path (`serde_json::Value`
//! and the `jsonschema` validator), which says what is wrong. So a bug here can only cost speed;
//! the differential test (`harness/tests/fast_path.rs`) checks that both paths agree on every
//! fixture log, every damaged log of the tests and thousands of random mutations.
//!
//! The rules mirror `schema/event.schema.json` (v1) one by one: the required fields and their
//! types, `additionalProperties: false`, the id, node and action patterns, the enums, the
//! minimums, `data`'s `input`/`output`/`error`/`attempt`, `metrics`' known keys and its other
//! values (a number or `[REDACTED]`), and the `allOf` conditions on kind, event type and level.
//! The redaction rule (contract §3.4) and duplicate keys are checked at any depth of `data` and
//! `metrics` by a walker that builds nothing.

use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use yamlflow::{EventType, Level, SpanKind};

use crate::jsonl::Text as Str;
use crate::structure::EventFacts;
use crate::structure::facts::{Action, Id, Name, Parent};
use crate::structure::redaction::{REDACTED, is_sensitive};

/// The facts of `line` when it is a valid event under the bundled schema, with nothing for the
/// redaction rule or a duplicate key to report; `None` otherwise (use the generic path).
#[must_use]
pub fn fast_facts(line: &str) -> Option<EventFacts> {
    let event: Event<'_> = serde_json::from_str(line).ok()?;
    event.check()?;
    Some(event.into_facts())
}

/// A required field that may be `null`. Unlike `Option`, a missing field is an error (serde
/// derive reads a missing `Option` as `None`, but the schema requires the field).
enum Nullable<T> {
    Null,
    Some(T),
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Nullable<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // `deserialize_any` on serde's missing-field deserializer fails, where
        // `deserialize_option` would give `None`.
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Nullable<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("null or a value")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Nullable::Null)
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                T::deserialize(de::value::BorrowedStrDeserializer::<E>::new(v)).map(Nullable::Some)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                T::deserialize(de::value::StringDeserializer::<E>::new(v.to_owned()))
                    .map(Nullable::Some)
            }
        }
        deserializer.deserialize_any(V(std::marker::PhantomData))
    }
}

/// A number at least 0 (`"type": "number", "minimum": 0`).
struct NonNegative(f64);

impl<'de> Deserialize<'de> for NonNegative {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = f64::deserialize(deserializer)?;
        if value >= 0.0 {
            Ok(Self(value))
        } else {
            Err(de::Error::custom("negative"))
        }
    }
}

/// One event of schema v1, as the line spells it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Event<'a> {
    #[serde(borrow)]
    flow_id: Str<'a>,
    #[serde(borrow)]
    span_id: Str<'a>,
    #[serde(borrow)]
    parent_id: Nullable<Str<'a>>,
    #[serde(borrow)]
    node: Str<'a>,
    #[serde(borrow)]
    kind: Str<'a>,
    #[serde(borrow)]
    action: Nullable<Str<'a>>,
    #[serde(borrow)]
    level: Str<'a>,
    timestamp: NonNegative,
    seq: u64,
    #[serde(borrow)]
    event_type: Str<'a>,
    #[serde(borrow)]
    message: Nullable<Str<'a>>,
    data: Data,
    metrics: Metrics,
    /// Optional, a non-empty string when present (contract §3.8); `null` is not absent.
    #[serde(borrow, default, deserialize_with = "present")]
    tenant: Option<Str<'a>>,
}

/// An optional field that is there: its value must deserialize (a `null` fails, unlike `Option`).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(deserializer).map(Some)
}

/// What the schema's conditions need to know about `data`.
#[derive(Default)]
struct Data {
    /// `input` is there; whether it is an object.
    input: Option<bool>,
    /// `output` is there; whether it is an object.
    output: Option<bool>,
    /// A valid `error` object is there.
    error: bool,
    /// A valid `attempt` is there.
    attempt: bool,
}

/// What the schema's conditions need to know about `metrics`.
#[derive(Default)]
struct Metrics {
    duration_ms: Option<f64>,
}

impl Event<'_> {
    /// Every rule of the bundled schema that the types alone do not check.
    fn check(&self) -> Option<()> {
        let kind = SpanKind::parse(&self.kind.0)?;
        let event_type = EventType::parse(&self.event_type.0)?;
        let level = Level::parse(&self.level.0)?;
        let ok = is_uuid(&self.flow_id.0)
            && is_uuid(&self.span_id.0)
            && !self.node.0.is_empty()
            && self
                .tenant
                .as_ref()
                .is_none_or(|tenant| !tenant.0.is_empty())
            && match &self.action {
                Nullable::Null => true,
                Nullable::Some(action) => is_action(&action.0),
            }
            && self.parent_fits(kind)
            && self.node_and_action_fit(kind)
            && level_fits(kind, event_type, level)
            && self.payload_fits(kind, event_type, level);
        ok.then_some(())
    }

    /// The root span (kind flow) and only it has no parent and no action.
    fn parent_fits(&self, kind: SpanKind) -> bool {
        match (&self.parent_id, kind) {
            (Nullable::Null, SpanKind::Flow) => matches!(self.action, Nullable::Null),
            // `then` asks a root for null; any other kind needs a parent (`else`).
            (Nullable::Some(_), SpanKind::Flow) | (Nullable::Null, _) => false,
            (Nullable::Some(parent), _) => is_uuid(&parent.0),
        }
    }

    /// The node name's pattern per kind, and which kinds carry an action.
    fn node_and_action_fit(&self, kind: SpanKind) -> bool {
        let node = self.node.0.as_bytes();
        match kind {
            SpanKind::Flow => true,
            SpanKind::Node => is_name(node),
            SpanKind::Parallel => matches!(self.action, Nullable::Null) && is_parallel_name(node),
            SpanKind::Step => matches!(self.action, Nullable::Some(_)) && is_step_name(node),
        }
    }

    /// `data`, `metrics` and `message` as the event type asks.
    fn payload_fits(&self, kind: SpanKind, event_type: EventType, level: Level) -> bool {
        let (data, has_duration) = (&self.data, self.metrics.duration_ms.is_some());
        match event_type {
            EventType::Entry => kind != SpanKind::Flow || data.input == Some(true),
            EventType::Exit => {
                has_duration
                    && data.output.is_some()
                    && (kind != SpanKind::Flow || data.output == Some(true))
            }
            EventType::Error => {
                has_duration
                    && data.error
                    && match level {
                        Level::Warn => kind == SpanKind::Node && data.attempt,
                        Level::Error => true,
                        Level::Debug | Level::Info => false,
                    }
            }
            EventType::Log => {
                matches!(kind, SpanKind::Node | SpanKind::Step)
                    && matches!(self.message, Nullable::Some(_))
            }
            EventType::Metric => {
                matches!(kind, SpanKind::Node | SpanKind::Step)
                    && matches!(self.message, Nullable::Null)
            }
        }
    }

    fn into_facts(self) -> EventFacts {
        let mut facts = EventFacts::empty();
        facts.flow = Some(Id::parse(&self.flow_id.0));
        facts.span = Some(Id::parse(&self.span_id.0));
        facts.parent = match &self.parent_id {
            Nullable::Null => Parent::Root,
            Nullable::Some(parent) => Parent::Span(Id::parse(&parent.0)),
        };
        facts.node = Some(Name::new(&self.node.0));
        facts.kind = SpanKind::parse(&self.kind.0);
        facts.action = match &self.action {
            Nullable::Null => Action::Null,
            Nullable::Some(action) => Action::Name(Name::new(&action.0)),
        };
        facts.event_type = EventType::parse(&self.event_type.0);
        facts.level = Level::parse(&self.level.0);
        facts.seq = Some(self.seq);
        facts.timestamp = Some(self.timestamp.0);
        facts.duration_ms = self.metrics.duration_ms;
        facts.tenant = self.tenant.map(|tenant| tenant.0.into());
        facts
    }
}

/// Entry and exit levels: debug for steps, info for the other kinds; errors are warn or error.
fn level_fits(kind: SpanKind, event_type: EventType, level: Level) -> bool {
    match event_type {
        EventType::Entry | EventType::Exit if kind == SpanKind::Step => level == Level::Debug,
        EventType::Entry | EventType::Exit => level == Level::Info,
        EventType::Error => matches!(level, Level::Warn | Level::Error),
        EventType::Log | EventType::Metric => true,
    }
}

/// `^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`
fn is_uuid(text: &str) -> bool {
    matches!(Id::parse(text), Id::Uuid(_))
}

/// `[a-z][a-z0-9_]*`
fn is_name(text: &[u8]) -> bool {
    match text.split_first() {
        Some((first, rest)) => {
            first.is_ascii_lowercase()
                && rest
                    .iter()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'_')
        }
        None => false,
    }
}

/// `^parallel\([a-z][a-z0-9_]*(,[a-z][a-z0-9_]*)*\)$`
fn is_parallel_name(text: &[u8]) -> bool {
    text.strip_prefix(b"parallel(")
        .and_then(|rest| rest.strip_suffix(b")"))
        .is_some_and(|names| names.split(|b| *b == b',').all(is_name))
}

/// `^[a-z][a-z0-9_]*\.step\[(0|[1-9][0-9]*)\]$`
fn is_step_name(text: &[u8]) -> bool {
    let Some(open) = text.iter().position(|b| *b == b'.') else {
        return false;
    };
    let (node, rest) = text.split_at(open);
    let Some(index) = rest
        .strip_prefix(b".step[")
        .and_then(|rest| rest.strip_suffix(b"]"))
    else {
        return false;
    };
    let index_ok = match index {
        [b'0'] => true,
        [first, rest @ ..] => (b'1'..=b'9').contains(first) && rest.iter().all(u8::is_ascii_digit),
        [] => false,
    };
    is_name(node) && index_ok
}

/// `^[a-z_]+(\.[a-z_]+)*$`
fn is_action(text: &str) -> bool {
    text.as_bytes().split(|b| *b == b'.').all(|segment| {
        !segment.is_empty() && segment.iter().all(|b| b.is_ascii_lowercase() || *b == b'_')
    })
}

/// The keys of one object seen so far, as 64-bit hashes: a repeated hash is taken for a
/// duplicate key (two different keys colliding only costs the generic path).
#[derive(Default)]
struct SeenKeys {
    inline: [u64; 16],
    len: usize,
    more: Vec<u64>,
}

impl SeenKeys {
    /// Records `key`; `false` when it (or a colliding key) was seen before.
    fn insert(&mut self, key: &str) -> bool {
        // FNV-1a: keys are short.
        let hash = key.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
        });
        let inline = &self.inline[..self.len.min(16)];
        if inline.contains(&hash) || self.more.contains(&hash) {
            return false;
        }
        if self.len < 16 {
            self.inline[self.len] = hash;
        } else {
            self.more.push(hash);
        }
        self.len += 1;
        true
    }
}

fn duplicate<E: de::Error>() -> E {
    E::custom("duplicate key")
}

/// The value under a sensitive key: only `"[REDACTED]"` passes.
struct Redacted;

impl<'de> Deserialize<'de> for Redacted {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = Str::deserialize(deserializer)?;
        if text.0 == REDACTED {
            Ok(Self)
        } else {
            Err(de::Error::custom("unredacted"))
        }
    }
}

/// Walks any value, failing on a duplicate key or an unredacted sensitive key; returns whether
/// the value was an object.
struct Walk;

impl<'de> DeserializeSeed<'de> for Walk {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<bool, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_unit<E: de::Error>(self) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
        while seq.next_element_seed(Walk)?.is_some() {}
        Ok(false)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        let mut seen = SeenKeys::default();
        while let Some(key) = map.next_key::<Str<'de>>()? {
            walk_entry(&mut map, &mut seen, &key.0)?;
        }
        Ok(true)
    }
}

/// One entry of an object being walked: its key not seen before, its value redacted when the key
/// is sensitive, walked otherwise.
fn walk_entry<'de, A: MapAccess<'de>>(
    map: &mut A,
    seen: &mut SeenKeys,
    key: &str,
) -> Result<(), A::Error> {
    if !seen.insert(key) {
        return Err(duplicate());
    }
    if is_sensitive(key) {
        map.next_value::<Redacted>()?;
    } else {
        map.next_value_seed(Walk)?;
    }
    Ok(())
}

impl<'de> Deserialize<'de> for Data {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Data;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("the data object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Data, A::Error> {
                let mut data = Data::default();
                let mut seen = SeenKeys::default();
                while let Some(key) = map.next_key::<Str<'de>>()? {
                    let key = key.0;
                    match key.as_ref() {
                        "input" | "output" | "error" | "attempt" if !seen.insert(&key) => {
                            return Err(duplicate());
                        }
                        "input" => data.input = Some(map.next_value_seed(Walk)?),
                        "output" => data.output = Some(map.next_value_seed(Walk)?),
                        "error" => {
                            map.next_value::<ErrorObject>()?;
                            data.error = true;
                        }
                        "attempt" => {
                            if map.next_value::<u64>()? < 1 {
                                return Err(de::Error::custom("attempt below 1"));
                            }
                            data.attempt = true;
                        }
                        other => walk_entry(&mut map, &mut seen, other)?,
                    }
                }
                Ok(data)
            }
        }
        deserializer.deserialize_map(V)
    }
}

/// `data.error`: exactly a non-empty `type` and a `message`, both strings.
struct ErrorObject;

impl<'de> Deserialize<'de> for ErrorObject {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ErrorObject;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an error object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ErrorObject, A::Error> {
                let (mut kind, mut message) = (false, false);
                while let Some(key) = map.next_key::<Str<'de>>()? {
                    let text = match key.0.as_ref() {
                        "type" if !kind => {
                            kind = true;
                            map.next_value::<Str<'de>>()?
                        }
                        "message" if !message => {
                            message = true;
                            map.next_value::<Str<'de>>()?
                        }
                        _ => return Err(de::Error::custom("unexpected or repeated key")),
                    };
                    if key.0 == "type" && text.0.is_empty() {
                        return Err(de::Error::custom("empty type"));
                    }
                }
                if kind && message {
                    Ok(ErrorObject)
                } else {
                    Err(de::Error::custom("incomplete error"))
                }
            }
        }
        deserializer.deserialize_map(V)
    }
}

impl<'de> Deserialize<'de> for Metrics {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Metrics;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("the metrics object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Metrics, A::Error> {
                let mut metrics = Metrics::default();
                let mut seen = SeenKeys::default();
                while let Some(key) = map.next_key::<Str<'de>>()? {
                    let key = key.0;
                    if !seen.insert(&key) {
                        return Err(duplicate());
                    }
                    match key.as_ref() {
                        "duration_ms" => {
                            metrics.duration_ms = Some(map.next_value::<NonNegative>()?.0);
                        }
                        "tokens" => {
                            map.next_value::<u64>()?;
                        }
                        "cost_usd" => {
                            map.next_value::<NonNegative>()?;
                        }
                        // A sensitive name must hold `[REDACTED]` (contract §3.4), which the
                        // schema allows for any metric.
                        name if is_sensitive(name) => {
                            map.next_value::<Redacted>()?;
                        }
                        _ => {
                            map.next_value::<f64>()?;
                        }
                    }
                }
                Ok(metrics)
            }
        }
        deserializer.deserialize_map(V)
    }
}
