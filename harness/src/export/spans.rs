//! Span assembly for `twinflow export`: events (contract §3.1) in log order become spans (§3.2)
//! as they end. Only the spans still open are held, so memory follows the runs' depth and
//! concurrency, not the log's length.
//!
//! A span opens at its first event (usually its `entry`; a level filter may have dropped it,
//! contract §3.3), gathers its `log`, `metric` and retry `error` events, and ends at its `exit` or
//! final `error` (level `error`). Spans still open when a log ends are handed out then, unfinished.

use std::collections::HashMap;

use serde_json::{Map, Value};

/// How a span ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Status {
    /// Its `exit`.
    Ok,
    /// Its final `error`: `data.error.type` and `data.error.message` (empty when absent).
    Error {
        /// The error's type (`ActionError`, …).
        kind: String,
        /// The error's message.
        message: String,
    },
    /// The log ended before the span did.
    Unfinished,
}

/// A `log`, `metric` or retry `error` event of a span.
#[derive(Debug, Clone, PartialEq)]
pub struct SpanEvent {
    /// Seconds since the Unix epoch.
    pub timestamp: f64,
    /// The event's `seq`.
    pub seq: u64,
    /// `log`, `metric` or `error`.
    pub event_type: String,
    /// The event's level.
    pub level: String,
    /// The event's message (null on metric events).
    pub message: Option<String>,
    /// The event's `data`.
    pub data: Map<String, Value>,
    /// The event's `metrics`.
    pub metrics: Map<String, Value>,
}

impl SpanEvent {
    /// The event's name on a timeline: its message, else its type.
    #[must_use]
    pub fn name(&self) -> &str {
        self.message.as_deref().unwrap_or(&self.event_type)
    }
}

/// A span, open or ended.
#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    /// The run.
    pub flow_id: String,
    /// The span.
    pub span_id: String,
    /// The parent span; `None` for the root.
    pub parent_id: Option<String>,
    /// The flow's name (the root span's `node`), empty while unknown.
    pub flow: String,
    /// The span's `node`.
    pub node: String,
    /// `flow`, `node`, `step` or `parallel`.
    pub kind: String,
    /// The span's `action`.
    pub action: Option<String>,
    /// The run's tenant (contract §3.8), when its events carry one.
    pub tenant: Option<String>,
    /// Seconds since the Unix epoch: its entry's timestamp (or its first event's).
    pub start: f64,
    /// Seconds since the Unix epoch: its end's timestamp; while it has none, its last event's or
    /// its children's latest end.
    pub end: f64,
    /// How it ended.
    pub status: Status,
    /// Its entry's `data` (`input`).
    pub entry_data: Map<String, Value>,
    /// Its end's `data` (`output`, `error`, `attempt`).
    pub end_data: Map<String, Value>,
    /// Its end's `metrics` (`duration_ms`).
    pub end_metrics: Map<String, Value>,
    /// Its `log`, `metric` and retry `error` events, in log order.
    pub events: Vec<SpanEvent>,
    /// Whether its `entry` was in the log (a level filter drops the entries of step spans, at
    /// `warn` all of them).
    pub entered: bool,
}

impl Span {
    /// The final `duration_ms`, when the span ended with one.
    #[must_use]
    pub fn duration_ms(&self) -> Option<f64> {
        self.end_metrics.get("duration_ms").and_then(Value::as_f64)
    }
}

/// What one event did to the spans.
#[derive(Debug, Default)]
pub struct Pushed {
    /// The span the event opened, if it opened one.
    pub started: Option<Span>,
    /// The spans that ended, children before parents.
    pub ended: Vec<Span>,
}

/// One run's open spans.
#[derive(Debug, Default)]
struct Run {
    name: String,
    open: HashMap<String, Span>,
    /// Span ids in opening order, for handing out unfinished spans deterministically.
    order: Vec<String>,
}

/// Turns one log's events into spans.
#[derive(Debug, Default)]
pub struct Assembler {
    runs: HashMap<String, Run>,
    /// Run ids in order of first appearance.
    order: Vec<String>,
}

