//! Writing a planned log as the snapshot body (contract §4 step 5), one event at a time: each
//! event is parsed (when held as text), made canonical and written, then dropped, so the
//! normalized tree never exists whole. The text is exactly what [`Canon::to_yaml`] gives for the
//! whole tree: maps sorted by key (the last of equal keys kept), the span's fields before its
//! `timeline`, which sorts last.

use std::collections::BTreeMap;

use serde_json::Value;

use super::canon::{Canon, pad, write_map, write_nested, write_string};
use super::nested::{self, Context};
use super::source::EventSource;
use super::tree::{FlowPlan, Item, SpanPlan};

/// Span-level fields, taken from the span's first event.
const SPAN_FIELDS: [&str; 3] = ["node", "kind", "action"];

/// Fields that the tree itself expresses (or that contract §4 step 3 drops).
const STRUCTURAL_FIELDS: [&str; 5] = ["flow_id", "span_id", "timestamp", "seq", "event_type"];

/// Text handed to the sink at a time, at least.
const CHUNK: usize = 1 << 16;

/// Where the rendered text goes: kept whole, or handed on in chunks.
pub(crate) struct Out<'o> {
    pub(crate) buf: String,
    sink: Option<&'o mut dyn FnMut(&str)>,
}

impl<'o> Out<'o> {
    /// Keeps the whole text in [`Out::buf`].
    pub(crate) fn whole() -> Self {
        Self {
            buf: String::new(),
            sink: None,
        }
    }

    /// Hands the text to `sink` in chunks.
    pub(crate) fn chunked(sink: &'o mut dyn FnMut(&str)) -> Self {
        Self {
            buf: String::with_capacity(CHUNK * 2),
            sink: Some(sink),
        }
    }

    fn flush_if_full(&mut self) {
        if self.buf.len() >= CHUNK {
            self.flush();
        }
    }

    /// Hands what is buffered to the sink (if any).
    pub(crate) fn flush(&mut self) {
        if let Some(sink) = &mut self.sink {
            sink(&self.buf);
            self.buf.clear();
        }
    }
}

/// Writes planned flows, reading their events from a source.
pub(crate) struct Renderer<'r, 'p, 'a, S: ?Sized> {
    pub(crate) events: &'r S,
    pub(crate) context: Context<'p, 'a>,
}

impl<S: EventSource + ?Sized> Renderer<'_, '_, '_, S> {
    /// The whole tree: `flow#N` → root span label → span.
    pub(crate) fn write_tree(&self, flows: &[FlowPlan], out: &mut Out<'_>) {
        if flows.is_empty() {
            out.buf.push_str("{}\n");
            return;
        }
        for flow in sorted_last_wins(flows, |flow| &flow.label) {
            write_string(&mut out.buf, &flow.label);
            out.buf.push(':');
            let roots = sorted_last_wins(&flow.roots, |root| &root.label);
            if roots.is_empty() {
                out.buf.push_str(" {}\n");
                continue;
            }
            out.buf.push('\n');
            for root in roots {
                pad(&mut out.buf, 2);
                write_string(&mut out.buf, &root.label);
                out.buf.push_str(":\n");
                self.write_span(root, 4, out);
            }
        }
    }

    /// A span's entries at `indent`: its fields, then its timeline item by item.
    fn write_span(&self, span: &SpanPlan, indent: usize, out: &mut Out<'_>) {
        let first = self.events.value(span.first_event);
        let mut fields = BTreeMap::new();
        for field in SPAN_FIELDS {
            if let Some(value) = first.get(field) {
                fields.insert(field.to_owned(), self.context.value(value));
            }
        }
        if let Some(parent) = &span.missing_parent {
            fields.insert("parent".to_owned(), Canon::String(parent.clone()));
        }
        write_map(&mut out.buf, &fields, indent, false);
        pad(&mut out.buf, indent);
        out.buf.push_str("timeline:\n");
        for item in &span.timeline {
            pad(&mut out.buf, indent + 2);
            out.buf.push_str("- ");
            match item {
                Item::Event(index) => {
                    let parsed;
                    let event = if *index == span.first_event {
                        &*first
                    } else {
                        parsed = self.events.value(*index);
                        &*parsed
                    };
                    let event_type = event.get("event_type").and_then(Value::as_str);
                    let body = self.event(event, &first, event_type.unwrap_or(""));
                    write_string(
                        &mut out.buf,
                        &self.context.labels.relabel(event_type.unwrap_or("")),
                    );
                    out.buf.push(':');
                    write_nested(&mut out.buf, &body, indent + 6, false);
                    out.flush_if_full();
                }
                Item::Span(child) => {
                    write_string(&mut out.buf, &child.label);
                    out.buf.push_str(":\n");
                    self.write_span(child, indent + 6, out);
                }
            }
        }
    }

    /// One event's body: its fields but those the tree expresses, and those equal to its span's.
    fn event(&self, event: &Value, first: &Value, event_type: &str) -> Canon {
        let mut map = BTreeMap::new();
        let Some(object) = event.as_object() else {
            return Canon::Map(map);
        };
        for (key, value) in object {
            if STRUCTURAL_FIELDS.contains(&key.as_str()) {
                continue;
            }
            let same_as_span = (SPAN_FIELDS.contains(&key.as_str()) || key == "parent_id")
                && first.get(key) == Some(value);
            if same_as_span {
                continue;
            }
            let canon = if key == "metrics" && nested::measures_duration(event_type) {
                self.context.metrics(value)
            } else {
                self.context.value(value)
            };
            map.insert(self.context.labels.relabel(key).into_owned(), canon);
        }
        Canon::Map(map)
    }
}

/// `items` sorted by `key` as a `BTreeMap` collected from them would hold them: of equal keys,
/// only the last.
fn sorted_last_wins<T>(items: &[T], key: impl Fn(&T) -> &String) -> Vec<&T> {
    let mut sorted: Vec<&T> = items.iter().collect();
    // Stable: equal keys keep their order, and the last of each run is kept.
    sorted.sort_by(|a, b| key(a).cmp(key(b)));
    let mut kept: Vec<&T> = Vec::with_capacity(sorted.len());
    for item in sorted {
        match kept.last_mut() {
            Some(last) if key(last) == key(item) => *last = item,
            _ => kept.push(item),
        }
    }
    kept
}
