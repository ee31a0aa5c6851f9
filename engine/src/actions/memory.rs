//! `memory.store` and `memory.get`: per-run memory, never rolled back by retries (contract §2.2);
//! a fan-out branch has its own copy (`runner::memory`).

use serde_json::Value;

use super::context::{ActionCtx, ActionError};
use super::params::Params;

pub(crate) fn store(params: &Params<'_>, ctx: &ActionCtx<'_>) -> Result<Value, ActionError> {
    let key = params.str("key")?;
    let value = params.required("value")?.clone();
    ctx.memory.insert(ctx.span, key, value.clone());
    Ok(value)
}

pub(crate) fn get(params: &Params<'_>, ctx: &ActionCtx<'_>) -> Result<Value, ActionError> {
    let key = params.str("key")?;
    Ok(match ctx.memory.get(ctx.span, key) {
        Some(value) => value,
        None => params.optional("default").cloned().unwrap_or(Value::Null),
    })
}
