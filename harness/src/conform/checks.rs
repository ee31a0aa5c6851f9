//! One fixture through an external runtime: prepare its files, run the command, then check
//! everything the fixture pins — the process ended (no crash, no timeout), the exit status, the
//! events through the one chain, the status and final state, or the load error.

use std::path::Path;

use super::end::{self, ExpectedEnd};
use super::events::{self, Stored};
use super::load_error;
use super::model::{ConformCheck, ConformReport};
use super::process::{self, Ended, ProcessOutput};
use super::sections::section_of;
use super::setup::{Conformance, StateFrom};
use super::template::RunPaths;
use crate::finding::{Check, Code, Finding};
use crate::fixture::Fixture;
use crate::run::RunStatus;
use crate::snapshot;

/// Runs `fixture` through the runtime and checks the run.
#[must_use]
pub fn conform_fixture(fixture: &Fixture, setup: &Conformance) -> ConformReport {
    let mut report = ConformReport {
        name: fixture.name.clone(),
        path: fixture.path.clone(),
        section: section_of(&fixture.name),
        cells: std::collections::BTreeMap::new(),
        findings: Vec::new(),
        expected_failure: setup.expected_failure(&fixture.name),
        elapsed: std::time::Duration::ZERO,
    };
    let checked = match run_and_check(fixture, setup, &mut report) {
        Ok(checked) => checked,
        Err(finding) => {
            report.findings.push(*finding);
            Vec::new()
        }
    };
    for finding in &mut report.findings {
        finding.fixture = Some(fixture.name.clone());
        finding.runtime = Some(setup.runtime_name.clone().into());
    }
    report.judge(&checked);
    report
}

/// The checks made (their findings pushed on `report`), or the finding that stopped them.
fn run_and_check(
    fixture: &Fixture,
    setup: &Conformance,
    report: &mut ConformReport,
) -> Result<Vec<ConformCheck>, Box<Finding>> {
    let dir = RunDir::new(setup.keep.as_deref(), &fixture.name)
        .map_err(|err| crash(format!("cannot create the run's directory: {err}")))?;
    let paths = prepare(dir.path(), fixture)
        .map_err(|err| crash(format!("cannot prepare the fixture's files: {err}")))?;
    let expected = end::reference_end(fixture, &setup.run_config);
    let command = setup.template.expand(&paths);
    let output = process::run_command(&command, &setup.cwd, setup.timeout)
        .map_err(|err| crash(format!("cannot start `sh -c {command}`: {err}")))?;
    report.elapsed = output.elapsed;
    dir.keep_output(&command, &output);
    let code = ended_normally(&output, setup)?;
    if let ExpectedEnd::Unavailable(why) = &expected {
        return Err(Box::new(Finding::new(
            Code::new(Check::Run, "reference"),
            format!("the reference engine produced nothing to compare with: {why}"),
        )));
    }
    let with_stderr = |finding: Finding| finding.with_detail(stderr_detail(&output));
    report
        .findings
        .extend(end::check_exit(&expected, code).map(with_stderr));
    let stored = snapshot::read_expected(&setup.expected_dir, &fixture.name);
    let pinned = stored
        .as_ref()
        .ok()
        .and_then(|body| body.as_deref().and_then(load_error::pinned));
    if let Some(pinned) = pinned {
        // A refused input is named by the input file, not the flow (contract §6.12).
        let reported =
            load_error::parse_reported(&output.stderr_tail, Some(&paths.flow.to_string_lossy()))
                .or_else(|| {
                    load_error::parse_reported(
                        &output.stderr_tail,
                        Some(&paths.input.to_string_lossy()),
                    )
                });
        report
            .findings
            .extend(load_error::check(reported.as_ref(), &pinned));
        return Ok(vec![
            ConformCheck::Run,
            ConformCheck::Exit,
            ConformCheck::LoadError,
        ]);
    }
    let against = Stored {
        dir: &setup.expected_dir,
        fixture: &fixture.name,
        body: &stored,
    };
    let (events, findings) = events::check_events(&paths.events, &setup.validator, &against);
    report.findings.extend(findings);
    let status = match code {
        0 => Some(RunStatus::Completed),
        1 => Some(RunStatus::Failed),
        _ => None,
    };
    if let Some(status) = status {
        let state = match setup.state_from {
            StateFrom::Stdout => end::parse_state(&output.stdout),
            StateFrom::File => std::fs::read(&paths.state)
                .map_err(|err| format!("no final state in {{state}}: {err}"))
                .and_then(|bytes| end::parse_state(&bytes)),
        };
        report
            .findings
            .extend(end::check_state(&expected, &events, status, state));
    }
    Ok(vec![
        ConformCheck::Run,
        ConformCheck::Exit,
        ConformCheck::Schema,
        ConformCheck::Structure,
        ConformCheck::Snapshot,
        ConformCheck::State,
    ])
}

