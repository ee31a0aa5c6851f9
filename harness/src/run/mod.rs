//! Running one fixture through one engine: the Rust crate in-process, the Python package through
//! the embedded interpreter. Both hand back the run's events as JSON Lines text, parsed here into
//! `Vec<Value>`, so both sides go through the same JSON reading.
//!
//! Every run gets a fresh temporary sandbox (contract §2: `file.*`, `obs.export` and file
//! handlers write there) and runs on a worker thread with a time limit: a hung or panicking engine
//! becomes an errored result for that fixture and the suite goes on (STYLE §3).

mod python;
mod rust;

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::fixture::Fixture;
use crate::layout::Layout;
use crate::python::PyException;

/// The default per-fixture time limit of each engine.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// One of the two twins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Engine {
    /// The `yamlflow` crate (`engine/`).
    Rust,
    /// The `yamlflow` package (`python/`), embedded through pyo3.
    Python,
}

impl Engine {
    /// Both engines, Rust first (the reference for `scripts/regen-expected`).
    pub const ALL: [Self; 2] = [Self::Rust, Self::Python];

    /// `rust` or `python`, as in `parity.xfail`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Rust => "rust",
            Self::Python => "python",
        }
    }

    /// The other twin.
    #[must_use]
    pub fn other(self) -> Self {
        match self {
            Self::Rust => Self::Python,
            Self::Python => Self::Rust,
        }
    }
}

impl fmt::Display for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A flow text that does not load, as either engine reports it (contract §1.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadFailure {
    /// The contract kind (`YamlSyntax`, `UnknownKey`…).
    pub kind: String,
    /// The message.
    pub message: String,
    /// The origin (`<string>` for the harness's runs).
    pub file: String,
    /// 1-based line, where known.
    pub line: Option<usize>,
    /// 1-based column, where known.
    pub column: Option<usize>,
    /// The offending key path, where known.
    pub key: Option<String>,
}

impl fmt::Display for LoadFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        write!(f, ": {}: {}", self.kind, self.message)
    }
}

impl From<yamlflow::LoadError> for LoadFailure {
    fn from(err: yamlflow::LoadError) -> Self {
        Self {
            kind: err.kind.name().to_owned(),
            message: err.message,
            file: err.file,
            line: err.line,
            column: err.column,
            key: err.key,
        }
    }
}

/// Why a run produced neither events nor a load error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RunFailure {
    /// The Python engine raised something other than `LoadError`.
    #[error("Python raised {0}\n{traceback}", traceback = .0.traceback)]
    Exception(PyException),
    /// The Rust engine panicked.
    #[error("the engine panicked: {message}")]
    Panic {
        /// The panic message.
        message: String,
    },
    /// The run did not end within the time limit.
    #[error("no result after {} s (timeout); the run was abandoned", after.as_secs_f64())]
    Timeout {
        /// The limit.
        after: Duration,
    },
    /// The engine could not be started (Python set-up, sandbox creation).
    #[error("cannot run: {message}")]
    Setup {
        /// Why.
        message: String,
    },
    /// A line of the engine's JSON Lines output is not a JSON value.
    #[error("output line {line} is not JSON: {message}")]
    BadJsonl {
        /// 1-based line.
        line: usize,
        /// The parse error.
        message: String,
    },
}

/// How an engine says its run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStatus {
    /// The run completed.
    Completed,
    /// The run failed (a node failed without `on_error`, a loop limit, a merge conflict...).
    Failed,
}

impl RunStatus {
    /// `completed` or `failed`, as both engines spell it.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Completed => "completed",
            Self::Failed => "failed",
        }
    }
}

/// A run that happened: its events, and the status and final state the engine reports. The
/// status and state are needed besides the events because a level filter or `enabled: false`
/// can hide the root span's end (contract §3.5).
#[derive(Debug, Clone, PartialEq)]
pub struct Ran {
    /// The events in emission order.
    pub events: Vec<Value>,
    /// How the engine says the run ended.
    pub status: RunStatus,
    /// The final state.
    pub state: Value,
    /// What the run's console handlers wrote (captured, not printed).
    pub console: String,
}

/// What a run produced.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The run happened (it may have completed or failed).
    Events(Ran),
    /// The flow text did not load.
    Load(LoadFailure),
    /// The run produced nothing usable.
    Errored(RunFailure),
}

/// One engine's run of one fixture.
#[derive(Debug, Clone)]
pub struct RunResult {
    /// Which engine ran.
    pub engine: Engine,
    /// What it produced.
    pub outcome: Outcome,
    /// Wall time of the run on its worker thread (up to the limit on a timeout).
    pub elapsed: Duration,
}

/// How runs are made.
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// The checkout (for the Python venv and package).
    pub layout: Layout,
    /// Each engine's time limit per fixture.
    pub timeout: Duration,
}

/// Runs `fixture` through `engine`. Never fails: every problem is an [`Outcome`].
#[must_use]
pub fn run_fixture(engine: Engine, fixture: &Fixture, config: &RunConfig) -> RunResult {
    match engine {
        Engine::Rust => rust::run(fixture, config.timeout),
        Engine::Python => python::run(fixture, config),
    }
}

/// Runs both engines on `fixture` concurrently (a fixture that sleeps costs its time once) and
/// returns `[rust, python]`.
#[must_use]
pub fn run_both(fixture: &Fixture, config: &RunConfig) -> [RunResult; 2] {
    std::thread::scope(|scope| {
        let python = scope.spawn(|| run_fixture(Engine::Python, fixture, config));
        let rust = run_fixture(Engine::Rust, fixture, config);
        let python = python.join().unwrap_or_else(|payload| RunResult {
            engine: Engine::Python,
            outcome: Outcome::Errored(RunFailure::Panic {
                message: panic_message(payload.as_ref()),
            }),
            elapsed: Duration::ZERO,
        });
        [rust, python]
    })
}

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
                outcome: Outcome::Errored(RunFailure::Timeout { after: timeout }),
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

/// Parses JSON Lines text (one JSON value per non-empty line) into events.
///
/// # Errors
/// [`RunFailure::BadJsonl`] at the first line that is not JSON.
pub fn parse_jsonl(text: &str) -> Result<Vec<Value>, RunFailure> {
    let mut events = Vec::new();
    for (line, content) in (1..).zip(text.lines()) {
        if content.trim().is_empty() {
            continue;
        }
        let event = serde_json::from_str(content).map_err(|err| RunFailure::BadJsonl {
            line,
            message: err.to_string(),
        })?;
        events.push(event);
    }
    Ok(events)
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

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
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
    fn jsonl_lines_are_parsed_and_blank_lines_skipped() {
        let events = parse_jsonl("{\"a\":1}\n\n{\"b\":2}\n").expect("valid");
        assert_eq!(events.len(), 2);
        let err = parse_jsonl("{\"a\":1}\n{oops\n").expect_err("invalid");
        assert!(matches!(err, RunFailure::BadJsonl { line: 2, .. }));
    }

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
                after: Duration::from_millis(50)
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
