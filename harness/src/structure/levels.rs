//! Level filtering (contract §3.5): a log written at level `info` has no step entries or exits,
//! one at `warn` no entries at all. A finding that needs an event of level L to be present waits
//! until the flow shows an event at level L or below (proof that the filter let L through), and
//! is dropped if that proof never comes.

use yamlflow::{Level, SpanKind};

use super::violation::StructureViolation;

/// The level of a span kind's entry and exit events (contract §3.3): step spans are `debug`, all
/// others `info`. A level filter above it drops them legitimately.
pub(crate) fn entry_level(kind: SpanKind) -> Level {
    match kind {
        SpanKind::Step => Level::Debug,
        SpanKind::Flow | SpanKind::Node | SpanKind::Parallel => Level::Info,
    }
}

/// A finding that only counts once the flow proves its level filter let `needs` through.
#[derive(Debug)]
struct Deferred {
    needs: Level,
    violation: StructureViolation,
}

/// What one flow has shown of its level filter, and the findings waiting for proof.
#[derive(Debug, Default)]
pub(crate) struct LevelGate {
    /// The lowest level seen: the level filter is at or below it.
    min_level: Option<Level>,
    deferred: Vec<Deferred>,
}

impl LevelGate {
    /// Whether the flow has shown an event at level `level` or below.
    pub(crate) fn lets_through(&self, level: Level) -> bool {
        self.min_level.is_some_and(|seen| seen <= level)
    }

    /// Reports `violation` now if the flow has shown an event at level `needs` or below, else
    /// keeps it until it does.
    pub(crate) fn report(
        &mut self,
        needs: Level,
        violation: StructureViolation,
        out: &mut Vec<StructureViolation>,
    ) {
        if self.lets_through(needs) {
            out.push(violation);
        } else {
            self.deferred.push(Deferred { needs, violation });
        }
    }

    /// Records an event at `level`; releases the findings it proves.
    pub(crate) fn observe(&mut self, level: Level, out: &mut Vec<StructureViolation>) {
        if self.lets_through(level) {
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
}
