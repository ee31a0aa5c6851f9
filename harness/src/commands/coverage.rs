//! `twinflow coverage`: runs every fixture (or those selected) through both engines and reports,
//! per runtime, what of the contract they exercise: each event type × kind × level the contract
//! allows, each builtin action on its success and error paths, each error type and load error
//! kind, each event schema property, each observability setting, and each contract section the
//! fixtures claim (`parity.covers`) and their runs back. `--fail-under` makes it a gate.
//!
//! Exit status: 0 covered (or no gate), 1 under the gate or a claim not backed, 2 the fixtures
//! could not be run.

use std::collections::BTreeSet;
use std::io::{self, Write};
use std::path::PathBuf;
use std::time::Duration;

use super::ExitStatus;
use crate::coverage::{
    Category, Item, Sections, covered, judge_claims, rendered, required, tally, universe,
};
use crate::fixture::{self, Fixture};
use crate::layout::Layout;
use crate::report::{coverage_json, coverage_markdown, coverage_text};
use crate::run::{Engine, RunConfig, RunResult, run_both};

/// How `coverage` prints its table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A table for people.
    Text,
    /// A Markdown table (for `$GITHUB_STEP_SUMMARY`).
    Markdown,
    /// JSON.
    Json,
}

/// Arguments of `twinflow coverage`.
#[derive(Debug, clap::Args)]
pub struct CoverageArgs {
    /// Only these fixtures (exact name, substring or glob).
    #[arg(value_name = "FILTER")]
    pub filters: Vec<String>,
    /// Fail (exit 1) when any category of either runtime is under this percentage.
    #[arg(long, value_name = "PERCENT")]
    pub fail_under: Option<f64>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// The project (default: found from the current directory).
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
}

/// Runs `twinflow coverage`.
///
/// # Errors
/// Only for failures of the tool itself (writing the output).
pub fn run(args: &CoverageArgs) -> anyhow::Result<ExitStatus> {
    let (layout, fixtures) = match prepare(args) {
        Ok(ready) => ready,
        Err(message) => {
            eprintln!("error: {message}");
            return Ok(ExitStatus::Error);
        }
    };
    let config = RunConfig {
        layout,
        timeout: Duration::from_secs(30),
        isolate: true,
    };
    let jobs = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let contract = std::fs::read_to_string(config.layout.root().join("docs/contract.md")).ok();
    let sections = contract.as_deref().map(Sections::parse).unwrap_or_default();
    if contract.is_none() {
        eprintln!("note: no docs/contract.md in the project: contract sections are not counted");
    }
    let runs = crate::suite::run_all(&fixtures, jobs, &|f| run_both(f, &config), &|_| true);
    let mut all = universe();
    let (filters, tests) = contract.as_deref().map(required).unwrap_or_default();
    all.extend(filters.iter().map(|name| Item::new(FILTER, name.as_str())));
    all.extend(tests.iter().map(|name| Item::new(TEST, name.as_str())));
    all.extend(sections.coverable().map(|s| Item::new(SECTION, s)));
    // Without a contract there is nothing to claim against: claims are neither counted nor judged.
    let sections = contract.is_some().then_some(&sections);
    let (per_runtime, problems) = tally_runtimes(&fixtures, &runs, &all, sections);
    let table: Vec<(&str, &[Category])> = per_runtime
        .iter()
        .map(|(engine, categories)| (engine.name(), categories.as_slice()))
        .collect();
    let text = match args.format {
        Format::Text => coverage_text(&table),
        Format::Markdown => coverage_markdown(&table),
        Format::Json => serde_json::to_string_pretty(&coverage_json(&table))? + "\n",
    };
    io::stdout().lock().write_all(text.as_bytes())?;
    for problem in &problems {
        eprintln!("error: {problem}");
    }
    let under = args.fail_under.is_some_and(|gate| {
        table
            .iter()
            .flat_map(|(_, categories)| categories.iter())
            .any(|category| category.percent() + 1e-9 < gate)
    });
    if under {
        eprintln!(
            "coverage under {}% (see the missing column)",
            args.fail_under.unwrap_or_default()
        );
        return Ok(ExitStatus::Failure);
    }
    if problems.is_empty() {
        Ok(ExitStatus::Success)
    } else {
        Ok(ExitStatus::Failure)
    }
}

/// Each runtime's categories, and the claims of contract sections that are wrong (none judged
/// without `sections`).
fn tally_runtimes(
    fixtures: &[Fixture],
    runs: &[[RunResult; 2]],
    all: &[Item],
    sections: Option<&Sections>,
) -> (Vec<(Engine, Vec<Category>)>, Vec<String>) {
    let mut per_runtime = Vec::new();
    let mut problems = sections.map_or_else(Vec::new, |s| unknown_claims(fixtures, s));
    for engine in Engine::ALL {
        let mut seen = BTreeSet::new();
        for (fixture, results) in fixtures.iter().zip(runs) {
            let result = &results[usize::from(engine == Engine::Python)];
            seen.extend(covered(fixture, &result.outcome));
            let (filters, tests) = rendered(&fixture.text, &result.outcome);
            seen.extend(filters.into_iter().map(|name| Item::new(FILTER, name)));
            seen.extend(tests.into_iter().map(|name| Item::new(TEST, name)));
            if sections.is_none() {
                continue;
            }
            let (backed, unbacked) = judge_claims(fixture, &result.outcome);
            seen.extend(backed.into_iter().map(|s| Item::new(SECTION, s)));
            problems.extend(unbacked.into_iter().map(|section| {
                format!(
                    "{}: claims {section} (parity.covers), but its {engine} run shows no sign of it",
                    fixture.name
                )
            }));
        }
        per_runtime.push((engine, tally(all, &seen)));
    }
    (per_runtime, problems)
}

/// The coverage category of contract sections (contract §5.7).
const SECTION: &str = "contract section";
/// The coverage categories of the filters and tests contract §1.3 requires.
const FILTER: &str = "template filter";
const TEST: &str = "template test";

/// Claims that name no coverable section of the contract.
fn unknown_claims(fixtures: &[Fixture], sections: &Sections) -> Vec<String> {
    let mut problems = Vec::new();
    for fixture in fixtures {
        for claim in &fixture.parity.covers {
            let why = if let Some(why) = sections.exempt.get(claim) {
                format!("which fixtures cannot cover ({why})")
            } else if sections.leaves.contains(claim) {
                continue;
            } else {
                "which is no section of docs/contract.md without subsections".to_owned()
            };
            problems.push(format!(
                "{}: claims {claim} (parity.covers), {why}",
                fixture.name
            ));
        }
    }
    problems
}

/// The project and the selected fixtures, or why not.
fn prepare(args: &CoverageArgs) -> Result<(Layout, Vec<Fixture>), String> {
    let layout = Layout::discover(args.root.as_deref()).map_err(|err| err.to_string())?;
    let all = fixture::load_all(&layout.fixtures(), &[]).map_err(|err| err.to_string())?;
    let names: Vec<&str> = all.iter().map(|f| f.name.as_str()).collect();
    let chosen = crate::select::select(&names, &args.filters).map_err(|err| err.to_string())?;
    crate::python::Interpreter::get(&layout)
        .map_err(|err| format!("the Python twin cannot be set up: {err} (run scripts/setup)"))?;
    let mut all: Vec<Option<Fixture>> = all.into_iter().map(Some).collect();
    let fixtures = chosen.into_iter().filter_map(|i| all[i].take()).collect();
    Ok((layout, fixtures))
}
