//! What an action gets besides its parameters, and what it fails with (contract §2.3): the
//! contract's `{type, message}`.

use std::path::Path;

use serde_json::Value;

use crate::error::{RunError, error_json};
use crate::flow::Limits;
use crate::observability::{ObservabilityContext, Span};
use crate::runner::file_order::FileOrder;
use crate::runner::memory::Memory;
use crate::sandbox::{OpenError, SandboxEscape};

/// A failed action (or template, or run-level check): the contract's `{type, message}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ActionError {
    /// The error type (`ActionError`, `PermissionDenied`, ..., or what `fail` was given).
    pub(crate) kind: String,
    /// The contract message.
    pub(crate) message: String,
}

impl ActionError {
    /// An error of any type.
    pub(crate) fn new(kind: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            kind: kind.into(),
            message: message.into(),
        }
    }

    /// An `ActionError`.
    pub(crate) fn action(message: impl Into<String>) -> Self {
        Self::new("ActionError", message)
    }

    /// `{type, message}` as event data.
    pub(crate) fn to_json(&self) -> Value {
        error_json(&self.kind, &self.message)
    }
}

impl From<ActionError> for RunError {
    /// A node's error that no `on_error` caught fails the run with it (contract §1.2).
    fn from(err: ActionError) -> Self {
        Self::new(err.kind, err.message)
    }
}

/// The OS's description of an I/O failure without the errno, as Python's `strerror` spells it
/// (contract §6): Rust's own text for an OS error is strerror's followed by ` (os error N)`.
pub(crate) fn io_reason(err: &std::io::Error) -> String {
    let text = err.to_string();
    match err.raw_os_error() {
        Some(code) => text
            .strip_suffix(&format!(" (os error {code})"))
            .map_or_else(|| err.kind().to_string(), str::to_owned),
        None => err.kind().to_string(),
    }
}

impl From<SandboxEscape> for ActionError {
    /// A path the sandbox refuses fails the action as `PermissionDenied` (contract §2.3).
    fn from(escape: SandboxEscape) -> Self {
        Self::new("PermissionDenied", escape.message)
    }
}

impl OpenError {
    /// The action's error: `PermissionDenied` when refused, else `io` words the I/O failure.
    pub(crate) fn into_action(self, io: impl FnOnce(std::io::Error) -> ActionError) -> ActionError {
        match self {
            Self::Refused(escape) => escape.into(),
            Self::Io(err) => io(err),
        }
    }
}

/// What an action can reach besides its parameters.
pub(crate) struct ActionCtx<'a> {
    /// The run's observability (log/metric events, obs.*).
    pub(crate) obs: &'a ObservabilityContext,
    /// The span the action runs in (a node or step span).
    pub(crate) span: &'a Span,
    /// The run's memory (a fan-out branch sees its own copy, contract §1.2).
    pub(crate) memory: &'a Memory,
    /// The order of file actions in a fan-out (contract §1.2).
    pub(crate) files: &'a FileOrder,
    /// Root of file paths.
    pub(crate) sandbox: &'a Path,
    /// The node's 1-based attempt (for `fail`).
    pub(crate) attempt: u32,
    /// The run's limits (the event limit of `log.emit` and `metric.emit`).
    pub(crate) limits: &'a Limits,
}
