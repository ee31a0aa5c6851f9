//! The streaming checker over a whole log: routes each event to its flow, remembers which flows
//! ended, and keeps memory bounded (see the module docs of `structure`).

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use serde_json::Value;
use yamlflow::Level;

use super::facts::{EventFacts, Id};
use super::recent::Recent;
use super::sequence::Sequence;
use super::state::FlowState;
use super::violation::{StructureViolation, ViolationKind};

/// Open flows kept before idle ones are evicted (see [`StructureChecker::evict_idle`]).
const MAX_OPEN_FLOWS: usize = 100_000;

/// The streaming checker: feed events in log order with [`push`](Self::push) (or
/// [`push_facts`](Self::push_facts) when the facts were extracted elsewhere), take findings as
/// they come with [`drain`](Self::drain), and call [`finish`](Self::finish) at the end of the log.
#[derive(Debug)]
pub struct StructureChecker {
    /// Flows whose root span has not ended.
    pub(crate) open: HashMap<Id, FlowState>,
    /// Flows whose root span ended: the line where it did.
    pub(crate) ended: Recent<u64>,
    /// Idle flows dropped to bound memory: the `seq` their next event should have.
    evicted: Recent<u64>,
    /// Above this many open flows, idle flows that cannot be judged are evicted.
    pub(crate) max_open_flows: usize,
    /// The first event's schema version marker and its line.
    log_version: Option<(Option<Box<str>>, u64)>,
    found: Vec<StructureViolation>,
    events: u64,
    flows: u64,
}

impl Default for StructureChecker {
    fn default() -> Self {
        Self {
            open: HashMap::new(),
            ended: Recent::default(),
            evicted: Recent::default(),
            max_open_flows: MAX_OPEN_FLOWS,
            log_version: None,
            found: Vec::new(),
            events: 0,
            flows: 0,
        }
    }
}

impl StructureChecker {
    /// An empty checker for one log.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Checks the next event of the log, found at `line`.
    pub fn push(&mut self, event: &Value, line: u64) {
        self.push_facts(EventFacts::from_value(event), line);
    }

    /// Checks the next event of the log from its extracted facts.
    pub fn push_facts(&mut self, mut facts: EventFacts, line: u64) {
        self.events += 1;
        self.report_unredacted(&mut facts, line);
        let Some(flow_id) = facts.flow.take() else {
            return;
        };
        if let Some(end_line) = self.ended.get(&flow_id) {
            self.found.push(StructureViolation {
                flow_id: flow_id.to_string(),
                span_id: facts.span.as_ref().map(ToString::to_string),
                seq: facts.seq,
                line,
                kind: ViolationKind::EventAfterEnd,
                message: format!(
                    "event of flow {flow_id} after the flow's root span ended at line {end_line}"
                ),
            });
            return;
        }
        let key = flow_id.clone();
        let flow = open_flow(
            &mut self.open,
            &mut self.evicted,
            &mut self.flows,
            flow_id,
            line,
        );
        flow.last_line = line;
        let version = check_version(&mut self.log_version, flow, &facts, line);
        self.found.extend(version);
        let root_ended = flow.push(&facts, line, &mut self.found);
        if root_ended {
            if let Some(flow) = self.open.remove(&key) {
                flow.finalize(&mut self.found);
            }
            self.ended.insert(key, line);
        } else if self.open.len() > self.max_open_flows {
            self.evict_idle();
        }
    }

    /// contract §3.4: values under the default redaction keys are `[REDACTED]`.
    fn report_unredacted(&mut self, facts: &mut EventFacts, line: u64) {
        for pointer in std::mem::take(&mut facts.unredacted) {
            self.found.push(StructureViolation {
                flow_id: facts
                    .flow
                    .as_ref()
                    .map_or_else(String::new, ToString::to_string),
                span_id: facts.span.as_ref().map(ToString::to_string),
                seq: facts.seq,
                line,
                kind: ViolationKind::RedactionMiss,
                message: format!(
                    "{pointer} is not \"[REDACTED]\": its key falls under the redaction rule"
                ),
            });
        }
    }

