//! What one engine's run of one fixture covers: the events it emitted, the actions that
//! completed or failed, the error types and properties in its events, the load error it reported,
//! and the observability settings its flow text declares.

use std::collections::BTreeSet;

use serde_json::Value;

use super::universe::Item;
use crate::fixture::Fixture;
use crate::run::Outcome;

/// The items `outcome` (a run of `fixture`) covers.
#[must_use]
pub fn covered(fixture: &Fixture, outcome: &Outcome) -> BTreeSet<Item> {
    let mut found = BTreeSet::new();
    match outcome {
        Outcome::Events(ran) => {
            for event in ran.events.iter_values() {
                event_items(&event, &mut found);
            }
            settings(&fixture.text, &mut found);
        }
        Outcome::Load(error) => {
            found.insert(Item::new("load error", error.kind.name()));
        }
        Outcome::Errored(_) => {}
    }
    found
}

fn event_items(event: &Value, found: &mut BTreeSet<Item>) {
    let field = |name: &str| event.get(name).and_then(Value::as_str).unwrap_or("?");
    let (event_type, kind, level) = (field("event_type"), field("kind"), field("level"));
    found.insert(Item::new("event", format!("{event_type} {kind} {level}")));
    if let Some(action) = event.get("action").and_then(Value::as_str) {
        match event_type {
            "exit" => found.insert(Item::new("action", format!("{action} ok"))),
            "error" => found.insert(Item::new("action", format!("{action} error"))),
            _ => false,
        };
    }
    for section in ["data", "metrics"] {
        if let Some(map) = event.get(section).and_then(Value::as_object) {
            for key in map.keys() {
                found.insert(Item::new("schema property", format!("{section}.{key}")));
            }
        }
    }
    if event.get("tenant").is_some() {
        found.insert(Item::new("schema property", "tenant"));
    }
    if let Some(kind) = event.pointer("/data/error/type").and_then(Value::as_str) {
        found.insert(Item::new("error type", kind));
    }
}

/// The observability settings the flow declares, read by the Rust engine's own loader (the
/// flow loaded in both engines, or its run would not have events).
fn settings(text: &str, found: &mut BTreeSet<Item>) {
    let Ok(flow) = yamlflow::load_str(text, "<fixture>") else {
        return;
    };
    let settings = &flow.observability;
    let defaults = yamlflow::ObservabilitySettings::default();
    if !settings.enabled {
        found.insert(Item::new("setting", "enabled: false"));
    }
    if settings.level != defaults.level {
        found.insert(Item::new(
            "setting",
            format!("level: {}", settings.level.as_str()),
        ));
    }
    for handler in &settings.handlers {
        let name = match handler {
            yamlflow::HandlerSpec::Console => "handler: console",
            yamlflow::HandlerSpec::File { .. } => "handler: file",
            yamlflow::HandlerSpec::Callback => "handler: callback",
        };
        found.insert(Item::new("setting", name));
    }
    if !settings.redact.is_empty() {
        found.insert(Item::new("setting", "redact"));
    }
    if !settings.secrets.is_empty() {
        found.insert(Item::new("setting", "secrets"));
    }
    if settings.learn_secrets {
        found.insert(Item::new("setting", "learn_secrets"));
    }
    if flow.limits != yamlflow::Limits::DEFAULT {
        found.insert(Item::new("setting", "limits"));
    }
    if settings.buffer_size != defaults.buffer_size {
        found.insert(Item::new("setting", "buffer_size"));
    }
    if let Some(sampling) = settings.sampling {
        found.insert(Item::new("setting", "sampling"));
        if sampling.slow_ms.is_some() {
            found.insert(Item::new("setting", "sampling: slow_ms"));
        }
    }
    if settings.tenant.is_some() {
        found.insert(Item::new("setting", "tenant"));
    }
}
