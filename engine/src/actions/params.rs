//! Typed access to an action's parameters, with the contract's messages (contract §2.3):
//! `{action}: missing parameter '{name}'`, `{action}: parameter '{name}' must be {what}`.

use serde_json::{Map, Value};

use super::context::ActionError;

/// Typed access to an action's parameters with the contract's messages.
pub(crate) struct Params<'a> {
    action: &'static str,
    map: &'a Map<String, Value>,
}

impl<'a> Params<'a> {
    pub(crate) fn new(action: &'static str, map: &'a Map<String, Value>) -> Self {
        Self { action, map }
    }

    pub(crate) fn action(&self) -> &'static str {
        self.action
    }

    fn wrong_type(&self, name: &str, what: &str) -> ActionError {
        ActionError::action(format!(
            "{}: parameter '{name}' must be {what}",
            self.action
        ))
    }

    /// Any value, which must be present.
    pub(crate) fn required(&self, name: &str) -> Result<&'a Value, ActionError> {
        self.map.get(name).ok_or_else(|| {
            ActionError::action(format!("{}: missing parameter '{name}'", self.action))
        })
    }

    /// An optional value of any type.
    pub(crate) fn optional(&self, name: &str) -> Option<&'a Value> {
        self.map.get(name)
    }

    pub(crate) fn str(&self, name: &str) -> Result<&'a str, ActionError> {
        self.required(name)?
            .as_str()
            .ok_or_else(|| self.wrong_type(name, "a string"))
    }

    pub(crate) fn opt_str(&self, name: &str) -> Result<Option<&'a str>, ActionError> {
        self.optional(name)
            .map(|v| v.as_str().ok_or_else(|| self.wrong_type(name, "a string")))
            .transpose()
    }

    /// A number (booleans are not numbers here, unlike Python's `int` subclass).
    pub(crate) fn number(&self, name: &str) -> Result<f64, ActionError> {
        match self.required(name)? {
            Value::Number(n) => n.as_f64().ok_or_else(|| self.wrong_type(name, "a number")),
            _ => Err(self.wrong_type(name, "a number")),
        }
    }

    pub(crate) fn opt_int(&self, name: &str) -> Result<Option<i64>, ActionError> {
        self.optional(name)
            .map(|v| {
                v.as_i64()
                    .ok_or_else(|| self.wrong_type(name, "an integer"))
            })
            .transpose()
    }

    pub(crate) fn object(&self, name: &str) -> Result<&'a Map<String, Value>, ActionError> {
        self.required(name)?
            .as_object()
            .ok_or_else(|| self.wrong_type(name, "an object"))
    }

    pub(crate) fn opt_object(
        &self,
        name: &str,
    ) -> Result<Option<&'a Map<String, Value>>, ActionError> {
        self.optional(name)
            .map(|v| {
                v.as_object()
                    .ok_or_else(|| self.wrong_type(name, "an object"))
            })
            .transpose()
    }
}
