//! What `twinflow conform` learns about each fixture: one cell per check, the findings, the
//! section it counts under, the verdict; and the score per section. Data only.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use crate::finding::{Check, Finding, Severity};
use crate::suite::Status;

/// The checks `conform` shows as columns, in table order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ConformCheck {
    /// The runtime ran to an end (no timeout, no crash) and wrote its event log.
    Run,
    /// Its exit status (0 completed, 1 failed, 2 load error).
    Exit,
    /// Every event is JSON and valid against the schema.
    Schema,
    /// The sequence rules.
    Structure,
    /// The normalized events equal the snapshot.
    Snapshot,
    /// The status and final state.
    State,
    /// The load error's kind, place and message.
    LoadError,
}

impl ConformCheck {
    /// Every column, in order.
    pub const ALL: [Self; 7] = [
        Self::Run,
        Self::Exit,
        Self::Schema,
        Self::Structure,
        Self::Snapshot,
        Self::State,
        Self::LoadError,
    ];

    /// The column title.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Run => "run",
            Self::Exit => "exit",
            Self::Schema => "schema",
            Self::Structure => "structure",
            Self::Snapshot => "snapshot",
            Self::State => "state",
            Self::LoadError => "load_error",
        }
    }

    /// The column a finding counts against.
    #[must_use]
    pub fn of(finding: &Finding) -> Self {
        match (finding.code.check, finding.code.rule.as_ref()) {
            (Check::Parse | Check::Schema, _) => Self::Schema,
            (Check::Structure, _) => Self::Structure,
            (Check::Snapshot, _) => Self::Snapshot,
            (Check::Conform, "exit_status") => Self::Exit,
            (Check::Conform, "state") => Self::State,
            (Check::Conform, "load_error") => Self::LoadError,
            _ => Self::Run,
        }
    }
}

/// One fixture's conformance.
#[derive(Debug, Clone)]
pub struct ConformReport {
    /// The fixture's name.
    pub name: String,
    /// Its file.
    pub path: PathBuf,
    /// The contract section it counts under.
    pub section: &'static str,
    /// One cell per check ([`Status::Skipped`] where nothing is checked).
    pub cells: BTreeMap<ConformCheck, Status>,
    /// What was found, tagged with the fixture.
    pub findings: Vec<Finding>,
    /// The manifest's reason when the runtime is expected to fail this fixture.
    pub expected_failure: Option<String>,
    /// The runtime's wall time.
    pub elapsed: Duration,
}

impl ConformReport {
    /// The fixture's verdict: [`Status::Pass`], [`Status::ExpectedFail`], [`Status::Fail`],
    /// [`Status::UnexpectedPass`] or [`Status::Error`] (the runtime crashed or hung).
    #[must_use]
    pub fn verdict(&self) -> Status {
        self.cells
            .values()
            .copied()
            .max()
            .unwrap_or(Status::Skipped)
            .max(Status::Pass)
    }

    /// Whether the fixture passes (or fails as the manifest says).
    #[must_use]
    pub fn is_ok(&self) -> bool {
        !self.verdict().is_problem()
    }

    /// Fills the cells from the findings: a column with an error finding fails, `checked` ones
    /// pass, the others are skipped; a failure the manifest expects becomes `xfail`, its absence
    /// `XPASS` with a finding.
    pub fn judge(&mut self, checked: &[ConformCheck]) {
        for check in ConformCheck::ALL {
            let failed = self
                .findings
                .iter()
                .any(|f| f.is_error() && ConformCheck::of(f) == check);
            let status = match (failed, checked.contains(&check)) {
                (true, _) if check == ConformCheck::Run => Status::Error,
                (true, _) => Status::Fail,
                (false, true) => Status::Pass,
                (false, false) => Status::Skipped,
            };
            self.cells.insert(check, status);
        }
        let Some(reason) = self.expected_failure.clone() else {
            return;
        };
        if self.verdict() == Status::Pass {
            self.cells.insert(ConformCheck::Run, Status::UnexpectedPass);
            let mut finding = Finding::new(
                crate::finding::Code::new(Check::Conform, "unexpected_pass"),
                format!("passes, but the manifest expects a failure ({reason})"),
            )
            .with_help("remove this entry from the --expect manifest");
            finding.fixture = Some(self.name.clone());
            self.findings.push(finding);
            return;
        }
        for cell in self.cells.values_mut() {
            if *cell == Status::Fail || *cell == Status::Error {
                *cell = Status::ExpectedFail;
            }
        }
        for finding in &mut self.findings {
            if finding.severity == Severity::Error {
                finding.severity = Severity::Expected;
            }
        }
    }
}

