//! `twinflow check [FILTER...]`: the parity suite outside `cargo test` (issue 4 §6). Every fixture
//! (or those whose name contains one of the filters) runs through both engines; the checks are
//! `twinflow::suite`'s, exactly as the `fixtures` test target runs them. Prints each problem with
//! its diff, then the fixture × check table and the engines' costs; `--junit` and `--json` write
//! machine-readable reports.
//!
//! Exit status: 0 every fixture passed (or failed exactly as its `parity.xfail` declares); 1 a
//! check failed; 2 the suite could not run (no checkout, a filter matching nothing, an unwritable
//! report).

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::{Color, ExitStatus, ReportFiles};
use crate::export::{Side, write_fixture_dir};
use crate::finding::Check;
use crate::finding::Severity;
use crate::fixture::{self, Fixture};
use crate::jsonl::LogEvents;
use crate::layout::Layout;
use crate::report::{
    Totals, github, render_json, render_junit, render_rerun, render_table, render_timings, text,
};
use crate::snapshot;
use crate::suite::{COLUMNS, FixtureReport, Suite, SuiteOptions, Verdict};

/// Arguments of `twinflow check`.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Run only these fixtures: an exact name, else every name containing it, or a glob
    /// (`'fanout_*'`); all fixtures when none. A filter that selects nothing exits 2.
    #[arg(value_name = "FILTER")]
    pub filters: Vec<String>,
    #[command(flatten)]
    pub reports: ReportFiles,
    /// The project (default: the nearest folder from the current one up holding `twinflow.toml`,
    /// or `Cargo.toml` and `fixtures/`; or `$TWINFLOW_ROOT`).
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Each engine's time limit per fixture, in seconds; a fixture that hangs is reported and the
    /// suite goes on.
    #[arg(long, value_name = "SECS", default_value_t = 30.0)]
    pub timeout: f64,
    /// Run both engines inside this process instead of worker processes (a forked child for
    /// Rust, warm Python workers): a little faster, but an abort, an out-of-memory kill or a hang
    /// inside C code then takes the whole suite down instead of failing its fixture.
    #[arg(long)]
    pub no_isolate: bool,
    /// Fixtures checked at once (default: the number of cores). The Python twin runs one fixture
    /// at a time whatever this is (one interpreter, one GIL).
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
    /// Skip the snapshot comparison (parity between the engines is still checked).
    #[arg(long)]
    pub no_snapshots: bool,
    /// Color diffs: `auto` colors them when standard output is a terminal that supports colour
    /// and `NO_COLOR` is not set (`CLICOLOR_FORCE` forces it, `CLICOLOR=0` turns it off).
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    pub color: Color,
    /// Lines of each diff shown; the rest is counted.
    #[arg(long, value_name = "N", default_value_t = 40)]
    pub max_diff_lines: usize,
    /// Stop starting fixtures after N have failed (the report covers those run).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_fail: Option<u64>,
    /// How findings are printed: `text` for people, `github` for GitHub Actions (annotations on
    /// the fixture files, and a summary table in `$GITHUB_STEP_SUMMARY` when it is set).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Print only the failed fixtures and the totals, no findings or table.
    #[arg(long, short = 'q', conflicts_with = "verbose")]
    pub quiet: bool,
    /// Also print declared divergences in full, and every finding (no cap per kind).
    #[arg(long, short = 'v')]
    pub verbose: bool,
    /// For every failing fixture, write into DIR/<fixture>/ both engines' raw logs
    /// (`rust.jsonl`, `python.jsonl`), normalized logs (`*.normalized.yaml`) and one Chrome trace
    /// of both runs side by side (`timeline.json`, for https://ui.perfetto.dev).
    #[arg(long, value_name = "DIR")]
    pub export_dir: Option<PathBuf>,
}

/// How `check` prints findings (`--format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Blocks with diffs, for people.
    Text,
    /// GitHub Actions workflow commands, plus a step summary.
    Github,
}

/// How much `check` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Detail {
    Quiet,
    Normal,
    Verbose,
}

/// Runs `twinflow check`.
///
/// # Errors
/// Only for failures of the tool itself (writing to standard output); unusable input is reported
/// on standard error and gives [`ExitStatus::Error`].
pub fn run(args: &CheckArgs) -> anyhow::Result<ExitStatus> {
    let (layout, fixtures) = match prepare(args) {
        Ok(ready) => ready,
        Err(message) => {
            eprintln!("error: {message}");
            return Ok(ExitStatus::Error);
        }
    };
    let color = args.color.enabled(&io::stdout());
    let checks = COLUMNS
        .into_iter()
        .filter(|check| !(args.no_snapshots && *check == Check::Snapshot))
        .collect();
    let root = layout.root().to_path_buf();
    let expected = layout.expected();
    let suite = Suite::new(
        layout,
        SuiteOptions {
            checks,
            timeout: Duration::from_secs_f64(args.timeout),
            isolate: !args.no_isolate,
        },
    );
    let jobs = args.jobs.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    });

    let started = Instant::now();
    let progress = Progress::new(fixtures.len(), args.max_fail);
    let reports = suite.check_all(&fixtures, jobs, &|report| progress.done(report));
    progress.finish();
    let print = PrintOptions::from_args(args, color, &root);
    emit(args, &reports, started.elapsed(), &print)?;

    let mut status = if Totals::of(&reports).all_ok() {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    };
    // Stale snapshots: only meaningful when every fixture was selected.
    if args.filters.is_empty() && !args.no_snapshots {
        status = status.max(check_orphans(&expected, &fixtures));
    }
    if args.format == Format::Github {
        status = status.max(write_step_summary(&reports));
    }
    if let Some(dir) = &args.export_dir {
        status = status.max(export_failures(dir, &reports));
    }
    if let Some(path) = &args.reports.junit {
        status = status.max(write_report(path, &render_junit(&reports, &root)));
    }
    if let Some(path) = &args.reports.json {
        let text = serde_json::to_string_pretty(&render_json(&reports))? + "\n";
        status = status.max(write_report(path, &text));
    }
    Ok(status)
}

