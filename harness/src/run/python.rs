//! The Python twin, through the embedded interpreter: one `yamlflow.run_text` call per fixture.

use std::sync::mpsc;

use super::model::{Engine, Outcome, Ran, RunConfig, RunFailure, RunResult, RunStatus};
use super::output::parse_jsonl;
use super::worker::{sandbox, with_timeout};
use crate::fixture::Fixture;
use crate::python::{CallError, Interpreter, TextRun};

/// Runs `fixture` through the Python engine on a worker thread; a timeout raises `TimeoutError`
/// in the Python thread so that a looping run stops instead of holding the interpreter.
pub(super) fn run(fixture: &Fixture, config: &RunConfig) -> RunResult {
    let interpreter = match Interpreter::get(&config.layout) {
        Ok(interpreter) => interpreter,
        Err(err) => {
            return RunResult {
                engine: Engine::Python,
                outcome: Outcome::Errored(RunFailure::Setup {
                    message: err.to_string(),
                }),
                elapsed: std::time::Duration::ZERO,
            };
        }
    };
    let text = fixture.text.clone();
    let input = fixture.input_json();
    let (thread_sender, thread_receiver) = mpsc::channel();
    with_timeout(
        Engine::Python,
        config.timeout,
        move || {
            let sandbox = match sandbox() {
                Ok(dir) => dir,
                Err(failure) => return Outcome::Errored(failure),
            };
            let result = interpreter.run_text(&text, &input, sandbox.path(), |thread| {
                let _ = thread_sender.send(thread);
            });
            match result {
                Ok(run) => ran(run),
                Err(CallError::Load(error)) => Outcome::Load(*error),
                Err(CallError::Exception(exception)) => {
                    Outcome::Errored(RunFailure::Exception(exception))
                }
            }
        },
        || {
            if let Ok(thread) = thread_receiver.try_recv() {
                let _ = interpreter.interrupt(&thread);
            }
        },
    )
}

/// The run's events, status and state, or why they are unusable.
pub(super) fn ran(run: TextRun) -> Outcome {
    let events = match parse_jsonl(run.events) {
        Ok(events) => events,
        Err(failure) => return Outcome::Errored(failure),
    };
    let status = match run.status.as_str() {
        "completed" => RunStatus::Completed,
        "failed" => RunStatus::Failed,
        other => {
            return Outcome::Errored(RunFailure::Setup {
                message: format!(
                    "yamlflow.run_text returned the status '{other}' (expected completed or failed)"
                ),
            });
        }
    };
    match serde_json::from_str(&run.state) {
        Ok(state) => Outcome::Events(Ran {
            events,
            status,
            state,
            console: run.console,
            flow_id: Some(run.flow_id),
            error: serde_json::from_str(&run.error)
                .ok()
                .filter(|e: &serde_json::Value| !e.is_null()),
        }),
        Err(err) => Outcome::Errored(RunFailure::Setup {
            message: format!("yamlflow.run_text returned a final state that is not JSON: {err}"),
        }),
    }
}
