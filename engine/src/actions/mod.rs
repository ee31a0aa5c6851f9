//! Builtin actions (contract §2, §2.2), one module per namespace, and their dispatch; what an
//! action gets and gives back is `context.rs`'s, typed parameter access `params.rs`'s. Messages
//! are the contract's (contract §2.3).

pub(crate) mod context;
mod control;
mod emit;
mod file;
pub(crate) mod json;
mod memory;
mod obs;
mod params;
mod state;
mod text;

use serde_json::{Map, Value};

pub(crate) use self::context::{ActionCtx, ActionError};
use self::params::Params;

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
        "obs.get_flow_log" => Ok(ctx.obs.flow_log_in(ctx.span)),
        "obs.query" => obs::query(&Params::new("obs.query", &params), ctx),
        "obs.export" => obs::export(&Params::new("obs.export", &params), ctx),
        other => Err(ActionError::new(
            "UnknownAction",
            format!("unknown action: {other}"),
        )),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::path::Path;
    use std::sync::Arc;

    use serde_json::json;

    use super::*;
    use crate::event::SpanKind;
    use crate::flow::ObservabilitySettings;
    use crate::observability::{ObservabilityContext, Span};

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
            None,
            crate::observability::RunScope::default(),
        );
        let span = Span::new(None, Arc::from("n"), SpanKind::Node, Some(Arc::from(uses)));
        let memory = crate::runner::memory::Memory::default();
        let ctx = ActionCtx {
            obs: &obs,
            span: &span,
            memory: &memory,
            files: &crate::runner::file_order::FileOrder::default(),
            sandbox,
            attempt,
            limits: &crate::flow::Limits::DEFAULT,
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
    fn every_builtin_is_dispatched() {
        // contract §2.1: the vocabulary and the dispatch name the same actions.
        let dir = tempfile::tempdir().unwrap();
        for uses in crate::event::ACTIONS {
            let outcome = run_action(uses, json!({}), dir.path(), 1);
            assert!(
                !matches!(&outcome, Err(e) if e.kind == "UnknownAction"),
                "{uses} is not dispatched"
            );
        }
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
