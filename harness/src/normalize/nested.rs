//! Normalization of values inside events: `data`, `metrics`, `message` and any other field.
//!
//! The results of `obs.get_flow_log` and `obs.query` put events, span records and flow logs inside
//! `data` (and, once stored, inside every later state). They carry ids, timestamps, `seq` and
//! durations, so they are normalized by the same rules as the top-level events (contract
//! §3.6, decision of the lead):
//! - any known id inside any string (or object key) becomes its label;
//! - an event object (`span_id`, `event_type`, `seq`) loses `timestamp` and `seq`, and its
//!   `metrics.duration_ms` is masked;
//! - a span record (`span_id`, `children`) has its `duration_ms` masked and, for a `parallel`
//!   span, its children ordered by `node`;
//! - a flow log (`flow_id`, `spans`, `summary`) has `summary.duration_ms` masked;
//! - a list made only of events of the log is put in the log's canonical order (concurrent
//!   branches fill the ring buffer in completion order).
//!
//! A `duration_ms` that is `null` (a span still running) stays `null`: that is a fact both
//! runtimes must agree on, not a measurement.

use std::collections::BTreeMap;

use serde_json::{Map, Value};
use yamlflow::{EventType, SpanKind};

use super::canon::{Canon, canonical_number};
use super::labels::Labels;
use super::tree::EventOrder;

/// The placeholder that replaces every measured duration (contract §4 step 3).
pub(crate) const DURATION: Canon = Canon::Placeholder("duration_ms");

/// What nested normalization needs to know about the whole log.
pub(crate) struct Context<'p, 'a> {
    pub(crate) labels: &'p Labels,
    pub(crate) order: &'p EventOrder<'a>,
}

/// What an object inside an event is, judged by its keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Event,
    SpanRecord,
    FlowLog,
    Plain,
}

impl Shape {
    fn of(map: &Map<String, Value>) -> Self {
        if map.contains_key("span_id") && map.contains_key("event_type") && map.contains_key("seq")
        {
            Self::Event
        } else if map.contains_key("span_id") && map.get("children").is_some_and(Value::is_array) {
            Self::SpanRecord
        } else if map.contains_key("flow_id")
            && map.contains_key("spans")
            && map.contains_key("summary")
        {
            Self::FlowLog
        } else {
            Self::Plain
        }
    }
}

/// Whether an event of this type carries a measured `metrics.duration_ms` (contract §3: exit and
/// error events). Elsewhere (a `metric.emit` event) `duration_ms` is data and compared as is.
pub(crate) fn measures_duration(event_type: &str) -> bool {
    matches!(
        EventType::parse(event_type),
        Some(EventType::Exit | EventType::Error)
    )
}

impl Context<'_, '_> {
    /// The canonical form of any value found inside an event.
    pub(crate) fn value(&self, value: &Value) -> Canon {
        match value {
            Value::Null => Canon::Null,
            Value::Bool(b) => Canon::Bool(*b),
            Value::Number(n) => Canon::Number(canonical_number(n)),
            Value::String(s) => Canon::String(self.labels.relabel(s).into_owned()),
            Value::Array(items) => match self.event_list_order(items) {
                Some(order) => {
                    Canon::List(order.into_iter().map(|i| self.value(&items[i])).collect())
                }
                None => Canon::List(items.iter().map(|item| self.value(item)).collect()),
            },
            Value::Object(map) => Canon::Map(self.object(map)),
        }
    }

    /// The canonical form of an object, by its [`Shape`].
    fn object(&self, map: &Map<String, Value>) -> BTreeMap<String, Canon> {
        let shape = Shape::of(map);
        let mut out = BTreeMap::new();
        for (key, value) in map {
            let canon = match (shape, key.as_str()) {
                (Shape::Event, "timestamp" | "seq") => continue,
                (Shape::Event, "metrics")
                    if map
                        .get("event_type")
                        .and_then(Value::as_str)
                        .is_some_and(measures_duration) =>
                {
                    self.metrics(value)
                }
                (Shape::SpanRecord, "duration_ms") if value.is_number() => DURATION,
                (Shape::SpanRecord, "children")
                    if map.get("kind").and_then(Value::as_str)
                        == Some(SpanKind::Parallel.as_str()) =>
                {
                    self.children_by_node(value)
                }
                (Shape::FlowLog, "summary") => self.metrics(value),
                _ => self.value(value),
            };
            out.insert(self.labels.relabel(key).into_owned(), canon);
        }
        out
    }

    /// An object whose numeric `duration_ms` is masked: an event's `metrics` or a flow log's
    /// `summary`.
    pub(crate) fn metrics(&self, value: &Value) -> Canon {
        let Value::Object(map) = value else {
            return self.value(value);
        };
        Canon::Map(
            map.iter()
                .map(|(key, value)| {
                    let canon = if key == "duration_ms" && value.is_number() {
                        DURATION
                    } else {
                        self.value(value)
                    };
                    (self.labels.relabel(key).into_owned(), canon)
                })
                .collect(),
        )
    }

    /// A parallel span record's children, ordered by `node` (contract §4 step 2).
    fn children_by_node(&self, value: &Value) -> Canon {
        let Value::Array(children) = value else {
            return self.value(value);
        };
        let mut order: Vec<&Value> = children.iter().collect();
        order.sort_by_key(|child| child.get("node").and_then(Value::as_str).unwrap_or(""));
        Canon::List(order.into_iter().map(|child| self.value(child)).collect())
    }

    /// The canonical order of a list whose items are all events of the log, or `None` for any
    /// other list (kept as it is).
    fn event_list_order(&self, items: &[Value]) -> Option<Vec<usize>> {
        if items.len() < 2 {
            return None;
        }
        let mut keyed = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let map = item.as_object()?;
            if Shape::of(map) != Shape::Event {
                return None;
            }
            let flow_id = map.get("flow_id")?.as_str()?;
            let seq = map.get("seq")?.as_u64()?;
            keyed.push((self.order.position(flow_id, seq)?, i));
        }
        keyed.sort_unstable();
        Some(keyed.into_iter().map(|(_, i)| i).collect())
    }
}
