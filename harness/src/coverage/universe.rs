//! What there is to cover, from the contract and the schema: the events each kind of span emits
//! (contract §3.2), the builtin actions and their error paths (§2.1), the error types (§2.3), the
//! load error kinds (§1.4), the event schema's properties (§3.1) and the observability settings
//! (§3.5).

use yamlflow::{ACTIONS, LoadErrorKind};

/// One thing to cover, in a category.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Item {
    /// The category (`event`, `action`, `error type`…).
    pub category: &'static str,
    /// The item, as the report names it.
    pub name: String,
}

impl Item {
    pub(crate) fn new(category: &'static str, name: impl Into<String>) -> Self {
        Self {
            category,
            name: name.into(),
        }
    }
}

/// `event_type kind level` combinations contract §3.2 allows.
fn events() -> Vec<Item> {
    let mut items = Vec::new();
    for kind in ["flow", "node", "parallel"] {
        items.push(format!("entry {kind} info"));
        items.push(format!("exit {kind} info"));
        items.push(format!("error {kind} error"));
    }
    items.extend([
        "entry step debug".into(),
        "exit step debug".into(),
        "error step error".into(),
    ]);
    items.push("error node warn".into());
    for kind in ["node", "step"] {
        for level in ["debug", "info", "warn", "error"] {
            items.push(format!("log {kind} {level}"));
        }
        items.push(format!("metric {kind} info"));
    }
    items
        .into_iter()
        .map(|name| Item::new("event", name))
        .collect()
}

/// Everything to cover.
#[must_use]
pub fn universe() -> Vec<Item> {
    let mut items = events();
    for action in ACTIONS {
        items.push(Item::new("action", format!("{action} ok")));
        // Bad parameters are an error path too; `obs.get_flow_log` has none, so it cannot fail
        // (contract §2.1).
        if *action != "obs.get_flow_log" {
            items.push(Item::new("action", format!("{action} error")));
        }
    }
    for kind in [
        "ActionError",
        "TemplateError",
        "PermissionDenied",
        "MergeConflict",
        "LoopLimit",
        "UnknownAction",
    ] {
        items.push(Item::new("error type", kind));
    }
    for kind in LoadErrorKind::ALL {
        // `Io` is the CLI's (a file that cannot be read): fixtures are given as text.
        if kind != LoadErrorKind::Io {
            items.push(Item::new("load error", kind.name()));
        }
    }
    let properties = [
        "data.input",
        "data.output",
        "data.error",
        "data.attempt",
        "metrics.duration_ms",
        "metrics.tokens",
        "metrics.cost_usd",
        "tenant",
    ];
    items.extend(
        properties
            .into_iter()
            .map(|p| Item::new("schema property", p)),
    );
    let settings = [
        "enabled: false",
        "level: debug",
        "level: warn",
        "level: error",
        "handler: console",
        "handler: file",
        "handler: callback",
        "redact",
        "secrets",
        "learn_secrets",
        "buffer_size",
        "sampling",
        "sampling: slow_ms",
        "tenant",
        "limits",
    ];
    items.extend(settings.into_iter().map(|s| Item::new("setting", s)));
    items
}
