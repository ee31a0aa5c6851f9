//! `log.emit` and `metric.emit`: one `log` / `metric` event in the calling span
//! (contract §3.2, §2.2).

use serde_json::{Map, Value};

use super::context::{ActionCtx, ActionError};
use super::params::Params;
use crate::event::{EventType, Level};

pub(crate) fn log(params: &Params<'_>, ctx: &ActionCtx<'_>) -> Result<Value, ActionError> {
    // Checked in this order by both engines: message, level, data.
    let message = params.str("message")?;
    let level_name = params.opt_str("level")?.unwrap_or("info");
    let level = Level::parse(level_name)
        .ok_or_else(|| ActionError::action(format!("log.emit: unknown level '{level_name}'")))?;
    let data = params.opt_object("data")?;
    if let Some(data) = data {
        check_data(data)?;
    }
    crate::limits::check_events(ctx.obs.produced(), ctx.limits)?;
    if ctx.obs.produce(level) {
        ctx.obs.emit(
            ctx.span,
            level,
            EventType::Log,
            Some(message.to_owned()),
            data.cloned().unwrap_or_default(),
            Map::new(),
        );
    }
    Ok(Value::Null)
}

/// The event schema types two keys of `data` (contract §2.2): a value it would reject never leaves
/// the engine.
fn check_data(data: &Map<String, Value>) -> Result<(), ActionError> {
    if data
        .get("attempt")
        .is_some_and(|a| a.as_u64().is_none_or(|n| n == 0))
    {
        return Err(ActionError::action(
            "log.emit: data 'attempt' must be an integer of at least 1",
        ));
    }
    let is_error = |e: &Map<String, Value>| {
        e.len() == 2
            && e.get("type")
                .and_then(Value::as_str)
                .is_some_and(|t| !t.is_empty())
            && e.get("message").is_some_and(Value::is_string)
    };
    if data
        .get("error")
        .is_some_and(|e| !e.as_object().is_some_and(is_error))
    {
        return Err(ActionError::action(
            "log.emit: data 'error' must be an object of a non-empty string 'type' and a string 'message'",
        ));
    }
    Ok(())
}

pub(crate) fn metric(params: &Params<'_>, ctx: &ActionCtx<'_>) -> Result<Value, ActionError> {
    let metrics = params.object("metrics")?;
    if metrics.values().any(|v| !v.is_number()) {
        return Err(ActionError::action(
            "metric.emit: parameter 'metrics' must be an object of numbers",
        ));
    }
    // The event schema types these three; a value it would reject never leaves the engine.
    if let Some(tokens) = metrics.get("tokens") {
        if tokens.as_u64().is_none() {
            return Err(ActionError::action(
                "metric.emit: metric 'tokens' must be a non-negative integer",
            ));
        }
    }
    for name in ["cost_usd", "duration_ms"] {
        if metrics
            .get(name)
            .and_then(Value::as_f64)
            .is_some_and(|v| v < 0.0)
        {
            return Err(ActionError::action(format!(
                "metric.emit: metric '{name}' must not be negative"
            )));
        }
    }
    crate::limits::check_events(ctx.obs.produced(), ctx.limits)?;
    if ctx.obs.produce(Level::Info) {
        ctx.obs.emit(
            ctx.span,
            Level::Info,
            EventType::Metric,
            None,
            Map::new(),
            metrics.clone(),
        );
    }
    Ok(Value::Null)
}
