//! Running a flow: routing, retries, `on_error`, steps and fan-out (CONTRACT §1, schema/README.md §3).

use std::path::PathBuf;
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::error::LoadError;
use crate::event::Event;
use crate::flow::Flow;
use crate::observability::ObservabilityContext;

/// A callback handler: receives every emitted event, in `seq` order.
pub type Callback = Arc<dyn Fn(&Event) + Send + Sync>;

/// How to run a flow.
pub struct RunOptions {
    /// Merged over the flow's `state`.
    pub input: Map<String, Value>,
    /// Root of `file.*`, `obs.export` and file handler paths.
    pub sandbox: PathBuf,
    /// Callback handlers.
    pub callbacks: Vec<Callback>,
}

impl RunOptions {
    /// Options with an empty input, no callbacks and the given sandbox directory.
    pub fn new(sandbox: impl Into<PathBuf>) -> Self {
        Self {
            input: Map::new(),
            sandbox: sandbox.into(),
            callbacks: Vec::new(),
        }
    }
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStatus {
    /// The flow span ended with `exit`.
    Completed,
    /// The flow span ended with `error`.
    Failed,
}

/// The result of a run.
#[derive(Debug)]
pub struct RunOutcome {
    /// The run's id.
    pub flow_id: String,
    /// How it ended.
    pub status: RunStatus,
    /// The final state.
    pub state: Map<String, Value>,
    /// `(type, message)` of the failure, when it failed.
    pub error: Option<(String, String)>,
    /// The run's observability context (`get_flow_log`).
    pub observability: ObservabilityContext,
}

/// Runs a loaded flow to its end. Run failures are reported in the outcome and as events;
/// the `Err` case is reserved for options that make the run impossible (unusable sandbox).
pub fn run(_flow: &Flow, _options: RunOptions) -> Result<RunOutcome, LoadError> {
    unimplemented!("runner being written")
}
