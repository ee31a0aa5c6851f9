//! What runs are and what they produce: the engines, their configuration, and the outcome of
//! one engine's run of one fixture.

use std::fmt;
use std::time::Duration;

use serde_json::Value;

use crate::jsonl::LogEvents;
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

/// A flow text that does not load, as either engine reports it (contract §1.4): the engine's own
/// load error, which the Python side is read into too.
pub use yamlflow::LoadError;

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
    #[error(
        "no result after {} s (timeout); {}",
        after.as_secs_f64(),
        if *killed { "its worker process was killed" } else { "the run was abandoned" }
    )]
    Timeout {
        /// The limit.
        after: Duration,
        /// Whether the run's worker process was killed (`--isolate`); otherwise its thread was
        /// left to finish in the background.
        killed: bool,
        /// The end of the worker's standard error (empty in-process).
        stderr_tail: String,
    },
    /// The worker process running the engine ended without a result (`--isolate`): an abort, a
    /// segfault, an out-of-memory kill, an exit.
    #[error("the engine's worker process {}", ended(*signal, *code))]
    Crashed {
        /// The signal that ended it.
        signal: Option<i32>,
        /// Its exit code, when it exited.
        code: Option<i32>,
        /// The end of its standard error.
        stderr_tail: String,
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

/// How a worker process ended, for [`RunFailure::Crashed`].
fn ended(signal: Option<i32>, code: Option<i32>) -> String {
    match (signal, code) {
        (Some(signal), _) => format!("was killed by {}", signal_name(signal)),
        (None, Some(code)) => format!("exited with code {code} without a result"),
        (None, None) => "ended without a result".to_owned(),
    }
}

/// The signal's name, for messages (`SIGABRT`), or its number.
fn signal_name(signal: i32) -> String {
    let name = match signal {
        libc::SIGABRT => "SIGABRT",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGKILL => "SIGKILL",
        libc::SIGBUS => "SIGBUS",
        libc::SIGILL => "SIGILL",
        libc::SIGFPE => "SIGFPE",
        libc::SIGTERM => "SIGTERM",
        _ => return format!("signal {signal}"),
    };
    name.to_owned()
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
    /// The events in emission order, each held as its line of JSON (a `Value` tree would take
    /// about ten times the text).
    pub events: LogEvents,
    /// How the engine says the run ended.
    pub status: RunStatus,
    /// The final state.
    pub state: Value,
    /// What the run's console handlers wrote (captured, not printed).
    pub console: String,
    /// The run's id as the engine reports it (`None` from a command line): with observability off
    /// no event carries it, yet a flow log in the state does (contract §4).
    pub flow_id: Option<String>,
    /// The failure `{type, message}` the engine reports for a failed run (`None` when it completed,
    /// or from a command line): with observability off no event carries it (contract §4).
    pub error: Option<Value>,
}

/// What a run produced.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The run happened (it may have completed or failed).
    Events(Ran),
    /// The flow text did not load.
    Load(LoadError),
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
    /// Run each engine's side of a fixture in a worker process (a fresh `twinflow rust-child`,
    /// or a forked child without that executable, for Rust; a pool of warm interpreters for
    /// Python), so that an abort, an out-of-memory kill, a segfault or a hang inside C code is
    /// that fixture's finding and nothing keeps running.
    pub isolate: bool,
}
