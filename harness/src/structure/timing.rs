//! Timing (contract §4 step 3): durations are never negative and timestamps never decrease
//! within a span. Plus plausibility warnings (`structure.implausible_units`, one per run): a
//! timestamp that looks like milliseconds, a `duration_ms` of a trillion or more, or one far
//! beyond the span's wall time (microseconds?).

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

/// Seconds since the epoch above this are in the year 5138: milliseconds, surely.
const MAX_PLAUSIBLE_TIMESTAMP: f64 = 1e11;
/// 31 years in milliseconds: no span lasts that long.
const MAX_PLAUSIBLE_DURATION_MS: f64 = 1e12;
/// A duration may exceed its span's wall time (two clocks, coarse timestamps) but not by this
/// factor…
const WALL_FACTOR: f64 = 10.0;
/// …plus this many milliseconds (a clock that ticks every 15 ms must not make a warning).
const WALL_SLACK_MS: f64 = 1000.0;

impl FlowState {
    /// Warns (once per run) about a unit that looks wrong in the event `facts` of span `idx`.
    pub(crate) fn check_units(
        &mut self,
        idx: usize,
        facts: &EventFacts,
        line: u64,
        out: &mut Vec<StructureViolation>,
    ) {
        if self.units_reported {
            return;
        }
        let span = &self.spans[idx];
        let message = match (facts.timestamp, facts.duration_ms) {
            (Some(ts), _) if ts > MAX_PLAUSIBLE_TIMESTAMP => format!(
                "timestamp {ts} looks like milliseconds: timestamps are seconds since the Unix \
                 epoch"
            ),
            (_, Some(duration)) if duration >= MAX_PLAUSIBLE_DURATION_MS => format!(
                "metrics.duration_ms {duration} of {} is more than 31 years",
                span.describe()
            ),
            (Some(ts), Some(duration)) if facts.is_final() => {
                let (Some(entry_ts), Some(entry_line)) = (span.entry_ts, span.entry_line) else {
                    return;
                };
                let wall_ms = (ts - entry_ts) * 1000.0;
                if duration <= wall_ms.max(0.0) * WALL_FACTOR + WALL_SLACK_MS {
                    return;
                }
                format!(
                    "metrics.duration_ms {duration} of {} is far beyond its wall time \
                     ({wall_ms:.3} ms from its entry at line {entry_line}): is it in \
                     microseconds?",
                    span.describe()
                )
            }
            _ => return,
        };
        self.units_reported = true;
        out.push(self.violation(
            ViolationKind::ImplausibleUnits,
            line,
            facts.seq,
            Some(idx),
            message,
        ));
    }
}
