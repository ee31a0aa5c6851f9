//! Every fixture through both engines, one named test each (issue 4 §2), plus a check that no
//! snapshot in `expected/` has lost its fixture.
//!
//! The test target of the workspace's root package, so that cargo-insta finds the pending
//! snapshots of `expected/`. `cargo test --test fixtures -- NAME` runs one fixture; a filter is
//! an exact name, a substring or a glob (`twinflow::select`), and one that selects nothing exits 2.
//! Snapshots go through insta with `expected/` as the snapshot folder, so `INSTA_UPDATE`,
//! `cargo insta test`, `cargo insta review` and `cargo insta accept` work as usual; insta never
//! writes under `CI`, and `scripts/test` sets `INSTA_UPDATE=no`. The other checks (outcome,
//! schema, structure, parity) are `twinflow::suite`'s, exactly as `twinflow check` runs them.
//!
//! Environment: `TWINFLOW_ROOT` (another checkout), `TWINFLOW_TIMEOUT` (seconds per engine and
//! fixture, default 30).

mod insta_loop;
mod shared_run;

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use libtest_mimic::{Arguments, Failed, Trial};
use twinflow::finding::{Check, Severity};
use twinflow::fixture::{self, Fixture};
use twinflow::layout::Layout;
use twinflow::report::text;
use twinflow::snapshot::{self, Header};
use twinflow::suite::{COLUMNS, FixtureReport, Suite, SuiteOptions};

use shared_run::{Checked, SharedRun};

fn main() {
    let mut args = Arguments::from_args();
    let layout = match Layout::discover(None) {
        Ok(layout) => layout,
        Err(err) => {
            eprintln!("error: {err}");
            std::process::exit(2);
        }
    };
    // Only names here: each test reads its own fixture, so that listing tests (and each of
    // nextest's test processes) does not parse every fixture, and one unreadable fixture fails
    // its own test, not the suite.
    let paths = match fixture::discover(&layout.fixtures()) {
        Ok(paths) => paths,
        Err(err) => {
            eprintln!("error: {err}");
            std::process::exit(2);
        }
    };
    let timeout = std::env::var("TWINFLOW_TIMEOUT")
        .ok()
        .and_then(|secs| secs.parse::<f64>().ok())
        .filter(|secs| secs.is_finite() && *secs > 0.0)
        .map_or(twinflow::run::DEFAULT_TIMEOUT, Duration::from_secs_f64);
    let options = SuiteOptions {
        // Snapshots are insta's job here, so that its update and review workflow applies.
        checks: COLUMNS
            .into_iter()
            .filter(|check| *check != Check::Snapshot)
            .collect(),
        timeout,
        // As `twinflow check`: each engine's side in a worker process; TWINFLOW_ISOLATE=0 runs
        // both in this process.
        isolate: std::env::var("TWINFLOW_ISOLATE").map_or(true, |v| v != "0"),
    };
    let names: Vec<String> = paths.iter().map(|path| stem(path)).collect();
    // One filter syntax everywhere (twinflow::select): exact name, substring or glob; a filter
    // that selects nothing is an error, not a green run of zero tests.
    let mut selectable: Vec<&str> = names.iter().map(String::as_str).collect();
    selectable.push(ORPHANS);
    selectable.push(SHARED_RUN);
    selectable.push(INSTA_LOOP);
    let filters: Vec<String> = args.filter.take().into_iter().collect();
    let chosen = match twinflow::select::select(&selectable, &filters) {
        Ok(chosen) => chosen,
        Err(err) => {
            eprintln!("error: {err}");
            std::process::exit(2);
        }
    };
    args.exact = false;
    let context = Arc::new(Context {
        suite: OnceLock::new(),
        options,
        layout,
        color: std::io::stdout().is_terminal(),
        shared: SharedRun::from_env(Path::new(env!("CARGO_TARGET_TMPDIR"))),
        all: OnceLock::new(),
    });
    let expected = context.layout.expected();
    let trials: Vec<Trial> = chosen
        .into_iter()
        .map(|index| match paths.get(index) {
            Some(path) => {
                let (context, path) = (Arc::clone(&context), path.clone());
                Trial::test(stem(&path), move || {
                    let fixture =
                        Fixture::load(&path).map_err(|err| Failed::from(err.to_string()))?;
                    context.run(&fixture)
                })
            }
            None if index == names.len() => {
                let (expected, names) = (expected.clone(), names.clone());
                Trial::test(ORPHANS, move || orphans(&expected, &names))
            }
            None if index == names.len() + 1 => {
                Trial::test(SHARED_RUN, || shared_run::self_test().map_err(Failed::from))
            }
            None => {
                let root = context.layout.root().to_path_buf();
                Trial::test(INSTA_LOOP, move || {
                    insta_loop::pending_snapshots_list_exactly_the_changed_fixture(&root)
                        .map_err(Failed::from)
                })
            }
        })
        .collect();
    libtest_mimic::run(&args, trials).exit();
}

