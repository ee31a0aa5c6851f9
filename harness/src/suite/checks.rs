//! The suite: one fixture through both engines and every check, or every fixture on a pool of
//! threads. Shared by the `fixtures` test target and `twinflow check`, so both judge alike.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::engine::{Against, check_side};
use super::model::{FixtureReport, SuiteOptions};
use super::parity::compare_engines;
use super::scheduler::run_all;
use super::verdict::judge;
use crate::finding::Check;
use crate::fixture::Fixture;
use crate::layout::Layout;
use crate::run::{Outcome, RunConfig, run_both};
use crate::schema::EventValidator;
use crate::snapshot;

/// The checks, ready to run on fixtures.
#[derive(Debug)]
pub struct Suite {
    config: RunConfig,
    expected: PathBuf,
    validator: EventValidator,
    options: SuiteOptions,
}

impl Suite {
    /// A suite over the checkout `layout`, validating with the bundled schema.
    #[must_use]
    pub fn new(layout: Layout, options: SuiteOptions) -> Self {
        Self {
            expected: layout.expected(),
            config: RunConfig {
                layout,
                timeout: options.timeout,
                isolate: options.isolate,
            },
            validator: EventValidator::bundled(),
            options,
        }
    }

    /// Runs `fixtures` on `jobs` threads and returns their reports in fixture order; `progress`
    /// hears about each report as it is done (from worker threads) and stops the run by returning
    /// `false` (`--max-fail`): fixtures not started by then have no report.
    pub fn check_all(
        &self,
        fixtures: &[Fixture],
        jobs: usize,
        progress: &(dyn Fn(&FixtureReport) -> bool + Sync),
    ) -> Vec<FixtureReport> {
        run_all(fixtures, jobs, &|fixture| self.check(fixture), progress)
    }

    /// Runs one fixture through both engines and checks everything selected.
    #[must_use]
    pub fn check(&self, fixture: &Fixture) -> FixtureReport {
        let runs = run_both(fixture, &self.config);
        let stored = self
            .options
            .checks
            .contains(&Check::Snapshot)
            .then(|| snapshot::read_expected(&self.expected, &fixture.name));
        let against = Against {
            validator: &self.validator,
            snapshot: stored
                .as_ref()
                .map(|stored| (self.expected.as_path(), stored)),
        };
        let (rust, mut findings) = check_side(fixture, &runs[0], &against, None);
        let (python, python_findings) =
            check_side(fixture, &runs[1], &against, rust.rendered.as_ref());
        findings.extend(python_findings);
        let engines = [rust, python];
        findings.extend(compare_engines(
            &fixture.name,
            &engines,
            [&runs[0], &runs[1]],
            &fixture.parity.xfail,
        ));
        // Paths inside the checkout are shown relative to it, as people and CI annotations read them.
        let root = self.config.layout.root();
        for finding in &mut findings {
            if let Some(file) = &mut finding.location.file {
                if let Ok(relative) = Path::new(file.as_str()).strip_prefix(root) {
                    *file = relative.display().to_string();
                }
            }
        }
        let mut report = FixtureReport {
            name: fixture.name.clone(),
            path: fixture.path.clone(),
            expect: fixture.parity.expect,
            xfail: fixture.parity.xfail.clone(),
            engines,
            findings,
            cells: BTreeMap::new(),
        };
        judge(&mut report, &self.options.checks);
        if !report.verdict().is_ok() {
            // A failing fixture keeps its raw logs, for `twinflow check --export-dir`.
            for (side, run) in report.engines.iter_mut().zip(runs) {
                if let Outcome::Events(ran) = run.outcome {
                    side.log = Some(ran.events);
                }
            }
        }
        report
    }
}
