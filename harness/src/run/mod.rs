//! Running one fixture through one engine: the Rust crate in-process, the Python package through
//! the embedded interpreter. Both hand back the run's events as JSON Lines text, checked here and
//! kept as text (`jsonl::LogEvents`), so both sides go through the same JSON reading.
//!
//! Every run gets a fresh temporary sandbox (contract §2: `file.*`, `obs.export` and file
//! handlers write there) and runs on a worker thread with a time limit: a hung or panicking engine
//! becomes an errored result for that fixture and the suite goes on (STYLE §3). With
//! `RunConfig::isolate` each side runs in a worker process instead (`spawn.rs` or `fork.rs`,
//! `pool.rs`): a crash or a hang inside C code is then that fixture's `run.crashed` or
//! `run.timeout`, and the worker is killed.

mod fork;
mod model;
mod output;
mod pool;
mod process;
mod python;
mod rust;
mod spawn;
mod worker;

use std::time::Duration;

use crate::fixture::Fixture;

pub use model::{
    DEFAULT_TIMEOUT, Engine, LoadError, Outcome, Ran, RunConfig, RunFailure, RunResult, RunStatus,
};
pub use output::parse_jsonl;
pub use spawn::{RUST_CHILD, serve_rust_child, use_rust_child};
use worker::panic_message;

/// Runs `fixture` through `engine`. Never fails: every problem is an [`Outcome`].
#[must_use]
pub fn run_fixture(engine: Engine, fixture: &Fixture, config: &RunConfig) -> RunResult {
    match (engine, config.isolate) {
        (Engine::Rust, false) => rust::run(fixture, config.timeout),
        (Engine::Python, false) => python::run(fixture, config),
        (Engine::Rust, true) => match spawn::program() {
            Some(program) => spawn::run(program, fixture, config.timeout),
            None => fork::run(fixture, config.timeout),
        },
        (Engine::Python, true) => pool::run(fixture, config),
    }
}

/// Runs both engines on `fixture` concurrently (a fixture that sleeps costs its time once) and
/// returns `[rust, python]`.
#[must_use]
pub fn run_both(fixture: &Fixture, config: &RunConfig) -> [RunResult; 2] {
    std::thread::scope(|scope| {
        let python = scope.spawn(|| run_fixture(Engine::Python, fixture, config));
        let rust = run_fixture(Engine::Rust, fixture, config);
        let python = python.join().unwrap_or_else(|payload| RunResult {
            engine: Engine::Python,
            outcome: Outcome::Errored(RunFailure::Panic {
                message: panic_message(payload.as_ref()),
            }),
            elapsed: Duration::ZERO,
        });
        [rust, python]
    })
}
