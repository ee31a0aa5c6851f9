//! `twinflow conform`: any runtime, run as a subprocess on every fixture, checked for everything a
//! fixture pins (contract §5.6) and scored per contract section.
//!
//! One job per module: `template` (the command and its placeholders), `process` (one process
//! group with a time limit), `events` (the log through the one chain), `end` (exit status and
//! final state against the reference), `load_error` (the printed load error against the
//! snapshot), `checks` (one fixture, all of it), `model` (cells, verdicts, scores), `sections`
//! (fixture → contract section), `manifest` (expected failures), and [`conform_all`] (the fixtures
//! over `--jobs` threads).

mod checks;
mod end;
mod events;
mod load_error;
mod manifest;
mod model;
mod process;
mod sections;
mod template;

use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

pub use checks::conform_fixture;
pub use end::{ExpectedEnd, check_exit, check_state, exit_meaning, parse_state, reference_end};
pub use load_error::{LoadErrorSeen, check as check_load_error, parse_reported, pinned};
pub use manifest::Manifest;
pub use model::{ConformCheck, ConformReport, SectionScore, scores};
pub use process::{Ended, ProcessOutput, run_command};
pub use sections::{SECTIONS, section_of};
pub use template::{CommandTemplate, PLACEHOLDERS, RunPaths, TemplateError, shell_quote};

use crate::fixture::Fixture;
use crate::run::RunConfig;
use crate::schema::EventValidator;

/// Where a runtime leaves its final state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StateFrom {
    /// Its standard output is the state as JSON (both reference CLIs).
    Stdout,
    /// It writes the state as JSON to `{state}`.
    File,
}

/// How `conform` runs and checks a runtime.
#[derive(Debug)]
pub struct Conformance {
    /// The command template.
    pub template: CommandTemplate,
    /// The runtime's name in findings.
    pub runtime_name: String,
    /// Where the state comes from.
    pub state_from: StateFrom,
    /// The runtime's time limit per fixture.
    pub timeout: Duration,
    /// The directory the command runs in.
    pub cwd: PathBuf,
    /// The snapshots.
    pub expected_dir: PathBuf,
    /// How the reference (the built-in Rust engine) runs.
    pub run_config: RunConfig,
    /// The event schema.
    pub validator: EventValidator,
    /// Expected failures.
    pub manifest: Manifest,
    /// Every fixture's name (the manifest's filters select among them).
    pub names: Vec<String>,
}

impl Conformance {
    /// The manifest's reason for `name`, if it expects a failure.
    #[must_use]
    pub fn expected_failure(&self, name: &str) -> Option<String> {
        let names: Vec<&str> = self.names.iter().map(String::as_str).collect();
        self.manifest.reason(name, &names)
    }
}

/// Every fixture through the runtime, `jobs` at a time; the reports in fixture order.
#[must_use]
pub fn conform_all(fixtures: &[Fixture], setup: &Conformance, jobs: usize) -> Vec<ConformReport> {
    let next = AtomicUsize::new(0);
    let done: Mutex<Vec<Option<ConformReport>>> = Mutex::new(vec![None; fixtures.len()]);
    std::thread::scope(|scope| {
        for _ in 0..jobs.clamp(1, fixtures.len().max(1)) {
            scope.spawn(|| {
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let Some(fixture) = fixtures.get(index) else {
                        break;
                    };
                    let report = conform_fixture(fixture, setup);
                    done.lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)[index] = Some(report);
                }
            });
        }
    });
    done.into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .into_iter()
        .flatten()
        .collect()
}
