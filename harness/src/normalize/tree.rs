//! Grouping events by run and building each run's span tree in canonical order
//! (contract §4 steps 1–3).
//!
//! Step 1 groups events by `flow_id` (flows in order of first appearance) and builds the span tree
//! from `span_id`/`parent_id`. Step 2 orders each span's timeline (its own events and its child
//! spans) by `seq`, a child placed at its first event, except that the children of a `parallel`
//! span are ordered by `node`: branches run concurrently, so their relative order is not part of
//! the contract. Step 3's labels are given in that canonical order, depth first.

use std::collections::HashMap;

use indexmap::IndexMap;
use serde_json::{Map, Value};
use yamlflow::SpanKind;

use super::error::NormalizeError;
use super::labels::Labels;

/// Deepest span nesting followed; a deeper (hostile) log is refused rather than overflowing the
/// stack.
pub(crate) const MAX_DEPTH: usize = 1000;

/// The fields of one event that the tree is built from; the rest stays in `object`.
#[derive(Debug)]
pub(crate) struct EventRef<'a> {
    pub(crate) object: &'a Map<String, Value>,
    pub(crate) flow_id: &'a str,
    pub(crate) span_id: &'a str,
    pub(crate) parent_id: Option<&'a str>,
    pub(crate) seq: u64,
    pub(crate) event_type: &'a str,
}

impl<'a> EventRef<'a> {
    /// Reads the fields normalization relies on; any other field may be anything.
    pub(crate) fn parse(line: usize, value: &'a Value) -> Result<Self, NormalizeError> {
        let object = value
            .as_object()
            .ok_or(NormalizeError::NotAnObject { line })?;
        let string = |field: &'static str| -> Result<&'a str, NormalizeError> {
            match object.get(field) {
                None => Err(NormalizeError::MissingField { line, field }),
                Some(Value::String(s)) => Ok(s.as_str()),
                Some(_) => Err(NormalizeError::WrongType {
                    line,
                    field,
                    expected: "a string",
                }),
            }
        };
        let parent_id = match object.get("parent_id") {
            None => {
                return Err(NormalizeError::MissingField {
                    line,
                    field: "parent_id",
                });
            }
            Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.as_str()),
            Some(_) => {
                return Err(NormalizeError::WrongType {
                    line,
                    field: "parent_id",
                    expected: "a string or null",
                });
            }
        };
        let seq = match object.get("seq") {
            None => return Err(NormalizeError::MissingField { line, field: "seq" }),
            Some(value) => value.as_u64().ok_or(NormalizeError::WrongType {
                line,
                field: "seq",
                expected: "an integer ≥ 0",
            })?,
        };
        Ok(Self {
            object,
            flow_id: string("flow_id")?,
            span_id: string("span_id")?,
            parent_id,
            seq,
            event_type: string("event_type")?,
        })
    }

    /// The `kind` field when it is a string.
    fn kind(&self) -> Option<&'a str> {
        self.object.get("kind").and_then(Value::as_str)
    }

    /// The `node` field when it is a string (the sort key of parallel children).
    fn node(&self) -> &'a str {
        self.object
            .get("node")
            .and_then(Value::as_str)
            .unwrap_or("")
    }
}

/// One span under construction: its events (indices into the flow's seq-sorted events) and
/// children (indices into the flow's spans).
#[derive(Debug)]
struct SpanBuild<'a> {
    id: &'a str,
    parent: Option<&'a str>,
    first_seq: u64,
    events: Vec<usize>,
    children: Vec<usize>,
}

/// A flow in canonical order, ready to render.
#[derive(Debug)]
pub(crate) struct FlowPlan<'a> {
    pub(crate) label: String,
    /// The flow's events sorted by `seq` (input order among equal `seq`).
    pub(crate) events: Vec<EventRef<'a>>,
    /// Root spans (no parent, or a parent that is not in the log), by first `seq`.
    pub(crate) roots: Vec<SpanPlan>,
}

/// A span in canonical order.
#[derive(Debug)]
pub(crate) struct SpanPlan {
    pub(crate) label: String,
    /// Index of the span's first event in [`FlowPlan::events`]: its `node`, `kind` and `action`
    /// are the span's.
    pub(crate) first_event: usize,
    /// The label of a `parent_id` that names no span of the flow.
    pub(crate) missing_parent: Option<String>,
    pub(crate) timeline: Vec<Item>,
}

/// One entry of a span's timeline.
#[derive(Debug)]
pub(crate) enum Item {
    /// An event of the span itself (index into [`FlowPlan::events`]).
    Event(usize),
    /// A child span.
    Span(SpanPlan),
}

/// Every flow of the log in canonical order, the labels given to their ids, and each event's
/// canonical position (keyed by `flow_id` and `seq`), used to order event lists found in `data`.
#[derive(Debug)]
pub(crate) struct Plan<'a> {
    pub(crate) flows: Vec<FlowPlan<'a>>,
    pub(crate) labels: Labels,
    pub(crate) event_order: HashMap<(&'a str, u64), usize>,
}

