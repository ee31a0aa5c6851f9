//! The event record of contract §3 and its vocabulary: levels, span kinds, event types and the
//! names of the builtin actions, defined once here and exported from the crate root (the harness
//! checks logs against the same words).

use serde::{Deserialize, Serialize};

/// The builtin actions, in the order of the action table (contract §2.1). Any other `uses` fails
/// at run time with `UnknownAction` (contract §2.3).
pub const ACTIONS: &[&str] = &[
    "state.set",
    "text.render",
    "json.parse",
    "json.stringify",
    "memory.store",
    "memory.get",
    "file.write",
    "file.read",
    "sleep",
    "fail",
    "log.emit",
    "metric.emit",
    "obs.get_flow_log",
    "obs.query",
    "obs.export",
];

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
    /// The run's tenant (contract §3.8), written last and only when the run has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<std::sync::Arc<str>>,
}

impl Level {
    /// Every level, lowest first.
    pub const ALL: [Self; 4] = [Self::Debug, Self::Info, Self::Warn, Self::Error];

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
    /// Every event type.
    pub const ALL: [Self; 5] = [
        Self::Entry,
        Self::Exit,
        Self::Error,
        Self::Metric,
        Self::Log,
    ];

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
    /// Every span kind.
    pub const ALL: [Self; 4] = [Self::Flow, Self::Node, Self::Step, Self::Parallel];

    /// The contract name of the span kind.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Flow => "flow",
            Self::Node => "node",
            Self::Step => "step",
            Self::Parallel => "parallel",
        }
    }

    /// Parses a contract span kind name.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "flow" => Some(Self::Flow),
            "node" => Some(Self::Node),
            "step" => Some(Self::Step),
            "parallel" => Some(Self::Parallel),
            _ => None,
        }
    }

    /// The level of this kind's `entry` and `exit` events (contract §3.3): `debug` for steps,
    /// `info` for the others. Errors are always `error`.
    pub fn entry_level(self) -> Level {
        match self {
            Self::Step => Level::Debug,
            Self::Flow | Self::Node | Self::Parallel => Level::Info,
        }
    }

    /// Whether a span of this kind may have a span of kind `parent` as its parent: steps live in
    /// nodes, fan-outs in the flow, branches in fan-outs (contract §1.2).
    pub fn accepts_parent(self, parent: Self) -> bool {
        match self {
            Self::Flow => false,
            Self::Node => matches!(parent, Self::Flow | Self::Parallel),
            Self::Step => parent == Self::Node,
            Self::Parallel => parent == Self::Flow,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for level in Level::ALL {
            assert_eq!(Level::parse(level.as_str()), Some(level));
        }
        for kind in SpanKind::ALL {
            assert_eq!(SpanKind::parse(kind.as_str()), Some(kind));
        }
        for event_type in EventType::ALL {
            assert_eq!(EventType::parse(event_type.as_str()), Some(event_type));
        }
        assert!(Level::ALL.is_sorted());
        assert_eq!(Level::parse("warning"), None);
        assert_eq!(SpanKind::parse("Flow"), None);
        assert_eq!(EventType::parse(""), None);
    }

    #[test]
    fn serde_spells_the_contract_names() {
        for level in Level::ALL {
            assert_eq!(serde_json::json!(level), level.as_str());
        }
        for kind in SpanKind::ALL {
            assert_eq!(serde_json::json!(kind), kind.as_str());
        }
        for event_type in EventType::ALL {
            assert_eq!(serde_json::json!(event_type), event_type.as_str());
        }
    }
}
