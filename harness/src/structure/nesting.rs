//! Nesting (contract §3.2 "children start after its entry and end before its end", §4 step 3):
//! a child span lies inside its parent's interval, by order of events and by timestamp.

use super::facts::{EventFacts, Parent};
use super::state::FlowState;
use super::violation::{StructureViolation, ViolationKind};

impl FlowState {
    /// Reports `child` as outside its parent's interval, once per span.
    pub(crate) fn report_outside(
        &mut self,
        child: usize,
        line: u64,
        seq: Option<u64>,
        what: String,
        out: &mut Vec<StructureViolation>,
    ) {
        if self.spans[child].outside_reported {
            return;
        }
        self.spans[child].outside_reported = true;
        let message = format!("{} {what}", self.spans[child].describe());
        out.push(self.violation(
            ViolationKind::ChildOutsideParent,
            line,
            seq,
            Some(child),
            message,
        ));
    }

    /// Span `idx` starts under `parent`, which has appeared: not after the parent's end, nor
    /// before its entry. A parent not entered yet is judged at its entry (`report_early_children`).
    pub(crate) fn check_start(
        &mut self,
        idx: usize,
        parent: usize,
        facts: &EventFacts,
        line: u64,
        out: &mut Vec<StructureViolation>,
    ) {
        let parent_span = &self.spans[parent];
        if parent_span.ended() {
            let what = format!(
                "starts after its parent {} ended at line {}",
                parent_span.describe(),
                parent_span.end_line.unwrap_or_default()
            );
            self.report_outside(idx, line, facts.seq, what, out);
        } else if !parent_span.entered() {
            let parent_id = parent_span.id.clone();
            self.waiting.entry(parent_id).or_default().push(idx);
        } else if let (Some(ts), Some(parent_ts)) = (facts.timestamp, parent_span.entry_ts) {
            if ts < parent_ts {
                let what = format!(
                    "starts at timestamp {ts}, before its parent {}'s entry at {parent_ts} (line \
                     {})",
                    parent_span.describe(),
                    parent_span.entry_line.unwrap_or_default()
                );
                self.report_outside(idx, line, facts.seq, what, out);
            }
        }
    }

    /// Span `idx` has just entered: children that started before this entry lie outside its
    /// interval.
    pub(crate) fn report_early_children(
        &mut self,
        idx: usize,
        line: u64,
        out: &mut Vec<StructureViolation>,
    ) {
        let Some(children) = self.waiting.remove(&self.spans[idx].id) else {
            return;
        };
        let parent_desc = self.spans[idx].describe();
        for child in children {
            let child_line = self.spans[child].first_line;
            let child_seq = self.spans[child].first_seq;
            self.report_outside(
                child,
                child_line,
                child_seq,
                format!("starts before its parent {parent_desc}'s entry at line {line}"),
                out,
            );
        }
    }

    /// Any event of a child after its parent ended lies outside the parent's interval.
    pub(crate) fn check_parent_not_ended(
        &mut self,
        idx: usize,
        facts: &EventFacts,
        line: u64,
        out: &mut Vec<StructureViolation>,
    ) {
        let Parent::Span(parent_id) = &self.spans[idx].parent else {
            return;
        };
        let Some(parent) = self.find(parent_id) else {
            return;
        };
        if let Some(end_line) = self.spans[parent].end_line {
            let what = format!(
                "has an event after its parent {} ended at line {end_line}",
                self.spans[parent].describe()
            );
            self.report_outside(idx, line, facts.seq, what, out);
        }
    }

    /// Span `idx` has just ended: remembers its end timestamp on its parent, then checks that
    /// its own children did not end later (contract §3.2: a span's children end before it ends;
    /// by order, see `check_parent_not_ended`).
    pub(crate) fn check_end_inside(
        &mut self,
        idx: usize,
        facts: &EventFacts,
        line: u64,
        out: &mut Vec<StructureViolation>,
    ) {
        let Some(ts) = facts.timestamp else {
            return;
        };
        if let Some(parent) = self.parent_index(idx) {
            let later = self.spans[parent]
                .latest_child_end
                .is_none_or(|(latest, _)| ts > latest);
            if later {
                self.spans[parent].latest_child_end = Some((ts, idx));
            }
        }
        // A child still open now is reported when its next event comes (outside the parent) or
        // when the flow ends (missing exit): which one is not known yet.
        if let Some((child_ts, child)) = self.spans[idx].latest_child_end {
            if child_ts > ts {
                let desc = self.spans[idx].describe();
                self.report_outside(
                    child,
                    line,
                    facts.seq,
                    format!("ends at timestamp {child_ts}, after its parent {desc} ends at {ts}"),
                    out,
                );
            }
        }
    }
}
