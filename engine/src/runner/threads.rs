//! Real threads for fan-out branches, without paying thread creation for every branch.
//!
//! contract §1 runs fan-out branches concurrently on real threads, so every branch gets a thread
//! of its own at once (a branch that sleeps never waits for a free worker). Creating an OS
//! thread costs about 50 µs on the reference machine, more than the rest of a small branch, so
//! finished threads park here and the next fan-out reuses them; a thread idle for
//! [`IDLE_TIMEOUT`] ends. The pool grows to the widest fan-out in flight and never limits it.
//!
//! [`run_all`] is scoped like `std::thread::scope`: its jobs may borrow from the caller, because
//! it does not return (nor unwind) before every job has finished.

use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::Duration;

/// How long a parked thread waits for work before it ends.
const IDLE_TIMEOUT: Duration = Duration::from_secs(30);

type Job = Box<dyn FnOnce() + Send + 'static>;

/// A parked thread: its id (to find itself when it times out) and its mailbox.
struct Parked {
    id: u64,
    mailbox: Sender<Job>,
}

/// Parked threads, most recently parked last.
static PARKED: Mutex<Vec<Parked>> = Mutex::new(Vec::new());
static NEXT_ID: AtomicU64 = AtomicU64::new(0);
/// Threads created so far (for the tests).
static SPAWNED: AtomicU64 = AtomicU64::new(0);

/// Runs every job on its own thread, all at once, and returns their results in order. A job
/// that panics makes `run_all` panic with its payload once every job has finished.
pub(super) fn run_all<'s, T, F>(jobs: Vec<F>) -> Vec<T>
where
    T: Send + 's,
    F: FnOnce() -> T + Send + 's,
{
    let slots: Vec<Mutex<Option<std::thread::Result<T>>>> =
        jobs.iter().map(|_| Mutex::new(None)).collect();
    let latch = Arc::new(Latch::default());
    {
        // Waits (also while unwinding) until every dispatched job has finished: that is what
        // makes lending `'s` data to the pool threads sound.
        let mut guard = WaitGuard {
            latch: &latch,
            dispatched: 0,
        };
        let last = slots.len().saturating_sub(1);
        for (index, (job, slot)) in jobs.into_iter().zip(&slots).enumerate() {
            let done = Arc::clone(&latch);
            let task = move || {
                let result = catch_unwind(AssertUnwindSafe(job));
                *slot.lock().unwrap_or_else(PoisonError::into_inner) = Some(result);
                // The last touch of borrowed data; `done` is owned, so counting down is safe
                // even after the caller has returned.
                done.count_down();
            };
            // SAFETY: the task borrows only data that outlives this loop (`'s` data, `slots`), and
            // `guard` does not let this function return or unwind before the task has counted
            // down `latch`, which is its last use of borrowed data. Tasks always count down:
            // panics are caught, and a task that cannot be handed to a thread runs here.
            let task: Job = unsafe { erase(Box::new(task)) };
            guard.dispatched += 1;
            if index == last {
                // The caller would only wait: it runs the last job itself, one hand-off fewer.
                task();
            } else {
                dispatch(task);
            }
        }
    }
    slots
        .into_iter()
        .map(|slot| {
            match slot
                .into_inner()
                .unwrap_or_else(PoisonError::into_inner)
                .expect("every job stored its result before counting down")
            {
                Ok(value) => value,
                Err(panic) => resume_unwind(panic),
            }
        })
        .collect()
}

