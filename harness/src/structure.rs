//! Streaming structural checks of event logs: the sequence rules of contract §3 and the checks of
//! contract §4 step 3, per flow, with several flows interleaved in one log.
//!
//! [`StructureChecker`] sees one event at a time, in log order, and keeps per flow only the spans
//! of flows whose root span has not ended yet; once a root span ends, the flow's details are
//! dropped and only its id is remembered, to report events that arrive after the end. Memory is
//! therefore bounded by the number of runs in progress at any point of the log, not by its size;
//! the remembered ids and the runs that never show an end (level-filtered logs) are capped too.
//!
//! Level filtering (contract §3.5) drops events before they get a `seq`, so a log written
//! at level `info` has no step entries or exits, and one at `warn` has no entries at all. A rule
//! that needs an event of level L to be present is only enforced once the flow has shown an event
//! at level L or below (proof that the filter let L through); until then the finding waits, and it
//! is dropped if the proof never comes.

mod facts;
pub mod redaction;

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fmt;

use serde_json::Value;

pub use facts::EventFacts;
use facts::{EventType, Id, Level, Name, Parent, SpanKind};

/// The structural rule an event log breaks. `name()` is the stable snake_case spelling used in
/// reports and summaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ViolationKind {
    /// `seq` skips values, or a flow's first `seq` is not 0: events were lost (contract §3).
    SeqGap,
    /// `seq` repeats or goes back within a flow (contract §3: strictly increasing).
    SeqNotIncreasing,
    /// A log, metric or retry event of a span comes before the span's entry.
    EventBeforeEntry,
    /// A span's exit or final error comes before its entry (or without one).
    ExitBeforeEntry,
    /// A span has a second entry.
    DuplicateEntry,
    /// An event comes after its span ended, or after its flow's root span ended.
    EventAfterEnd,
    /// A span has an entry but never an exit or final error.
    MissingExit,
    /// A `parent_id` names a span that never appears in the flow.
    OrphanParent,
    /// A child span starts before its parent's entry or ends after its parent's end
    /// (contract §3 "children start after its entry and end before its end", §4 step 3).
    ChildOutsideParent,
    /// A flow has more than one span with a null `parent_id`.
    MultipleRoots,
    /// A flow has no span with a null `parent_id`.
    MissingRoot,
    /// A span's parent has a kind that cannot contain it (a step outside a node…).
    WrongParentKind,
    /// The events of one span disagree on its `kind`, `node` or `parent_id`.
    SpanMismatch,
    /// `metrics.duration_ms` is negative (contract §4 step 3).
    NegativeDuration,
    /// A timestamp is earlier than the previous one of the same span (contract §4 step 3).
    TimestampDecreasing,
    /// Events of one log carry different schema version markers.
    MixedSchemaVersions,
    /// A value under a key of the default redaction list is not `[REDACTED]` (contract §3).
    RedactionMiss,
}

impl ViolationKind {
    /// Every kind, in declaration order.
    pub const ALL: [Self; 17] = [
        Self::SeqGap,
        Self::SeqNotIncreasing,
        Self::EventBeforeEntry,
        Self::ExitBeforeEntry,
        Self::DuplicateEntry,
        Self::EventAfterEnd,
        Self::MissingExit,
        Self::OrphanParent,
        Self::ChildOutsideParent,
        Self::MultipleRoots,
        Self::MissingRoot,
        Self::WrongParentKind,
        Self::SpanMismatch,
        Self::NegativeDuration,
        Self::TimestampDecreasing,
        Self::MixedSchemaVersions,
        Self::RedactionMiss,
    ];

    /// The stable snake_case name (`seq_gap`, `missing_exit`…).
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::SeqGap => "seq_gap",
            Self::SeqNotIncreasing => "seq_not_increasing",
            Self::EventBeforeEntry => "event_before_entry",
            Self::ExitBeforeEntry => "exit_before_entry",
            Self::DuplicateEntry => "duplicate_entry",
            Self::EventAfterEnd => "event_after_end",
            Self::MissingExit => "missing_exit",
            Self::OrphanParent => "orphan_parent",
            Self::ChildOutsideParent => "child_outside_parent",
            Self::MultipleRoots => "multiple_roots",
            Self::MissingRoot => "missing_root",
            Self::WrongParentKind => "wrong_parent_kind",
            Self::SpanMismatch => "span_mismatch",
            Self::NegativeDuration => "negative_duration",
            Self::TimestampDecreasing => "timestamp_decreasing",
            Self::MixedSchemaVersions => "mixed_schema_versions",
            Self::RedactionMiss => "redaction_miss",
        }
    }
}

impl fmt::Display for ViolationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One structural finding, located by flow, line and (where the triggering event has one) `seq`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StructureViolation {
    /// The run the finding belongs to.
    pub flow_id: String,
    /// The span concerned, when there is one.
    pub span_id: Option<String>,
    /// The `seq` of the event the finding is located at.
    pub seq: Option<u64>,
    /// The 1-based line (or, for [`check_events`], 1-based position) of that event.
    pub line: u64,
    /// Which rule is broken.
    pub kind: ViolationKind,
    /// What exactly is wrong, for people.
    pub message: String,
}

impl fmt::Display for StructureViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}: {}", self.line, self.kind, self.message)
    }
}

/// Checks `events` (one run or several, in log order) and returns every structural violation;
/// the line of a finding is the event's 1-based position in the slice.
#[must_use]
pub fn check_events(events: &[Value]) -> Vec<StructureViolation> {
    let mut checker = StructureChecker::new();
    for (line, event) in (1..).zip(events) {
        checker.push(event, line);
    }
    checker.finish()
}

