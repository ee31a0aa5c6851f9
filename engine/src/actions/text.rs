//! `text.render`: the rendered `template` as a string, a single expression's value spelled as
//! text (contract §2.2).

use serde_json::Value;

use super::context::ActionError;
use super::params::Params;
use crate::pyrepr;

pub(crate) fn render(params: &Params<'_>) -> Result<Value, ActionError> {
    Ok(Value::String(pyrepr::json_text(
        params.required("template")?,
    )))
}
