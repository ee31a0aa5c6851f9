//! Timing (contract §4 step 3): durations are never negative and timestamps never decrease
//! within a span.

use yamlflow::EventType;

use super::facts::EventFacts;
use super::state::FlowState;
use super::violation::{StructureViolation, ViolationKind};

impl FlowState {
    /// The event's `metrics.duration_ms`, if any, is not negative.
    pub(crate) fn check_duration(
        &self,
        idx: usize,
        facts: &EventFacts,
        event_type: EventType,
        line: u64,
        out: &mut Vec<StructureViolation>,
    ) {
        let Some(duration) = facts.duration_ms.filter(|duration| *duration < 0.0) else {
            return;
        };
        let message = format!(
            "metrics.duration_ms of the {} of {} is {duration}; durations are never negative",
            event_type.as_str(),
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

    /// The event's timestamp is not earlier than the previous one of its span.
    pub(crate) fn check_timestamp(
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
}
