//! Where normalization reads a log's events from: values already parsed (an engine's run) or
//! lines of JSON held as text (a log read by `compare` or `conform`, [`LogEvents`]), and the few
//! fields that place an event in its run's tree ([`Head`]), read without building the rest.
//!
//! A log held as text is parsed event by event when it is needed and dropped right after, so a
//! whole log never exists as a `serde_json::Value` tree (about ten times its text).

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer as _, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::error::NormalizeError;
use crate::jsonl::{LogEvents, Text};

/// A log's events, in log order.
pub trait EventSource {
    /// How many events there are.
    fn event_count(&self) -> usize;
    /// Event `index` when the source holds it parsed.
    fn parsed(&self, index: usize) -> Option<&Value>;
    /// Event `index` when the source holds it as a line of JSON.
    fn text(&self, index: usize) -> Option<&str>;
    /// Event `index` as a value: borrowed when held parsed, parsed from its line otherwise (`null`
    /// for an index out of range or a line that is not JSON, which a [`LogEvents`] never holds).
    fn value(&self, index: usize) -> Cow<'_, Value> {
        match (self.parsed(index), self.text(index)) {
            (Some(value), _) => Cow::Borrowed(value),
            (None, Some(text)) => Cow::Owned(serde_json::from_str(text).unwrap_or(Value::Null)),
            (None, None) => Cow::Owned(Value::Null),
        }
    }
}

impl EventSource for [Value] {
    fn event_count(&self) -> usize {
        self.len()
    }
    fn parsed(&self, index: usize) -> Option<&Value> {
        self.get(index)
    }
    fn text(&self, _: usize) -> Option<&str> {
        None
    }
}

impl EventSource for LogEvents {
    fn event_count(&self) -> usize {
        self.len()
    }
    fn parsed(&self, _: usize) -> Option<&Value> {
        None
    }
    fn text(&self, index: usize) -> Option<&str> {
        self.get(index)
    }
}

/// The fields of one event that place it in its run's tree (contract §4 steps 1–2), borrowed
/// from the event's value or line.
#[derive(Debug)]
pub(crate) struct Head<'a> {
    pub(crate) flow_id: Cow<'a, str>,
    pub(crate) span_id: Cow<'a, str>,
    pub(crate) parent_id: Option<Cow<'a, str>>,
    pub(crate) seq: u64,
    /// `kind` when it is a string.
    pub(crate) kind: Option<Cow<'a, str>>,
    /// `node` when it is a string (the sort key of parallel children).
    pub(crate) node: Option<Cow<'a, str>>,
}

impl<'a> Head<'a> {
    /// Reads the head of event `index`; `line` is its 1-based position, for errors.
    pub(crate) fn read<S: EventSource + ?Sized>(
        source: &'a S,
        index: usize,
    ) -> Result<Self, NormalizeError> {
        let line = index + 1;
        let fields = match (source.parsed(index), source.text(index)) {
            (Some(value), _) => Fields::of_value(value),
            (None, Some(text)) => Fields::of_text(text),
            (None, None) => None,
        };
        fields
            .ok_or(NormalizeError::NotAnObject { line })?
            .into_head(line)
    }
}

/// One of the fields a head is made of, as far as normalization tells types apart.
#[derive(Debug)]
enum Field<'a> {
    Null,
    Str(Cow<'a, str>),
    /// An integer ≥ 0 that fits 64 bits (what `Value::as_u64` takes).
    Count(u64),
    Other,
}

impl<'a> Field<'a> {
    fn of_value(value: &'a Value) -> Self {
        match value {
            Value::Null => Self::Null,
            Value::String(s) => Self::Str(Cow::Borrowed(s)),
            Value::Number(n) => n.as_u64().map_or(Self::Other, Self::Count),
            _ => Self::Other,
        }
    }

    fn string(self) -> Option<Cow<'a, str>> {
        match self {
            Self::Str(s) => Some(s),
            _ => None,
        }
    }
}

/// The fields a head is read from.
const HEAD_FIELDS: [&str; 7] = [
    "flow_id",
    "span_id",
    "parent_id",
    "seq",
    "event_type",
    "kind",
    "node",
];

/// The head fields of one event object (the last value of a repeated key, as `serde_json` keeps).
#[derive(Debug, Default)]
struct Fields<'a> {
    flow_id: Option<Field<'a>>,
    span_id: Option<Field<'a>>,
    parent_id: Option<Field<'a>>,
    seq: Option<Field<'a>>,
    event_type: Option<Field<'a>>,
    kind: Option<Field<'a>>,
    node: Option<Field<'a>>,
}

