//! The runs in progress, bounded: the checker holds at most `max` flows and spans together, and
//! finds the least recently active run in O(1) amortized time, however many are open (no scan,
//! no sort).
//!
//! Each event of an open run appends `(line, flow)` to one of two queues in line order: `idle`
//! for a run that has shown no event at level `info` or below (a log filtered at `warn`: dropping
//! it loses nothing but its `seq` continuity, which the checker keeps), `judged` for the others.
//! An entry is current while its line is the run's latest; older entries are skipped when they
//! reach the front, and swept out when the queues hold more than twice as many entries as there
//! are runs, so the queues stay proportional to the open runs and each entry is handled a
//! constant number of times.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, VecDeque};

use yamlflow::Level;

use super::facts::Id;
use super::state::FlowState;

/// Flows and spans held at once by default (`twinflow validate --max-open`): with the runs
/// remembered alongside, `validate` peaks near 100 MB (measured by `scripts/bench-validate`).
pub const DEFAULT_MAX_OPEN: usize = 100_000;

/// The open runs of a log and their order of activity.
#[derive(Debug)]
pub(crate) struct OpenFlows {
    pub(crate) flows: HashMap<Id, FlowState>,
    /// Spans held by the open runs.
    spans: usize,
    /// The most flows and spans held together.
    pub(crate) max: usize,
    idle: VecDeque<(u64, Id)>,
    judged: VecDeque<(u64, Id)>,
}

impl OpenFlows {
    pub(crate) fn new(max: usize) -> Self {
        Self {
            flows: HashMap::new(),
            spans: 0,
            max,
            idle: VecDeque::new(),
            judged: VecDeque::new(),
        }
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.flows.len()
    }

    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.flows.is_empty()
    }

    /// The run `id`'s state, when it is open.
    pub(crate) fn entry(&mut self, id: Id) -> Entry<'_, Id, FlowState> {
        self.flows.entry(id)
    }

    /// Records an event of the open run `id` at `line`, after which it holds `new_spans` more
    /// spans than before.
    pub(crate) fn touched(&mut self, id: &Id, line: u64, new_spans: usize, judged: bool) {
        self.spans += new_spans;
        let queue = if judged {
            &mut self.judged
        } else {
            &mut self.idle
        };
        queue.push_back((line, id.clone()));
        if self.idle.len() + self.judged.len() > 2 * self.flows.len() + 1024 {
            self.sweep();
        }
    }

    /// Whether more flows and spans are held than allowed.
    pub(crate) fn over(&self) -> bool {
        self.flows.len() + self.spans > self.max
    }

    /// Removes the run `id` (its root ended, or it is evicted).
    pub(crate) fn remove(&mut self, id: &Id) -> Option<FlowState> {
        let flow = self.flows.remove(id)?;
        self.spans -= flow.spans.len();
        Some(flow)
    }

    /// Removes the least recently active run, an idle one first; `true` with it when it had
    /// shown events at `info` (it could still have been judged).
    pub(crate) fn pop_least_recent(&mut self) -> Option<(Id, FlowState, bool)> {
        for judged in [false, true] {
            while let Some((line, id)) = self.queue(judged).pop_front() {
                if self.is_current(line, &id, judged) {
                    let flow = self.remove(&id)?;
                    return Some((id, flow, judged));
                }
            }
        }
        None
    }

    fn queue(&mut self, judged: bool) -> &mut VecDeque<(u64, Id)> {
        if judged {
            &mut self.judged
        } else {
            &mut self.idle
        }
    }

    /// Whether `(line, id)` in the `judged` (or idle) queue is the run's latest entry.
    fn is_current(&self, line: u64, id: &Id, judged: bool) -> bool {
        self.flows
            .get(id)
            .is_some_and(|flow| flow.last_line == line && is_judged(flow) == judged)
    }

    /// Drops the entries that are no longer current.
    fn sweep(&mut self) {
        for judged in [false, true] {
            let mut queue = std::mem::take(self.queue(judged));
            queue.retain(|(line, id)| self.is_current(*line, id, judged));
            *self.queue(judged) = queue;
        }
    }

    /// The runs still open, in the order they started.
    pub(crate) fn into_sorted(self) -> Vec<FlowState> {
        let mut open: Vec<FlowState> = self.flows.into_values().collect();
        open.sort_by_key(|flow| flow.first_line);
        open
    }
}

/// Whether a run has shown an event at `info` or below: its missing entries and exits could be
/// reported, so dropping it loses findings.
pub(crate) fn is_judged(flow: &FlowState) -> bool {
    flow.levels.lets_through(Level::Info)
}
