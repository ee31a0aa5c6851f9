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

use std::io::IsTerminal;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::Duration;

use libtest_mimic::{Arguments, Failed, Trial};
use twinflow::finding::{Check, Severity};
use twinflow::fixture::{self, Fixture};
use twinflow::layout::Layout;
use twinflow::report::text;
use twinflow::snapshot::{self, Header};
use twinflow::suite::{COLUMNS, Suite, SuiteOptions};

fn main() {
    let mut args = Arguments::from_args();
    let layout = match Layout::discover(None) {
        Ok(layout) => layout,
        Err(err) => {
            eprintln!("error: {err}");
            std::process::exit(2);
        }
    };
    let fixtures = match fixture::load_all(&layout.fixtures(), &[]) {
        Ok(fixtures) => fixtures,
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
    };
    let names: Vec<String> = fixtures.iter().map(|f| f.name.clone()).collect();
    // One filter syntax everywhere (twinflow::select): exact name, substring or glob; a filter
    // that selects nothing is an error, not a green run of zero tests.
    let mut selectable: Vec<&str> = names.iter().map(String::as_str).collect();
    selectable.push(ORPHANS);
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
        suite: Suite::new(layout.clone(), options),
        layout,
        color: std::io::stdout().is_terminal(),
    });
    let expected = context.layout.expected();
    let mut fixtures: Vec<Option<Fixture>> = fixtures.into_iter().map(Some).collect();
    let trials: Vec<Trial> = chosen
        .into_iter()
        .map(
            |index| match fixtures.get_mut(index).and_then(Option::take) {
                Some(fixture) => {
                    let context = Arc::clone(&context);
                    Trial::test(fixture.name.clone(), move || context.run(&fixture))
                }
                None => {
                    let (expected, names) = (expected.clone(), names.clone());
                    Trial::test(ORPHANS, move || orphans(&expected, &names))
                }
            },
        )
        .collect();
    libtest_mimic::run(&args, trials).exit();
}

/// The test that fails on snapshots without a fixture.
const ORPHANS: &str = "expected_has_no_orphans";

struct Context {
    suite: Suite,
    layout: Layout,
    color: bool,
}

impl Context {
    fn style(&self) -> text::Style {
        text::Style {
            color: self.color,
            max_same: 20,
            max_detail_lines: 40,
        }
    }

    /// One fixture: the suite's checks, then the snapshot through insta.
    fn run(&self, fixture: &Fixture) -> Result<(), Failed> {
        let report = self.suite.check(fixture);
        for note in report
            .findings
            .iter()
            .filter(|f| f.severity != Severity::Error)
        {
            print!("{}", text::block(note, self.style()));
        }
        let errors: Vec<_> = report.errors().cloned().collect();
        let mut failures = Vec::new();
        if !errors.is_empty() {
            failures.push(text::blocks(&errors, self.style()));
        }
        if let Some(reference) = report.reference() {
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
