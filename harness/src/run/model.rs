//! What runs are and what they produce: the engines, their configuration, and the outcome of
//! one engine's run of one fixture.

use std::fmt;
use std::time::Duration;

use serde_json::Value;

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
}
