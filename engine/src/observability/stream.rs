//! The in-memory ring buffer of a run's events (contract §3): keeps the last `buffer_size`
//! events and counts what it overwrote (`summary.dropped`).

use std::collections::VecDeque;

use crate::event::Event;

/// The in-memory ring buffer of a run's events.
#[derive(Debug, Clone)]
pub struct EventStream {
    events: VecDeque<Event>,
    capacity: usize,
    dropped: u64,
}

impl EventStream {
    /// An empty buffer keeping at most `capacity` events (at least one).
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        // Do not reserve a huge buffer up front: most runs emit far fewer events than allowed.
        Self {
            events: VecDeque::with_capacity(capacity.min(1024)),
            capacity,
            dropped: 0,
        }
    }

    /// Appends an event, overwriting (and counting) the oldest one when full.
    pub fn push(&mut self, event: Event) {
        if self.events.len() == self.capacity {
            self.events.pop_front();
            self.dropped += 1;
        }
        self.events.push_back(event);
    }

    /// The buffered events, oldest (lowest `seq`) first. After a fan-out the buffer holds its
    /// branches' events in their replay order (`branch.rs`), which decides what a later overflow
    /// drops first; they are read in `seq` order all the same (contract §3.5).
    pub fn iter(&self) -> impl Iterator<Item = &Event> {
        let mut events: Vec<&Event> = self.events.iter().collect();
        events.sort_by_key(|event| event.seq);
        events.into_iter()
    }

    /// How many events are buffered.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// Whether nothing is buffered.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// The maximum number of buffered events.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// How many events were overwritten.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{EventType, Level, SpanKind};
    use std::sync::Arc;

    fn event(seq: u64) -> Event {
        let id: Arc<str> = Arc::from("00000000-0000-4000-8000-000000000000");
        Event {
            flow_id: id.clone(),
            span_id: id,
            parent_id: None,
            node: Arc::from("f"),
            kind: SpanKind::Flow,
            action: None,
            level: Level::Info,
            timestamp: 0.0,
            seq,
            event_type: EventType::Log,
            message: None,
            data: Default::default(),
            metrics: Default::default(),
        }
    }

    #[test]
    fn overwrites_the_oldest_and_counts() {
        let mut stream = EventStream::new(3);
        for seq in 0..5 {
            stream.push(event(seq));
        }
        assert_eq!(stream.len(), 3);
        assert_eq!(stream.dropped(), 2);
        assert_eq!(
            stream.iter().map(|e| e.seq).collect::<Vec<_>>(),
            vec![2, 3, 4]
        );
    }
}
