//! The run limits (contract §6.12): how deep a value may nest, how large the state may grow and
//! how many events a run may emit. Each is a typed error, `LimitExceeded`, identical in both
//! engines; a run that hits one fails cleanly, its spans closed.

use serde_json::{Map, Value};

use crate::actions::context::ActionError;

/// Nested arrays/objects a value may hold (`{}` is 1, a scalar 0): the starting state, a rendered
/// `with` and an action's result. Events then nest at most 103 levels, below the 127 a JSON
/// reader must accept (contract §6.12).
pub(crate) const DEPTH_LIMIT: usize = 100;

/// The size of the state, and of any one value: one per JSON value, plus the characters of every
/// string and object key.
pub(crate) const SIZE_LIMIT: usize = 10_000_000;

/// Events one run may produce (emitted, or dropped by the level filter) before no new span,
/// attempt, log or metric starts (the events that close the spans already open still come).
pub(crate) const EVENT_LIMIT: u64 = 100_000;

/// Characters one text template may write (its output is refused beyond).
pub(crate) const TEXT_LIMIT: usize = SIZE_LIMIT;

/// Instructions one template rendering may execute (minijinja's fuel); enough for 100,000 loop
/// iterations of a simple body, the Python engine's count (contract §6.12).
pub(crate) const TEMPLATE_FUEL: u64 = 2_000_000;

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
pub(crate) fn check_value(value: &Value) -> Result<Measure, ActionError> {
    check(measure(value))
}

/// An object held as a map within the depth and size limits, or `LimitExceeded`.
pub(crate) fn check_map(map: &Map<String, Value>) -> Result<Measure, ActionError> {
    check(measure_map(map))
}

fn check(measure: Measure) -> Result<Measure, ActionError> {
    if measure.depth > DEPTH_LIMIT {
        return Err(exceeded(format!(
            "value nests deeper than {DEPTH_LIMIT} levels"
        )));
    }
    if measure.size > SIZE_LIMIT {
        return Err(exceeded(format!(
            "value larger than the size limit of {SIZE_LIMIT}"
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
) -> Result<Value, ActionError> {
    let added = check_value(&result)?.size;
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
    if 1 + kept + added > SIZE_LIMIT {
        return Err(exceeded(format!(
            "state larger than the size limit of {SIZE_LIMIT}"
        )));
    }
    Ok(result)
}

/// `LimitExceeded` once the run has produced `EVENT_LIMIT` events.
pub(crate) fn check_events(produced: u64) -> Result<(), ActionError> {
    if produced >= EVENT_LIMIT {
        return Err(exceeded(format!(
            "event limit of {EVENT_LIMIT} events per run reached"
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
        for _ in 0..DEPTH_LIMIT {
            deep = json!([deep]);
        }
        assert!(check_value(&deep).is_ok());
        let err = check_value(&json!([deep])).unwrap_err();
        assert_eq!(
            (err.kind.as_str(), err.message.as_str()),
            ("LimitExceeded", "value nests deeper than 100 levels")
        );
    }

    #[test]
    fn state_size_after_a_result() {
        let big = "x".repeat(SIZE_LIMIT / 2);
        let mut state = Map::new();
        state.insert("a".into(), json!(big));
        // Replacing `a` keeps the state small; adding `b` beside it does not.
        assert!(check_result(&state, Some("a"), json!(big)).is_ok());
        assert!(check_result(&state, None, json!({"a": big})).is_ok());
        let err = check_result(&state, Some("b"), json!(big)).unwrap_err();
        assert_eq!(err.message, "state larger than the size limit of 10000000");
        assert!(check_result(&state, None, json!(big)).is_ok());
        assert!(check_events(EVENT_LIMIT - 1).is_ok());
        assert!(check_events(EVENT_LIMIT).is_err());
    }
}