/// The streaming checker: feed events in log order with [`push`](Self::push) (or
/// [`push_facts`](Self::push_facts) when the facts were extracted elsewhere), take findings as
/// they come with [`drain`](Self::drain), and call [`finish`](Self::finish) at the end of the log.
#[derive(Debug)]
pub struct StructureChecker {
    /// Flows whose root span has not ended.
    open: HashMap<Id, FlowState>,
    /// Flows whose root span ended: the line where it did.
    ended: Recent<u64>,
    /// Idle flows dropped to bound memory: the `seq` their next event should have.
    evicted: Recent<u64>,
    /// Above this many open flows, idle flows that cannot be judged are evicted.
    max_open_flows: usize,
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

/// Open flows kept before idle ones are evicted (see [`StructureChecker::evict_idle`]).
const MAX_OPEN_FLOWS: usize = 100_000;

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
        let flow = match self.open.entry(flow_id) {
            Entry::Occupied(entry) => entry.into_mut(),
            Entry::Vacant(entry) => {
                let text = entry.key().to_string();
                let mut flow = FlowState::new(text, line);
                match self.evicted.remove(entry.key()) {
                    Some(next_seq) => flow.next_seq = Some(next_seq),
                    None => self.flows += 1,
                }
                entry.insert(flow)
            }
        };
        flow.last_line = line;
        match &self.log_version {
            None => self.log_version = Some((facts.version.clone(), line)),
            Some((version, first_line)) => {
                if *version != facts.version && !flow.version_reported {
                    flow.version_reported = true;
                    let spell = |v: &Option<Box<str>>| {
                        v.as_deref()
                            .map_or_else(|| "none (v1)".to_owned(), |v| format!("'{v}'"))
                    };
                    self.found.push(flow.violation(
                        ViolationKind::MixedSchemaVersions,
                        line,
                        facts.seq,
                        None,
                        format!(
                            "schema version marker {} differs from {} on the log's first event \
                             (line {first_line})",
                            spell(&facts.version),
                            spell(version)
                        ),
                    ));
                }
            }
        }
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
            .filter(|(_, flow)| flow.min_level.is_none_or(|level| level > Level::Info))
            .map(|(id, flow)| (flow.last_line, id.clone()))
            .collect();
        idle.sort_unstable_by_key(|(last_line, _)| *last_line);
        let count = idle.len().div_ceil(2);
        for (_, id) in idle.into_iter().take(count) {
            if let Some(flow) = self.open.remove(&id) {
                self.evicted.insert(id, flow.next_seq.unwrap_or(0));
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

/// A map from flow ids that remembers only the most recent entries: two generations, the older
/// one dropped when the newer one fills up, so at most [`Recent::CAPACITY`] entries.
///
/// It holds the flows whose root span ended (to report events that come after the end) and the
/// idle flows evicted by [`StructureChecker`]. A log of many short runs would otherwise make these
/// the one thing that grows with the log (5 GB of two-event runs are millions of flows). An event
/// of a run forgotten this way, a million runs later, starts a new flow, which the checks still
/// reject (its first `seq` is not 0), with a less precise message.
#[derive(Debug)]
struct Recent<V> {
    recent: HashMap<Id, V>,
    older: HashMap<Id, V>,
}

impl<V> Default for Recent<V> {
    fn default() -> Self {
        Self {
            recent: HashMap::new(),
            older: HashMap::new(),
        }
    }
}

impl<V: Copy> Recent<V> {
    const CAPACITY: usize = 1 << 20;

    fn get(&self, id: &Id) -> Option<V> {
        self.recent.get(id).or_else(|| self.older.get(id)).copied()
    }

    fn remove(&mut self, id: &Id) -> Option<V> {
        self.recent.remove(id).or_else(|| self.older.remove(id))
    }

    fn insert(&mut self, id: Id, value: V) {
        if self.recent.len() >= Self::CAPACITY / 2 {
            self.older = std::mem::take(&mut self.recent);
        }
        self.recent.insert(id, value);
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.recent.len() + self.older.len()
    }
}

/// A finding that only counts once the flow proves its level filter let `needs` through.
#[derive(Debug)]
struct Deferred {
    needs: Level,
    violation: StructureViolation,
}

/// What is known about one run in progress.
#[derive(Debug)]
struct FlowState {
    id: String,
    first_line: u64,
    /// The line of the flow's latest event.
    last_line: u64,
    /// The `seq` the next event should have.
    next_seq: Option<u64>,
    /// The lowest level seen: the level filter is at or below it.
    min_level: Option<Level>,
    spans: Vec<SpanState>,
    index: HashMap<Id, usize>,
    root: Option<usize>,
    /// Spans whose parent had not entered when they started, by parent id.
    waiting: HashMap<Id, Vec<usize>>,
    deferred: Vec<Deferred>,
    version_reported: bool,
}

/// What is known about one span of a run in progress.
#[derive(Debug)]
struct SpanState {
    id: Id,
    parent: Parent,
    kind: Option<SpanKind>,
    node: Option<Name>,
    first_line: u64,
    first_seq: Option<u64>,
    entry_line: Option<u64>,
    entry_seq: Option<u64>,
    entry_ts: Option<f64>,
    end_line: Option<u64>,
    last_ts: Option<(f64, u64)>,
    /// The latest end timestamp of a child: (timestamp, child index).
    latest_child_end: Option<(f64, usize)>,
    /// Already reported as outside its parent: one report per span is enough.
    outside_reported: bool,
    before_entry_reported: bool,
    mismatch_reported: bool,
}

impl SpanState {
    fn describe(&self) -> String {
        let kind = self.kind.map_or("span", SpanKind::name);
        match &self.node {
            Some(node) => format!("{kind} span '{node}'"),
            None => format!("{kind} span {}", self.id),
        }
    }

    fn entered(&self) -> bool {
        self.entry_line.is_some()
    }

    fn ended(&self) -> bool {
        self.end_line.is_some()
    }

    fn is_open(&self) -> bool {
        self.entered() && !self.ended()
    }

    fn entry_level(&self) -> Level {
        self.kind.map_or(Level::Info, SpanKind::entry_level)
    }
}

impl FlowState {
    fn new(id: String, first_line: u64) -> Self {
        Self {
            id,
            first_line,
            last_line: first_line,
            next_seq: None,
            min_level: None,
            spans: Vec::new(),
            index: HashMap::new(),
            root: None,
            waiting: HashMap::new(),
            deferred: Vec::new(),
            version_reported: false,
        }
    }

    fn violation(
        &self,
        kind: ViolationKind,
        line: u64,
        seq: Option<u64>,
        span: Option<usize>,
        message: String,
    ) -> StructureViolation {
        StructureViolation {
            flow_id: self.id.clone(),
            span_id: span.map(|i| self.spans[i].id.to_string()),
            seq,
            line,
            kind,
            message,
        }
    }

    /// Reports `violation` now if the flow has shown an event at level `needs` or below, else
    /// keeps it until it does.
    fn conditional(
        &mut self,
        needs: Level,
        violation: StructureViolation,
        out: &mut Vec<StructureViolation>,
    ) {
        if self.min_level.is_some_and(|seen| seen <= needs) {
            out.push(violation);
        } else {
            self.deferred.push(Deferred { needs, violation });
        }
    }

    fn observe_level(&mut self, level: Level, out: &mut Vec<StructureViolation>) {
        if self.min_level.is_some_and(|seen| seen <= level) {
            return;
        }
        self.min_level = Some(level);
        let mut kept = Vec::new();
        for deferred in self.deferred.drain(..) {
            if level <= deferred.needs {
                out.push(deferred.violation);
            } else {
                kept.push(deferred);
            }
        }
        self.deferred = kept;
    }

    /// contract §3: per run, `seq` starts at 0 and increases by one per event.
    fn check_seq(
        &mut self,
        seq: u64,
        line: u64,
        span: Option<usize>,
    ) -> Option<StructureViolation> {
        let expected = self.next_seq.unwrap_or(0);
        if seq == expected {
            self.next_seq = Some(seq.saturating_add(1));
            return None;
        }
        if seq > expected {
            self.next_seq = Some(seq.saturating_add(1));
            let lost = seq - expected;
            let message = if expected == 0 {
                format!("the flow's first event has seq {seq}, not 0: {lost} event(s) lost")
            } else {
                format!(
                    "seq jumps from {} to {seq}: {lost} event(s) lost",
                    expected - 1
                )
            };
            return Some(self.violation(ViolationKind::SeqGap, line, Some(seq), span, message));
        }
        Some(self.violation(
            ViolationKind::SeqNotIncreasing,
            line,
            Some(seq),
            span,
            format!(
                "seq {seq} repeats or goes back: the flow's previous seq is {}",
                expected - 1
            ),
        ))
    }

    /// Checks one event of this flow; returns whether it ended the root span.
    fn push(&mut self, facts: &EventFacts, line: u64, out: &mut Vec<StructureViolation>) -> bool {
        if let Some(level) = facts.level {
            self.observe_level(level, out);
        }
        let known_span = facts
            .span
            .as_ref()
            .and_then(|id| self.index.get(id).copied());
        if let Some(seq) = facts.seq {
            out.extend(self.check_seq(seq, line, known_span));
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
        if let Some(duration) = facts.duration_ms {
            if duration < 0.0 {
                let message = format!(
                    "metrics.duration_ms of the {} of {} is {duration}; durations are never \
                     negative",
                    event_type.name(),
                    self.spans[idx].describe()
                );
                out.push(self.violation(
                    ViolationKind::NegativeDuration,
                    line,
                    facts.seq,
                    Some(idx),
                    message,
                ));
            }
        }
        if let Some(ts) = facts.timestamp {
            self.check_timestamp(idx, ts, facts.seq, line, out);
        }
        match event_type {
            EventType::Entry => {
                self.on_entry(idx, facts, line, out);
                false
            }
            _ if facts.is_final() => self.on_end(idx, facts, event_type, line, out),
            _ => {
                self.on_inner(idx, facts, event_type, line, out);
                false
            }
        }
    }

    /// Registers a span at its first event and checks its place in the tree.
    fn open_span(
        &mut self,
        id: Id,
        facts: &EventFacts,
        line: u64,
        out: &mut Vec<StructureViolation>,
    ) -> usize {
        let idx = self.spans.len();
        self.spans.push(SpanState {
            id: id.clone(),
            parent: facts.parent.clone(),
            kind: facts.kind,
            node: facts.node.clone(),
            first_line: line,
            first_seq: facts.seq,
            entry_line: None,
            entry_seq: None,
            entry_ts: None,
            end_line: None,
            last_ts: None,
            latest_child_end: None,
            outside_reported: false,
            before_entry_reported: false,
            mismatch_reported: false,
        });
        // Children that named this span before it appeared can now be checked for kind.
        if let Some(children) = self.waiting.get(&id) {
            let found: Vec<StructureViolation> = children
                .iter()
                .filter_map(|&child| self.parent_kind_violation(child, idx))
                .collect();
            out.extend(found);
        }
        self.index.insert(id, idx);
        match &facts.parent {
            Parent::Root => match self.root {
                None => self.root = Some(idx),
                Some(root) => {
                    let message = format!(
                        "{} has a null parent_id, but the flow already has the root {} \
                         (line {}); only the root span has no parent",
                        self.spans[idx].describe(),
                        self.spans[root].describe(),
                        self.spans[root].first_line
                    );
                    out.push(self.violation(
                        ViolationKind::MultipleRoots,
                        line,
                        facts.seq,
                        Some(idx),
                        message,
                    ));
                }
            },
            Parent::Span(parent_id) if self.spans[idx].id == *parent_id => {
                let message = format!("{} names itself as its parent", self.spans[idx].describe());
                out.push(self.violation(
                    ViolationKind::OrphanParent,
                    line,
                    facts.seq,
                    Some(idx),
                    message,
                ));
            }
            Parent::Span(parent_id) => match self.index.get(parent_id).copied() {
                Some(parent) => {
                    out.extend(self.parent_kind_violation(idx, parent));
                    if self.spans[parent].ended() {
                        self.report_outside(
                            idx,
                            line,
                            facts.seq,
                            format!(
                                "starts after its parent {} ended at line {}",
                                self.spans[parent].describe(),
                                self.spans[parent].end_line.unwrap_or_default()
                            ),
                            out,
                        );
                    } else if !self.spans[parent].entered() {
                        self.waiting.entry(parent_id.clone()).or_default().push(idx);
                    } else if let (Some(ts), Some(parent_ts)) =
                        (facts.timestamp, self.spans[parent].entry_ts)
                    {
                        if ts < parent_ts {
                            self.report_outside(
                                idx,
                                line,
                                facts.seq,
                                format!(
                                    "starts at timestamp {ts}, before its parent {}'s entry at \
                                     {parent_ts} (line {})",
                                    self.spans[parent].describe(),
                                    self.spans[parent].entry_line.unwrap_or_default()
                                ),
                                out,
                            );
                        }
                    }
                }
                None => self.waiting.entry(parent_id.clone()).or_default().push(idx),
            },
            Parent::Unknown => {}
        }
        idx
    }

    fn parent_kind_violation(&self, child: usize, parent: usize) -> Option<StructureViolation> {
        let (Some(child_kind), Some(parent_kind)) =
            (self.spans[child].kind, self.spans[parent].kind)
        else {
            return None;
        };
        if child_kind == SpanKind::Flow || child_kind.accepts_parent(parent_kind) {
            return None;
        }
        let allowed = match child_kind {
            SpanKind::Node => "a flow or parallel span",
            SpanKind::Step => "a node span",
            SpanKind::Parallel | SpanKind::Flow => "the flow span",
        };
        Some(self.violation(
            ViolationKind::WrongParentKind,
            self.spans[child].first_line,
            self.spans[child].first_seq,
            Some(child),
            format!(
                "{}'s parent must be {allowed}, but it is {}",
                self.spans[child].describe(),
                self.spans[parent].describe()
            ),
        ))
    }

    /// Reports `child` as outside its parent's interval, once per span.
    fn report_outside(
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

    /// The events of one span must agree on what the span is (contract §3.2).
    fn check_consistency(
        &mut self,
        idx: usize,
        facts: &EventFacts,
        line: u64,
        out: &mut Vec<StructureViolation>,
    ) {
        let span = &self.spans[idx];
        if span.mismatch_reported {
            return;
        }
        let what = if facts.kind.is_some() && span.kind.is_some() && facts.kind != span.kind {
            "kind"
        } else if facts.node.is_some() && span.node.is_some() && facts.node != span.node {
            "node"
        } else if facts.parent != Parent::Unknown
            && span.parent != Parent::Unknown
            && facts.parent != span.parent
        {
            "parent_id"
        } else {
            return;
        };
        let message = format!(
            "this event's {what} differs from the one {} had at line {}",
            span.describe(),
            span.first_line
        );
        self.spans[idx].mismatch_reported = true;
        out.push(self.violation(
            ViolationKind::SpanMismatch,
            line,
            facts.seq,
            Some(idx),
            message,
        ));
    }

    /// Any event of a child after its parent ended lies outside the parent's interval.
    fn check_parent_not_ended(
        &mut self,
        idx: usize,
        facts: &EventFacts,
        line: u64,
        out: &mut Vec<StructureViolation>,
    ) {
        let Parent::Span(parent_id) = &self.spans[idx].parent else {
            return;
        };
        let Some(parent) = self.index.get(parent_id).copied() else {
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

    /// contract §4 step 3: timestamps never decrease within a span.
    fn check_timestamp(
        &mut self,
        idx: usize,
        ts: f64,
        seq: Option<u64>,
        line: u64,
        out: &mut Vec<StructureViolation>,
    ) {
        match self.spans[idx].last_ts {
            Some((last, last_line)) if ts < last => {
                let message = format!(
                    "timestamp {ts} of {} is earlier than its previous event's {last} (line \
                     {last_line})",
                    self.spans[idx].describe()
                );
                out.push(self.violation(
                    ViolationKind::TimestampDecreasing,
                    line,
                    seq,
                    Some(idx),
                    message,
                ));
            }
            _ => self.spans[idx].last_ts = Some((ts, line)),
        }
    }

    fn parent_index(&self, idx: usize) -> Option<usize> {
        match &self.spans[idx].parent {
            Parent::Span(parent_id) => self.index.get(parent_id).copied(),
            Parent::Root | Parent::Unknown => None,
        }
    }

    fn on_entry(
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
        // Children that started before this entry lie outside this span's interval.
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

    fn on_inner(
        &mut self,
        idx: usize,
        facts: &EventFacts,
        event_type: EventType,
        line: u64,
        out: &mut Vec<StructureViolation>,
    ) {
        let span = &self.spans[idx];
        if let Some(end_line) = span.end_line {
            let message = format!(
                "{} event of {} after the span ended at line {end_line}",
                event_type.name(),
                span.describe()
            );
            out.push(self.violation(
                ViolationKind::EventAfterEnd,
                line,
                facts.seq,
                Some(idx),
                message,
            ));
            return;
        }
        if !span.entered() && !span.before_entry_reported {
            let needs = span.entry_level();
            let message = format!(
                "{} event of {} comes before the span's entry",
                event_type.name(),
                span.describe()
            );
            self.spans[idx].before_entry_reported = true;
            let violation = self.violation(
                ViolationKind::EventBeforeEntry,
                line,
                facts.seq,
                Some(idx),
                message,
            );
            self.conditional(needs, violation, out);
        }
    }

    /// An exit or final error; returns whether it ended the root span.
    fn on_end(
        &mut self,
        idx: usize,
        facts: &EventFacts,
        event_type: EventType,
        line: u64,
        out: &mut Vec<StructureViolation>,
    ) -> bool {
        if let Some(end_line) = self.spans[idx].end_line {
            let message = format!(
                "{} of {} after the span already ended at line {end_line}",
                event_type.name(),
                self.spans[idx].describe()
            );
            out.push(self.violation(
                ViolationKind::EventAfterEnd,
                line,
                facts.seq,
                Some(idx),
                message,
            ));
            return false;
        }
        if !self.spans[idx].entered() && !self.spans[idx].before_entry_reported {
            let needs = self.spans[idx].entry_level();
            let message = format!(
                "{} of {} comes without an entry before it",
                event_type.name(),
                self.spans[idx].describe()
            );
            self.spans[idx].before_entry_reported = true;
            let violation = self.violation(
                ViolationKind::ExitBeforeEntry,
                line,
                facts.seq,
                Some(idx),
                message,
            );
            self.conditional(needs, violation, out);
        }
        self.spans[idx].end_line = Some(line);
        if let Some(parent) = self.parent_index(idx) {
            if let Some(ts) = facts.timestamp {
                let later = self.spans[parent]
                    .latest_child_end
                    .is_none_or(|(latest, _)| ts > latest);
                if later {
                    self.spans[parent].latest_child_end = Some((ts, idx));
                }
            }
        }
        self.check_children_at_end(idx, facts, line, out);
        self.root == Some(idx)
    }

    /// contract §3: a span's children end before it ends (by timestamp; by order, see
    /// `check_parent_not_ended`).
    fn check_children_at_end(
        &mut self,
        idx: usize,
        facts: &EventFacts,
        line: u64,
        out: &mut Vec<StructureViolation>,
    ) {
        // A child still open now is reported when its next event comes (outside the parent) or
        // when the flow ends (missing exit): which one is not known yet.
        let desc = self.spans[idx].describe();
        if let (Some(ts), Some((child_ts, child))) =
            (facts.timestamp, self.spans[idx].latest_child_end)
        {
            if child_ts > ts {
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

    /// The flow is over (its root ended, or the log did): report what never came.
    fn finalize(mut self, out: &mut Vec<StructureViolation>) {
        for idx in 0..self.spans.len() {
            let span = &self.spans[idx];
            if span.is_open() {
                let message = format!(
                    "{} has an entry at line {} but no exit or error",
                    span.describe(),
                    span.entry_line.unwrap_or_default()
                );
                let (line, seq) = (span.entry_line.unwrap_or_default(), span.entry_seq);
                out.push(self.violation(ViolationKind::MissingExit, line, seq, Some(idx), message));
            }
        }
        let enforce_info = self.min_level.is_some_and(|seen| seen <= Level::Info);
        if !enforce_info {
            // The level filter may have removed every info event (entries, exits, roots):
            // nothing below can be told from filtering.
            return;
        }
        let mut orphans: Vec<(Id, Vec<usize>)> = std::mem::take(&mut self.waiting)
            .into_iter()
            .filter(|(parent_id, _)| !self.index.contains_key(parent_id))
            .collect();
        orphans.sort_by_key(|(_, children)| children[0]);
        for (parent_id, children) in orphans {
            let first = children[0];
            let others = match children.len() - 1 {
                0 => String::new(),
                1 => " (as does 1 other span)".to_owned(),
                n => format!(" (as do {n} other spans)"),
            };
            let message = format!(
                "{} names parent span {parent_id}, which never appears in the flow{others}",
                self.spans[first].describe()
            );
            let (line, seq) = (self.spans[first].first_line, self.spans[first].first_seq);
            out.push(self.violation(ViolationKind::OrphanParent, line, seq, Some(first), message));
        }
        if self.root.is_none() {
            out.push(self.violation(
                ViolationKind::MissingRoot,
                self.first_line,
                None,
                None,
                "the flow has no root span (a span whose events have a null parent_id)".to_owned(),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    const FLOW: &str = "0b6f3c2e-8f1d-4f3a-9a51-3f0f5d1c2b7a";

    /// Builds one flow's events with consecutive `seq` and increasing timestamps.
    struct Log {
        flow: String,
        seq: u64,
        ts: f64,
        events: Vec<Value>,
    }

    impl Log {
        fn new(flow: &str) -> Self {
            Self {
                flow: flow.to_owned(),
                seq: 0,
                ts: 1_700_000_000.0,
                events: Vec::new(),
            }
        }

        fn event(
            &mut self,
            span: &str,
            parent: Option<&str>,
            kind: &str,
            node: &str,
            event_type: &str,
        ) -> &mut Value {
            let level = match (kind, event_type) {
                ("step", "entry" | "exit") => "debug",
                (_, "error") => "error",
                _ => "info",
            };
            let mut metrics = json!({});
            if matches!(event_type, "exit" | "error") {
                metrics["duration_ms"] = json!(1.5);
            }
            self.events.push(json!({
                "flow_id": self.flow, "span_id": span, "parent_id": parent, "node": node,
                "kind": kind, "action": null, "level": level, "timestamp": self.ts,
                "seq": self.seq, "event_type": event_type, "message": null, "data": {},
                "metrics": metrics
            }));
            self.seq += 1;
            self.ts += 0.001;
            self.events.last_mut().unwrap()
        }

        fn span(
            &mut self,
            span: &str,
            parent: Option<&str>,
            kind: &str,
            node: &str,
            event_type: &str,
        ) -> &mut Self {
            self.event(span, parent, kind, node, event_type);
            self
        }

        /// A flow with one node that has one step: the well-formed baseline (debug level).
        fn simple(flow: &str) -> Self {
            let mut log = Self::new(flow);
            log.span("root", None, "flow", "demo", "entry")
                .span("n1", Some("root"), "node", "load", "entry")
                .span("s1", Some("n1"), "step", "load.step[0]", "entry")
                .span("s1", Some("n1"), "step", "load.step[0]", "log")
                .span("s1", Some("n1"), "step", "load.step[0]", "exit")
                .span("n1", Some("root"), "node", "load", "exit")
                .span("root", None, "flow", "demo", "exit");
            log
        }
    }

    fn kinds(violations: &[StructureViolation]) -> Vec<&'static str> {
        violations.iter().map(|v| v.kind.name()).collect()
    }

    #[test]
    fn kind_names_are_unique_snake_case() {
        let mut names: Vec<&str> = ViolationKind::ALL.iter().map(|k| k.name()).collect();
        assert!(
            names
                .iter()
                .all(|n| n.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        );
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ViolationKind::ALL.len());
    }

    #[test]
    fn well_formed_flow_has_no_violation() {
        assert_eq!(check_events(&Log::simple(FLOW).events), Vec::new());
    }

    #[test]
    fn interleaved_flows_are_checked_separately() {
        let a = Log::simple("flow-a").events;
        let b = Log::simple("flow-b").events;
        let mixed: Vec<Value> = a.into_iter().zip(b).flat_map(|(x, y)| [x, y]).collect();
        assert_eq!(check_events(&mixed), Vec::new());
        let mut checker = StructureChecker::new();
        for (line, event) in (1..).zip(&mixed) {
            checker.push(event, line);
        }
        assert_eq!(checker.flows(), 2);
        assert_eq!(checker.events(), 14);
    }

    #[test]
    fn seq_gap_counts_lost_events() {
        let mut events = Log::simple(FLOW).events;
        events.remove(3); // the step's log
        let found = check_events(&events);
        assert_eq!(kinds(&found), ["seq_gap"]);
        assert_eq!(found[0].line, 4);
        assert_eq!(found[0].seq, Some(4));
        assert!(
            found[0].message.contains("from 2 to 4: 1 event(s) lost"),
            "{}",
            found[0].message
        );
    }

    #[test]
    fn first_seq_must_be_zero() {
        let mut events = Log::simple(FLOW).events;
        for event in &mut events {
            event["seq"] = json!(event["seq"].as_u64().unwrap() + 3);
        }
        let found = check_events(&events);
        assert_eq!(kinds(&found), ["seq_gap"]);
        assert!(
            found[0].message.contains("first event has seq 3"),
            "{}",
            found[0].message
        );
    }

    #[test]
    fn repeated_seq_is_reported() {
        let mut events = Log::simple(FLOW).events;
        events[2]["seq"] = json!(1);
        events[3]["seq"] = json!(2);
        let found = check_events(&events);
        assert_eq!(kinds(&found), ["seq_not_increasing", "seq_gap"]);
    }

    #[test]
    fn missing_exit_is_reported_at_the_entry() {
        let mut events = Log::simple(FLOW).events;
        events.remove(4); // the step's exit
        for (seq, event) in events.iter_mut().enumerate() {
            event["seq"] = json!(seq);
        }
        let found = check_events(&events);
        assert_eq!(kinds(&found), ["missing_exit"]);
        assert_eq!((found[0].line, found[0].seq), (3, Some(2)));
        // Its exit after the parent's end puts it outside the parent instead.
        let mut events = Log::simple(FLOW).events;
        let exit = events.remove(4);
        events.insert(5, exit);
        for (seq, event) in events.iter_mut().enumerate() {
            event["seq"] = json!(seq);
            event["timestamp"] = json!(1000.0 + f64::from(u8::try_from(seq).unwrap()));
        }
        let found = check_events(&events);
        assert_eq!(kinds(&found), ["child_outside_parent"]);
        assert_eq!(found[0].line, 6);
        // A span left open at the end of the log is a plain missing exit.
        let mut log = Log::new(FLOW);
        log.span("root", None, "flow", "demo", "entry").span(
            "n1",
            Some("root"),
            "node",
            "load",
            "entry",
        );
        let found = check_events(&log.events);
        assert_eq!(kinds(&found), ["missing_exit", "missing_exit"]);
        assert_eq!(found[1].line, 2);
        assert_eq!(found[1].span_id.as_deref(), Some("n1"));
    }

    #[test]
    fn exit_before_entry() {
        let mut log = Log::new(FLOW);
        log.span("root", None, "flow", "demo", "entry")
            .span("n1", Some("root"), "node", "load", "exit")
            .span("n1", Some("root"), "node", "load", "entry")
            .span("root", None, "flow", "demo", "exit");
        let found = check_events(&log.events);
        assert_eq!(kinds(&found), ["exit_before_entry"]);
        assert_eq!(found[0].line, 2);
    }

    #[test]
    fn log_before_entry_and_duplicate_entry() {
        let mut log = Log::new(FLOW);
        log.span("root", None, "flow", "demo", "entry")
            .span("n1", Some("root"), "node", "load", "log")
            .span("n1", Some("root"), "node", "load", "entry")
            .span("n1", Some("root"), "node", "load", "entry")
            .span("n1", Some("root"), "node", "load", "exit")
            .span("root", None, "flow", "demo", "exit");
        assert_eq!(
            kinds(&check_events(&log.events)),
            ["event_before_entry", "duplicate_entry"]
        );
    }

    #[test]
    fn events_after_end() {
        let mut events = Log::simple(FLOW).events;
        // A step log after the node's exit, before the root's exit.
        let mut late = events[3].clone();
        late["seq"] = json!(6);
        late["timestamp"] = json!(events[5]["timestamp"].as_f64().unwrap() + 0.0001);
        events.insert(6, late);
        events[7]["seq"] = json!(7);
        // A node event after the root's exit.
        let mut after_flow = events[1].clone();
        after_flow["seq"] = json!(8);
        events.push(after_flow);
        let found = check_events(&events);
        assert_eq!(
            kinds(&found),
            ["child_outside_parent", "event_after_end", "event_after_end"]
        );
        assert!(
            found[2].message.contains("root span ended at line 8"),
            "{}",
            found[2].message
        );
    }

    #[test]
    fn orphan_parent() {
        let mut log = Log::new(FLOW);
        log.span("root", None, "flow", "demo", "entry")
            .span("n1", Some("ghost"), "node", "load", "entry")
            .span("n1", Some("ghost"), "node", "load", "exit")
            .span("root", None, "flow", "demo", "exit");
        let found = check_events(&log.events);
        assert_eq!(kinds(&found), ["orphan_parent"]);
        assert!(found[0].message.contains("ghost"), "{}", found[0].message);
        assert_eq!(found[0].line, 2);
    }

    #[test]
    fn child_starting_before_parent() {
        let mut log = Log::new(FLOW);
        log.span("root", None, "flow", "demo", "entry")
            .span("s1", Some("n1"), "step", "load.step[0]", "entry")
            .span("n1", Some("root"), "node", "load", "entry")
            .span("s1", Some("n1"), "step", "load.step[0]", "exit")
            .span("n1", Some("root"), "node", "load", "exit")
            .span("root", None, "flow", "demo", "exit");
        let found = check_events(&log.events);
        assert_eq!(kinds(&found), ["child_outside_parent"]);
        assert_eq!(found[0].span_id.as_deref(), Some("s1"));
        assert_eq!(found[0].line, 2);
    }

    #[test]
    fn child_ending_after_parent_by_timestamp() {
        let mut events = Log::simple(FLOW).events;
        events[4]["timestamp"] = json!(1_800_000_000.0);
        events[5]["timestamp"] = json!(1_800_000_000.0);
        let found = check_events(&events);
        assert_eq!(kinds(&found), ["child_outside_parent"]);
        assert!(
            found[0]
                .message
                .contains("after its parent flow span 'demo'"),
            "{}",
            found[0].message
        );
    }

    #[test]
    fn negative_duration_and_decreasing_timestamp() {
        let mut events = Log::simple(FLOW).events;
        events[4]["metrics"]["duration_ms"] = json!(-0.5);
        events[3]["timestamp"] = json!(1.0);
        let found = check_events(&events);
        assert_eq!(kinds(&found), ["timestamp_decreasing", "negative_duration"]);
    }

    #[test]
    fn roots() {
        let mut log = Log::new(FLOW);
        log.span("root", None, "flow", "demo", "entry")
            .span("root2", None, "flow", "demo", "entry")
            .span("root2", None, "flow", "demo", "exit")
            .span("root", None, "flow", "demo", "exit");
        assert_eq!(kinds(&check_events(&log.events)), ["multiple_roots"]);
        let mut log = Log::new(FLOW);
        log.span("n1", Some("root"), "node", "load", "entry").span(
            "n1",
            Some("root"),
            "node",
            "load",
            "exit",
        );
        assert_eq!(
            kinds(&check_events(&log.events)),
            ["orphan_parent", "missing_root"]
        );
    }

    #[test]
    fn wrong_parent_kind_and_span_mismatch() {
        let mut log = Log::new(FLOW);
        log.span("root", None, "flow", "demo", "entry")
            .span("s1", Some("root"), "step", "x.step[0]", "entry")
            .span("s1", Some("root"), "node", "x", "exit")
            .span("root", None, "flow", "demo", "exit");
        assert_eq!(
            kinds(&check_events(&log.events)),
            ["wrong_parent_kind", "span_mismatch"]
        );
    }

    #[test]
    fn mixed_schema_versions() {
        let mut events = Log::simple(FLOW).events;
        events[2]["schema_version"] = json!("2");
        events[3]["schema_version"] = json!("2");
        let found = check_events(&events);
        assert_eq!(kinds(&found), ["mixed_schema_versions"]);
        assert_eq!(found[0].line, 3);
    }

    #[test]
    fn info_level_logs_lack_step_entries_legitimately() {
        // At the default level step entry/exit (debug) are filtered: only the step's log remains.
        let mut log = Log::new(FLOW);
        log.span("root", None, "flow", "demo", "entry")
            .span("n1", Some("root"), "node", "load", "entry")
            .span("s1", Some("n1"), "step", "load.step[0]", "log")
            .span("s2", Some("n1"), "step", "load.step[1]", "error")
            .span("n1", Some("root"), "node", "load", "error")
            .span("root", None, "flow", "demo", "error");
        assert_eq!(check_events(&log.events), Vec::new());
        // A debug event proves the filter is at debug: the missing step entries are real.
        log.events[2]["level"] = json!("debug");
        assert_eq!(
            kinds(&check_events(&log.events)),
            ["event_before_entry", "exit_before_entry"]
        );
    }

    #[test]
    fn warn_level_logs_have_no_entries_legitimately() {
        // contract §3.5 with level warn: a retry warning and logs, nothing else.
        let mut log = Log::new(FLOW);
        log.event("n1", Some("root"), "node", "flaky", "error")["level"] = json!("warn");
        log.event("n2", Some("root"), "node", "caution", "log")["level"] = json!("warn");
        log.event("n3", Some("root"), "node", "alarm", "log")["level"] = json!("error");
        assert_eq!(check_events(&log.events), Vec::new());
        // Error level, failing steps node: step failed, node failed, flow failed.
        let mut log = Log::new(FLOW);
        log.span("s1", Some("n1"), "step", "parse.step[2]", "error")
            .span("n1", Some("root"), "node", "parse", "error")
            .span("root", None, "flow", "demo", "error");
        assert_eq!(check_events(&log.events), Vec::new());
    }

    #[test]
    fn drain_streams_findings_and_finish_returns_the_rest() {
        let mut log = Log::new(FLOW);
        log.span("root", None, "flow", "demo", "entry").span(
            "n1",
            Some("root"),
            "node",
            "load",
            "entry",
        );
        log.events[1]["seq"] = json!(5);
        let mut checker = StructureChecker::new();
        checker.push(&log.events[0], 1);
        checker.push(&log.events[1], 2);
        assert_eq!(kinds(&checker.drain().collect::<Vec<_>>()), ["seq_gap"]);
        assert_eq!(kinds(&checker.finish()), ["missing_exit", "missing_exit"]);
    }

    #[test]
    fn ended_flows_are_forgotten() {
        let mut checker = StructureChecker::new();
        for (line, event) in (1..).zip(&Log::simple(FLOW).events) {
            checker.push(event, line);
        }
        assert!(checker.open.is_empty());
        assert_eq!(checker.ended.len(), 1);
        assert!(checker.finish().is_empty());
    }

    #[test]
    fn the_set_of_ended_flows_is_bounded() {
        let mut ended = Recent::default();
        let half = u128::try_from(Recent::<u64>::CAPACITY / 2).unwrap();
        for id in 0..half * 3 {
            ended.insert(Id::Uuid(id), 1);
        }
        assert_eq!(ended.len(), Recent::<u64>::CAPACITY);
        assert_eq!(
            ended.get(&Id::Uuid(0)),
            None,
            "the oldest generation is gone"
        );
        assert_eq!(ended.get(&Id::Uuid(half)), Some(1));
        assert_eq!(ended.get(&Id::Uuid(half * 3 - 1)), Some(1));
    }

    #[test]
    fn idle_warn_level_flows_are_evicted_without_losing_seq_continuity() {
        let mut checker = StructureChecker::new();
        checker.max_open_flows = 10;
        let mut line = 0;
        let mut push = |checker: &mut StructureChecker, event: &Value| {
            line += 1;
            checker.push(event, line);
        };
        // 30 runs logged at level warn: their only events are retry warnings, they never end.
        let runs: Vec<Log> = (0..30)
            .map(|i| {
                let mut log = Log::new(&format!("warn-run-{i}"));
                for _ in 0..3 {
                    log.event("n1", Some("root"), "node", "flaky", "error")["level"] =
                        json!("warn");
                }
                log
            })
            .collect();
        for run in &runs {
            push(&mut checker, &run.events[0]);
        }
        // An info-level run stays open throughout: it is never evicted.
        let info = Log::simple(FLOW);
        push(&mut checker, &info.events[0]);
        assert!(
            checker.open.len() <= 11,
            "{} open flows",
            checker.open.len()
        );
        // Evicted runs come back with their seq continuity intact.
        for run in &runs {
            push(&mut checker, &run.events[1]);
            push(&mut checker, &run.events[2]);
        }
        for event in &info.events[1..] {
            push(&mut checker, event);
        }
        assert_eq!(checker.flows(), 31);
        assert_eq!(checker.finish(), Vec::new());
        // A gap in an evicted run is still a gap.
        let mut checker = StructureChecker::new();
        checker.max_open_flows = 10;
        for (i, run) in runs.iter().enumerate() {
            checker.push(&run.events[0], u64::try_from(i).unwrap() + 1);
        }
        checker.push(&runs[0].events[2], 100);
        assert_eq!(kinds(&checker.finish()), ["seq_gap"]);
    }

    #[test]
    fn events_without_ids_are_counted_but_not_checked() {
        let found = check_events(&[json!({"seq": 0}), json!("not an object")]);
        assert!(found.is_empty());
    }
}
