//! The streaming checker over a whole log: routes each event to its flow, remembers which flows
//! ended, and keeps memory bounded (see the module docs of `structure`).

use std::collections::hash_map::Entry;

use serde_json::Value;

use super::facts::{EventFacts, Id};
use super::open::{DEFAULT_MAX_OPEN, OpenFlows, is_judged};
use super::recent::Recent;
use super::sequence::Sequence;
use super::state::FlowState;
use super::violation::{StructureViolation, ViolationKind};

/// The streaming checker: feed events in log order with [`push`](Self::push) (or
/// [`push_facts`](Self::push_facts) when the facts were extracted elsewhere), take findings as
/// they come with [`drain`](Self::drain), and call [`finish`](Self::finish) at the end of the log.
#[derive(Debug)]
pub struct StructureChecker {
    /// Flows whose root span has not ended, at most `max_open` flows and spans together.
    pub(crate) open: OpenFlows,
    /// Flows whose root span ended: the line where it did.
    pub(crate) ended: Recent<u64>,
    /// Idle flows dropped to bound memory: the `seq` their next event should have.
    evicted: Recent<u64>,
    /// Runs dropped while they could still be judged.
    dropped: u64,
    /// The first event's schema version marker and its line.
    log_version: Option<(Option<Box<str>>, u64)>,
    found: Vec<StructureViolation>,
    /// Lines of the log that were not events (not JSON): their events are missing.
    unreadable: u64,
    /// The latest line seen.
    last_line: u64,
    events: u64,
    flows: u64,
}