impl<'a> Fields<'a> {
    /// The slot of a head field, `None` for any other key.
    fn slot(&mut self, key: &str) -> Option<&mut Option<Field<'a>>> {
        Some(match key {
            "flow_id" => &mut self.flow_id,
            "span_id" => &mut self.span_id,
            "parent_id" => &mut self.parent_id,
            "seq" => &mut self.seq,
            "event_type" => &mut self.event_type,
            "kind" => &mut self.kind,
            "node" => &mut self.node,
            _ => return None,
        })
    }

    /// `None` when the event is not an object.
    fn of_value(value: &'a Value) -> Option<Self> {
        let object = value.as_object()?;
        let mut fields = Self::default();
        for key in HEAD_FIELDS {
            if let (Some(slot), Some(value)) = (fields.slot(key), object.get(key)) {
                *slot = Some(Field::of_value(value));
            }
        }
        Some(fields)
    }

    /// `None` when the line is not an object (or not JSON, which a [`LogEvents`] never holds).
    fn of_text(text: &'a str) -> Option<Self> {
        serde_json::Deserializer::from_str(text)
            .deserialize_any(FieldsVisitor)
            .ok()
            .flatten()
    }

    /// The head, or the first field that cannot place the event (in the order `parent_id`,
    /// `seq`, `flow_id`, `span_id`, `event_type`).
    fn into_head(self, line: usize) -> Result<Head<'a>, NormalizeError> {
        let parent_id = match self.parent_id {
            None => return Err(missing(line, "parent_id")),
            Some(Field::Null) => None,
            Some(Field::Str(s)) => Some(s),
            Some(_) => return Err(wrong(line, "parent_id", "a string or null")),
        };
        let seq = match self.seq {
            None => return Err(missing(line, "seq")),
            Some(Field::Count(seq)) => seq,
            Some(_) => return Err(wrong(line, "seq", "an integer ≥ 0")),
        };
        let string = |field: Option<Field<'a>>, name| match field {
            None => Err(missing(line, name)),
            Some(Field::Str(s)) => Ok(s),
            Some(_) => Err(wrong(line, name, "a string")),
        };
        let flow_id = string(self.flow_id, "flow_id")?;
        let span_id = string(self.span_id, "span_id")?;
        string(self.event_type, "event_type")?;
        Ok(Head {
            flow_id,
            span_id,
            parent_id,
            seq,
            kind: self.kind.and_then(Field::string),
            node: self.node.and_then(Field::string),
        })
    }
}

fn missing(line: usize, field: &'static str) -> NormalizeError {
    NormalizeError::MissingField { line, field }
}

fn wrong(line: usize, field: &'static str, expected: &'static str) -> NormalizeError {
    NormalizeError::WrongType {
        line,
        field,
        expected,
    }
}

/// Reads the head fields of an event line, skipping every other value unbuilt; `None` when the
/// line is not an object.
struct FieldsVisitor;

impl<'de> Visitor<'de> for FieldsVisitor {
    type Value = Option<Fields<'de>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an event object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut fields = Fields::default();
        while let Some(key) = map.next_key::<Text<'de>>()? {
            match fields.slot(&key.0) {
                Some(slot) => *slot = Some(map.next_value::<FieldValue<'de>>()?.0),
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Some(fields))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

/// One head field's value read from a line.
struct FieldValue<'a>(Field<'a>);

impl<'de> de::Deserialize<'de> for FieldValue<'de> {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer
            .deserialize_any(FieldValueVisitor)
            .map(FieldValue)
    }
}

struct FieldValueVisitor;

