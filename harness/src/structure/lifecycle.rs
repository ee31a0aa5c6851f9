//! A span's life (contract §3.2): one entry, then its logs, metrics and retries, then one exit
//! or final error; nothing of the span after its end.

use yamlflow::EventType;

use super::facts::EventFacts;
use super::state::FlowState;
use super::violation::{StructureViolation, ViolationKind};

/// How an event other than an entry is described, and the rule it breaks when it comes before
/// the entry.
struct Wording {
    noun: &'static str,
    ended: &'static str,
    early_kind: ViolationKind,
    early: &'static str,
}

/// A log, metric or retried error.
const INNER: Wording = Wording {
    noun: " event",
    ended: "ended",
    early_kind: ViolationKind::EventBeforeEntry,
    early: "comes before the span's entry",
};

/// An exit or final error.
const FINAL: Wording = Wording {
    noun: "",
    ended: "already ended",
    early_kind: ViolationKind::ExitBeforeEntry,
    early: "comes without an entry before it",
};

impl FlowState {
    pub(crate) fn on_entry(
        &mut self,
        idx: usize,
        facts: &EventFacts,
        line: u64,
        out: &mut Vec<StructureViolation>,
    ) {
        if let Some(first) = self.spans[idx].entry_line {
            let message = format!(
                "second entry of {}; its first entry is at line {first}",
                self.spans[idx].describe()
            );
            out.push(self.violation(
                ViolationKind::DuplicateEntry,
                line,
                facts.seq,
                Some(idx),
                message,
            ));
            return;
        }
        let span = &mut self.spans[idx];
        span.entry_line = Some(line);
        span.entry_seq = facts.seq;
        span.entry_ts = facts.timestamp;
        if span.ended() {
            // Its exit came first: reported as exit_before_entry already.
            return;
        }
        self.report_early_children(idx, line, out);
    }

    /// Any event of span `idx` but its entry: a log, metric or retried error, or (`facts` is
    /// final) its exit or final error. Returns whether it ended the root span.
    pub(crate) fn on_non_entry(
        &mut self,
        idx: usize,
        facts: &EventFacts,
        event_type: EventType,
        line: u64,
        out: &mut Vec<StructureViolation>,
    ) -> bool {
        let name = event_type.as_str();
        let ends = facts.is_final();
        let Wording {
            noun,
            ended,
            early_kind,
            early,
        } = if ends { FINAL } else { INNER };
        if self.report_after_end(idx, facts, line, out, |span| {
            format!("{name}{noun} of {span} after the span {ended}")
        }) {
            return false;
        }
        self.report_before_entry(idx, facts, line, out, early_kind, |span| {
            format!("{name}{noun} of {span} {early}")
        });
        if !ends {
            return false;
        }
        self.spans[idx].end_line = Some(line);
        self.check_end_inside(idx, facts, line, out);
        self.root == Some(idx)
    }

    /// Reports an event of span `idx` that comes after the span ended; returns whether it did.
    /// `what` says what came, given the span's description; the end's line is appended.
    fn report_after_end(
        &self,
        idx: usize,
        facts: &EventFacts,
        line: u64,
        out: &mut Vec<StructureViolation>,
        what: impl FnOnce(&str) -> String,
    ) -> bool {
        let Some(end_line) = self.spans[idx].end_line else {
            return false;
        };
        let message = format!("{} at line {end_line}", what(&self.spans[idx].describe()));
        out.push(self.violation(
            ViolationKind::EventAfterEnd,
            line,
            facts.seq,
            Some(idx),
            message,
        ));
        true
    }

    /// Reports (once per span, and only where the level filter lets the entry through) an event
    /// of span `idx` that comes before the span's entry.
    fn report_before_entry(
        &mut self,
        idx: usize,
        facts: &EventFacts,
        line: u64,
        out: &mut Vec<StructureViolation>,
        kind: ViolationKind,
        what: impl FnOnce(&str) -> String,
    ) {
        let span = &self.spans[idx];
        // An unreadable line of the run may have been the entry: the parse error says so.
        if span.entered() || span.before_entry_reported || self.unreadable_within > 0 {
            return;
        }
        let needs = span.entry_level();
        let message = what(&span.describe());
        self.spans[idx].before_entry_reported = true;
        let violation = self.violation(kind, line, facts.seq, Some(idx), message);
        self.levels.report(needs, violation, out);
    }

    /// At the flow's end: spans entered and never ended. One cause, one finding: a span that
    /// never ended inside another that never ended either (a run cut short) is counted in the
    /// outer span's finding, not reported again.
    pub(crate) fn report_missing_exits(&self, out: &mut Vec<StructureViolation>) {
        if self.unreadable_within > 0 {
            // An unreadable line of the run may have been the exit: the parse error says so.
            return;
        }
        let mut inside = vec![0usize; self.spans.len()];
        let mut outermost = Vec::new();
        for (idx, span) in self.spans.iter().enumerate() {
            if !span.is_open() {
                continue;
            }
            match self.open_ancestor(idx) {
                Some(outer) => inside[outer] += 1,
                None => outermost.push(idx),
            }
        }
        for idx in outermost {
            let span = &self.spans[idx];
            let nested = match inside[idx] {
                0 => String::new(),
                1 => " (nor does 1 span inside it)".to_owned(),
                n => format!(" (nor do {n} spans inside it)"),
            };
            let message = format!(
                "{} has an entry at line {} but no exit or error{nested}",
                span.describe(),
                span.entry_line.unwrap_or_default()
            );
            let (line, seq) = (span.entry_line.unwrap_or_default(), span.entry_seq);
            out.push(self.violation(ViolationKind::MissingExit, line, seq, Some(idx), message));
        }
    }

    /// The outermost ancestor of span `idx` that is entered and never ended, if any.
    fn open_ancestor(&self, idx: usize) -> Option<usize> {
        let mut outer = None;
        let mut at = idx;
        // Parent links can form a cycle in a broken log: a span has at most `spans` ancestors.
        for _ in 0..self.spans.len() {
            let Some(parent) = self.parent_index(at) else {
                break;
            };
            if self.spans[parent].is_open() {
                outer = Some(parent);
            }
            at = parent;
        }
        outer
    }
}