/// Forgets the lifetime of a task's borrows.
///
/// # Safety
/// The task must have finished before the data it borrows goes away.
unsafe fn erase<'a>(task: Box<dyn FnOnce() + Send + 'a>) -> Job {
    // SAFETY: only the lifetime differs between the two types; the caller upholds it.
    unsafe { std::mem::transmute::<Box<dyn FnOnce() + Send + 'a>, Job>(task) }
}

/// Hands `task` to a parked thread, or to a new one; runs it on the calling thread if no thread
/// can be created (the run goes on, only less concurrently).
fn dispatch(mut task: Job) {
    loop {
        let parked = PARKED.lock().unwrap_or_else(PoisonError::into_inner).pop();
        let Some(parked) = parked else { break };
        match parked.mailbox.send(task) {
            Ok(()) => return,
            // That thread has ended; try the next one.
            Err(mpsc::SendError(back)) => task = back,
        }
    }
    let (mailbox, inbox) = mpsc::channel::<Job>();
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    let own = mailbox.clone();
    let spawned = std::thread::Builder::new()
        .name("yamlflow-branch".into())
        .spawn(move || work(id, &own, &inbox));
    SPAWNED.fetch_add(1, Ordering::Relaxed);
    match spawned {
        Ok(_) => {
            if let Err(mpsc::SendError(task)) = mailbox.send(task) {
                task();
            }
        }
        Err(_) => task(),
    }
}

/// A pool thread: run what arrives, park, and end after [`IDLE_TIMEOUT`] without work.
fn work(id: u64, mailbox: &Sender<Job>, inbox: &Receiver<Job>) {
    loop {
        match inbox.recv_timeout(IDLE_TIMEOUT) {
            Ok(task) => {
                task();
                PARKED
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(Parked {
                        id,
                        mailbox: mailbox.clone(),
                    });
            }
            Err(RecvTimeoutError::Timeout) => {
                let mut parked = PARKED.lock().unwrap_or_else(PoisonError::into_inner);
                if let Some(index) = parked.iter().position(|p| p.id == id) {
                    // Unlisted under the lock: nobody can send to this thread any more.
                    parked.swap_remove(index);
                    return;
                }
                // A dispatcher has just taken this thread: its task is on the way.
            }
            Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}

/// Counts finished jobs.
struct Latch {
    /// `(finished, awaited)`: jobs done, and how many the waiter waits for (`usize::MAX` until it
    /// waits), so that only the last job wakes it, not every one.
    counts: Mutex<(usize, usize)>,
    changed: Condvar,
}

impl Default for Latch {
    fn default() -> Self {
        Self {
            counts: Mutex::new((0, usize::MAX)),
            changed: Condvar::new(),
        }
    }
}

impl Latch {
    fn count_down(&self) {
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        counts.0 += 1;
        if counts.0 >= counts.1 {
            self.changed.notify_one();
        }
    }

    fn wait_for(&self, count: usize) {
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        counts.1 = count;
        while counts.0 < count {
            counts = self
                .changed
                .wait(counts)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
}

struct WaitGuard<'l> {
    latch: &'l Latch,
    dispatched: usize,
}

impl Drop for WaitGuard<'_> {
    fn drop(&mut self) {
        self.latch.wait_for(self.dispatched);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Barrier;

    use super::*;

    #[test]
    fn results_come_back_in_job_order_and_jobs_may_borrow() {
        let words = ["a".to_owned(), "bb".to_owned(), "ccc".to_owned()];
        let jobs: Vec<_> = words.iter().map(|w| move || w.len()).collect();
        assert_eq!(run_all(jobs), [1, 2, 3]);
    }

    #[test]
    fn every_job_has_its_own_thread_at_once() {
        // Sixteen jobs that can only finish together: a pool that queued any would hang.
        let barrier = Barrier::new(16);
        let jobs: Vec<_> = (0..16)
            .map(|i| {
                let barrier = &barrier;
                move || {
                    barrier.wait();
                    i
                }
            })
            .collect();
        assert_eq!(run_all(jobs), (0..16).collect::<Vec<_>>());
    }

    #[test]
    fn threads_are_reused() {
        let before = SPAWNED.load(Ordering::Relaxed);
        for i in 0..20 {
            assert_eq!(run_all(vec![move || i]), [i]);
        }
        // One new thread at most per call if nothing were reused; other tests running at the
        // same time can take a parked thread now and then, not every time.
        let spawned = SPAWNED.load(Ordering::Relaxed) - before;
        assert!(spawned < 20, "{spawned} threads for 20 sequential calls");
    }

    #[test]
    fn a_panicking_job_panics_after_the_others_finished() {
        let finished = Mutex::new(0);
        let result = catch_unwind(AssertUnwindSafe(|| {
            let jobs: Vec<Box<dyn FnOnce() + Send + '_>> = vec![
                Box::new(|| panic!("branch exploded")),
                Box::new(|| {
                    std::thread::sleep(Duration::from_millis(20));
                    *finished.lock().unwrap() += 1;
                }),
            ];
            run_all(jobs);
        }));
        assert!(result.is_err());
        assert_eq!(*finished.lock().unwrap(), 1);
    }
}