/// The test that fails on snapshots without a fixture.
const ORPHANS: &str = "expected_has_no_orphans";
/// The test of the outcomes nextest's test processes share.
const SHARED_RUN: &str = "nextest_processes_share_one_run";
/// The test of insta's review loop on `expected/`.
const INSTA_LOOP: &str = "insta_review_lists_exactly_a_changed_fixture";

struct Context {
    /// Built on first use: a test process under a shared nextest run may never need it.
    suite: OnceLock<Suite>,
    options: SuiteOptions,
    layout: Layout,
    color: bool,
    /// Under nextest: the outcomes shared by the run's test processes.
    shared: Option<SharedRun>,
    /// Every fixture, read by the process that checks them all for a shared run.
    all: OnceLock<Result<Vec<Fixture>, String>>,
}

/// A fixture's name: its file stem.
fn stem(path: &Path) -> String {
    path.file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
        .unwrap_or_default()
}

impl Context {
    fn suite(&self) -> &Suite {
        self.suite
            .get_or_init(|| Suite::new(self.layout.clone(), self.options.clone()))
    }

    fn style(&self) -> text::Style {
        text::Style {
            color: self.color,
            max_same: 20,
            max_detail_lines: 40,
        }
    }

    /// One fixture: the suite's checks, then the snapshot through insta.
    fn run(&self, fixture: &Fixture) -> Result<(), Failed> {
        let shared = self.shared.as_ref().map(|shared| {
            shared
                .outcome(&fixture.name, || self.check_all())
                .map_err(|err| Failed::from(format!("shared nextest run: {err}")))
        });
        let checked = match shared {
            Some(Ok(Some(checked))) => checked,
            Some(Err(err)) => return Err(err),
            Some(Ok(None)) | None => self.check(fixture),
        };
        print!("{}", checked.notes);
        let mut failures: Vec<String> = checked.failure.into_iter().collect();
        if let Some(reference) = &checked.reference {
            if let Err(message) = self.assert_snapshot(fixture, reference) {
                failures.push(message);
            }
        }
        if failures.is_empty() {
            Ok(())
        } else {
            Err(Failed::from(failures.join("\n")))
        }
    }

    /// The suite's checks of one fixture, rendered.
    fn check(&self, fixture: &Fixture) -> Checked {
        self.render(&self.suite().check(fixture))
    }

    /// Every fixture, on every core, for a shared nextest run.
    fn check_all(&self) -> BTreeMap<String, Checked> {
        let jobs = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        let all = self.all.get_or_init(|| {
            fixture::load_all(&self.layout.fixtures(), &[]).map_err(|err| err.to_string())
        });
        let Ok(all) = all else {
            // Each test then checks its own fixture, and the unreadable one fails alone.
            return BTreeMap::new();
        };
        self.suite()
            .check_all(all, jobs, &|_| true)
            .iter()
            .map(|report| (report.name.clone(), self.render(report)))
            .collect()
    }

    /// What a test prints and asserts, from a fixture's report.
    fn render(&self, report: &FixtureReport) -> Checked {
        // Declared divergences print their reason only; `twinflow check -v` shows their diffs.
        let notes = report
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Note);
        let errors: Vec<_> = report.errors().cloned().collect();
        Checked {
            notes: text::blocks(notes, self.style()),
            failure: (!errors.is_empty()).then(|| text::blocks(&errors, self.style())),
            reference: report.reference().map(str::to_owned),
        }
    }

    /// `expected/<fixture>.snap` through insta (header: the fixture's comment and `parity`).
    fn assert_snapshot(&self, fixture: &Fixture, reference: &str) -> Result<(), String> {
        let header = Header::for_fixture(fixture);
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path(self.layout.expected());
        settings.set_prepend_module_to_snapshot(false);
        settings.set_omit_expression(true);
        settings.set_description(header.description);
        settings.set_info(&header.info);
        settings.set_input_file(&fixture.path);
        let name = fixture.name.as_str();
        catch_unwind(AssertUnwindSafe(|| {
            settings.bind(|| insta::assert_snapshot!(name, reference));
        }))
        .map_err(|payload| {
            let reason = payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_default();
            format!(
                "{name} snapshot: differs from expected/{name}.snap ({reason}); review with `cargo insta review`, or regenerate with scripts/regen-expected"
            )
        })
    }
}

/// Fails on snapshots in `expected/` that belong to no fixture (issue 4 §5).
fn orphans(expected: &std::path::Path, fixtures: &[String]) -> Result<(), Failed> {
    let names: Vec<&str> = fixtures.iter().map(String::as_str).collect();
    let orphans =
        snapshot::orphans(expected, &names).map_err(|err| Failed::from(err.to_string()))?;
    if orphans.is_empty() {
        return Ok(());
    }
    let list: Vec<String> = orphans
        .iter()
        .map(|path| format!("  {}", path.display()))
        .collect();
    Err(Failed::from(format!(
        "snapshots without a fixture (delete them, or run scripts/regen-expected which removes them):\n{}",
        list.join("\n")
    )))
}
