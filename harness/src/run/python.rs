//! The Python twin, through the embedded interpreter: one `yamlflow.run_text` call per fixture.

use std::sync::mpsc;

use super::{
    Engine, Outcome, RunConfig, RunFailure, RunResult, parse_jsonl, sandbox, with_timeout,
};
use crate::fixture::Fixture;
use crate::python::{CallError, Interpreter};

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
                Ok(jsonl) => match parse_jsonl(&jsonl) {
                    Ok(events) => Outcome::Events(events),
                    Err(failure) => Outcome::Errored(failure),
                },
                Err(CallError::Load(failure)) => Outcome::Load(*failure),
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
