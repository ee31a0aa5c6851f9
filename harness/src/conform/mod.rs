//! `twinflow conform`: any runtime, run as a subprocess on every fixture, checked for everything a
//! fixture pins (contract §5.6) and scored per contract section.
//!
//! One job per module: `template` (the command and its placeholders), `process` (one process
//! group with a time limit), `events` (the log through the one chain), `end` (exit status and
//! final state against the reference), `load_error` (the printed load error against the
//! snapshot), `checks` (one fixture, all of it), `model` (cells, verdicts, scores), `sections`
//! (fixture → contract section), `manifest` (expected failures), `setup` (how a runtime is run and checked), and [`conform_all`] (the fixtures
//! over `--jobs` threads).

mod checks;
mod end;
mod events;
mod load_error;
mod manifest;
mod model;
mod process;
mod sections;
mod setup;
mod template;

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

pub use checks::conform_fixture;
pub use end::{ExpectedEnd, check_exit, check_state, exit_meaning, parse_state, reference_end};
pub use load_error::{LoadErrorSeen, check as check_load_error, parse_reported, pinned};
pub use manifest::Manifest;
pub use model::{ConformCheck, ConformReport, SectionScore, scores};
pub use process::{Ended, ProcessOutput, run_command};
pub use sections::{SECTIONS, section_of};
pub use setup::{Conformance, StateFrom};
pub use template::{CommandTemplate, PLACEHOLDERS, RunPaths, TemplateError, shell_quote};

use crate::fixture::Fixture;

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
