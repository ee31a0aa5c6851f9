//! The event record of contract §3 and its enums.

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

/// The kind of span an event belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SpanKind {
    /// The run's root span.
    Flow,
    /// One node execution.
    Node,
    /// One step of a `steps` node.
    Step,
    /// A fan-out.
    Parallel,
}

/// What an event reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EventType {
    /// A span started.
    Entry,
    /// A span ended.
    Exit,
    /// A span failed (or, at level warn, an attempt failed).
    Error,
    /// `metric.emit`.
    Metric,
    /// `log.emit`.
    Log,
}

/// One observability event (contract §3); serializes to exactly the fields of
/// `schema/event.schema.json`, in its order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// The run's id.
    pub flow_id: std::sync::Arc<str>,
    /// The span's id.
    pub span_id: std::sync::Arc<str>,
    /// The parent span's id; `None` only for the root span.
    pub parent_id: Option<std::sync::Arc<str>>,
    /// The span's name.
    pub node: std::sync::Arc<str>,
    /// The span's kind.
    pub kind: SpanKind,
    /// The span's builtin action, if any.
    pub action: Option<std::sync::Arc<str>>,
    /// Severity.
    pub level: Level,
    /// Seconds since the Unix epoch.
    pub timestamp: f64,
    /// Per-run emission counter.
    pub seq: u64,
    /// What happened.
    pub event_type: EventType,
    /// Human text.
    pub message: Option<String>,
    /// Payload.
    pub data: serde_json::Map<String, serde_json::Value>,
    /// Measurements.
    pub metrics: serde_json::Map<String, serde_json::Value>,
}

impl Level {
    /// Parses a contract level name (`debug`, `info`, `warn`, `error`).
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "debug" => Some(Self::Debug),
            "info" => Some(Self::Info),
            "warn" => Some(Self::Warn),
            "error" => Some(Self::Error),
            _ => None,
        }
    }

    /// The contract name of the level.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Debug => "debug",
            Self::Info => "info",
            Self::Warn => "warn",
            Self::Error => "error",
        }
    }
}

impl EventType {
    /// The contract name of the event type.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Entry => "entry",
            Self::Exit => "exit",
            Self::Error => "error",
            Self::Metric => "metric",
            Self::Log => "log",
        }
    }

    /// Parses a contract event type name.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "entry" => Some(Self::Entry),
            "exit" => Some(Self::Exit),
            "error" => Some(Self::Error),
            "metric" => Some(Self::Metric),
            "log" => Some(Self::Log),
            _ => None,
        }
    }
}

impl SpanKind {
    /// The contract name of the span kind.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Flow => "flow",
            Self::Node => "node",
            Self::Step => "step",
            Self::Parallel => "parallel",
        }
    }
}