/// contract §4 steps 1–3 (ordering and labels) over a whole log.
pub(crate) fn plan(events: &[Value]) -> Result<Plan<'_>, NormalizeError> {
    let mut by_flow: IndexMap<&str, Vec<EventRef<'_>>> = IndexMap::new();
    for (line, value) in (1..).zip(events) {
        let event = EventRef::parse(line, value)?;
        by_flow.entry(event.flow_id).or_default().push(event);
    }
    let mut plan = Plan {
        flows: Vec::with_capacity(by_flow.len()),
        labels: Labels::default(),
        event_order: HashMap::with_capacity(events.len()),
    };
    for (flow_id, mut flow_events) in by_flow {
        // Stable: events with equal seq (an invalid log) keep their input order.
        flow_events.sort_by_key(|event| event.seq);
        let label = plan.labels.add_flow(flow_id);
        plan.labels.restart_spans();
        let roots = FlowBuilder::new(flow_id, &flow_events).build(&mut plan)?;
        plan.flows.push(FlowPlan {
            label,
            events: flow_events,
            roots,
        });
    }
    Ok(plan)
}

/// Builds one flow's span tree and walks it in canonical order.
struct FlowBuilder<'e, 'a> {
    flow_id: &'a str,
    events: &'e [EventRef<'a>],
    spans: IndexMap<&'a str, SpanBuild<'a>>,
    visited: usize,
}

impl<'e, 'a> FlowBuilder<'e, 'a> {
    fn new(flow_id: &'a str, events: &'e [EventRef<'a>]) -> Self {
        // Spans in order of their first event, so `first_seq` grows with the index.
        let mut spans: IndexMap<&str, SpanBuild<'_>> = IndexMap::new();
        for (index, event) in events.iter().enumerate() {
            spans
                .entry(event.span_id)
                .or_insert_with(|| SpanBuild {
                    id: event.span_id,
                    parent: event.parent_id,
                    first_seq: event.seq,
                    events: Vec::new(),
                    children: Vec::new(),
                })
                .events
                .push(index);
        }
        Self {
            flow_id,
            events,
            spans,
            visited: 0,
        }
    }

    fn build(mut self, plan: &mut Plan<'a>) -> Result<Vec<SpanPlan>, NormalizeError> {
        let mut roots = Vec::new();
        for index in 0..self.spans.len() {
            let parent = self.spans[index].parent;
            match parent.and_then(|p| self.spans.get_index_of(p)) {
                // A span that names itself as parent is a cycle: never a child, never a root.
                Some(parent_index) if parent_index == index => {}
                Some(parent_index) => self.spans[parent_index].children.push(index),
                None => roots.push(index),
            }
        }
        let mut planned = Vec::with_capacity(roots.len());
        for root in roots {
            let missing_parent = self.spans[root].parent.map(|p| plan.labels.missing(p));
            let mut span = self.walk(root, 0, plan)?;
            span.missing_parent = missing_parent;
            planned.push(span);
        }
        if self.visited < self.spans.len() {
            // Spans not reachable from a root sit on a parent_id cycle.
            let stranded = self
                .spans
                .values()
                .find(|span| span.parent.is_some_and(|p| self.spans.contains_key(p)))
                .map_or("", |span| span.id);
            return Err(NormalizeError::ParentCycle {
                flow_id: self.flow_id.to_owned(),
                span_id: stranded.to_owned(),
            });
        }
        Ok(planned)
    }

    /// Labels span `index`, then its timeline in canonical order, depth first.
    fn walk(
        &mut self,
        index: usize,
        depth: usize,
        plan: &mut Plan<'a>,
    ) -> Result<SpanPlan, NormalizeError> {
        if depth >= MAX_DEPTH {
            return Err(NormalizeError::TooDeep {
                flow_id: self.flow_id.to_owned(),
                limit: MAX_DEPTH,
            });
        }
        self.visited += 1;
        let span = &self.spans[index];
        let label = plan.labels.add_span(span.id);
        let first_event = span.events[0];
        let order = self.timeline_order(index);
        let mut timeline = Vec::with_capacity(order.len());
        for entry in order {
            match entry {
                Slot::Event(event) => {
                    let next = plan.event_order.len();
                    let key = (self.flow_id, self.events[event].seq);
                    plan.event_order.entry(key).or_insert(next);
                    timeline.push(Item::Event(event));
                }
                Slot::Span(child) => {
                    timeline.push(Item::Span(self.walk(child, depth + 1, plan)?))
                }
            }
        }
        Ok(SpanPlan {
            label,
            first_event,
            missing_parent: None,
            timeline,
        })
    }

    /// The span's own events and children merged by `seq` (contract §4 step 2), children of a
    /// `parallel` span re-ordered by `node` within the places they occupy.
    fn timeline_order(&self, index: usize) -> Vec<Slot> {
        let span = &self.spans[index];
        let mut slots: Vec<(u64, Slot)> = span
            .events
            .iter()
            .map(|&e| (self.events[e].seq, Slot::Event(e)))
            .chain(
                span.children
                    .iter()
                    .map(|&c| (self.spans[c].first_seq, Slot::Span(c))),
            )
            .collect();
        // Stable, and events come before children in `chain`: on a tie (an invalid log) the
        // span's own event goes first.
        slots.sort_by_key(|(seq, _)| *seq);
        let is_parallel = self.events[span.events[0]].kind() == Some(SpanKind::Parallel.as_str());
        if is_parallel {
            let mut children: Vec<usize> = span.children.clone();
            children.sort_by_key(|&c| self.events[self.spans[c].events[0]].node());
            let mut sorted = children.into_iter();
            for (_, slot) in &mut slots {
                if let Slot::Span(child) = slot {
                    if let Some(next) = sorted.next() {
                        *child = next;
                    }
                }
            }
        }
        slots.into_iter().map(|(_, slot)| slot).collect()
    }
}

#[derive(Debug, Clone, Copy)]
enum Slot {
    Event(usize),
    Span(usize),
}
