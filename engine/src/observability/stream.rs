//! The in-memory ring buffer of a run's events (contract §3.5): keeps the last `buffer_size`
//! events and counts what it overwrote (`summary.dropped`); an error event is overwritten only
//! by an error event, when the buffer holds nothing else (contract §3.8).

use std::collections::VecDeque;

use crate::event::Event;
use crate::observability::scope::is_error_event;

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

    /// Appends an event; when full, first drops (and counts) the oldest event that is not an
    /// error event (contract §3.8). When every buffered event is an error event, a new error
    /// event drops the oldest of them and any other new event is dropped itself.
    pub fn push(&mut self, event: Event) {
        if self.events.len() == self.capacity {
            self.dropped += 1;
            match self.events.iter().position(|e| !is_error_event(e)) {
                Some(oldest) => {
                    self.events.remove(oldest);
                }
                None if is_error_event(&event) => {
                    self.events.pop_front();
                }
                None => return,
            }
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
        event_at(seq, Level::Info)
    }

    fn event_at(seq: u64, level: Level) -> Event {
        let id: Arc<str> = Arc::from("00000000-0000-4000-8000-000000000000");
        Event {
            flow_id: id.clone(),
            span_id: id,
            parent_id: None,
            node: Arc::from("f"),
            kind: SpanKind::Flow,
            action: None,
            level,
            timestamp: 0.0,
            seq,
            event_type: EventType::Log,
            message: None,
            data: Default::default(),
            metrics: Default::default(),
            tenant: None,
        }
    }

    fn seqs(stream: &EventStream) -> Vec<u64> {
        stream.iter().map(|e| e.seq).collect()
    }

    #[test]
    fn never_overwrites_an_error_event_while_another_one_can_go() {
        let mut stream = EventStream::new(3);
        stream.push(event_at(0, Level::Error));
        stream.push(event(1));
        stream.push(event_at(2, Level::Error));
        stream.push(event(3));
        assert_eq!(seqs(&stream), vec![0, 2, 3]);
        stream.push(event_at(4, Level::Error));
        assert_eq!(seqs(&stream), vec![0, 2, 4]);
        assert_eq!(stream.dropped(), 2);
    }

    #[test]
    fn a_buffer_of_error_events_drops_the_new_event_or_the_oldest_error() {
        let mut stream = EventStream::new(2);
        stream.push(event_at(0, Level::Error));
        stream.push(event_at(1, Level::Error));
        stream.push(event(2));
        assert_eq!(seqs(&stream), vec![0, 1]);
        stream.push(event_at(3, Level::Error));
        assert_eq!(seqs(&stream), vec![1, 3]);
        assert_eq!(stream.dropped(), 2);
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
