//! The Rust twin, run in-process: `yamlflow::load_str` and `yamlflow::run` with a callback that
//! writes each event as one JSON line (the same form the Python twin returns).

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use super::model::{Engine, Outcome, Ran, RunFailure, RunResult, RunStatus};
use super::output::parse_jsonl;
use super::worker::{sandbox, with_timeout};
use crate::fixture::Fixture;

/// The origin both engines give the fixture text (the Python twin's `run_text` loads with
/// `<string>`), so load error messages can match.
const ORIGIN: &str = "<string>";

/// Runs `fixture` through the Rust engine on a worker thread.
pub(super) fn run(fixture: &Fixture, timeout: Duration) -> RunResult {
    let text = fixture.text.clone();
    let input = fixture.parity.input.clone();
    with_timeout(Engine::Rust, timeout, move || execute(&text, input), || {})
}

pub(super) fn execute(text: &str, input: serde_json::Map<String, serde_json::Value>) -> Outcome {
    execute_json(text, &serde_json::Value::Object(input).to_string())
}

/// [`execute`] with the input as JSON text.
pub(super) fn execute_json(text: &str, input: &str) -> Outcome {
    let flow = match yamlflow::load_str(text, ORIGIN) {
        Ok(flow) => flow,
        Err(err) => return Outcome::Load(err),
    };
    // The input goes through the engine's own input reader as JSON text, as the Python twin's
    // `run_text` takes it (contract §5.3), so both refuse the same inputs (nesting, 64-bit integers).
    let input = match yamlflow::parse_input(input, "<input>") {
        Ok(input) => input,
        Err(err) => return Outcome::Load(err),
    };
    let sandbox = match sandbox() {
        Ok(dir) => dir,
        Err(failure) => return Outcome::Errored(failure),
    };
    let lines = Arc::new(Mutex::new(Vec::<u8>::with_capacity(64 * 1024)));
    let sink = Arc::clone(&lines);
    let console = Arc::new(Mutex::new(Vec::<u8>::new()));
    let mut options = yamlflow::RunOptions::new(sandbox.path());
    options.input = input;
    options.console = Some(console.clone());
    options
        .callbacks
        .push(Arc::new(move |event: &yamlflow::Event| {
            let mut buffer = sink.lock().unwrap_or_else(PoisonError::into_inner);
            // Writing to a Vec cannot fail, and Event serializes to one JSON object by contract.
            if serde_json::to_writer(&mut *buffer, event).is_ok() {
                buffer.push(b'\n');
            }
        }));
    let outcome = match yamlflow::run(&flow, options) {
        Ok(outcome) => outcome,
        Err(err) => return Outcome::Load(err),
    };
    let status = match outcome.status {
        yamlflow::RunStatus::Completed => RunStatus::Completed,
        yamlflow::RunStatus::Failed => RunStatus::Failed,
    };
    let buffer = std::mem::take(&mut *lines.lock().unwrap_or_else(PoisonError::into_inner));
    let text = match String::from_utf8(buffer) {
        Ok(text) => text,
        Err(err) => {
            return Outcome::Errored(RunFailure::BadJsonl {
                line: 0,
                message: format!("not UTF-8: {err}"),
            });
        }
    };
    match parse_jsonl(text) {
        Ok(events) => Outcome::Events(Ran {
            events,
            status,
            state: serde_json::Value::Object(outcome.state),
            console: String::from_utf8_lossy(
                &console.lock().unwrap_or_else(PoisonError::into_inner),
            )
            .into_owned(),
            flow_id: Some(outcome.flow_id),
            error: outcome
                .error
                .map(|(kind, message)| serde_json::json!({"type": kind, "message": message})),
        }),
        Err(failure) => Outcome::Errored(failure),
    }
}
