//! `twinflow conform --runtime 'CMD {flow} …' [FILTER...]`: every fixture (or those the filters
//! select) through an external runtime, run as a subprocess; each run is checked for everything
//! the fixture pins (exit status, events through the one chain, status and final state, or the
//! load error: `twinflow::conform`), and scored per contract section.
//!
//! Exit status: 0 every selected fixture passed (or failed as the `--expect` manifest says); 1 a
//! fixture failed; 2 unusable input (no checkout, a bad template or manifest, a filter selecting
//! nothing, an unwritable report).

use std::io::{self, Write};
use std::path::PathBuf;
use std::time::Duration;

use super::check::{select, write_report};
use super::{Color, ExitStatus, ReportFiles};
use crate::conform::{self, CommandTemplate, ConformReport, Conformance, Manifest, StateFrom};
use crate::fixture;
use crate::layout::Layout;
use crate::report::{self, text};
use crate::run::RunConfig;
use crate::schema::EventValidator;

/// Arguments of `twinflow conform`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example (the Rust reference CLI; both reference CLIs print the state on \
standard output):
  twinflow conform --runtime 'target/release/yamlflow run {flow} --input @{input} --events {events} --sandbox {sandbox}'"
)]
pub struct ConformArgs {
    /// The runtime's command, run with `sh -c` in the project root. Placeholders: {flow} (a copy
    /// of the fixture), {input} (a JSON file with `parity.input`), {events} (where it writes its
    /// JSON Lines events), {sandbox} (a fresh, empty directory), {state} (where it writes its
    /// final state as JSON, with --state-from file); each becomes a single-quoted path.
    #[arg(long, value_name = "COMMAND")]
    pub runtime: String,
    /// Check only these fixtures: an exact name, else every name containing it, or a glob
    /// (`'fanout_*'`); all when none.
    #[arg(value_name = "FILTER")]
    pub filters: Vec<String>,
    /// Where the runtime leaves its final state: its standard output, or the file {state}.
    #[arg(long, value_enum, default_value_t = StateFrom::Stdout)]
    pub state_from: StateFrom,
    /// The runtime's time limit per fixture, in seconds; then its whole process group is killed.
    #[arg(long, value_name = "SECS", default_value_t = 30.0)]
    pub timeout: f64,
    /// Fixtures run at once (default: the number of cores).
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
    /// The fixtures the runtime is known to fail: a YAML mapping from a fixture filter to the
    /// reason. Those failures are expected; a pass among them fails ("remove this entry").
    #[arg(long, value_name = "FILE")]
    pub expect: Option<PathBuf>,
    /// Keep each fixture's run in DIR/<fixture>/ (flow, input.json, events.jsonl, sandbox/,
    /// state.json, command.sh, stdout.txt, the end of stderr.txt) to look into a failure.
    #[arg(long, value_name = "DIR")]
    pub keep: Option<PathBuf>,
    /// The runtime's name in findings and reports.
    #[arg(long, value_name = "NAME", default_value = "runtime")]
    pub name: String,
    /// How the report is printed: `text` (findings, the fixture × check table, the scores),
    /// `json`, `junit` or `github` (annotations, and a summary in `$GITHUB_STEP_SUMMARY`).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    #[command(flatten)]
    pub reports: ReportFiles,
    /// The project (default: the nearest folder from the current one up holding `twinflow.toml`,
    /// or `Cargo.toml` and `fixtures/`; or `$TWINFLOW_ROOT`).
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Color the text report.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    pub color: Color,
    /// Lines of each diff shown in the text report.
    #[arg(long, value_name = "N", default_value_t = 40)]
    pub max_diff_lines: usize,
    /// Only the fixtures that did not pass in the table, and no findings of expected failures.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

/// How `conform` prints its report (`--format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Findings, the fixture × check table and the scores, for people.
    Text,
    /// One JSON document.
    Json,
    /// JUnit XML.
    Junit,
    /// GitHub Actions workflow commands, plus a step summary.
    Github,
}

