//! The run limits (contract §6.12): how deep a value may nest, how large the state may grow and
//! how many events a run may emit. Each is a typed error, `LimitExceeded`, identical in both
//! engines; a run that hits one fails cleanly, its spans closed. The numbers are the flow's
//! `settings.limits` (`Limits`, at most the defaults).

use serde_json::{Map, Value};

use crate::actions::context::ActionError;
use crate::flow::Limits;

/// minijinja's fuel per rendering (contract §6.12): an instruction costs 1, and 64 bytes of data a
/// filter or operator builds cost 1, so a rendering runs at most 10,000,000 instructions (100 per
/// iteration of a loop at the iteration budget) and builds at most 640 MB. A backstop in the Rust
/// engine only, for work the loop count does not see (`'%1000000000d'|format(1)`, `indent`).
pub(crate) const TEMPLATE_FUEL: u64 = 10_000_000;

/// A value's nesting depth and size, as the limits count them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Measure {
    /// Nested arrays/objects: 0 for a scalar, 1 for `{}`.
    pub(crate) depth: usize,
    /// One per value, plus the characters of strings and keys.
    pub(crate) size: usize,
}

/// Measures `value` without recursion (a deep value must not exhaust the stack here).
pub(crate) fn measure(value: &Value) -> Measure {
    let mut out = Measure { depth: 0, size: 0 };
    let mut todo: Vec<(&Value, usize)> = vec![(value, 0)];
    while let Some((value, level)) = todo.pop() {
        out.size += 1;
        match value {
            Value::String(s) => out.size += s.chars().count(),
            Value::Array(items) => {
                out.depth = out.depth.max(level + 1);
                todo.extend(items.iter().map(|item| (item, level + 1)));
            }
            Value::Object(map) => {
                out.depth = out.depth.max(level + 1);
                for (key, item) in map {
                    out.size += key.chars().count();
                    todo.push((item, level + 1));
                }
            }
            _ => {}
        }
    }
    out
}

/// Measures an object held as a map (the state, a rendered `with`).
pub(crate) fn measure_map(map: &Map<String, Value>) -> Measure {
    map.iter()
        .fold(Measure { depth: 1, size: 1 }, |acc, (key, value)| {
            let inner = measure(value);
            Measure {
                depth: acc.depth.max(inner.depth + 1),
                size: acc.size + key.chars().count() + inner.size,
            }
        })
}

fn exceeded(message: String) -> ActionError {
    ActionError::new("LimitExceeded", message)
}

/// A value within the depth and size limits, or `LimitExceeded`.
pub(crate) fn check_value(value: &Value, limits: &Limits) -> Result<Measure, ActionError> {
    check(measure(value), limits)
}

/// An object held as a map within the depth and size limits, or `LimitExceeded`.
pub(crate) fn check_map(map: &Map<String, Value>, limits: &Limits) -> Result<Measure, ActionError> {
    check(measure_map(map), limits)
}

fn check(measure: Measure, limits: &Limits) -> Result<Measure, ActionError> {
    if measure.depth > limits.value_depth {
        return Err(exceeded(format!(
            "value nests deeper than {} levels",
            limits.value_depth
        )));
    }
    if measure.size > limits.value_size {
        return Err(exceeded(format!(
            "value larger than the size limit of {}",
            limits.value_size
        )));
    }
    Ok(measure)
}

/// A result that may be applied to `state` (to `output`, or merged when an object): within the
/// value limits, and the state it leaves within the size limit. Gives the result back.
pub(crate) fn check_result(
    state: &Map<String, Value>,
    output: Option<&str>,
    result: Value,
    limits: &Limits,
) -> Result<Value, ActionError> {
    let added = check_value(&result, limits)?.size;
    let (replaced, added): (Vec<&str>, usize) = match (output, &result) {
        (Some(key), _) => (vec![key], added + key.chars().count()),
        // The object itself is not kept: its keys and values move into the state.
        (None, Value::Object(map)) => (map.keys().map(String::as_str).collect(), added - 1),
        (None, _) => return Ok(result),
    };
    let kept: usize = state
        .iter()
        .filter(|(key, _)| !replaced.contains(&key.as_str()))
        .map(|(key, value)| key.chars().count() + measure(value).size)
        .sum();
    if 1 + kept + added > limits.state_size {
        return Err(exceeded(format!(
            "state larger than the size limit of {}",
            limits.state_size
        )));
    }
    Ok(result)
}

/// `LimitExceeded` once the run has produced `limits.events` events.
pub(crate) fn check_events(produced: u64, limits: &Limits) -> Result<(), ActionError> {
    if produced >= limits.events {
        return Err(exceeded(format!(
            "event limit of {} events per run reached",
            limits.events
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn measures() {
        assert_eq!(measure(&json!(1)), Measure { depth: 0, size: 1 });
        assert_eq!(measure(&json!({})), Measure { depth: 1, size: 1 });
        assert_eq!(
            measure(&json!({"ab": [1, "héé"]})),
            Measure {
                depth: 2,
                size: 1 + 2 + 1 + 1 + 1 + 3
            }
        );
        let mut deep = json!(0);
        for _ in 0..Limits::DEFAULT.value_depth {
            deep = json!([deep]);
        }
        assert!(check_value(&deep, &Limits::DEFAULT).is_ok());
        let err = check_value(&json!([deep]), &Limits::DEFAULT).unwrap_err();
        assert_eq!(
            (err.kind.as_str(), err.message.as_str()),
            ("LimitExceeded", "value nests deeper than 100 levels")
        );
    }

    #[test]
    fn state_size_after_a_result() {
        let big = "x".repeat(Limits::DEFAULT.state_size / 2);
        let mut state = Map::new();
        state.insert("a".into(), json!(big));
        // Replacing `a` keeps the state small; adding `b` beside it does not.
        assert!(check_result(&state, Some("a"), json!(big), &Limits::DEFAULT).is_ok());
        assert!(check_result(&state, None, json!({"a": big}), &Limits::DEFAULT).is_ok());
        let err = check_result(&state, Some("b"), json!(big), &Limits::DEFAULT).unwrap_err();
        assert_eq!(err.message, "state larger than the size limit of 10000000");
        // A lowered limit is the one checked, and named.
        let low = Limits {
            state_size: 10,
            events: 3,
            ..Limits::DEFAULT
        };
        let err = check_result(&Map::new(), Some("b"), json!("12345678"), &low).unwrap_err();
        assert_eq!(err.message, "state larger than the size limit of 10");
        assert!(check_result(&Map::new(), Some("b"), json!("1234567"), &low).is_ok());
        assert!(check_events(2, &low).is_ok());
        assert_eq!(
            check_events(3, &low).unwrap_err().message,
            "event limit of 3 events per run reached"
        );
        assert!(check_result(&state, None, json!(big), &Limits::DEFAULT).is_ok());
        assert!(check_events(99_999, &Limits::DEFAULT).is_ok());
        assert!(check_events(100_000, &Limits::DEFAULT).is_err());
    }
}
