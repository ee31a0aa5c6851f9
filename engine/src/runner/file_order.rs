//! The order of file actions inside a fan-out (contract §1.2, "Files"): a file lies outside the
//! run, so what a branch writes can be neither held back nor rolled back like its state or its
//! memory. Branches run concurrently, but a branch's file actions wait until every branch listed
//! before it has ended: the files see the branches one after another, in list order, on every run.

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use crate::observability::Span;

/// The running fan-out, as far as its file actions are concerned.
#[derive(Debug, Default)]
struct Turns {
    /// The fan-out's branches (node names), in list order; empty outside a fan-out.
    names: Vec<String>,
    /// Each branch's node span id and its place in `names`.
    spans: Vec<(String, usize)>,
    /// Whether each branch has ended (failed or not).
    ended: Vec<bool>,
}

/// One run's file order: the turns of the running fan-out.
#[derive(Debug, Default)]
pub(crate) struct FileOrder {
    turns: Mutex<Turns>,
    changed: Condvar,
}

fn lock(order: &FileOrder) -> MutexGuard<'_, Turns> {
    order.turns.lock().unwrap_or_else(PoisonError::into_inner)
}

impl FileOrder {
    /// A fan-out of `branches` starts.
    pub(crate) fn fork(&self, branches: &[String]) {
        let mut turns = lock(self);
        turns.names = branches.to_vec();
        turns.spans.clear();
        turns.ended = vec![false; branches.len()];
    }

    /// Fan-out branch `node` (its node span, before its first action) has started.
    pub(crate) fn branch(&self, node: &Span) {
        let mut turns = lock(self);
        if let Some(place) = turns.names.iter().position(|n| **n == *node.node) {
            turns.spans.push((node.id.to_string(), place));
        }
    }

    /// Waits until every branch listed before the one `span` belongs to has ended; returns at
    /// once outside a fan-out.
    pub(crate) fn wait(&self, span: &Span) {
        let mut turns = lock(self);
        let mine = turns
            .spans
            .iter()
            .find(|(id, _)| **id == *span.id || span.parent.as_deref().is_some_and(|p| p == id))
            .map(|&(_, place)| place);
        let Some(place) = mine else { return };
        while turns.ended[..place].contains(&false) {
            turns = self
                .changed
                .wait(turns)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Marks branch `place` ended when the returned guard drops, also when the branch panics
    /// (a branch waiting for it would otherwise wait for ever).
    pub(crate) fn ending(&self, place: usize) -> Ending<'_> {
        Ending { order: self, place }
    }

    /// The fan-out has ended.
    pub(crate) fn join(&self) {
        *lock(self) = Turns::default();
    }
}

/// Ends a branch's turn when dropped.
pub(crate) struct Ending<'o> {
    order: &'o FileOrder,
    place: usize,
}

impl Drop for Ending<'_> {
    fn drop(&mut self) {
        let mut turns = lock(self.order);
        if let Some(ended) = turns.ended.get_mut(self.place) {
            *ended = true;
        }
        drop(turns);
        self.order.changed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use std::panic::{AssertUnwindSafe, catch_unwind};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;

    use super::*;
    use crate::event::SpanKind;

    fn span(parent: Option<&Span>, name: &str) -> Span {
        Span::new(parent, Arc::from(name), SpanKind::Node, None)
    }

    #[test]
    fn outside_a_fan_out_nothing_waits() {
        let order = FileOrder::default();
        order.wait(&span(None, "a"));
        order.fork(&["a".into(), "b".into()]);
        order.join();
        order.wait(&span(None, "b"));
    }

    #[test]
    fn a_branch_waits_for_every_branch_listed_before_it_to_end() {
        let order = FileOrder::default();
        order.fork(&["a".into(), "b".into(), "c".into()]);
        let (a, b, c) = (span(None, "a"), span(None, "b"), span(None, "c"));
        let step = span(Some(&c), "c.step[0]");
        for node in [&a, &b, &c] {
            order.branch(node);
        }
        order.wait(&a);
        let a_ended = AtomicBool::new(false);
        std::thread::scope(|s| {
            let waiter = s.spawn(|| {
                // A step of `c` waits too; `b` ends by panicking and still releases it.
                order.wait(&step);
                a_ended.load(Ordering::SeqCst)
            });
            let _ = catch_unwind(AssertUnwindSafe(|| {
                let _b = order.ending(1);
                panic!("branch b failed");
            }));
            std::thread::sleep(Duration::from_millis(20));
            assert!(!waiter.is_finished(), "c went before a ended");
            a_ended.store(true, Ordering::SeqCst);
            drop(order.ending(0));
            assert!(waiter.join().unwrap(), "c went before a ended");
        });
    }
}
