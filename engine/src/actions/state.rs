//! `state.set`: returns its rendered mapping (contract §2); the runner applies it.

use serde_json::{Map, Value};

/// The rendered `with` itself.
pub(crate) fn set(params: Map<String, Value>) -> Value {
    Value::Object(params)
}