/// Runs `twinflow conform`.
///
/// # Errors
/// Only for failures of the tool itself (writing to standard output); unusable input is reported
/// on standard error and gives [`ExitStatus::Error`].
pub fn run(args: &ConformArgs) -> anyhow::Result<ExitStatus> {
    let (setup, fixtures) = match prepare(args) {
        Ok(ready) => ready,
        Err(message) => {
            eprintln!("error: {message}");
            return Ok(ExitStatus::Error);
        }
    };
    let jobs = args.jobs.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    });
    let reports = conform::conform_all(&fixtures, &setup, jobs);
    let root = setup.run_config.layout.root().to_path_buf();
    let rendered = render(args, &reports, &root);
    let mut status = if reports.iter().all(ConformReport::is_ok) {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    };
    if let Some(path) = &args.reports.junit {
        status = status.max(write_report(
            path,
            &report::render_conform_junit(&reports, &root),
        ));
    }
    if let Some(path) = &args.reports.json {
        let json = report::render_conform_json(&reports, &args.name);
        status = status.max(write_report(path, &format!("{json:#}\n")));
    }
    let mut out = io::stdout().lock();
    match out
        .write_all(rendered.as_bytes())
        .and_then(|()| out.flush())
    {
        Err(err) if err.kind() != io::ErrorKind::BrokenPipe => {
            return Err(err.into());
        }
        _ => {}
    }
    Ok(status)
}

/// The report in `--format`.
fn render(args: &ConformArgs, reports: &[ConformReport], root: &std::path::Path) -> String {
    match args.format {
        Format::Text => {
            let style = text::Style {
                color: args.color.enabled(&io::stdout()),
                max_same: 5,
                max_detail_lines: args.max_diff_lines,
            };
            let mut out = report::render_conform_findings(reports, style, !args.quiet);
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(&report::render_conform_table(reports, !args.quiet));
            out
        }
        Format::Json => format!("{:#}\n", report::render_conform_json(reports, &args.name)),
        Format::Junit => report::render_conform_junit(reports, root),
        Format::Github => {
            if let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY") {
                let summary = report::render_conform_summary(reports, &args.name);
                let appended = std::fs::OpenOptions::new()
                    .append(true)
                    .create(true)
                    .open(&path)
                    .and_then(|mut file| file.write_all(summary.as_bytes()));
                if let Err(err) = appended {
                    eprintln!("warning: cannot write $GITHUB_STEP_SUMMARY: {err}");
                }
            }
            report::render_conform_annotations(reports, root)
        }
    }
}

/// The set-up and the selected fixtures, or why conform cannot run.
fn prepare(args: &ConformArgs) -> Result<(Conformance, Vec<fixture::Fixture>), String> {
    let template = CommandTemplate::parse(&args.runtime).map_err(|err| err.to_string())?;
    if args.state_from == StateFrom::File && !template.uses("state") {
        return Err("--state-from file needs {state} in the runtime command".to_owned());
    }
    if !template.uses("events") {
        return Err("the runtime command must contain {events}: the events are checked".to_owned());
    }
    if !(args.timeout.is_finite() && args.timeout > 0.0) {
        return Err(format!(
            "--timeout must be a positive number of seconds, not {}",
            args.timeout
        ));
    }
    let layout = Layout::discover(args.root.as_deref()).map_err(|err| err.to_string())?;
    let all = fixture::load_all(&layout.fixtures(), &[]).map_err(|err| err.to_string())?;
    let names: Vec<String> = all.iter().map(|f| f.name.clone()).collect();
    let manifest = match &args.expect {
        Some(path) => {
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            Manifest::load(path, &names)?
        }
        None => Manifest::default(),
    };
    let fixtures = select(&layout, &args.filters)?;
    let timeout = Duration::from_secs_f64(args.timeout);
    let setup = Conformance {
        template,
        runtime_name: args.name.clone(),
        state_from: args.state_from,
        timeout,
        cwd: layout.root().to_path_buf(),
        expected_dir: layout.expected(),
        run_config: RunConfig {
            layout,
            timeout: crate::run::DEFAULT_TIMEOUT,
            isolate: true,
        },
        validator: EventValidator::bundled(),
        manifest,
        names,
        // The command runs in the project root: its paths must not depend on the caller's folder.
        keep: match &args.keep {
            Some(dir) => Some(std::path::absolute(dir).map_err(|err| format!("--keep: {err}"))?),
            None => None,
        },
    };
    Ok((setup, fixtures))
}
