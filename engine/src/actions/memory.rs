//! `memory.store` and `memory.get`: per-run memory, shared by fan-out branches and never rolled
//! back by retries (contract §2.2).

use std::sync::PoisonError;

use serde_json::Value;

use super::context::{ActionCtx, ActionError};
use super::params::Params;

pub(crate) fn store(params: &Params<'_>, ctx: &ActionCtx<'_>) -> Result<Value, ActionError> {
    let key = params.str("key")?;
    let value = params.required("value")?.clone();
    ctx.memory
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(key.to_owned(), value.clone());
    Ok(value)
}

pub(crate) fn get(params: &Params<'_>, ctx: &ActionCtx<'_>) -> Result<Value, ActionError> {
    let key = params.str("key")?;
    let memory = ctx.memory.lock().unwrap_or_else(PoisonError::into_inner);
    Ok(match memory.get(key) {
        Some(value) => value.clone(),
        None => params.optional("default").cloned().unwrap_or(Value::Null),
    })
}
