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
mod render;
mod source;
mod tree;

use std::fmt;

use serde_json::Value;

pub use canon::{Canon, canonical_number};
pub use error::NormalizeError;
pub use source::EventSource;

use nested::Context;
use render::{Out, Renderer};
use tree::Plan;

/// A normalized event log: one canonical tree per run (contract §4), rendered on demand from the
/// events it was planned from. Two logs are equal runs exactly when their
/// [`to_yaml`](Self::to_yaml) texts are equal (which is what `==` compares).
pub struct Normalized<'e, S: ?Sized> {
    plan: Plan<'e>,
    events: &'e S,
}

impl<S: EventSource + ?Sized> Normalized<'_, S> {
    /// The snapshot body: the canonical tree as block YAML, keys sorted (contract §4 step 5).
    #[must_use]
    pub fn to_yaml(&self) -> String {
        let mut out = Out::whole();
        self.renderer().write_tree(&self.plan.flows, &mut out);
        // Grown by doubling: up to twice the text, for as long as the text is kept.
        out.buf.shrink_to_fit();
        out.buf
    }

    /// Writes [`to_yaml`](Self::to_yaml)'s text to `sink` in chunks, never holding it whole.
    pub fn write_yaml(&self, sink: &mut dyn FnMut(&str)) {
        let mut out = Out::chunked(sink);
        self.renderer().write_tree(&self.plan.flows, &mut out);
        out.flush();
    }

    /// How many runs the log held.
    #[must_use]
    pub fn flow_count(&self) -> usize {
        self.plan.flows.len()
    }

    fn renderer(&self) -> Renderer<'_, '_, '_, S> {
        Renderer {
            events: self.events,
            context: Context {
                labels: &self.plan.labels,
                order: &self.plan.order,
            },
        }
    }
}

impl<S: EventSource + ?Sized> PartialEq for Normalized<'_, S> {
    fn eq(&self, other: &Self) -> bool {
        self.to_yaml() == other.to_yaml()
    }
}

impl<S: EventSource + ?Sized> fmt::Debug for Normalized<'_, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_yaml())
    }
}

/// Normalizes a list of events (one run or several, in any order) per contract §4.
///
/// # Errors
/// [`NormalizeError`] when an event lacks `flow_id`, `span_id`, `parent_id`, `seq` or
/// `event_type` (or has them with the wrong type), or when `parent_id`s form a cycle. Every
/// schema-valid event has those fields.
pub fn normalize(events: &[Value]) -> Result<Normalized<'_, [Value]>, NormalizeError> {
    normalize_source(events)
}

/// [`normalize`] for events from any [`EventSource`] (a log held as lines of JSON).
///
/// # Errors
/// As [`normalize`].
pub fn normalize_source<S: EventSource + ?Sized>(
    events: &S,
) -> Result<Normalized<'_, S>, NormalizeError> {
    Ok(Normalized {
        plan: tree::plan(events)?,
        events,
    })
}

/// Normalizes a value that belongs to the run of `events` (a run's final state, which may hold
/// flow logs and events from `obs.*` actions) by the rules applied to values inside events:
/// the run's ids become their labels, nested events, span records and flow logs lose what varies.
///
/// # Errors
/// As [`normalize`], for the events.
pub fn normalize_value<S: EventSource + ?Sized>(
    events: &S,
    value: &Value,
) -> Result<Canon, NormalizeError> {
    normalize_end(events, None, value)
}

/// [`normalize_value`] for what an engine reports at the end of a run: its own id `flow_id`, when
/// no event of the log carries it (observability off), is a run id too, labelled after the log's
/// runs (contract §4 step 3), since a flow log in the state still names it.
///
/// # Errors
/// As [`normalize_value`].
pub fn normalize_end<S: EventSource + ?Sized>(
    events: &S,
    flow_id: Option<&str>,
    value: &Value,
) -> Result<Canon, NormalizeError> {
    let mut plan = tree::plan(events)?;
    if let Some(id) = flow_id {
        plan.labels.add_run(id);
    }
    let context = Context {
        labels: &plan.labels,
        order: &plan.order,
    };
    Ok(context.value(value))
}

#[cfg(test)]
mod tests;
