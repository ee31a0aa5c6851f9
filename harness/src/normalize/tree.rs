//! Grouping events by run and building each run's span tree in canonical order
//! (contract §4 steps 1–3).
//!
//! Step 1 groups events by `flow_id` (flows in order of first appearance) and builds the span tree
//! from `span_id`/`parent_id`. Step 2 orders each span's timeline (its own events and its child
//! spans) by `seq`, a child placed at its first event, except that the children of a `parallel`
//! span are ordered by `node`: branches run concurrently, so their relative order is not part of
//! the contract. Step 3's labels are given in that canonical order, depth first.

use std::borrow::Cow;
use std::collections::HashMap;

use indexmap::{IndexMap, IndexSet};
use yamlflow::SpanKind;

use super::error::NormalizeError;
use super::labels::Labels;
use super::source::{EventSource, Head};

/// Deepest span nesting followed; a deeper (hostile) log is refused rather than overflowing the
/// stack.
pub(crate) const MAX_DEPTH: usize = 1000;

/// One event of the flow being built: its index in the log and its head.
type Placed<'a> = (usize, Head<'a>);

/// One span under construction: its events (positions in the flow's seq-sorted events) and
/// children (indices into the flow's spans).
#[derive(Debug)]
struct SpanBuild<'h> {
    id: &'h str,
    parent: Option<&'h str>,
    first_seq: u64,
    events: Vec<usize>,
    children: Vec<usize>,
}

/// A flow in canonical order, ready to render.
#[derive(Debug)]
pub(crate) struct FlowPlan {
    pub(crate) label: String,
    /// Root spans (no parent, or a parent that is not in the log), by first `seq`.
    pub(crate) roots: Vec<SpanPlan>,
}

/// A span in canonical order.
#[derive(Debug)]
pub(crate) struct SpanPlan {
    pub(crate) label: String,
    /// The log index of the span's first event: its `node`, `kind` and `action` are the span's.
    pub(crate) first_event: usize,
    /// The label of a `parent_id` that names no span of the flow.
    pub(crate) missing_parent: Option<String>,
    pub(crate) timeline: Vec<Item>,
}

/// One entry of a span's timeline.
#[derive(Debug)]
pub(crate) enum Item {
    /// An event of the span itself (its index in the log).
    Event(usize),
    /// A child span.
    Span(Box<SpanPlan>),
}

/// Each event's canonical position, keyed by its run and `seq`: the order of event lists found in
/// `data`.
#[derive(Debug, Default)]
pub(crate) struct EventOrder<'a> {
    /// The log's `flow_id`s, in order of first appearance.
    flows: IndexSet<Cow<'a, str>>,
    positions: HashMap<(usize, u64), usize>,
}

impl EventOrder<'_> {
    /// The canonical position of the event `seq` of run `flow_id`, when the log has it.
    pub(crate) fn position(&self, flow_id: &str, seq: u64) -> Option<usize> {
        let flow = self.flows.get_index_of(flow_id)?;
        self.positions.get(&(flow, seq)).copied()
    }

    fn place(&mut self, flow: usize, seq: u64) {
        let next = self.positions.len();
        self.positions.entry((flow, seq)).or_insert(next);
    }
}

/// Every flow of the log in canonical order, the labels given to their ids, and each event's
/// canonical position.
#[derive(Debug)]
pub(crate) struct Plan<'a> {
    pub(crate) flows: Vec<FlowPlan>,
    pub(crate) labels: Labels,
    pub(crate) order: EventOrder<'a>,
}

/// contract §4 steps 1–3 (ordering and labels) over a whole log. Only each event's index is kept
/// for the whole log; a flow's heads are read again when its tree is built, and dropped after.
pub(crate) fn plan<S: EventSource + ?Sized>(events: &S) -> Result<Plan<'_>, NormalizeError> {
    let mut by_flow: IndexMap<Cow<'_, str>, Vec<usize>> = IndexMap::new();
    for index in 0..events.event_count() {
        let head = Head::read(events, index)?;
        by_flow.entry(head.flow_id).or_default().push(index);
    }
    let mut plan = Plan {
        flows: Vec::with_capacity(by_flow.len()),
        labels: Labels::default(),
        order: EventOrder {
            flows: IndexSet::with_capacity(by_flow.len()),
            positions: HashMap::with_capacity(events.event_count()),
        },
    };
    for (flow_index, (flow_id, indices)) in by_flow.into_iter().enumerate() {
        let mut flow_events = indices
            .into_iter()
            .map(|index| Head::read(events, index).map(|head| (index, head)))
            .collect::<Result<Vec<Placed<'_>>, _>>()?;
        // Stable: events with equal seq (an invalid log) keep their input order.
        flow_events.sort_by_key(|(_, event)| event.seq);
        let label = plan.labels.add_flow(&flow_id);
        plan.labels.restart_spans();
        let roots = FlowBuilder::new(&flow_id, flow_index, &flow_events).build(&mut plan)?;
        plan.order.flows.insert(flow_id);
        plan.flows.push(FlowPlan { label, roots });
    }
    Ok(plan)
}

/// Builds one flow's span tree and walks it in canonical order.
struct FlowBuilder<'h, 'a> {
    flow_id: &'h str,
    /// The flow's index in the log's order of first appearance.
    flow_index: usize,
    events: &'h [Placed<'a>],
    spans: IndexMap<&'h str, SpanBuild<'h>>,
    visited: usize,
}

impl<'h, 'a> FlowBuilder<'h, 'a> {
    fn new(flow_id: &'h str, flow_index: usize, events: &'h [Placed<'a>]) -> Self {
        // Spans in order of their first event, so `first_seq` grows with the index.
        let mut spans: IndexMap<&str, SpanBuild<'_>> = IndexMap::new();
        for (index, (_, event)) in events.iter().enumerate() {
            spans
                .entry(&event.span_id)
                .or_insert_with(|| SpanBuild {
                    id: &event.span_id,
                    parent: event.parent_id.as_deref(),
                    first_seq: event.seq,
                    events: Vec::new(),
                    children: Vec::new(),
                })
                .events
                .push(index);
        }
        Self {
            flow_id,
            flow_index,
            events,
            spans,
            visited: 0,
        }
    }

    fn build(mut self, plan: &mut Plan<'_>) -> Result<Vec<SpanPlan>, NormalizeError> {
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
        plan: &mut Plan<'_>,
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
        let first_event = self.events[span.events[0]].0;
        let order = self.timeline_order(index);
        let mut timeline = Vec::with_capacity(order.len());
        for entry in order {
            match entry {
                Slot::Event(event) => {
                    let (index, head) = &self.events[event];
                    plan.order.place(self.flow_index, head.seq);
                    timeline.push(Item::Event(*index));
                }
                Slot::Span(child) => {
                    timeline.push(Item::Span(Box::new(self.walk(child, depth + 1, plan)?)));
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
            .map(|&e| (self.events[e].1.seq, Slot::Event(e)))
            .chain(
                span.children
                    .iter()
                    .map(|&c| (self.spans[c].first_seq, Slot::Span(c))),
            )
            .collect();
        // Stable, and events come before children in `chain`: on a tie (an invalid log) the
        // span's own event goes first.
        slots.sort_by_key(|(seq, _)| *seq);
        let is_parallel =
            self.events[span.events[0]].1.kind.as_deref() == Some(SpanKind::Parallel.as_str());
        if is_parallel {
            let mut children: Vec<usize> = span.children.clone();
            children.sort_by_key(|&c| {
                self.events[self.spans[c].events[0]]
                    .1
                    .node
                    .as_deref()
                    .unwrap_or("")
            });
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
