//! One run's memory (contract §1.2, §2.2): the store `memory.*` actions read and write, never rolled
//! back. Inside a fan-out each branch reads and writes its own copy, taken at the fork; the copies
//! are applied in list order when the branches end, so concurrent branches never race.

use std::sync::{Mutex, MutexGuard, PoisonError};

use serde_json::{Map, Value};

use crate::observability::Span;

/// A running branch's copy of the store: its node span id, its node name, the copy.
type BranchCopy = (String, String, Map<String, Value>);

/// One run's memory: the store, and while a fan-out runs, one copy per branch.
#[derive(Debug, Default)]
pub(crate) struct Memory {
    values: Mutex<Map<String, Value>>,
    /// The running branches' copies.
    branches: Mutex<Vec<BranchCopy>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Memory {
    /// Runs `f` on the store `span` sees: its branch's copy, or the run's store.
    fn with<R>(&self, span: &Span, f: impl FnOnce(&mut Map<String, Value>) -> R) -> R {
        let mut branches = lock(&self.branches);
        let mine = branches
            .iter_mut()
            .find(|(id, _, _)| **id == *span.id || span.parent.as_deref().is_some_and(|p| p == id));
        if let Some((_, _, copy)) = mine {
            return f(copy);
        }
        drop(branches);
        f(&mut lock(&self.values))
    }

    /// Stores a copy of `value` under `key`, as an action in `span`.
    pub(crate) fn insert(&self, span: &Span, key: &str, value: Value) {
        self.with(span, |values| values.insert(key.to_owned(), value));
    }

    /// A copy of the value under `key`, as an action in `span` sees it.
    pub(crate) fn get(&self, span: &Span, key: &str) -> Option<Value> {
        self.with(span, |values| values.get(key).cloned())
    }

    /// Gives fan-out branch `node` (its node span, before its first action) a copy of the store.
    pub(crate) fn branch(&self, node: &Span) {
        let copy = lock(&self.values).clone();
        lock(&self.branches).push((node.id.to_string(), node.node.to_string(), copy));
    }

    /// Applies the branches' copies when their fan-out ends, in the order of `branches`: every key
    /// whose value differs from the store's (a later branch wins).
    pub(crate) fn join(&self, branches: &[String]) {
        let mut copies = std::mem::take(&mut *lock(&self.branches));
        copies.sort_by_key(|(_, name, _)| branches.iter().position(|b| b == name));
        let mut values = lock(&self.values);
        let before = values.clone();
        for (_, _, copy) in copies {
            for (key, value) in copy {
                if before.get(&key) != Some(&value) {
                    values.insert(key, value);
                }
            }
        }
    }
}
