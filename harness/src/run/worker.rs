//! The worker thread of one run, with its time limit and its sandbox (STYLE §3: a hung or
//! panicking engine is an errored result, not a crash).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::model::{Engine, Outcome, RunFailure, RunResult};

/// Runs `work` on a fresh thread and waits at most `timeout` for it. On a timeout `on_timeout`
/// gets the chance to stop it; the thread is then abandoned (Rust code cannot be killed) and
/// whatever it owns is dropped when it ends.
pub(crate) fn with_timeout<W>(
    engine: Engine,
    timeout: Duration,
    work: W,
    on_timeout: impl FnOnce(),
) -> RunResult
where
    W: FnOnce() -> Outcome + Send + 'static,
{
    let (sender, receiver) = mpsc::channel();
    let started = Instant::now();
    let spawned = std::thread::Builder::new()
        .name(format!("twinflow-{engine}"))
        .spawn(move || {
            let outcome = catch_unwind(AssertUnwindSafe(work)).unwrap_or_else(|payload| {
                Outcome::Errored(RunFailure::Panic {
                    message: panic_message(payload.as_ref()),
                })
            });
            // The receiver is gone after a timeout; nothing is waiting any more.
            let _ = sender.send((outcome, started.elapsed()));
        });
    if let Err(err) = spawned {
        return RunResult {
            engine,
            outcome: Outcome::Errored(RunFailure::Setup {
                message: format!("cannot start a thread: {err}"),
            }),
            elapsed: Duration::ZERO,
        };
    }
    match receiver.recv_timeout(timeout) {
        Ok((outcome, elapsed)) => RunResult {
            engine,
            outcome,
            elapsed,
        },
        Err(mpsc::RecvTimeoutError::Timeout) => {
            on_timeout();
            RunResult {
                engine,
                outcome: Outcome::Errored(RunFailure::Timeout {
                    after: timeout,
                    killed: false,
                    stderr_tail: String::new(),
                }),
                elapsed: timeout,
            }
        }
        // Unreachable in practice: the worker always sends, even after a panic.
        Err(mpsc::RecvTimeoutError::Disconnected) => RunResult {
            engine,
            outcome: Outcome::Errored(RunFailure::Panic {
                message: "the worker thread ended without a result".to_owned(),
            }),
            elapsed: started.elapsed(),
        },
    }
}

/// A fresh sandbox directory, removed when dropped.
pub(crate) fn sandbox() -> Result<tempfile::TempDir, RunFailure> {
    tempfile::Builder::new()
        .prefix("twinflow-sandbox-")
        .tempdir()
        .map_err(|err| RunFailure::Setup {
            message: format!("cannot create a sandbox directory: {err}"),
        })
}

/// The text of a panic's payload.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(message) = payload.downcast_ref::<&str>() {
        (*message).to_owned()
    } else if let Some(message) = payload.downcast_ref::<String>() {
        message.clone()
    } else {
        "a panic with a non-text payload".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hung_worker_times_out_and_the_caller_goes_on() {
        let (stop, stopped) = mpsc::channel::<()>();
        let mut asked_to_stop = false;
        let result = with_timeout(
            Engine::Rust,
            Duration::from_millis(50),
            move || {
                // Blocks until the test lets it go.
                let _ = stopped.recv();
                Outcome::Errored(RunFailure::Setup {
                    message: "unreachable".to_owned(),
                })
            },
            || asked_to_stop = true,
        );
        assert!(asked_to_stop);
        assert_eq!(
            result.outcome,
            Outcome::Errored(RunFailure::Timeout {
                after: Duration::from_millis(50),
                killed: false,
                stderr_tail: String::new(),
            })
        );
        let _ = stop.send(());
    }

    #[test]
    fn a_panicking_worker_is_an_errored_result() {
        let result = with_timeout(
            Engine::Rust,
            Duration::from_secs(5),
            || panic!("engine exploded"),
            || {},
        );
        assert_eq!(
            result.outcome,
            Outcome::Errored(RunFailure::Panic {
                message: "engine exploded".to_owned()
            })
        );
    }
}
