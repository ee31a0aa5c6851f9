//! What the structural checks report: the rule broken ([`ViolationKind`]) and where
//! ([`StructureViolation`]).

use std::fmt;

/// The structural rule an event log breaks. `name()` is the stable snake_case spelling used in
/// reports and summaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ViolationKind {
    /// `seq` skips values, or a flow's first `seq` is not 0: events were lost (contract §3.3).
    SeqGap,
    /// `seq` repeats or goes back within a flow (contract §3.3: strictly increasing).
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
    /// (contract §3.2 "children start after its entry and end before its end", §4 step 3).
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
    /// The events of one run disagree on `tenant`, or some carry one and others not (contract
    /// §3.8).
    MixedTenants,
    /// A value under a key of the default redaction list is not `[REDACTED]` (contract §3.4).
    RedactionMiss,
    /// More flows and spans of unfinished runs are open at once than the checker holds
    /// (`--max-open`): a run is no longer checked.
    TooManyOpen,
    /// A timestamp that looks like milliseconds, or a `duration_ms` far beyond the span's wall
    /// time or beyond any run: a unit that looks wrong (a warning, see
    /// [`ViolationKind::is_plausibility`]).
    ImplausibleUnits,
}

impl ViolationKind {
    /// Every kind, in declaration order.
    pub const ALL: [Self; 20] = [
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
        Self::MixedTenants,
        Self::RedactionMiss,
        Self::TooManyOpen,
        Self::ImplausibleUnits,
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
            Self::MixedTenants => "mixed_tenants",
            Self::RedactionMiss => "redaction_miss",
            Self::TooManyOpen => "too_many_open",
            Self::ImplausibleUnits => "implausible_units",
        }
    }
}

impl ViolationKind {
    /// Whether the rule is a plausibility check (a warning, not an error): the value may be
    /// right.
    #[must_use]
    pub fn is_plausibility(self) -> bool {
        self == Self::ImplausibleUnits
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
    /// The 1-based line (or, for `check_events`, 1-based position) of that event.
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