    /// Bounds memory for logs whose runs never show their root's end: a log filtered at level
    /// `warn` has no entries or exits at all (contract §3.5). Such a flow (no event at
    /// `info` or below) has no entered span, so dropping it loses no finding but the continuity
    /// of its `seq`, which is kept. The least recently active half of them is evicted; flows that
    /// did show `info` events stay, as their missing exits could still be reported.
    fn evict_idle(&mut self) {
        #[allow(clippy::iter_over_hash_type)] // sorted by line right below
        let mut idle: Vec<(u64, Id)> = self
            .open
            .iter()
            .filter(|(_, flow)| !flow.levels.lets_through(Level::Info))
            .map(|(id, flow)| (flow.last_line, id.clone()))
            .collect();
        idle.sort_unstable_by_key(|(last_line, _)| *last_line);
        let count = idle.len().div_ceil(2);
        for (_, id) in idle.into_iter().take(count) {
            if let Some(flow) = self.open.remove(&id) {
                self.evicted.insert(id, flow.seq.next());
            }
        }
    }

    /// Takes the findings made so far (a streaming consumer reports them as the log goes).
    pub fn drain(&mut self) -> std::vec::Drain<'_, StructureViolation> {
        self.found.drain(..)
    }

    /// Events pushed so far.
    #[must_use]
    pub fn events(&self) -> u64 {
        self.events
    }

    /// Distinct flows seen so far.
    #[must_use]
    pub fn flows(&self) -> u64 {
        self.flows
    }

    /// Ends the log: flows still open are checked for what never came (exits, parents, roots);
    /// returns every finding not yet drained.
    #[must_use]
    pub fn finish(mut self) -> Vec<StructureViolation> {
        let mut open: Vec<FlowState> = self.open.into_values().collect();
        open.sort_by_key(|flow| flow.first_line);
        for flow in open {
            flow.finalize(&mut self.found);
        }
        self.found
    }
}

/// The open flow `flow_id`, started at `line` when new (or resumed after an eviction); `flows`
/// counts the new ones.
fn open_flow<'a>(
    open: &'a mut HashMap<Id, FlowState>,
    evicted: &mut Recent<u64>,
    flows: &mut u64,
    flow_id: Id,
    line: u64,
) -> &'a mut FlowState {
    match open.entry(flow_id) {
        Entry::Occupied(entry) => entry.into_mut(),
        Entry::Vacant(entry) => {
            let text = entry.key().to_string();
            let mut flow = FlowState::new(text, line);
            match evicted.remove(entry.key()) {
                Some(next_seq) => flow.seq = Sequence::resume(next_seq),
                None => *flows += 1,
            }
            entry.insert(flow)
        }
    }
}

/// Events of one log carry one schema version marker: the first event's (`log_version`, set
/// here). A flow that differs is reported once.
fn check_version(
    log_version: &mut Option<(Option<Box<str>>, u64)>,
    flow: &mut FlowState,
    facts: &EventFacts,
    line: u64,
) -> Option<StructureViolation> {
    let Some((version, first_line)) = log_version else {
        *log_version = Some((facts.version.clone(), line));
        return None;
    };
    if *version == facts.version || flow.version_reported {
        return None;
    }
    flow.version_reported = true;
    let spell = |v: &Option<Box<str>>| {
        v.as_deref()
            .map_or_else(|| "none (v1)".to_owned(), |v| format!("'{v}'"))
    };
    Some(flow.violation(
        ViolationKind::MixedSchemaVersions,
        line,
        facts.seq,
        None,
        format!(
            "schema version marker {} differs from {} on the log's first event (line \
             {first_line})",
            spell(&facts.version),
            spell(version)
        ),
    ))
}
