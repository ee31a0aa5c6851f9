//! Streaming structural checks of event logs: the rules of contract §3.2 and §3.3 and the checks
//! of contract §4 step 3, per flow, with several flows interleaved in one log.
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
//!
//! The rules are checked by family, one file each: `sequence` (`seq` gaps), `identity` (ids,
//! roots and parents), `nesting` (children inside their parent's interval), `lifecycle` (entry,
//! exit, nothing after the end), `timing` (durations, timestamps), `levels` (level filtering) and
//! `redaction` (contract §3.4). `flow` runs them on each event of one run; `checker` routes the
//! events of a log to their runs and bounds memory (`recent`).

mod checker;
pub(crate) mod facts;
mod flow;
mod identity;
mod levels;
mod lifecycle;
mod nesting;
mod open;
mod recent;
pub mod redaction;
mod sequence;
mod span;
mod state;
mod timing;
mod violation;

use serde_json::Value;

pub use checker::StructureChecker;
pub use facts::EventFacts;
pub use open::DEFAULT_MAX_OPEN;
pub use violation::{StructureViolation, ViolationKind};

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

#[cfg(test)]
mod tests;
