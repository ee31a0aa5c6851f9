//! What is known about one run in progress; the rule families (`identity`, `nesting`,
//! `lifecycle`, `timing`) add their checks to [`FlowState`] in their own files, and `flow` drives
//! them event by event.

use std::collections::HashMap;

use super::facts::{Id, Parent};
use super::levels::LevelGate;
use super::sequence::Sequence;
use super::span::SpanState;
use super::violation::{StructureViolation, ViolationKind};

/// Runs with at most this many spans find them by search, without an index.
const SMALL_RUN: usize = 8;

/// One run whose root span has not ended yet.
#[derive(Debug)]
pub(crate) struct FlowState {
    pub(crate) id: Id,
    pub(crate) first_line: u64,
    /// The line of the flow's latest event.
    pub(crate) last_line: u64,
    pub(crate) seq: Sequence,
    pub(crate) levels: LevelGate,
    pub(crate) spans: Vec<SpanState>,
    /// Span ids to indexes, built once the run has more than [`SMALL_RUN`] spans (a smaller
    /// run is searched: memory per open run is what bounds `validate`).
    index: HashMap<Id, usize>,
    pub(crate) root: Option<usize>,
    /// Spans whose parent had not entered when they started, by parent id.
    pub(crate) waiting: HashMap<Id, Vec<usize>>,
    pub(crate) version_reported: bool,
    /// The run's first event's tenant and line: every event of a run carries the same one, or
    /// none does (contract §3.8).
    pub(crate) tenant: Option<(Option<Box<str>>, u64)>,
    pub(crate) tenant_reported: bool,
    /// A unit plausibility warning was given: one per run.
    pub(crate) units_reported: bool,
    /// The log's count of unreadable lines at this run's latest event.
    pub(crate) unreadable_mark: u64,
    /// Unreadable lines between this run's previous event and the current one.
    pub(crate) unreadable_before: u64,
    /// Unreadable lines since this run's first event: any of them may have been one of its
    /// entries or exits, so their absence is not reported again.
    pub(crate) unreadable_within: u64,
    /// Events of this run seen so far.
    pub(crate) events_seen: u64,
}

impl FlowState {
    /// A flow first seen at `first_line`.
    pub(crate) fn new(id: Id, first_line: u64) -> Self {
        Self {
            id,
            first_line,
            last_line: first_line,
            seq: Sequence::default(),
            levels: LevelGate::default(),
            spans: Vec::new(),
            index: HashMap::new(),
            root: None,
            waiting: HashMap::new(),
            version_reported: false,
            tenant: None,
            tenant_reported: false,
            units_reported: false,
            unreadable_mark: 0,
            unreadable_before: 0,
            unreadable_within: 0,
            events_seen: 0,
        }
    }

    /// A finding of this flow, about span `span` (an index into `spans`) when there is one.
    pub(crate) fn violation(
        &self,
        kind: ViolationKind,
        line: u64,
        seq: Option<u64>,
        span: Option<usize>,
        message: String,
    ) -> StructureViolation {
        StructureViolation {
            flow_id: self.id.to_string(),
            span_id: span.map(|i| self.spans[i].id.to_string()),
            seq,
            line,
            kind,
            message,
        }
    }

    /// The index of span `idx`'s parent, once the parent has appeared.
    pub(crate) fn parent_index(&self, idx: usize) -> Option<usize> {
        match &self.spans[idx].parent {
            Parent::Span(parent_id) => self.find(parent_id),
            Parent::Root | Parent::Unknown => None,
        }
    }

    /// The index of span `id`, once it has appeared.
    pub(crate) fn find(&self, id: &Id) -> Option<usize> {
        if self.spans.len() <= SMALL_RUN {
            self.spans.iter().position(|span| span.id == *id)
        } else {
            self.index.get(id).copied()
        }
    }

    /// Adds a span first seen in `facts` at `line`; returns its index.
    pub(crate) fn add_span(&mut self, span: SpanState) -> usize {
        let idx = self.spans.len();
        if idx < SMALL_RUN && idx == self.spans.capacity() {
            // One at a time while small: a run of one span holds one, not four.
            self.spans.reserve_exact(1);
        }
        if idx == SMALL_RUN {
            self.index = self
                .spans
                .iter()
                .enumerate()
                .map(|(i, span)| (span.id.clone(), i))
                .collect();
        }
        if idx >= SMALL_RUN {
            self.index.insert(span.id.clone(), idx);
        }
        self.spans.push(span);
        idx
    }
}
