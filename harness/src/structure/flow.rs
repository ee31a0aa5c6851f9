//! One run, event by event: the order in which the rule families look at each event, and what
//! is reported when the run is over.

use yamlflow::{EventType, Level};

use super::facts::EventFacts;
use super::state::FlowState;
use super::violation::{StructureViolation, ViolationKind};

impl FlowState {
    /// Checks one event of this flow; returns whether it ended the root span.
    pub(crate) fn push(
        &mut self,
        facts: &EventFacts,
        line: u64,
        out: &mut Vec<StructureViolation>,
    ) -> bool {
        if let Some(level) = facts.level {
            self.levels.observe(level, out);
        }
        let known_span = facts.span.as_ref().and_then(|id| self.find(id));
        if let Some(seq) = facts.seq {
            let expected = self.seq.next();
            if let Some((kind, message)) = self.seq.check(seq) {
                // One cause, one finding: events missing where lines could not be read are
                // those lines (already reported as parse errors), not lost events.
                let explained = kind == ViolationKind::SeqGap
                    && seq > expected
                    && seq - expected <= self.unreadable_before;
                if !explained {
                    out.push(self.violation(kind, line, Some(seq), known_span, message));
                }
            }
        }
        let (Some(span_id), Some(event_type)) = (&facts.span, facts.event_type) else {
            return false;
        };
        let idx = match known_span {
            Some(idx) => {
                self.check_consistency(idx, facts, line, out);
                idx
            }
            None => self.open_span(span_id.clone(), facts, line, out),
        };
        self.check_parent_not_ended(idx, facts, line, out);
        self.check_duration(idx, facts, event_type, line, out);
        self.check_units(idx, facts, line, out);
        if let Some(ts) = facts.timestamp {
            self.check_timestamp(idx, ts, facts.seq, line, out);
        }
        match event_type {
            EventType::Entry => {
                self.on_entry(idx, facts, line, out);
                false
            }
            _ => self.on_non_entry(idx, facts, event_type, line, out),
        }
    }

    /// The flow is over (its root ended, or the log did): report what never came.
    pub(crate) fn finalize(mut self, out: &mut Vec<StructureViolation>) {
        self.report_missing_exits(out);
        if !self.levels.lets_through(Level::Info) {
            // The level filter may have removed every info event (entries, exits, roots):
            // nothing below can be told from filtering.
            return;
        }
        self.report_missing_parents(out);
    }
}
