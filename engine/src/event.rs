//! The event record of CONTRACT §3 and its enums.

use serde::{Deserialize, Serialize};

/// Event severity, ordered `Debug < Info < Warn < Error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Step entry/exit.
    Debug,
    /// Flow, node and parallel entry/exit; metrics.
    Info,
    /// Failed attempts that will be retried.
    Warn,
    /// Final failures.
    Error,
}