/// The checkout and the selected fixtures, or why the suite cannot run: no project, a filter that
/// selects nothing, or a Python twin that cannot be set up (one error, not one per fixture).
fn prepare(args: &CheckArgs) -> Result<(Layout, Vec<Fixture>), String> {
    let layout = Layout::discover(args.root.as_deref()).map_err(|err| err.to_string())?;
    if !(args.timeout.is_finite() && args.timeout > 0.0) {
        return Err("--timeout must be a positive number of seconds".to_owned());
    }
    let fixtures = select(&layout, &args.filters)?;
    crate::python::Interpreter::get(&layout).map_err(|err| {
        format!(
            "the Python twin cannot be set up: {err}\n(run scripts/setup in {})",
            layout.root().display()
        )
    })?;
    warn_if_engine_differs(&layout);
    Ok((layout, fixtures))
}

/// The Rust engine is linked into this binary; the Python twin is read from the project. When the
/// project's engine sources differ from the ones built in, parity would compare the project's
/// Python twin with another Rust engine: say so.
fn warn_if_engine_differs(layout: &Layout) {
    let built = env!("TWINFLOW_ENGINE_FINGERPRINT");
    let engine = layout.root().join("engine");
    let Some(here) = crate::fingerprint::of_engine(&engine) else {
        return;
    };
    if built.is_empty() || format!("{here:016x}") == built {
        return;
    }
    eprintln!(
        "warning: the Rust engine built into this twinflow differs from {} (sources changed since \
         it was built): rebuild it (cargo install --locked --path harness, or cargo run -p twinflow \
         -- check)",
        engine.display()
    );
}

/// Each failing fixture's findings (capped per kind and per diff), then the table and the
/// engines' costs, then the failed fixtures and how to rerun them.
fn print_reports(
    out: &mut impl Write,
    reports: &[FixtureReport],
    wall: Duration,
    options: &PrintOptions<'_>,
) -> io::Result<()> {
    let PrintOptions {
        style,
        detail,
        format,
        root,
    } = *options;
    for report in reports {
        match (format, report.verdict(), detail) {
            (Format::Github, _, _) => {
                let file = relative(&report.path, root);
                let shown = report
                    .findings
                    .iter()
                    .filter(|f| f.severity != Severity::Note);
                for finding in shown {
                    writeln!(out, "{}", github::fixture_annotation(finding, &file))?;
                }
            }
            (_, Verdict::Pass, _) | (_, _, Detail::Quiet) => {}
            (_, Verdict::ExpectedFail, Detail::Normal) => {
                let notes = report
                    .findings
                    .iter()
                    .filter(|f| f.severity == Severity::Note);
                writeln!(out, "{}", text::blocks(notes, style))?;
            }
            _ => writeln!(out, "{}", text::blocks(&report.findings, style))?,
        }
    }
    if detail != Detail::Quiet {
        out.write_all(render_table(reports).as_bytes())?;
    }
    out.write_all(render_timings(reports, wall).as_bytes())?;
    out.write_all(render_rerun(reports).as_bytes())
}

/// How the run is printed.
#[derive(Debug, Clone, Copy)]
struct PrintOptions<'a> {
    style: text::Style,
    detail: Detail,
    format: Format,
    root: &'a Path,
}

impl<'a> PrintOptions<'a> {
    fn from_args(args: &CheckArgs, color: bool, root: &'a Path) -> Self {
        let detail = if args.quiet {
            Detail::Quiet
        } else if args.verbose {
            Detail::Verbose
        } else {
            Detail::Normal
        };
        let style = text::Style {
            color,
            max_same: if args.verbose { usize::MAX } else { 20 },
            max_detail_lines: args.max_diff_lines,
        };
        Self {
            style,
            detail,
            format: args.format,
            root,
        }
    }
}

