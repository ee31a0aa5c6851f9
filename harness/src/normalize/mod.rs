//! Normalization of event logs: what the harness compares (contract §4).
//!
//! [`normalize`] works on any list of schema-valid events, from any runtime, one run or many:
//! 1. events are grouped by `flow_id` (flows in order of first appearance, `flow#1`, `flow#2`…)
//!    and each flow's span tree is built from `span_id`/`parent_id`;
//! 2. each span's timeline (its own events and its child spans, a child placed at its first
//!    event) is ordered by `seq`, except that the children of a `parallel` span are ordered by
//!    `node`;
//! 3. ids become labels in that canonical order (`span#1` is each flow's first span), `timestamp`
//!    and `seq` are dropped and `metrics.duration_ms` becomes `<duration_ms>`;
//! 4. numbers are spelled in their RFC 8785 canonical form and keys are sorted, so `1` equals
//!    `1.0` and key order never matters;
//! 5. [`Normalized::to_yaml`] renders the tree, the body of `expected/<fixture>.snap`.
//!
//! The checks contract §4 step 3 asks for before dropping timestamps and `seq` (timestamps
//! non-decreasing within a span, children inside their parent's interval, `duration_ms ≥ 0`, no
//! `seq` gaps) are [`crate::structure::check_events`]'s job; the harness runs it on the same
//! events. Normalization itself only refuses what it cannot order: an event without the fields
//! that place it, or a `parent_id` cycle.
//!
//! The same rules apply to events, span records and flow logs found inside `data` (see
//! [`nested`](self) and contract §3.6).
//!
//! The rendered tree, for one run:
//! ```yaml
//! flow#1:
//!   span#1:
//!     action: null
//!     kind: flow
//!     node: order_pipeline
//!     timeline:
//!       - entry:
//!           data:
//!             input: {}
//!           level: info
//!           message: flow started
//!           metrics: {}
//!       - span#2:
//!           action: state.set
//!           kind: node
//!           node: load
//!           timeline:
//!             - entry: …
//!             - exit: …
//!       - exit:
//!           …
//!           metrics:
//!             duration_ms: <duration_ms>
//! ```
//! An event's `node`, `kind`, `action` and `parent_id` are shown only where they differ from its
//! span's (which cannot happen in a structurally valid log).

mod canon;
mod error;
mod labels;
mod nested;
mod tree;

use std::collections::BTreeMap;

use serde_json::Value;

pub use canon::{Canon, canonical_number};
pub use error::NormalizeError;

use nested::Context;
use tree::{FlowPlan, Item, SpanPlan};

/// A normalized event log: one canonical tree per run (contract §4). Two logs are equal runs
/// exactly when their `Normalized` forms are equal, which is exactly when their
/// [`to_yaml`](Self::to_yaml) texts are equal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Normalized {
    tree: Canon,
    flows: usize,
}

impl Normalized {
    /// The snapshot body: the canonical tree as block YAML, keys sorted (contract §4 step 5).
    #[must_use]
    pub fn to_yaml(&self) -> String {
        self.tree.to_yaml()
    }

    /// The canonical tree (`flow#N` → root span label → span).
    #[must_use]
    pub fn tree(&self) -> &Canon {
        &self.tree
    }

    /// How many runs the log held.
    #[must_use]
    pub fn flow_count(&self) -> usize {
        self.flows
    }
}

/// Normalizes a list of events (one run or several, in any order) per contract §4.
///
/// # Errors
/// [`NormalizeError`] when an event lacks `flow_id`, `span_id`, `parent_id`, `seq` or
/// `event_type` (or has them with the wrong type), or when `parent_id`s form a cycle. Every
/// schema-valid event has those fields.
pub fn normalize(events: &[Value]) -> Result<Normalized, NormalizeError> {
    let plan = tree::plan(events)?;
    let context = Context {
        labels: &plan.labels,
        event_order: &plan.event_order,
    };
    let flows = plan.flows.len();
    let tree = Canon::Map(
        plan.flows
            .iter()
            .map(|flow| (flow.label.clone(), render_flow(flow, &context)))
            .collect(),
    );
    Ok(Normalized { tree, flows })
}

