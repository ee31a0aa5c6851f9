//! `sleep` and `fail` (contract §2, §2.2).

use std::time::Duration;

use serde_json::Value;

use super::context::{ActionCtx, ActionError};
use super::params::Params;

/// The longest sleep: one day (contract §6; also keeps `Duration::from_secs_f64` from panicking).
const MAX_SLEEP_MS: f64 = 86_400_000.0;

pub(crate) fn sleep(params: &Params<'_>) -> Result<Value, ActionError> {
    // JSON numbers are finite, so the two range checks cover every number.
    let ms = params.number("ms")?;
    if ms < 0.0 {
        return Err(ActionError::action(
            "sleep: parameter 'ms' must be at least 0",
        ));
    }
    if ms > MAX_SLEEP_MS {
        return Err(ActionError::action(
            "sleep: parameter 'ms' must be at most 86400000",
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

#[cfg(test)]
mod tests {
    use crate::actions::tests::run_action;
    use serde_json::{Value, json};

    #[test]
    fn sleep_range() {
        let dir = std::env::temp_dir();
        let message = |ms: Value| {
            run_action("sleep", json!({ "ms": ms }), &dir, 1)
                .err()
                .map(|e| e.message)
        };
        assert_eq!(
            message(json!(-1)).as_deref(),
            Some("sleep: parameter 'ms' must be at least 0")
        );
        assert_eq!(
            message(json!(-0.5)).as_deref(),
            Some("sleep: parameter 'ms' must be at least 0")
        );
        for big in [json!(86_400_001), json!(1e300), json!(u64::MAX)] {
            assert_eq!(
                message(big).as_deref(),
                Some("sleep: parameter 'ms' must be at most 86400000")
            );
        }
        assert_eq!(
            message(json!(true)).as_deref(),
            Some("sleep: parameter 'ms' must be a number")
        );
        assert_eq!(message(json!(0)), None);
        assert_eq!(message(json!(1.5)), None);
    }
}
