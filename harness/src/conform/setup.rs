//! How `conform` runs and checks a runtime: the command, where its state comes from, its time
//! limit, the reference and the snapshots, the manifest of expected failures.

use std::path::PathBuf;
use std::time::Duration;

use super::manifest::Manifest;
use super::template::CommandTemplate;
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
    /// Keep each run's files in `<keep>/<fixture>/` instead of a temporary directory.
    pub keep: Option<PathBuf>,
}

impl Conformance {
    /// The manifest's reason for `name`, if it expects a failure.
    #[must_use]
    pub fn expected_failure(&self, name: &str) -> Option<String> {
        let names: Vec<&str> = self.names.iter().map(String::as_str).collect();
        self.manifest.reason(name, &names)
    }
}
