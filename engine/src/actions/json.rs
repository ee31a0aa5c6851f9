//! `json.parse` and `json.stringify` (contract §2, §1.3): parse keeps key order and
//! number types; stringify is compact with keys sorted, non-ASCII as is, floats by `repr`.

use serde_json::Value;

use super::context::ActionError;
use super::params::Params;
use crate::pyrepr::{self, JsonStyle};

/// Parses JSON text (contract §6): serde_json's depth limit (see [`parse_text`]); an integer
/// beyond i64 becomes a float, as Python's hook makes it (serde_json already does so beyond u64).
pub(crate) fn parse(params: &Params<'_>) -> Result<Value, ActionError> {
    let text = params.str("text")?;
    let mut value =
        parse_text(text).map_err(|_| ActionError::action("json.parse: invalid JSON"))?;
    widen_u64(&mut value);
    Ok(value)
}

/// Parses JSON text with serde_json's recursion limit: 127 nested arrays/objects parse, the
/// 128th level is an error (contract §6; the Python twin counts the same way).
pub(crate) fn parse_text(text: &str) -> Result<Value, serde_json::Error> {
    serde_json::from_str(text)
}

/// Turns u64 values above i64::MAX into floats, at any depth (at most 128 levels deep).
fn widen_u64(value: &mut Value) {
    match value {
        Value::Number(n) if n.is_u64() && n.as_i64().is_none() => {
            if let Some(float) = n.as_f64().and_then(serde_json::Number::from_f64) {
                *n = float;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(widen_u64),
        Value::Object(map) => map.values_mut().for_each(widen_u64),
        _ => {}
    }
}

pub(crate) fn stringify(params: &Params<'_>) -> Result<Value, ActionError> {
    let value = params.required("value")?;
    let mut out = String::new();
    pyrepr::write_json(
        &mut out,
        value,
        JsonStyle {
            sort_keys: true,
            spaced: false,
            html_safe: false,
        },
    );
    Ok(Value::String(out))
}

#[cfg(test)]
mod tests {
    use crate::actions::tests::run_action;
    use serde_json::{Value, json};

    fn parse(text: &str) -> Result<Value, String> {
        run_action(
            "json.parse",
            json!({ "text": text }),
            &std::env::temp_dir(),
            1,
        )
        .map_err(|e| e.message)
    }

    #[test]
    fn depth_limit() {
        let nested = |depth: usize| "[".repeat(depth) + &"]".repeat(depth);
        assert!(parse(&nested(127)).is_ok());
        assert_eq!(parse(&nested(128)).unwrap_err(), "json.parse: invalid JSON");
        let objects = |depth: usize| r#"{"a":"#.repeat(depth) + "1" + &"}".repeat(depth);
        assert!(parse(&objects(127)).is_ok());
        assert_eq!(
            parse(&objects(128)).unwrap_err(),
            "json.parse: invalid JSON"
        );
    }

    #[test]
    fn wide_integers_become_floats() {
        assert_eq!(
            parse("[9223372036854775807, 9223372036854775808, 18446744073709551616, -9223372036854775809]")
                .unwrap(),
            json!([i64::MAX, 9223372036854775808.0, 18446744073709551616.0, -9223372036854775809.0])
        );
        assert!(parse("[9223372036854775808]").unwrap()[0].is_f64());
    }
}
