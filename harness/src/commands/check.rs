//! `twinflow check [FILTER...]`: the parity suite outside `cargo test` (issue 4 §6). Every fixture
//! (or those whose name contains one of the filters) runs through both engines; the checks are
//! `twinflow::suite`'s, exactly as the `fixtures` test target runs them. Prints each problem with
//! its diff, then the fixture × check table and the engines' costs; `--junit` and `--json` write
//! machine-readable reports.
//!
//! Exit status: 0 every fixture passed (or failed exactly as its `parity.xfail` declares); 1 a
//! check failed; 2 the suite could not run (no checkout, a filter matching nothing, an unwritable
//! report).

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::Context;

use super::ExitStatus;
use super::compare::Color;
use crate::fixture::{self, Fixture};
use crate::layout::Layout;
use crate::report::{Totals, render_json, render_junit, render_table, render_timings};
use crate::snapshot;
use crate::suite::{Check, FixtureReport, Suite, SuiteOptions, Verdict};

/// Arguments of `twinflow check`.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Run only the fixtures whose name contains one of these strings (all fixtures when none).
    #[arg(value_name = "FILTER")]
    pub filters: Vec<String>,
    /// Write a JUnit XML report (one test case per fixture) to this file.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Write a JSON report (every fixture's checks, engine outcomes, problems) to this file.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// The checkout holding `fixtures/`, `expected/`, `python/` and `.venv/` (default: the one
    /// twinflow was built in, or `$TWINFLOW_ROOT`).
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Each engine's time limit per fixture, in seconds; a fixture that hangs is reported and the
    /// suite goes on.
    #[arg(long, value_name = "SECS", default_value_t = 30.0)]
    pub timeout: f64,
    /// Fixtures checked at once (default: the number of cores). The Python twin runs one fixture
    /// at a time whatever this is (one interpreter, one GIL).
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
    /// Skip the snapshot comparison (parity between the engines is still checked).
    #[arg(long)]
    pub no_snapshots: bool,
    /// Color diffs: `auto` colors them when standard output is a terminal and `NO_COLOR` is not
    /// set.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    pub color: Color,
}

/// Runs `twinflow check`.
///
/// # Errors
/// Only for failures of the tool itself (writing to standard output); unusable input is reported
/// on standard error and gives [`ExitStatus::Error`].
pub fn run(args: &CheckArgs) -> anyhow::Result<ExitStatus> {
    let layout = match Layout::discover(args.root.as_deref()) {
        Ok(layout) => layout,
        Err(err) => {
            eprintln!("error: {err}");
            return Ok(ExitStatus::Error);
        }
    };
    if !(args.timeout.is_finite() && args.timeout > 0.0) {
        eprintln!("error: --timeout must be a positive number of seconds");
        return Ok(ExitStatus::Error);
    }
    let fixtures = match select(&layout, &args.filters) {
        Ok(fixtures) => fixtures,
        Err(message) => {
            eprintln!("error: {message}");
            return Ok(ExitStatus::Error);
        }
    };
    let stdout = io::stdout();
    let color = match args.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => stdout.is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    let checks = Check::ALL
        .into_iter()
        .filter(|check| !(args.no_snapshots && *check == Check::Snapshot))
        .collect();
    let expected = layout.expected();
    let suite = Suite::new(
        layout,
        SuiteOptions {
            checks,
            timeout: Duration::from_secs_f64(args.timeout),
            color,
        },
    );
    let jobs = args.jobs.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    });

    let started = Instant::now();
    let progress = Progress::new(fixtures.len());
    let reports = suite.check_all(&fixtures, jobs, &|report| progress.done(report));
    progress.finish();
    let wall = started.elapsed();

    let mut out = io::BufWriter::new(stdout.lock());
    for report in &reports {
        let details = report.details();
        if !details.is_empty() && report.verdict() != Verdict::Pass {
            writeln!(out, "{details}")?;
        }
    }
    out.write_all(render_table(&reports).as_bytes())?;
    out.write_all(render_timings(&reports, wall).as_bytes())?;
    out.flush()?;

    let mut status = if Totals::of(&reports).all_ok() {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    };
    // Stale snapshots: only meaningful when every fixture was selected.
    if args.filters.is_empty() && !args.no_snapshots {
        let names: Vec<&str> = fixtures.iter().map(|f| f.name.as_str()).collect();
        match snapshot::orphans(&expected, &names) {
            Ok(orphans) if !orphans.is_empty() => {
                eprintln!(
                    "error: snapshots without a fixture (delete them, or run scripts/regen-expected):"
                );
                for path in orphans {
                    eprintln!("  {}", path.display());
                }
                status = ExitStatus::Failure;
            }
            Ok(_) => {}
            Err(err) => {
                eprintln!("error: {err}");
                status = ExitStatus::Error;
            }
        }
    }
    if let Some(path) = &args.junit {
        if let Err(err) = write_report(path, render_junit(&reports)) {
            eprintln!("error: {err:#}");
            status = ExitStatus::Error;
        }
    }
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&render_json(&reports))? + "\n";
        if let Err(err) = write_report(path, text) {
            eprintln!("error: {err:#}");
            status = ExitStatus::Error;
        }
    }
    Ok(status)
}

/// The fixtures to check: all, or those matching a filter (each filter must match one).
fn select(layout: &Layout, filters: &[String]) -> Result<Vec<Fixture>, String> {
    let all = fixture::load_all(&layout.fixtures(), &[]).map_err(|err| err.to_string())?;
    if let Some(unmatched) = filters
        .iter()
        .find(|filter| !all.iter().any(|f| f.name.contains(filter.as_str())))
    {
        return Err(format!(
            "no fixture in {} has a name containing '{unmatched}'",
            layout.fixtures().display()
        ));
    }
    Ok(all
        .into_iter()
        .filter(|f| {
            filters.is_empty()
                || filters
                    .iter()
                    .any(|filter| f.name.contains(filter.as_str()))
        })
        .collect())
}

fn write_report(path: &std::path::Path, text: String) -> anyhow::Result<()> {
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

/// A one-line progress counter on standard error when it is a terminal (hidden otherwise, so logs
/// and pipes stay clean).
struct Progress {
    total: usize,
    state: Mutex<(usize, usize)>,
    visible: bool,
}

impl Progress {
    fn new(total: usize) -> Self {
        Self {
            total,
            state: Mutex::new((0, 0)),
            visible: io::stderr().is_terminal(),
        }
    }

    fn done(&self, report: &FixtureReport) {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        state.0 += 1;
        if !report.verdict().is_ok() {
            state.1 += 1;
        }
        if self.visible {
            eprint!(
                "\r\x1b[2Kchecking fixtures: {}/{} ({} failing) {}",
                state.0, self.total, state.1, report.name
            );
        }
    }

    fn finish(&self) {
        if self.visible {
            eprint!("\r\x1b[2K");
        }
    }
}
