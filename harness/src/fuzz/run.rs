//! Runs generated flows through both engines with the suite's checks (schema, structure, parity),
//! groups the divergences by class and shrinks the first flow of each class to a small fixture.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

use super::flow::flow;
use crate::finding::{Check, Finding};
use crate::fixture::Fixture;
use crate::suite::{FixtureReport, Suite};

/// How long and how hard to fuzz.
#[derive(Debug, Clone)]
pub struct Budget {
    /// The seed: the same seed generates the same flows.
    pub seed: u64,
    /// Stop after this many flows.
    pub count: Option<u64>,
    /// Stop after this long.
    pub time: Option<Duration>,
    /// Flows checked at once.
    pub jobs: usize,
    /// Candidate flows tried while shrinking one divergence.
    pub shrink_steps: usize,
}

/// One class of divergence: how often it was seen and its smallest flow.
#[derive(Debug, Clone)]
pub struct Divergence {
    /// What differs: the failing codes (and, for a parity diff, the first field that differs).
    pub class: String,
    /// Flows that showed it.
    pub seen: u64,
    /// The number of the first flow that showed it (with the seed, it reproduces the flow).
    pub case: u64,
    /// That flow, shrunk.
    pub flow: String,
    /// The findings of the shrunk flow.
    pub findings: Vec<Finding>,
}

/// What a fuzz run found.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// Flows generated and checked.
    pub flows: u64,
    /// How long it took.
    pub elapsed: Duration,
    /// The divergences, by class.
    pub divergences: BTreeMap<String, Divergence>,
}

impl Outcome {
    /// Flows per second.
    #[must_use]
    pub fn rate(&self) -> f64 {
        let seconds = self.elapsed.as_secs_f64();
        if seconds > 0.0 {
            #[allow(clippy::cast_precision_loss)] // a rate for people
            let flows = self.flows as f64;
            flows / seconds
        } else {
            0.0
        }
    }
}

/// The 32-byte ChaCha seed for `seed`.
fn rng(seed: u64) -> TestRng {
    let mut bytes = [0u8; 32];
    for chunk in bytes.chunks_mut(8) {
        chunk.copy_from_slice(&seed.to_le_bytes());
    }
    TestRng::from_seed(RngAlgorithm::ChaCha, &bytes)
}

/// The class of a report's failure, or `None` when both engines agree and pass every check.
#[must_use]
pub fn classify(report: &FixtureReport) -> Option<String> {
    let mut parts: Vec<String> = Vec::new();
    for finding in report.errors() {
        let mut part = finding.code.to_string();
        if finding.code.check == Check::Parity {
            if let Some(field) = finding.detail.as_deref().and_then(first_changed_field) {
                part = format!("{part}:{field}");
            }
        }
        if !parts.contains(&part) {
            parts.push(part);
        }
    }
    parts.sort();
    (!parts.is_empty()).then(|| parts.join(" + "))
}

/// The field on the first changed line of a diff (`-  message: x` gives `message`); for a
/// message, also the first words on each side (`message: cannot evaluate|undefined value`), which
/// tell the kinds of disagreement apart.
fn first_changed_field(diff: &str) -> Option<String> {
    let changed = |sign: char| {
        diff.lines().find(|line| {
            line.starts_with(sign) && !line.starts_with("---") && !line.starts_with("+++")
        })
    };
    let line = changed('-').or_else(|| changed('+'))?;
    let body = line[1..].trim_start().trim_start_matches("- ");
    let (field, _) = body.split_once(':').unwrap_or((body, ""));
    let field: String = field.trim().chars().take(40).collect();
    if field != "message" {
        return Some(field);
    }
    let words = |line: Option<&str>| -> String {
        let value = line.and_then(|l| l.split_once(':')).map_or("", |(_, v)| v);
        let words: Vec<&str> = value
            .trim()
            .trim_matches('"')
            .split_whitespace()
            .take(3)
            .collect();
        words.join(" ")
    };
    Some(format!(
        "message: {}|{}",
        words(changed('-')),
        words(changed('+'))
    ))
}

/// Checks one flow text as fixture `fuzz_<case>`; `Err` when the harness cannot read it as a
/// fixture (a generator bug: reported, not fatal).
fn check(suite: &Suite, case: u64, text: &str) -> Result<FixtureReport, String> {
    let path = Path::new("fuzz").join(format!("fuzz_{case}.yaml"));
    Fixture::from_text(&path, text.to_owned())
        .map(|fixture| suite.check(&fixture))
        .map_err(|err| format!("generated fixture {case} is unreadable: {err}"))
}

/// Generates and checks flows until the budget is spent; `progress` hears about each batch.
pub fn fuzz(suite: &Suite, budget: &Budget, progress: &dyn Fn(&Outcome)) -> Outcome {
    let started = Instant::now();
    let mut runner = TestRunner::new_with_rng(Config::default(), rng(budget.seed));
    let strategy = flow();
    let mut outcome = Outcome::default();
    let batch = budget.jobs.max(1) * 4;
    loop {
        let spent = budget.count.is_some_and(|count| outcome.flows >= count)
            || budget.time.is_some_and(|time| started.elapsed() >= time);
        if spent {
            break;
        }
        let size = budget
            .count
            .map_or(batch, |count| batch.min((count - outcome.flows) as usize));
        let mut trees = Vec::with_capacity(size);
        for _ in 0..size {
            // A strategy over plain data cannot be rejected.
            if let Ok(tree) = strategy.new_tree(&mut runner) {
                trees.push(tree);
            }
        }
        let first = outcome.flows;
        let texts: Vec<(u64, String)> = (first..)
            .zip(trees.iter().map(ValueTree::current))
            .collect();
        let reports = crate::suite::run_all(
            &texts,
            budget.jobs,
            &|(case, text)| check(suite, *case, text),
            &|_| true,
        );
        for ((case, _), (report, tree)) in texts.iter().zip(reports.iter().zip(trees)) {
            let report = match report {
                Ok(report) => report,
                Err(err) => {
                    eprintln!("warning: {err}");
                    continue;
                }
            };
            let Some(class) = classify(report) else {
                continue;
            };
            match outcome.divergences.get_mut(&class) {
                Some(known) => known.seen += 1,
                None => {
                    let divergence =
                        shrink(suite, (*case, report), tree, &class, budget.shrink_steps);
                    outcome.divergences.insert(class, divergence);
                }
            }
        }
        outcome.flows += texts.len() as u64;
        outcome.elapsed = started.elapsed();
        progress(&outcome);
    }
    outcome.elapsed = started.elapsed();
    outcome
}

/// The smallest flow `tree` simplifies to that still shows `class`, with the findings of its
/// last check that showed it: those of `found` (the report of case `case`) when no smaller flow
/// does, so that a class seen once (a timeout) still says which engine and what.
fn shrink(
    suite: &Suite,
    (case, found): (u64, &FixtureReport),
    mut tree: impl ValueTree<Value = String>,
    class: &str,
    steps: usize,
) -> Divergence {
    let mut best = tree.current();
    let mut findings = found.findings.clone();
    let mut simplified = tree.simplify();
    for _ in 0..steps {
        if !simplified {
            break;
        }
        let candidate = tree.current();
        let report = check(suite, case, &candidate);
        if let Some(report) = report
            .ok()
            .filter(|r| classify(r).as_deref() == Some(class))
        {
            best = candidate;
            findings = report.findings;
            simplified = tree.simplify();
        } else {
            simplified = tree.complicate();
        }
    }
    findings.retain(Finding::is_error);
    Divergence {
        class: class.to_owned(),
        seen: 1,
        case,
        flow: best,
        findings,
    }
}
