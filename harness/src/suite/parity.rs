//! Parity: the two engines' normalized runs, and the status and final state they report, are
//! equal (contract §4). A level filter or `enabled: false` can hide the end of a run from its
//! events, which is why the reported status and state are compared too.

use crate::diff::render_labeled_diff;
use crate::finding::{Check, Code, Finding};
use crate::fixture::Xfail;
use crate::run::{Outcome, RunResult};
use crate::snapshot;

use super::engine::reported_end_yaml;
use super::model::EngineReport;
use super::scope;

/// The parity findings between the Rust side and the Python side: `parity.events` with the diff
/// of the normalized runs (Rust → Python), `parity.final_state` with the diff of the reported ends.
/// When `xfail` names paths, the comparison is scoped to them instead ([`scoped`]).
pub(crate) fn compare_engines(
    fixture: &str,
    sides: &[EngineReport; 2],
    runs: [&RunResult; 2],
    xfail: &Xfail,
) -> Vec<Finding> {
    let mut findings = scoped(sides, runs, xfail).unwrap_or_else(|| whole(sides, runs));
    for finding in &mut findings {
        finding.fixture = Some(fixture.to_owned());
    }
    findings
}

fn whole(sides: &[EngineReport; 2], runs: [&RunResult; 2]) -> Vec<Finding> {
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
    findings
}

/// Parity under a divergence declared at paths (contract §5.2): `parity.events` (excused) when the
/// engines differ there only, `parity.beyond_xfail` when they differ elsewhere too, and
/// `parity.stale_xfail` for each declared path that no longer differs. `None` when no path is
/// declared or a side has nothing to compare.
fn scoped(sides: &[EngineReport; 2], runs: [&RunResult; 2], xfail: &Xfail) -> Option<Vec<Finding>> {
    let paths: Vec<String> = [&xfail.rust, &xfail.python]
        .into_iter()
        .flatten()
        .flat_map(|declared| declared.paths.iter().cloned())
        .collect();
    if paths.is_empty() {
        return None;
    }
    let [rust, python] = [0, 1].map(|i| {
        let end = match &runs[i].outcome {
            Outcome::Events(ran) => Some(reported_end_yaml(ran)),
            _ => None,
        };
        sides[i]
            .rendered
            .as_deref()
            .map(|body| scope::document(body, end.as_deref()))
    });
    let found = scope::compare(rust?, python?, &paths);
    let mut findings = Vec::new();
    if let Some((rust, python)) = &found.beyond {
        findings.push(
            Finding::new(
                Code::new(Check::Parity, "beyond_xfail"),
                "the engines disagree beyond the paths parity.xfail declares \
                 (declared paths left out, rust → python)",
            )
            .with_detail(render_labeled_diff("rust", rust, "python", python, false)),
        );
    } else if found.differs {
        findings.push(Finding::new(
            Code::new(Check::Parity, "events"),
            "the engines disagree at the declared paths only",
        ));
    }
    findings.extend(found.stale.into_iter().map(|path| {
        Finding::new(
            Code::new(Check::Parity, "stale_xfail"),
            format!("parity.xfail declares {path}, but the engines agree there"),
        )
        .with_help(
            "remove the path from the fixture's parity.xfail (or the xfail, when none is left)",
        )
    }));
    Some(findings)
}