/// A section's score.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionScore {
    /// The contract section.
    pub section: &'static str,
    /// Fixtures that pass.
    pub passed: usize,
    /// Fixtures failing as the manifest expects.
    pub expected: usize,
    /// Fixtures in the section.
    pub total: usize,
}

/// The score per section, in section order, then the total as a last row named `total`.
#[must_use]
pub fn scores(reports: &[ConformReport]) -> Vec<SectionScore> {
    let mut by_section: BTreeMap<&'static str, SectionScore> = BTreeMap::new();
    let mut total = SectionScore {
        section: "total",
        passed: 0,
        expected: 0,
        total: 0,
    };
    for report in reports {
        let row = by_section.entry(report.section).or_insert(SectionScore {
            section: report.section,
            passed: 0,
            expected: 0,
            total: 0,
        });
        for score in [row, &mut total] {
            score.total += 1;
            match report.verdict() {
                Status::Pass => score.passed += 1,
                Status::ExpectedFail => score.expected += 1,
                _ => {}
            }
        }
    }
    let mut rows: Vec<SectionScore> = by_section.into_values().collect();
    rows.push(total);
    rows
}

impl SectionScore {
    /// The share passed, in percent (100 for an empty section).
    #[must_use]
    pub fn percent(&self) -> f64 {
        if self.total == 0 {
            100.0
        } else {
            self.passed as f64 * 100.0 / self.total as f64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Code;

    fn report(
        section: &'static str,
        findings: Vec<Finding>,
        expected: Option<&str>,
    ) -> ConformReport {
        let mut report = ConformReport {
            name: "demo".into(),
            path: "fixtures/demo.yaml".into(),
            section,
            cells: BTreeMap::new(),
            findings,
            expected_failure: expected.map(str::to_owned),
            elapsed: Duration::ZERO,
        };
        report.judge(&[ConformCheck::Run, ConformCheck::Exit, ConformCheck::State]);
        report
    }

    fn state_finding() -> Finding {
        Finding::new(Code::new(Check::Conform, "state"), "differs")
    }

    #[test]
    fn cells_follow_the_findings_and_the_manifest() {
        let passed = report("§1.2", vec![], None);
        assert_eq!(passed.verdict(), Status::Pass);
        assert_eq!(passed.cells[&ConformCheck::Schema], Status::Skipped);
        let failed = report("§1.2", vec![state_finding()], None);
        assert_eq!(failed.cells[&ConformCheck::State], Status::Fail);
        assert_eq!(failed.verdict(), Status::Fail);
        let hung = report(
            "§1.2",
            vec![Finding::new(Code::new(Check::Conform, "timeout"), "hung")],
            None,
        );
        assert_eq!(hung.verdict(), Status::Error);
        let excused = report("§1.2", vec![state_finding()], Some("known"));
        assert_eq!(excused.verdict(), Status::ExpectedFail);
        assert!(excused.is_ok());
        assert_eq!(excused.findings[0].severity, Severity::Expected);
        let fixed = report("§1.2", vec![], Some("known"));
        assert_eq!(fixed.verdict(), Status::UnexpectedPass);
        assert_eq!(
            fixed.findings[0].code.to_string(),
            "conform.unexpected_pass"
        );
    }

    #[test]
    fn scores_count_per_section_then_in_total() {
        let reports = [
            report("§1.2", vec![], None),
            report("§1.2", vec![state_finding()], None),
            report("§1.3", vec![state_finding()], Some("known")),
        ];
        let rows = scores(&reports);
        let row = |section: &str| rows.iter().find(|r| r.section == section).unwrap().clone();
        assert_eq!((row("§1.2").passed, row("§1.2").total), (1, 2));
        assert_eq!((row("§1.3").passed, row("§1.3").expected), (0, 1));
        assert_eq!(rows.last().unwrap().section, "total");
        assert_eq!((row("total").passed, row("total").total), (1, 3));
        assert!((row("§1.2").percent() - 50.0).abs() < 1e-9);
    }
}
