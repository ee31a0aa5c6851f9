//! Parity: the two engines' normalized runs, and the status and final state they report, are
//! equal (contract §4). A level filter or `enabled: false` can hide the end of a run from its
//! events, which is why the reported status and state are compared too.

use crate::diff::render_labeled_diff;
use crate::finding::{Check, Code, Finding};
use crate::run::{Outcome, RunResult};
use crate::snapshot;

use super::engine::reported_end_yaml;
use super::model::EngineReport;

/// The parity findings between the Rust side and the Python side: `parity.events` with the diff
/// of the normalized runs (Rust → Python), `parity.final_state` with the diff of the reported ends.
pub(crate) fn compare_engines(
    fixture: &str,
    sides: &[EngineReport; 2],
    runs: [&RunResult; 2],
) -> Vec<Finding> {
    let mut findings = Vec::new();
    if let (Some(rust), Some(python)) = (&sides[0].rendered, &sides[1].rendered) {
        if !snapshot::same_body(rust, python) {
            findings.push(
                Finding::new(
                    Code::new(Check::Parity, "events"),
                    "the engines disagree (normalized rust → python)",
                )
                .with_detail(render_labeled_diff("rust", rust, "python", python, false)),
            );
        }
    }
    if let (Outcome::Events(rust), Outcome::Events(python)) = (&runs[0].outcome, &runs[1].outcome) {
        let (rust, python) = (reported_end_yaml(rust), reported_end_yaml(python));
        if rust != python {
            findings.push(
                Finding::new(
                    Code::new(Check::Parity, "final_state"),
                    "the engines report a different status, error or final state (rust → python)",
                )
                .with_detail(render_labeled_diff("rust", &rust, "python", &python, false)),
            );
        }
    }
    for finding in &mut findings {
        finding.fixture = Some(fixture.to_owned());
    }
    findings
}
