//! Runs the fixtures on a pool of threads and gives their reports back in fixture order.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

/// `check` applied to every item on `jobs` threads (at least one, at most one per item); the
/// results come back in item order, and `progress` hears about each as it is done (from the
/// worker threads). When `progress` returns `false`, no further item is started: the results
/// hold the items done by then.
pub fn run_all<T: Sync, R: Send>(
    items: &[T],
    jobs: usize,
    check: &(dyn Fn(&T) -> R + Sync),
    progress: &(dyn Fn(&R) -> bool + Sync),
) -> Vec<R> {
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let slots: Mutex<Vec<Option<R>>> = Mutex::new((0..items.len()).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..jobs.clamp(1, items.len().max(1)) {
            scope.spawn(|| {
                while !stop.load(Ordering::Relaxed) {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(index) else {
                        break;
                    };
                    let result = check(item);
                    if !progress(&result) {
                        stop.store(true, Ordering::Relaxed);
                    }
                    slots.lock().unwrap_or_else(PoisonError::into_inner)[index] = Some(result);
                }
            });
        }
    });
    slots
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner)
        .into_iter()
        .flatten()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_back_in_item_order_whatever_the_threads() {
        let items: Vec<u64> = (0..50).collect();
        for jobs in [0, 1, 3, 100] {
            let seen = AtomicUsize::new(0);
            let results = run_all(&items, jobs, &|n| n * 2, &|_| {
                seen.fetch_add(1, Ordering::Relaxed);
                true
            });
            assert_eq!(results, items.iter().map(|n| n * 2).collect::<Vec<_>>());
            assert_eq!(seen.into_inner(), 50);
        }
    }
}

#[cfg(test)]
mod stopping {
    use super::*;

    #[test]
    fn a_false_from_progress_stops_new_items() {
        let items: Vec<u64> = (0..50).collect();
        let results = run_all(&items, 1, &|n| *n, &|n| *n < 4);
        assert_eq!(results, vec![0, 1, 2, 3, 4]);
    }
}