/// Normalizes a value that belongs to the run of `events` (a run's final state, which may hold
/// flow logs and events from `obs.*` actions) by the rules applied to values inside events:
/// the run's ids become their labels, nested events, span records and flow logs lose what varies.
///
/// # Errors
/// As [`normalize`], for the events.
pub fn normalize_value(events: &[Value], value: &Value) -> Result<Canon, NormalizeError> {
    normalize_end(events, None, value)
}

/// [`normalize_value`] for what an engine reports at the end of a run: its own id `flow_id`, when
/// no event of the log carries it (observability off), is a run id too, labelled after the log's
/// runs (contract §4 step 3), since a flow log in the state still names it.
///
/// # Errors
/// As [`normalize_value`].
pub fn normalize_end(
    events: &[Value],
    flow_id: Option<&str>,
    value: &Value,
) -> Result<Canon, NormalizeError> {
    let mut plan = tree::plan(events)?;
    if let Some(id) = flow_id {
        plan.labels.add_run(id);
    }
    let context = Context {
        labels: &plan.labels,
        event_order: &plan.event_order,
    };
    Ok(context.value(value))
}

fn render_flow(flow: &FlowPlan<'_>, context: &Context<'_, '_>) -> Canon {
    Canon::Map(
        flow.roots
            .iter()
            .map(|root| (root.label.clone(), render_span(flow, root, context)))
            .collect(),
    )
}

/// Span-level fields, taken from the span's first event.
const SPAN_FIELDS: [&str; 3] = ["node", "kind", "action"];

fn render_span(flow: &FlowPlan<'_>, span: &SpanPlan, context: &Context<'_, '_>) -> Canon {
    let first = &flow.events[span.first_event];
    let mut map = BTreeMap::new();
    for field in SPAN_FIELDS {
        if let Some(value) = first.object.get(field) {
            map.insert(field.to_owned(), context.value(value));
        }
    }
    if let Some(parent) = &span.missing_parent {
        map.insert("parent".to_owned(), Canon::String(parent.clone()));
    }
    let timeline = span
        .timeline
        .iter()
        .map(|item| match item {
            Item::Event(index) => {
                let event = &flow.events[*index];
                let body = render_event(flow, span.first_event, *index, context);
                single(context.labels.relabel(event.event_type).into_owned(), body)
            }
            Item::Span(child) => single(child.label.clone(), render_span(flow, child, context)),
        })
        .collect();
    map.insert("timeline".to_owned(), Canon::List(timeline));
    Canon::Map(map)
}

/// Fields that the tree itself expresses (or that contract §4 step 3 drops).
const STRUCTURAL_FIELDS: [&str; 5] = ["flow_id", "span_id", "timestamp", "seq", "event_type"];

fn render_event(
    flow: &FlowPlan<'_>,
    first_of_span: usize,
    index: usize,
    context: &Context<'_, '_>,
) -> Canon {
    let event = &flow.events[index];
    let first = &flow.events[first_of_span];
    let mut map = BTreeMap::new();
    for (key, value) in event.object {
        if STRUCTURAL_FIELDS.contains(&key.as_str()) {
            continue;
        }
        let same_as_span = (SPAN_FIELDS.contains(&key.as_str()) || key == "parent_id")
            && first.object.get(key) == Some(value);
        if same_as_span {
            continue;
        }
        let canon = if key == "metrics" && nested::measures_duration(event.event_type) {
            context.metrics(value)
        } else {
            context.value(value)
        };
        map.insert(context.labels.relabel(key).into_owned(), canon);
    }
    Canon::Map(map)
}

fn single(key: String, value: Canon) -> Canon {
    Canon::Map(BTreeMap::from([(key, value)]))
}

#[cfg(test)]
mod tests;
