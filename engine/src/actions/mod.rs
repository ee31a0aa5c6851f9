//! Builtin actions (contract §2, §2.2), one module per namespace; dispatch,
//! parameter helpers and the failure type live here. Messages are the contract's (§2.3).

mod control;
mod emit;
pub(crate) mod file;
pub(crate) mod json;
mod memory;
mod obs;
mod state;
mod text;

use std::path::Path;
use std::sync::Mutex;

use serde_json::{Map, Value};

use crate::observability::{ObservabilityContext, Span};

/// A failed action (or template, or run-level check): the contract's `{type, message}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ActionError {
    /// The error type (`ActionError`, `PermissionDenied`, ..., or what `fail` was given).
    pub(crate) kind: String,
    /// The contract message.
    pub(crate) message: String,
}

impl ActionError {
    /// An error of any type.
    pub(crate) fn new(kind: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            kind: kind.into(),
            message: message.into(),
        }
    }

    /// An `ActionError`.
    pub(crate) fn action(message: impl Into<String>) -> Self {
        Self::new("ActionError", message)
    }

    /// `{type, message}` as event data.
    pub(crate) fn to_json(&self) -> Value {
        let mut map = Map::with_capacity(2);
        map.insert("type".into(), Value::String(self.kind.clone()));
        map.insert("message".into(), Value::String(self.message.clone()));
        Value::Object(map)
    }
}

/// The OS's description of an I/O failure without the errno, as Python's `strerror` spells it
/// (contract §6): Rust's own text for an OS error is strerror's followed by ` (os error N)`.
pub(crate) fn io_reason(err: &std::io::Error) -> String {
    let text = err.to_string();
    match err.raw_os_error() {
        Some(code) => text
            .strip_suffix(&format!(" (os error {code})"))
            .map_or_else(|| err.kind().to_string(), str::to_owned),
        None => err.kind().to_string(),
    }
}

/// What an action can reach besides its parameters.
pub(crate) struct ActionCtx<'a> {
    /// The run's observability (log/metric events, obs.*).
    pub(crate) obs: &'a ObservabilityContext,
    /// The span the action runs in (a node or step span).
    pub(crate) span: &'a Span,
    /// The run's memory, shared by fan-out branches.
    pub(crate) memory: &'a Mutex<Map<String, Value>>,
    /// Root of file paths.
    pub(crate) sandbox: &'a Path,
    /// The node's 1-based attempt (for `fail`).
    pub(crate) attempt: u32,
}

/// Runs the builtin `uses` with its rendered parameters. A panic inside an action is a bug: it
/// becomes the ActionError `{uses}: internal error: {description}` (contract §6) instead of
/// taking the run (or a branch thread) down.
pub(crate) fn call(
    uses: &str,
    params: Map<String, Value>,
    ctx: &ActionCtx<'_>,
) -> Result<Value, ActionError> {
    guarded(uses, || dispatch(uses, params, ctx))
}

/// Runs an action body, turning a panic into `{uses}: internal error: {description}`.
fn guarded(
    uses: &str,
    body: impl FnOnce() -> Result<Value, ActionError>,
) -> Result<Value, ActionError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(body)).unwrap_or_else(|panic| {
        let description = panic
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unexpected failure".to_owned());
        Err(ActionError::action(format!(
            "{uses}: internal error: {description}"
        )))
    })
}