/// Prints the run on standard output, or on standard error when a machine report takes standard
/// output (`--json -`, `--junit -`), so that it stays clean.
fn emit(
    args: &CheckArgs,
    reports: &[FixtureReport],
    wall: Duration,
    print: &PrintOptions<'_>,
) -> io::Result<()> {
    if args.reports.to_stdout() {
        print_reports(&mut io::stderr().lock(), reports, wall, print)
    } else {
        let mut out = io::BufWriter::new(io::stdout().lock());
        print_reports(&mut out, reports, wall, print)?;
        out.flush()
    }
}

/// `path` relative to `root` when inside it, as annotations and reports want it.
fn relative(path: &Path, root: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}

/// `--export-dir`: each failing fixture's logs, normalized logs and side-by-side trace.
fn export_failures(dir: &Path, reports: &[FixtureReport]) -> ExitStatus {
    for report in reports.iter().filter(|report| !report.verdict().is_ok()) {
        let sides = report.engines.each_ref().map(|side| Side {
            name: side.engine.name(),
            events: side.log.as_ref().unwrap_or(LogEvents::none()),
            normalized: side.rendered.as_deref().map(String::as_str),
        });
        let folder = dir.join(&report.name);
        if let Err(err) = write_fixture_dir(&folder, &sides) {
            eprintln!("error: cannot write {}: {err}", folder.display());
            return ExitStatus::Error;
        }
    }
    ExitStatus::Success
}

/// Appends the Markdown summary to `$GITHUB_STEP_SUMMARY` when GitHub Actions sets it.
fn write_step_summary(reports: &[FixtureReport]) -> ExitStatus {
    let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY") else {
        return ExitStatus::Success;
    };
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut file| file.write_all(github::step_summary(reports).as_bytes()));
    match written {
        Ok(()) => ExitStatus::Success,
        Err(err) => {
            eprintln!(
                "error: cannot write the step summary to {}: {err}",
                Path::new(&path).display()
            );
            ExitStatus::Error
        }
    }
}

/// Snapshots in `expected/` that belong to no fixture fail the run.
fn check_orphans(expected: &Path, fixtures: &[Fixture]) -> ExitStatus {
    let names: Vec<&str> = fixtures.iter().map(|f| f.name.as_str()).collect();
    match snapshot::orphans(expected, &names) {
        Ok(orphans) if !orphans.is_empty() => {
            eprintln!(
                "error: snapshots without a fixture (delete them, or run scripts/regen-expected):"
            );
            for path in orphans {
                eprintln!("  {}", path.display());
            }
            ExitStatus::Failure
        }
        Ok(_) => ExitStatus::Success,
        Err(err) => {
            eprintln!("error: {err}");
            ExitStatus::Error
        }
    }
}

/// The fixtures to check: all, or those the filters select (`crate::select`: exact name,
/// substring or glob); a filter that selects nothing is an error with suggestions.
pub(super) fn select(layout: &Layout, filters: &[String]) -> Result<Vec<Fixture>, String> {
    let all = fixture::load_all(&layout.fixtures(), &[]).map_err(|err| err.to_string())?;
    let names: Vec<&str> = all.iter().map(|f| f.name.as_str()).collect();
    let chosen = crate::select::select(&names, filters)
        .map_err(|err| format!("{err} (fixtures in {})", layout.fixtures().display()))?;
    let mut all: Vec<Option<Fixture>> = all.into_iter().map(Some).collect();
    Ok(chosen
        .into_iter()
        .filter_map(|index| all[index].take())
        .collect())
}

/// Writes a report to `path` (`-` is standard output); says why on standard error when it cannot.
pub(super) fn write_report(path: &Path, text: &str) -> ExitStatus {
    let written = if path.as_os_str() == "-" {
        io::stdout().lock().write_all(text.as_bytes())
    } else {
        std::fs::write(path, text)
    };
    match written {
        Ok(()) => ExitStatus::Success,
        Err(err) => {
            eprintln!("error: cannot write {}: {err}", path.display());
            ExitStatus::Error
        }
    }
}

/// A one-line progress counter on standard error when it is a terminal (hidden otherwise, so logs
/// and pipes stay clean); it also counts failures for `--max-fail`.
struct Progress {
    max_fail: Option<u64>,
    failing: AtomicU64,
    bar: indicatif::ProgressBar,
}

impl Progress {
    /// A bar on standard error; indicatif draws nothing when that is not a terminal.
    fn new(total: usize, max_fail: Option<u64>) -> Self {
        let bar = indicatif::ProgressBar::new(total as u64);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "checking fixtures [{bar:30}] {pos}/{len}{msg} ({elapsed}, {eta} left)",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.enable_steady_tick(Duration::from_millis(200));
        Self {
            max_fail,
            failing: AtomicU64::new(0),
            bar,
        }
    }

    /// Counts `report`; `false` once `--max-fail` failures have been seen.
    fn done(&self, report: &FixtureReport) -> bool {
        let failing = if report.verdict().is_ok() {
            self.failing.load(Ordering::Relaxed)
        } else {
            self.failing.fetch_add(1, Ordering::Relaxed) + 1
        };
        self.bar.inc(1);
        if failing > 0 {
            self.bar.set_message(format!(", {failing} failing"));
        }
        self.max_fail.is_none_or(|max| failing < max)
    }

    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