fn text(event: &Value, field: &str) -> Option<String> {
    event.get(field).and_then(Value::as_str).map(str::to_owned)
}

fn object(event: &Value, field: &str) -> Map<String, Value> {
    event
        .get(field)
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

impl Assembler {
    /// A fresh assembler, for one log.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The name of the run `flow_id` (its root span's `node`), empty while unknown.
    #[must_use]
    pub fn flow_name(&self, flow_id: &str) -> &str {
        self.runs.get(flow_id).map_or("", |run| run.name.as_str())
    }

    /// Takes one schema-valid event, in log order.
    pub fn push(&mut self, event: &Value) -> Pushed {
        let mut pushed = Pushed::default();
        let (Some(flow_id), Some(span_id)) = (text(event, "flow_id"), text(event, "span_id"))
        else {
            return pushed;
        };
        let timestamp = event
            .get("timestamp")
            .and_then(Value::as_f64)
            .unwrap_or(0.0);
        let event_type = text(event, "event_type").unwrap_or_default();
        let level = text(event, "level").unwrap_or_default();
        if !self.runs.contains_key(&flow_id) {
            self.order.push(flow_id.clone());
        }
        let run = self.runs.entry(flow_id.clone()).or_default();
        let is_root = event.get("parent_id").is_some_and(Value::is_null);
        if is_root {
            run.name = text(event, "node").unwrap_or_default();
        }
        let span = run.open.entry(span_id.clone()).or_insert_with(|| {
            run.order.push(span_id.clone());
            let span = open_span(event, flow_id.clone(), span_id.clone(), timestamp);
            pushed.started = Some(span.clone());
            span
        });
        span.flow.clone_from(&run.name);
        match (event_type.as_str(), level.as_str()) {
            ("entry", _) => {
                span.start = timestamp;
                span.entered = true;
                span.entry_data = object(event, "data");
            }
            ("exit", _) => span.status = Status::Ok,
            ("error", "error") => {
                span.status = Status::Error {
                    kind: error_field(event, "type"),
                    message: error_field(event, "message"),
                }
            }
            _ => span.events.push(SpanEvent {
                timestamp,
                seq: event.get("seq").and_then(Value::as_u64).unwrap_or(0),
                event_type,
                level,
                message: text(event, "message"),
                data: object(event, "data"),
                metrics: object(event, "metrics"),
            }),
        }
        span.end = span.end.max(timestamp);
        if span.status != Status::Unfinished {
            span.end_data = object(event, "data");
            span.end_metrics = object(event, "metrics");
            if let (false, Some(ms)) = (span.entered, span.duration_ms()) {
                // No entry: the span began its duration before its end.
                span.start = span.start.min(timestamp - ms / 1000.0);
            }
            if let Some(span) = run.close(&span_id) {
                pushed.ended.push(span);
            }
            if is_root {
                // Nothing of a run comes after its root span ends (contract §3.3).
                pushed.ended.extend(self.close_run(&flow_id));
            }
        }
        pushed
    }

    /// Ends the log: the spans still open, unfinished, children before parents.
    pub fn finish(&mut self) -> Vec<Span> {
        let order = std::mem::take(&mut self.order);
        order.iter().flat_map(|id| self.close_run(id)).collect()
    }

    /// Forgets run `flow_id`, handing out its open spans unfinished (latest opened first, so
    /// children come before their parents).
    fn close_run(&mut self, flow_id: &str) -> Vec<Span> {
        self.order.retain(|id| id != flow_id);
        let Some(mut run) = self.runs.remove(flow_id) else {
            return Vec::new();
        };
        let mut closed = Vec::new();
        while let Some(id) = run.order.last().cloned() {
            closed.extend(run.close(&id));
        }
        closed
    }
}

impl Run {
    /// Removes span `id` from the open ones; its parent, still open, lasts at least as long.
    fn close(&mut self, id: &str) -> Option<Span> {
        self.order.retain(|open| open != id);
        let span = self.open.remove(id)?;
        if let Some(parent) = span.parent_id.as_ref().and_then(|p| self.open.get_mut(p)) {
            parent.end = parent.end.max(span.end);
        }
        Some(span)
    }
}

/// `data.error.{field}` of an error event, empty when absent.
fn error_field(event: &Value, field: &str) -> String {
    event
        .pointer(&format!("/data/error/{field}"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// A span opened by `event`.
fn open_span(event: &Value, flow_id: String, span_id: String, timestamp: f64) -> Span {
    Span {
        flow_id,
        span_id,
        parent_id: text(event, "parent_id"),
        flow: String::new(),
        node: text(event, "node").unwrap_or_default(),
        kind: text(event, "kind").unwrap_or_default(),
        action: text(event, "action"),
        tenant: text(event, "tenant"),
        start: timestamp,
        end: timestamp,
        status: Status::Unfinished,
        entry_data: Map::new(),
        end_data: Map::new(),
        end_metrics: Map::new(),
        events: Vec::new(),
        entered: false,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn event(span: &str, parent: Option<&str>, kind: &str, event_type: &str, ts: f64) -> Value {
        json!({"flow_id": "f", "span_id": span, "parent_id": parent, "node": span, "kind": kind,
               "action": null, "level": if event_type == "error" { "error" } else { "info" },
               "timestamp": ts, "seq": 0, "event_type": event_type, "message": "m",
               "data": {"error": {"type": "T", "message": "boom"}}, "metrics": {"duration_ms": 1.5}})
    }

    #[test]
    fn spans_end_children_first_and_unfinished_ones_at_the_end() {
        let mut assembler = Assembler::new();
        let started = assembler.push(&event("root", None, "flow", "entry", 1.0));
        assert_eq!(started.started.unwrap().span_id, "root");
        assert_eq!(assembler.flow_name("f"), "root");
        assembler.push(&event("a", Some("root"), "node", "entry", 2.0));
        let mut log = event("a", Some("root"), "node", "log", 2.5);
        log["level"] = json!("warn");
        assert!(assembler.push(&log).ended.is_empty());
        let ended = assembler
            .push(&event("a", Some("root"), "node", "error", 3.0))
            .ended;
        assert_eq!(ended.len(), 1);
        let a = &ended[0];
        assert_eq!((a.start, a.end, a.duration_ms()), (2.0, 3.0, Some(1.5)));
        assert_eq!(a.flow, "root");
        assert_eq!(a.events.len(), 1);
        assert_eq!(a.events[0].name(), "m");
        assert!(
            matches!(&a.status, Status::Error { kind, message } if kind == "T" && message == "boom")
        );
        assembler.push(&event("b", Some("root"), "node", "entry", 4.0));
        let rest = assembler.finish();
        let ids: Vec<&str> = rest.iter().map(|span| span.span_id.as_str()).collect();
        assert_eq!(ids, ["b", "root"]);
        assert!(
            rest.iter()
                .all(|span| span.status == Status::Unfinished && span.end == 4.0)
        );
    }

    #[test]
    fn a_span_without_entry_starts_its_duration_before_its_end() {
        let mut assembler = Assembler::new();
        assembler.push(&event("root", None, "flow", "entry", 1.0));
        let ended = assembler
            .push(&event("a", Some("root"), "step", "error", 3.0))
            .ended;
        assert_eq!((ended[0].start, ended[0].end), (3.0 - 0.0015, 3.0));
        assert!(!ended[0].entered);
    }

    #[test]
    fn the_root_end_closes_its_run() {
        let mut assembler = Assembler::new();
        assembler.push(&event("root", None, "flow", "entry", 1.0));
        assembler.push(&event("a", Some("root"), "node", "entry", 2.0));
        let ended = assembler
            .push(&event("root", None, "flow", "exit", 3.0))
            .ended;
        let ids: Vec<&str> = ended.iter().map(|span| span.span_id.as_str()).collect();
        assert_eq!(ids, ["root", "a"]);
        assert_eq!(ended[0].status, Status::Ok);
        assert!(assembler.finish().is_empty());
    }
}