fn dispatch(
    uses: &str,
    params: Map<String, Value>,
    ctx: &ActionCtx<'_>,
) -> Result<Value, ActionError> {
    match uses {
        "state.set" => Ok(state::set(params)),
        "text.render" => text::render(&Params::new("text.render", &params)),
        "json.parse" => json::parse(&Params::new("json.parse", &params)),
        "json.stringify" => json::stringify(&Params::new("json.stringify", &params)),
        "memory.store" => memory::store(&Params::new("memory.store", &params), ctx),
        "memory.get" => memory::get(&Params::new("memory.get", &params), ctx),
        "file.write" => file::write(&Params::new("file.write", &params), ctx),
        "file.read" => file::read(&Params::new("file.read", &params), ctx),
        "sleep" => control::sleep(&Params::new("sleep", &params)),
        "fail" => control::fail(&Params::new("fail", &params), ctx),
        "log.emit" => emit::log(&Params::new("log.emit", &params), ctx),
        "metric.emit" => emit::metric(&Params::new("metric.emit", &params), ctx),
        "obs.get_flow_log" => Ok(ctx.obs.flow_log()),
        "obs.query" => obs::query(&Params::new("obs.query", &params), ctx),
        "obs.export" => obs::export(&Params::new("obs.export", &params), ctx),
        other => Err(ActionError::new(
            "UnknownAction",
            format!("unknown action: {other}"),
        )),
    }
}

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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::event::SpanKind;
    use crate::flow::ObservabilitySettings;
    use serde_json::json;
    use std::sync::Arc;

    /// Runs one action in a throwaway run context.
    pub(crate) fn run_action(
        uses: &str,
        params: Value,
        sandbox: &Path,
        attempt: u32,
    ) -> Result<Value, ActionError> {
        let obs = ObservabilityContext::new(
            Arc::from("f"),
            &ObservabilitySettings::default(),
            sandbox,
            Vec::new(),
            None,
        );
        let span = Span::new(None, Arc::from("n"), SpanKind::Node, Some(Arc::from(uses)));
        let memory = Mutex::new(Map::new());
        let ctx = ActionCtx {
            obs: &obs,
            span: &span,
            memory: &memory,
            sandbox,
            attempt,
        };
        call(uses, params.as_object().cloned().unwrap_or_default(), &ctx)
    }

    #[test]
    fn a_panicking_action_is_an_internal_error() {
        // contract §6: a bug inside an action fails the node, not the process.
        let e = guarded("json.parse", || panic!("index out of bounds")).unwrap_err();
        assert_eq!(
            (e.kind.as_str(), e.message.as_str()),
            (
                "ActionError",
                "json.parse: internal error: index out of bounds"
            )
        );
        let e = guarded("x", || panic!("{} items", 3)).unwrap_err();
        assert_eq!(e.message, "x: internal error: 3 items");
        assert_eq!(guarded("x", || Ok(Value::Null)), Ok(Value::Null));
    }

    #[test]
    fn parameter_messages() {
        let dir = std::env::temp_dir();
        let e = run_action("text.render", json!({"tmpl": 1}), &dir, 1).unwrap_err();
        assert_eq!(e.message, "text.render: missing parameter 'template'");
        let e = run_action("sleep", json!({"ms": "10ms"}), &dir, 1).unwrap_err();
        assert_eq!(e.message, "sleep: parameter 'ms' must be a number");
        let e = run_action("http.get", json!({}), &dir, 1).unwrap_err();
        assert_eq!(
            (e.kind.as_str(), e.message.as_str()),
            ("UnknownAction", "unknown action: http.get")
        );
    }

    #[test]
    fn state_text_json_and_fail() {
        let dir = std::env::temp_dir();
        assert_eq!(
            run_action("state.set", json!({"a": 1}), &dir, 1).unwrap(),
            json!({"a": 1})
        );
        assert_eq!(
            run_action("text.render", json!({"template": 3}), &dir, 1).unwrap(),
            json!("3")
        );
        assert_eq!(
            run_action(
                "json.stringify",
                json!({"value": {"b": 1.0, "a": "é"}}),
                &dir,
                1
            )
            .unwrap(),
            json!(r#"{"a":"é","b":1.0}"#)
        );
        assert_eq!(
            run_action("json.parse", json!({"text": "{x"}), &dir, 1)
                .unwrap_err()
                .message,
            "json.parse: invalid JSON"
        );
        let e = run_action("fail", json!({}), &dir, 1).unwrap_err();
        assert_eq!(
            (e.kind.as_str(), e.message.as_str()),
            ("ActionError", "failed on purpose")
        );
        assert_eq!(
            run_action("fail", json!({"times": 1}), &dir, 2).unwrap(),
            Value::Null
        );
    }
}