/// Where one run's files are: a temporary directory, or `--keep DIR/<fixture>` (emptied first),
/// which then also receives the command and its output.
enum RunDir {
    Temporary(tempfile::TempDir),
    Kept(std::path::PathBuf),
}

impl RunDir {
    fn new(keep: Option<&Path>, fixture: &str) -> std::io::Result<Self> {
        let Some(keep) = keep else {
            let dir = tempfile::Builder::new()
                .prefix("twinflow-conform-")
                .tempdir()?;
            return Ok(Self::Temporary(dir));
        };
        let dir = keep.join(fixture);
        if dir.exists() {
            std::fs::remove_dir_all(&dir)?;
        }
        std::fs::create_dir_all(&dir)?;
        Ok(Self::Kept(dir))
    }

    fn path(&self) -> &Path {
        match self {
            Self::Temporary(dir) => dir.path(),
            Self::Kept(dir) => dir,
        }
    }

    /// Keeps the command, its standard output and the end of its standard error (best effort:
    /// they are for people).
    fn keep_output(&self, command: &str, output: &ProcessOutput) {
        if let Self::Kept(dir) = self {
            let _ = std::fs::write(dir.join("command.sh"), format!("{command}\n"));
            let _ = std::fs::write(dir.join("stdout.txt"), &output.stdout);
            let _ = std::fs::write(dir.join("stderr.txt"), &output.stderr_tail);
        }
    }
}

/// The files of one run under `dir`: the flow's copy (named as the fixture), its input, a fresh
/// sandbox; the events and state paths are left for the runtime to create.
fn prepare(dir: &Path, fixture: &Fixture) -> std::io::Result<RunPaths> {
    let paths = RunPaths {
        flow: dir.join(format!("{}.yaml", fixture.name)),
        input: dir.join("input.json"),
        events: dir.join("events.jsonl"),
        sandbox: dir.join("sandbox"),
        state: dir.join("state.json"),
    };
    std::fs::write(&paths.flow, &fixture.text)?;
    std::fs::write(&paths.input, fixture.input_json())?;
    std::fs::create_dir(&paths.sandbox)?;
    Ok(paths)
}

/// The exit status of a process that ended by itself with 0, 1 or 2; a timeout or a crash (a
/// signal, another status) otherwise.
fn ended_normally(output: &ProcessOutput, setup: &Conformance) -> Result<i32, Box<Finding>> {
    let finding = match output.ended {
        Ended::Exited(code @ 0..=2) => return Ok(code),
        Ended::TimedOut => Finding::new(
            Code::new(Check::Conform, "timeout"),
            format!(
                "no end after {} s: the runtime's process group was killed",
                setup.timeout.as_secs_f64()
            ),
        )
        .with_help("raise the limit with --timeout SECONDS if the runtime is only slow"),
        Ended::Exited(code) => *crash(format!(
            "exit status {code}, which the contract does not define (0, 1, 2)"
        )),
        Ended::Signaled(signal) => *crash(format!("killed by signal {signal}")),
    };
    Err(Box::new(finding.with_detail(stderr_detail(output))))
}

fn crash(message: String) -> Box<Finding> {
    Box::new(Finding::new(Code::new(Check::Conform, "crash"), message))
}

fn stderr_detail(output: &ProcessOutput) -> String {
    if output.stderr_tail.trim().is_empty() {
        "(standard error was empty)".to_owned()
    } else {
        format!(
            "standard error (its end):\n{}",
            output.stderr_tail.trim_end()
        )
    }
}