impl<'de> Visitor<'de> for FieldValueVisitor {
    type Value = Field<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Field::Null)
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Field::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Field::Str(Cow::Owned(v.to_owned())))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Field::Count(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(u64::try_from(v).map_or(Field::Other, Field::Count))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Field::Other)
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Field::Other)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Field::Other)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Field::Other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::{normalize, normalize_source};

    const FLOW: &str = "0000000a-0000-4000-8000-000000000000";
    const ROOT: &str = "0000000a-0000-4000-8000-000000000001";
    const CHILD: &str = "0000000a-0000-4000-8000-000000000002";

    /// `lines` as a log read from a file.
    fn log_of(lines: &[String]) -> LogEvents {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("log.jsonl");
        std::fs::write(&path, lines.join("\n")).expect("write");
        crate::jsonl::read_events(&path).expect("a log of JSON lines")
    }

    /// Normalizes `lines` held as text and parsed as values; both must give the same text.
    fn both_ways(lines: &[String]) -> String {
        let log = log_of(lines);
        let from_text = normalize_source(&log).expect("normalizes").to_yaml();
        let values = log.values();
        assert_eq!(values.len(), lines.len());
        let from_values = normalize(&values).expect("normalizes").to_yaml();
        assert_eq!(from_text, from_values);
        from_text
    }

    /// One run whose lines hold what a compact reading could get wrong: integers beyond 2^53
    /// and 2^63, repeated keys, escapes (in values, keys and in an id), non-ASCII text, and keys
    /// in an unusual order.
    fn tricky_run() -> Vec<String> {
        vec![
            format!(
                r#"{{"flow_id":"{FLOW}","span_id":"{ROOT}","parent_id":null,"node":"demo","kind":"flow","action":null,"level":"info","timestamp":1.5,"seq":0,"event_type":"entry","message":"caf\u00e9 \"q\" \ud83d\ude00 \u00e9t\u00e9 {CHILD}","data":{{"big":9007199254740993,"neg":-9223372036854775808,"max":18446744073709551615,"one":1.0,"dup":1,"dup":2,"k\u0065y":"tab\there","z":"last","a":"first"}},"metrics":{{}}}}"#
            ),
            format!(
                r#"{{"seq":7,"seq":1,"event_type":"entry","metrics":{{}},"data":{{}},"message":"node started","timestamp":1.6,"level":"info","action":"state.set","kind":"node","node":"a","parent_id":"{ROOT}","span_id":"{CHILD}","flow_id":"{FLOW}"}}"#
            ),
            // The same span id, spelled with an escaped hyphen and digit.
            format!(
                r#"{{"flow_id":"{FLOW}","span_id":"\u0030000000a\u002d0000-4000-8000-000000000002","parent_id":"{ROOT}","node":"a","kind":"node","action":"state.set","level":"info","timestamp":1.7,"seq":2,"event_type":"exit","message":"node completed","data":{{"output":null}},"metrics":{{"duration_ms":0.25}}}}"#
            ),
            format!(
                r#"{{"flow_id":"{FLOW}","span_id":"{ROOT}","parent_id":null,"node":"demo","kind":"flow","action":null,"level":"info","timestamp":1.8,"seq":3,"event_type":"exit","message":"flow completed","data":{{"output":{{}}}},"metrics":{{"duration_ms":2}}}}"#
            ),
        ]
    }

    #[test]
    fn a_log_held_as_text_normalizes_like_its_values() {
        let text = both_ways(&tricky_run());
        for expected in [
            "big: 9007199254740993\n",
            "neg: -9223372036854775808\n",
            "max: 18446744073709551615\n",
            "one: 1\n",
            "dup: 2\n",
            "key: \"tab\\there\"\n",
            "message: \"café \\\"q\\\" 😀 été span#2\"\n",
            "duration_ms: <duration_ms>\n",
        ] {
            assert!(text.contains(expected), "{expected:?} not in:\n{text}");
        }
        assert!(!text.contains("dup: 1"), "{text}");
        // The escaped id is the child's: one child span, its entry and exit in one timeline.
        assert!(!text.contains("span#3"), "{text}");
        assert!(text.find("a: first") < text.find("z: last"), "{text}");
    }

    #[test]
    fn a_line_reads_the_head_a_value_reads() {
        let lines = tricky_run();
        let log = log_of(&lines);
        for (index, line) in lines.iter().enumerate() {
            let values = [serde_json::from_str::<Value>(line).expect("JSON")];
            let from_text = Head::read(&log, index).expect("a head");
            let from_value = Head::read(&values[..], 0).expect("a head");
            assert_eq!(format!("{from_text:?}"), format!("{from_value:?}"));
        }
        assert_eq!(Head::read(&log, 2).expect("a head").span_id, CHILD);
    }

    #[test]
    fn heads_that_cannot_place_an_event_fail_alike() {
        for (line, expected) in [
            (r#"[1]"#, "not a JSON object"),
            (r#"{"seq":0}"#, "parent_id"),
            (r#"{"parent_id":null,"seq":-1}"#, "seq"),
            (r#"{"parent_id":null,"seq":1.0}"#, "seq"),
            (r#"{"parent_id":null,"seq":1,"flow_id":7}"#, "flow_id"),
            (
                r#"{"parent_id":null,"seq":1,"flow_id":"f","span_id":"s"}"#,
                "event_type",
            ),
        ] {
            let log = log_of(&[line.to_owned()]);
            let values = [serde_json::from_str::<Value>(line).expect("JSON")];
            let from_text = Head::read(&log, 0).expect_err("no head").to_string();
            let from_value = Head::read(&values[..], 0).expect_err("no head").to_string();
            assert_eq!(from_text, from_value);
            assert!(from_text.contains(expected), "{from_text}");
        }
    }

    #[test]
    fn chunked_rendering_is_the_whole_text() {
        // Enough runs for the text to be handed out in several chunks.
        let mut lines = Vec::new();
        for run in 0..400 {
            let flow = format!("{run:08x}-0000-4000-8000-000000000000");
            for line in tricky_run() {
                lines.push(line.replace(FLOW, &flow));
            }
        }
        let log = log_of(&lines);
        let normalized = normalize_source(&log).expect("normalizes");
        assert_eq!(normalized.flow_count(), 400);
        let (mut chunks, mut text) = (0, String::new());
        normalized.write_yaml(&mut |chunk| {
            chunks += 1;
            text.push_str(chunk);
        });
        assert!(chunks > 1, "{chunks} chunk(s)");
        assert_eq!(text, normalized.to_yaml());
        assert_eq!(text, both_ways(&lines));
    }
}
