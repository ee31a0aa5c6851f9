//! `json.parse` and `json.stringify` (CONTRACT §2, schema/README.md §5): parse keeps key order and
//! number types; stringify is compact with keys sorted, non-ASCII as is, floats by `repr`.

use serde_json::Value;

use super::{ActionError, Params};
use crate::pyrepr::{self, JsonStyle};

pub(crate) fn parse(params: &Params<'_>) -> Result<Value, ActionError> {
    let text = params.str("text")?;
    serde_json::from_str(text).map_err(|_| ActionError::action("json.parse: invalid JSON"))
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
