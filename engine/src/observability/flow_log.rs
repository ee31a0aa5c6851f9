//! The flow log (contract §3, §3.6): the span table built from every emitted event
//! and the `{flow_id, events, spans, summary}` object built from it and the buffer.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Map, Value, json};

use crate::event::{Event, EventType, Level, SpanKind};
use crate::observability::stream::EventStream;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Running,
    Completed,
    Failed,
}

#[derive(Debug, Clone)]
struct SpanRecord {
    span_id: Arc<str>,
    parent_id: Option<Arc<str>>,
    node: Arc<str>,
    kind: SpanKind,
    status: Status,
    duration_ms: Option<f64>,
    children: Vec<usize>,
}

/// Every span seen in the emitted events (after the level filter, including events the buffer
/// has since overwritten).
#[derive(Debug, Default, Clone)]
pub(crate) struct SpanTable {
    spans: Vec<SpanRecord>,
    index: HashMap<Arc<str>, usize>,
    root: Option<usize>,
}

impl SpanTable {
    /// Records what an event says about its span.
    pub(crate) fn observe(&mut self, event: &Event) {
        match event.event_type {
            EventType::Entry => {
                let idx = self.spans.len();
                self.spans.push(SpanRecord {
                    span_id: event.span_id.clone(),
                    parent_id: event.parent_id.clone(),
                    node: event.node.clone(),
                    kind: event.kind,
                    status: Status::Running,
                    duration_ms: None,
                    children: Vec::new(),
                });
                self.index.insert(event.span_id.clone(), idx);
                match event.parent_id.as_ref().and_then(|p| self.index.get(p)) {
                    Some(&parent) => self.spans[parent].children.push(idx),
                    None if event.kind == SpanKind::Flow && self.root.is_none() => {
                        self.root = Some(idx)
                    }
                    None => {}
                }
            }
            EventType::Exit | EventType::Error => {
                // A warn `error` is a retried attempt, not the span's end.
                if event.event_type == EventType::Error && event.level != Level::Error {
                    return;
                }
                if let Some(&idx) = self.index.get(&event.span_id) {
                    let span = &mut self.spans[idx];
                    span.status = if event.event_type == EventType::Exit {
                        Status::Completed
                    } else {
                        Status::Failed
                    };
                    span.duration_ms = event.metrics.get("duration_ms").and_then(Value::as_f64);
                }
            }
            EventType::Log | EventType::Metric => {}
        }
    }

    fn tree(&self, idx: usize) -> Value {
        let span = &self.spans[idx];
        let mut out = Map::new();
        out.insert("span_id".into(), Value::String(span.span_id.to_string()));
        out.insert(
            "parent_id".into(),
            span.parent_id
                .as_ref()
                .map_or(Value::Null, |p| Value::String(p.to_string())),
        );
        out.insert("node".into(), Value::String(span.node.to_string()));
        out.insert("kind".into(), Value::String(span.kind.as_str().into()));
        let status = match span.status {
            Status::Running => "running",
            Status::Completed => "completed",
            Status::Failed => "failed",
        };
        out.insert("status".into(), Value::String(status.into()));
        out.insert(
            "duration_ms".into(),
            span.duration_ms.map_or(Value::Null, |d| json!(d)),
        );
        out.insert(
            "children".into(),
            Value::Array(span.children.iter().map(|&c| self.tree(c)).collect()),
        );
        Value::Object(out)
    }

    fn root_duration(&self) -> Option<f64> {
        self.root.and_then(|r| self.spans[r].duration_ms)
    }
}

/// Builds `{flow_id, events, spans, summary}`.
pub(crate) fn build(
    flow_id: &str,
    tenant: Option<&str>,
    stream: &EventStream,
    spans: &SpanTable,
) -> Value {
    let mut errors = 0u64;
    let mut tokens = 0i64;
    let mut cost = 0.0f64;
    let mut events = Vec::with_capacity(stream.len());
    for event in stream.iter() {
        if event.event_type == EventType::Error {
            errors += 1;
        }
        if let Some(Value::Number(n)) = event.metrics.get("tokens") {
            // Saturates at i64::MAX like Python's min(sum, 2**63 - 1) (contract §6).
            tokens = tokens.saturating_add(
                n.as_i64()
                    .unwrap_or_else(|| n.as_f64().unwrap_or(0.0) as i64),
            );
        }
        if let Some(c) = event.metrics.get("cost_usd").and_then(Value::as_f64) {
            cost += c;
        }
        events.push(serde_json::to_value(event).unwrap_or(Value::Null));
    }
    let spans_json = spans.root.map_or_else(Vec::new, |r| vec![spans.tree(r)]);
    let mut log = Map::with_capacity(5);
    log.insert("flow_id".into(), Value::from(flow_id));
    if let Some(tenant) = tenant {
        // Only a run with a tenant says so (contract §3.8).
        log.insert("tenant".into(), Value::from(tenant));
    }
    log.insert("events".into(), Value::Array(events));
    log.insert("spans".into(), Value::Array(spans_json));
    let summary = json!({
        "events": stream.len(),
        "errors": errors,
        "duration_ms": spans.root_duration(),
        "tokens": tokens,
        // A sum past the largest double is null, as JSON has no infinity (contract §3.6).
        "cost_usd": cost.is_finite().then_some(cost),
        "dropped": stream.dropped(),
    });
    log.insert("summary".into(), summary);
    Value::Object(log)
}
