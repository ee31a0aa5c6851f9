//! Bounded memory of flows that are no longer open (see [`Recent`]).

use std::collections::HashMap;

use super::facts::Id;

/// A map from flow ids that remembers only the most recent entries: two generations, the older
/// one dropped when the newer one fills up, so at most [`Recent::CAPACITY`] entries.
///
/// It holds the flows whose root span ended (to report events that come after the end) and the
/// idle flows evicted by the checker. A log of many short runs would otherwise make these
/// the one thing that grows with the log (5 GB of two-event runs are millions of flows). An event
/// of a run forgotten this way, a million runs later, starts a new flow, which the checks still
/// reject (its first `seq` is not 0), with a less precise message.
#[derive(Debug)]
pub(crate) struct Recent<V> {
    recent: HashMap<Id, V>,
    older: HashMap<Id, V>,
    capacity: usize,
}

impl<V> Default for Recent<V> {
    fn default() -> Self {
        Self::with_capacity(Self::CAPACITY)
    }
}

impl<V> Recent<V> {
    /// The most entries by default.
    pub(crate) const CAPACITY: usize = 1 << 20;

    /// At most `capacity` entries (at least 2).
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        Self {
            recent: HashMap::new(),
            older: HashMap::new(),
            capacity: capacity.max(2),
        }
    }
}

impl<V: Copy> Recent<V> {
    pub(crate) fn get(&self, id: &Id) -> Option<V> {
        self.recent.get(id).or_else(|| self.older.get(id)).copied()
    }

    pub(crate) fn remove(&mut self, id: &Id) -> Option<V> {
        self.recent.remove(id).or_else(|| self.older.remove(id))
    }

    pub(crate) fn insert(&mut self, id: Id, value: V) {
        if self.recent.len() >= self.capacity / 2 {
            self.older = std::mem::take(&mut self.recent);
        }
        self.recent.insert(id, value);
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.recent.len() + self.older.len()
    }
}
