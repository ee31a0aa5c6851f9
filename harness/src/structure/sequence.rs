//! The `seq` rule of contract §3.3: per run, `seq` starts at 0 and increases by one per event.

use super::violation::ViolationKind;

/// The `seq` a flow's next event should have.
#[derive(Debug, Default)]
pub(crate) struct Sequence {
    next: Option<u64>,
}

impl Sequence {
    /// Continues a flow that was evicted with `next` as its next `seq`.
    pub(crate) fn resume(next: u64) -> Self {
        Self { next: Some(next) }
    }

    /// The `seq` the next event should have (0 before the first).
    pub(crate) fn next(&self) -> u64 {
        self.next.unwrap_or(0)
    }

    /// Checks the next event's `seq`; a gap is counted once, so the events after it are judged
    /// from the new position.
    pub(crate) fn check(&mut self, seq: u64) -> Option<(ViolationKind, String)> {
        let expected = self.next();
        if seq == expected {
            self.next = Some(seq.saturating_add(1));
            return None;
        }
        if seq > expected {
            self.next = Some(seq.saturating_add(1));
            let lost = seq - expected;
            let message = if expected == 0 {
                format!("the flow's first event has seq {seq}, not 0: {lost} event(s) lost")
            } else {
                format!(
                    "seq jumps from {} to {seq}: {lost} event(s) lost",
                    expected - 1
                )
            };
            return Some((ViolationKind::SeqGap, message));
        }
        Some((
            ViolationKind::SeqNotIncreasing,
            format!(
                "seq {seq} repeats or goes back: the flow's previous seq is {}",
                expected - 1
            ),
        ))
    }
}
