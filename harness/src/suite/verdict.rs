//! From findings to table cells and a verdict. `parity.xfail` (contract §5) declares a
//! divergence: it turns the parity findings, and the xfailed engine's snapshot findings, into
//! expected ones; schema, structure and outcome findings and crashes still fail (those are bugs
//! whatever the engines agree on). When the engines agree again, the xfail is an unexpected pass.

use std::collections::BTreeMap;

use super::model::{
    COLUMNS, Ended, EngineReport, FixtureReport, Status, xfail_declared, xfail_reason,
};
use crate::finding::{Check, Code, Finding, Severity};
use crate::run::Engine;

/// Marks declared findings as expected, fills the cells of the columns in `selected`, and adds
/// the findings the verdict itself makes (an unexpected pass, the reasons of expected failures).
pub(crate) fn judge(report: &mut FixtureReport, selected: &[Check]) {
    report.findings.retain(|finding| {
        !COLUMNS.contains(&finding.code.check) || selected.contains(&finding.code.check)
    });
    declare(report);
    let mut cells = BTreeMap::new();
    for column in COLUMNS {
        let status = if !selected.contains(&column) {
            Status::Skipped
        } else if column == Check::Parity {
            parity_cell(report)
        } else {
            Engine::ALL
                .into_iter()
                .map(|engine| engine_cell(report, engine, column))
                .max()
                .unwrap_or(Status::Skipped)
        };
        cells.insert(column, status);
    }
    report.cells = cells;
    unexpected_passes(report);
    reasons(report);
    one_diff_each(report);
}

/// Which engine's run moved away from the stored snapshot when the engines disagree, or whether
/// both moved the same way; what a person reads first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Movement {
    /// One engine differs from the snapshot, the other still matches it.
    Moved(Engine),
    /// Both differ from the snapshot, in the same way: an intended change, if it was meant.
    BothSame,
    /// Both differ from the snapshot, differently.
    BothDifferently,
}

/// How the engines' runs moved against the snapshot, when they did.
#[must_use]
pub fn movement(report: &FixtureReport) -> Option<Movement> {
    let differs = |engine: Engine| {
        report.findings.iter().any(|finding| {
            finding.code == Code::new(Check::Snapshot, "differs")
                && finding.runtime.as_deref() == Some(engine.name())
        })
    };
    let parity = report
        .findings
        .iter()
        .any(|finding| finding.code == Code::new(Check::Parity, "events"));
    match (differs(Engine::Rust), differs(Engine::Python), parity) {
        (true, true, false) => Some(Movement::BothSame),
        (true, true, true) => Some(Movement::BothDifferently),
        (true, false, _) => Some(Movement::Moved(Engine::Rust)),
        (false, true, _) => Some(Movement::Moved(Engine::Python)),
        (false, false, _) => None,
    }
}

/// Each diff once: when one engine moved, its snapshot diff tells the story and the parity diff
/// would repeat it; when both moved the same way, the Rust snapshot diff stands for both.
fn one_diff_each(report: &mut FixtureReport) {
    let Some(movement) = movement(report) else {
        return;
    };
    let name = report.name.clone();
    for finding in &mut report.findings {
        let runtime = finding.runtime.as_deref();
        match (movement, finding.code.check, runtime) {
            (Movement::Moved(engine), Check::Parity, _) if finding.code.rule == "events" => {
                finding.detail = None;
                finding.message = format!(
                    "the engines disagree: {engine} moved, {} still matches expected/{name}.snap \
                     ({engine}'s snapshot diff shows how)",
                    engine.other()
                );
            }
            (Movement::BothSame, Check::Snapshot, Some("python")) => {
                finding.detail = None;
                finding.message = "differs from the snapshot exactly as the rust run does".into();
            }
            (Movement::BothSame, Check::Snapshot, Some("rust")) => {
                finding.help = Some(format!(
                    "both engines changed the same way: if intended, regenerate with \
                     scripts/regen-expected {name} and review the diff"
                ));
            }
            (Movement::BothDifferently, Check::Parity, _) if finding.code.rule == "events" => {
                finding.detail = None;
                finding.message = "the engines disagree, and both differ from the snapshot \
                                   (their snapshot diffs show how)"
                    .into();
            }
            _ => {}
        }
    }
}

