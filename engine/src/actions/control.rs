//! `sleep` and `fail` (CONTRACT §2, schema/README.md §8).

use std::time::Duration;

use serde_json::Value;

use super::{ActionCtx, ActionError, Params};

pub(crate) fn sleep(params: &Params<'_>) -> Result<Value, ActionError> {
    let ms = params.number("ms")?;
    if !(ms >= 0.0 && ms.is_finite()) {
        return Err(ActionError::action(
            "sleep: parameter 'ms' must be a number",
        ));
    }
    std::thread::sleep(Duration::from_secs_f64(ms / 1000.0));
    Ok(Value::Null)
}

/// Fails attempt `n` when `times` is absent or `n <= times`; returns null otherwise.
pub(crate) fn fail(params: &Params<'_>, ctx: &ActionCtx<'_>) -> Result<Value, ActionError> {
    let kind = params.opt_str("type")?.unwrap_or("ActionError");
    let message = params.opt_str("message")?.unwrap_or("failed on purpose");
    let times = params.opt_int("times")?;
    match times {
        Some(times) if i64::from(ctx.attempt) > times => Ok(Value::Null),
        _ => Err(ActionError::new(kind, message)),
    }
}