impl Default for StructureChecker {
    fn default() -> Self {
        Self {
            open: OpenFlows::new(DEFAULT_MAX_OPEN),
            ended: Recent::default(),
            evicted: Recent::default(),
            dropped: 0,
            log_version: None,
            found: Vec::new(),
            unreadable: 0,
            last_line: 0,
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

    /// A checker that holds at most `max_open` flows and spans of unfinished runs at once
    /// (default [`DEFAULT_MAX_OPEN`]), and remembers about as many ended and evicted runs; beyond,
    /// the least recently active run is dropped, with a `structure.too_many_open` finding when
    /// it could still have been judged. Memory is then proportional to `max_open`.
    #[must_use]
    pub fn with_max_open(max_open: usize) -> Self {
        let max_open = max_open.max(1);
        let remembered = max_open.clamp(1 << 12, Recent::<u64>::CAPACITY);
        Self {
            open: OpenFlows::new(max_open),
            ended: Recent::with_capacity(remembered),
            evicted: Recent::with_capacity(remembered),
            ..Self::default()
        }
    }

    /// Checks the next event of the log, found at `line`.
    pub fn push(&mut self, event: &Value, line: u64) {
        self.push_facts(EventFacts::from_value(event), line);
    }

    /// Notes that the line `line` of the log could not be read as an event (it is reported as a
    /// parse error): a `seq` gap that these lines explain is not reported again.
    pub fn unreadable(&mut self, line: u64) {
        self.unreadable += 1;
        self.last_line = self.last_line.max(line);
    }

    /// Checks the next event of the log from its extracted facts.
    pub fn push_facts(&mut self, facts: EventFacts, line: u64) {
        let first = self.found.len();
        self.push_located(facts, line);
        relocate(&mut self.found[first..], line);
        self.last_line = self.last_line.max(line);
    }

    fn push_located(&mut self, mut facts: EventFacts, line: u64) {
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
        if self.dropped > 0
            && facts.seq != Some(0)
            && !self.open.flows.contains_key(&flow_id)
            && self.evicted.get(&flow_id).is_none()
        {
            // A run not seen from its start once runs have been dropped: most likely one of
            // them (remembering each dropped run would take the memory the cap saves). The
            // `structure.too_many_open` finding says it is not checked.
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
        flow.unreadable_before = self.unreadable - flow.unreadable_mark;
        if flow.events_seen > 0 {
            flow.unreadable_within += flow.unreadable_before;
        }
        flow.events_seen += 1;
        flow.unreadable_mark = self.unreadable;
        let spans_before = flow.spans.len();
        let version = check_version(&mut self.log_version, flow, &facts, line);
        self.found.extend(version);
        self.found.extend(check_tenant(flow, &facts, line));
        let root_ended = flow.push(&facts, line, &mut self.found);
        let (new_spans, judged) = (flow.spans.len() - spans_before, is_judged(flow));
        self.open.touched(&key, line, new_spans, judged);
        if root_ended {
            if let Some(flow) = self.open.remove(&key) {
                flow.finalize(&mut self.found);
            }
            self.ended.insert(key, line);
        }
        while self.open.over() {
            self.evict_least_recent(line);
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

    /// Bounds memory: drops the least recently active run. An idle one (no event at `info` or
    /// below, as in a log filtered at `warn`, contract §3.5) has no entered span, so dropping it
    /// loses no finding but the continuity of its `seq`, which is kept. Any other is no longer
    /// checked, and the first such drop is reported.
    fn evict_least_recent(&mut self, line: u64) {
        let Some((id, flow, judged)) = self.open.pop_least_recent() else {
            return;
        };
        if !judged {
            self.evicted.insert(id, flow.seq.next());
            return;
        }
        self.dropped += 1;
        if self.dropped > 1 {
            return;
        }
        let max = self.open.max;
        let message = format!(
            "more than {max} flows and spans of unfinished runs are open at once: run {} \
             (last event at line {}) is no longer checked, nor is any run dropped after it or \
             seen without its start (raise --max-open to check them all)",
            flow.id, flow.last_line
        );
        self.found
            .push(flow.violation(ViolationKind::TooManyOpen, line, None, None, message));
    }

    /// Runs dropped unchecked to bound memory (see [`Self::with_max_open`]).
    #[must_use]
    pub fn dropped(&self) -> u64 {
        self.dropped
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
        let first = self.found.len();
        for flow in self.open.into_sorted() {
            flow.finalize(&mut self.found);
        }
        relocate(&mut self.found[first..], self.last_line);
        self.found
    }
}

/// Findings come in line order: one about an earlier event, known only at `line` (a missing
/// exit, an orphan, a finding held back by the level filter), is placed at `line` (without the
/// earlier event's `seq`), and its message names the event's line when it does not already.
fn relocate(found: &mut [StructureViolation], line: u64) {
    for violation in found {
        if violation.line < line {
            let at = format!("line {}", violation.line);
            if !violation.message.contains(&at) {
                violation.message = format!("{} (event at {at})", violation.message);
            }
            violation.line = line;
            // The line and the seq of a finding are those of one event.
            violation.seq = None;
        }
    }
}

/// The open flow `flow_id`, started at `line` when new (or resumed after an eviction); `flows`
/// counts the new ones.
fn open_flow<'a>(
    open: &'a mut OpenFlows,
    evicted: &mut Recent<u64>,
    flows: &mut u64,
    flow_id: Id,
    line: u64,
) -> &'a mut FlowState {
    match open.entry(flow_id) {
        Entry::Occupied(entry) => entry.into_mut(),
        Entry::Vacant(entry) => {
            let mut flow = FlowState::new(entry.key().clone(), line);
            match evicted.remove(entry.key()) {
                Some(next_seq) => flow.seq = Sequence::resume(next_seq),
                None => *flows += 1,
            }
            entry.insert(flow)
        }
    }
}

/// The events of one run carry one tenant, or none (contract §3.8): the first event's. A run that
/// differs is reported once.
fn check_tenant(flow: &mut FlowState, facts: &EventFacts, line: u64) -> Option<StructureViolation> {
    let Some((tenant, first_line)) = &flow.tenant else {
        flow.tenant = Some((facts.tenant.clone(), line));
        return None;
    };
    if *tenant == facts.tenant || flow.tenant_reported {
        return None;
    }
    let spell = |t: &Option<Box<str>>| {
        t.as_deref()
            .map_or_else(|| "none".to_owned(), super::span::quote)
    };
    let message = format!(
        "tenant {} differs from {} on the run's first event (line {first_line}); every event of \
         a run carries the run's tenant",
        spell(&facts.tenant),
        spell(tenant)
    );
    flow.tenant_reported = true;
    Some(flow.violation(ViolationKind::MixedTenants, line, facts.seq, None, message))
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
            .map_or_else(|| "none (v1)".to_owned(), super::span::quote)
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