/// The findings `parity.xfail` excuses become [`Severity::Expected`]. A divergence confined to
/// paths excuses its engine's snapshot only while the engines agree outside them (the other
/// engine's run, held to the snapshot in full, then vouches for the rest).
fn declare(report: &mut FixtureReport) {
    let any = report.xfail.any();
    let beyond = report
        .findings
        .iter()
        .any(|finding| finding.code == Code::new(Check::Parity, "beyond_xfail"));
    for finding in &mut report.findings {
        let engine = Engine::ALL
            .into_iter()
            .find(|engine| finding.runtime.as_deref() == Some(engine.name()));
        let declared = match finding.code.check {
            // A divergence beyond the declared paths, or a stale path, is never excused.
            Check::Parity => any && !matches!(&*finding.code.rule, "beyond_xfail" | "stale_xfail"),
            Check::Snapshot => engine.is_some_and(|e| {
                xfail_declared(&report.xfail, e)
                    .is_some_and(|declared| declared.paths.is_empty() || !beyond)
            }),
            _ => false,
        };
        if declared && finding.severity == Severity::Error {
            finding.severity = Severity::Expected;
        }
    }
}

/// The worst status the findings of `check` give, `Pass` when there are none.
fn status_of<'f>(findings: impl Iterator<Item = &'f Finding>) -> Status {
    findings
        .map(|finding| match finding.severity {
            Severity::Error => Status::Fail,
            Severity::Expected => Status::ExpectedFail,
            Severity::Note | Severity::Warning => Status::Pass,
        })
        .max()
        .unwrap_or(Status::Pass)
}

fn engine_cell(report: &FixtureReport, engine: Engine, column: Check) -> Status {
    let side: &EngineReport = report.engine(engine);
    let declared = xfail_reason(&report.xfail, engine).is_some();
    let applies = match column {
        Check::Schema | Check::Structure => !matches!(side.ended, Ended::LoadError(_)),
        Check::Outcome => report.expect.is_some(),
        _ => true,
    };
    if matches!(side.ended, Ended::Errored(_)) {
        return if column == Check::Snapshot && declared {
            Status::ExpectedFail
        } else {
            Status::Error
        };
    }
    let mine = report.findings.iter().filter(|finding| {
        finding.code.check == column && finding.runtime.as_deref() == Some(engine.name())
    });
    let status = status_of(mine);
    if status == Status::Pass
        && (!applies || (column == Check::Snapshot && !side.snapshot_compared))
    {
        return Status::Skipped;
    }
    status
}

fn parity_cell(report: &FixtureReport) -> Status {
    let both = report.engines.iter().all(|side| side.rendered.is_some());
    let status = if both {
        status_of(
            report
                .findings
                .iter()
                .filter(|f| f.code.check == Check::Parity),
        )
    } else {
        Status::Error
    };
    match status {
        Status::Error if report.xfail.any() => Status::ExpectedFail,
        other => other,
    }
}

/// An xfailed engine that passes its own checks and agrees with its twin: the xfail must go.
fn unexpected_passes(report: &mut FixtureReport) {
    if report.cells.get(&Check::Parity) != Some(&Status::Pass) {
        return;
    }
    for engine in Engine::ALL {
        let Some(reason) = xfail_reason(&report.xfail, engine) else {
            continue;
        };
        let passes = [Check::Outcome, Check::Schema, Check::Structure]
            .into_iter()
            .all(|check| {
                matches!(
                    engine_cell(report, engine, check),
                    Status::Pass | Status::Skipped
                )
            });
        if passes {
            let mut finding = Finding::new(
                Code::new(Check::Parity, "unexpected_pass"),
                format!("parity.xfail.{engine} says \"{reason}\", but the engines now agree"),
            )
            .with_help("remove the xfail from the fixture");
            finding.fixture = Some(report.name.clone());
            finding.runtime = Some(engine.name().into());
            report.findings.push(finding);
            report.cells.insert(Check::Parity, Status::UnexpectedPass);
        }
    }
}

/// The reason of each declared divergence, when something failed as declared.
fn reasons(report: &mut FixtureReport) {
    if !report
        .cells
        .values()
        .any(|status| *status == Status::ExpectedFail)
    {
        return;
    }
    for engine in Engine::ALL {
        if let Some(reason) = xfail_reason(&report.xfail, engine) {
            let mut finding = Finding::new(
                Code::new(Check::Parity, "xfail"),
                format!("expected failure: {reason}"),
            );
            finding.severity = Severity::Note;
            finding.fixture = Some(report.name.clone());
            finding.runtime = Some(engine.name().into());
            report.findings.push(finding);
        }
    }
}
