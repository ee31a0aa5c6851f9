//! One type for everything a check finds: a [`Finding`] is data (a stable code, a severity, the
//! runtime and fixture it belongs to, where it is, what is wrong and what to do), never text.
//! Every check produces findings; every output format renders them in its own module under
//! `report/`, and nothing else formats one.

use std::borrow::Cow;
use std::fmt;

use serde::Serialize;

use crate::jsonl::LineError;
use crate::schema::SchemaViolation;
use crate::structure::StructureViolation;

/// The check a finding comes from: the first half of its code, and a column of `twinflow check`'s
/// table for the checks that run per fixture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    /// A log line is not a JSON value.
    Parse,
    /// An event breaks `schema/event.schema.json`.
    Schema,
    /// A run breaks the sequence rules (contract §3.3, §4 step 3), its console output or its
    /// reported status.
    Structure,
    /// The two engines disagree after normalization (contract §4).
    Parity,
    /// A normalized run differs from `expected/<fixture>.snap`.
    Snapshot,
    /// A run does not end as the fixture's `parity.expect` says (contract §5).
    Outcome,
    /// An engine produced nothing to check: a crash, a hang, an exception.
    Run,
    /// An external runtime run by `twinflow conform` (or checked by `compare --status/--state`,
    /// `--load-error`) ends otherwise than the fixture pins: exit status, final state, load error,
    /// a timeout or a crash.
    Conform,
    /// `twinflow export` cannot carry something of a log over faithfully (a Prometheus name
    /// collision).
    Export,
}

impl Check {
    /// Every check, in report order.
    pub const ALL: [Self; 9] = [
        Self::Parse,
        Self::Schema,
        Self::Structure,
        Self::Parity,
        Self::Snapshot,
        Self::Outcome,
        Self::Run,
        Self::Conform,
        Self::Export,
    ];

    /// The stable name: the first half of a code (`schema` in `schema.required`).
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Parse => "parse",
            Self::Schema => "schema",
            Self::Structure => "structure",
            Self::Parity => "parity",
            Self::Snapshot => "snapshot",
            Self::Outcome => "outcome",
            Self::Run => "run",
            Self::Conform => "conform",
            Self::Export => "export",
        }
    }

    /// The check named `name`, if any.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|check| check.name() == name)
    }
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A stable finding code, `check.rule` (`schema.required`, `structure.seq_gap`,
/// `parity.events`): scripts may match on it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Code {
    /// The check.
    pub check: Check,
    /// The rule inside the check, snake_case.
    pub rule: Cow<'static, str>,
}

impl Code {
    /// The code `check.rule`.
    #[must_use]
    pub const fn new(check: Check, rule: &'static str) -> Self {
        Self {
            check,
            rule: Cow::Borrowed(rule),
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.check, self.rule)
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// How much a finding matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Context for people; never fails anything.
    Note,
    /// Something implausible that may be right (a unit that looks wrong): reported, not failing
    /// unless asked (`validate --strict-units`).
    Warning,
    /// A failure the fixture declares (`parity.xfail`, contract §5): reported, not failing.
    Expected,
    /// A failure.
    Error,
}

impl Severity {
    /// The stable name.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Note => "note",
            Self::Warning => "warning",
            Self::Expected => "expected",
            Self::Error => "error",
        }
    }
}

/// Where a finding is. Every field is optional: a load error has a file, line and column; an
/// event finding has the log line, the event's `seq` and a JSON pointer into the event; a parity
/// finding has only its fixture.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Location {
    /// The file: a log, or a fixture (relative to the project root where it lies inside it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// 1-based line in `file` (for an event: the event's line, or its position in the run).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// 1-based column in `file`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u64>,
    /// The run (`flow_id`) the event belongs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flow_id: Option<String>,
    /// The span concerned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub span_id: Option<String>,
    /// The event's `seq`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
    /// JSON pointer to the offending value inside the event (`""` is the event itself).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
    /// JSON pointer to the schema keyword that failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schema_path: Option<String>,
}

/// One problem (or note) found by a check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// What rule is broken: stable, for scripts.
    pub code: Code,
    /// Whether it fails the run.
    pub severity: Severity,
    /// The runtime whose output shows it (`rust`, `python`); `None` for a log of unknown origin
    /// and for findings about both (parity).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runtime: Option<Cow<'static, str>>,
    /// The fixture it belongs to, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fixture: Option<String>,
    /// Where it is.
    pub location: Location,
    /// What is wrong, one line.
    pub message: String,
    /// What to do about it, one line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// A longer body without color: a diff, a traceback, a snippet of the line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl Finding {
    /// An error finding with `code` and `message`, located nowhere yet.
    #[must_use]
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Self {
            code,
            severity: Severity::Error,
            runtime: None,
            fixture: None,
            location: Location::default(),
            message: message.into(),
            help: None,
            detail: None,
        }
    }

    /// A line of a log that is not a JSON value (`parse.invalid_json`, `parse.invalid_utf8`,
    /// `parse.line_too_long`).
    #[must_use]
    pub fn from_line_error(error: &LineError) -> Self {
        let snippet = match error {
            LineError::Json { snippet, .. } => Some(snippet.clone()),
            LineError::InvalidUtf8 { .. }
            | LineError::DuplicateKey { .. }
            | LineError::TooLong { .. } => None,
        };
        let mut finding = Self::new(
            Code {
                check: Check::Parse,
                rule: Cow::Borrowed(error.kind_name()),
            },
            error.to_string(),
        );
        finding.location.line = Some(error.line());
        finding.location.column = error.column();
        finding.detail = snippet;
        finding
    }

    /// An event that breaks the schema (`schema.<keyword>`), at its line and `seq`.
    #[must_use]
    pub fn from_schema(
        violation: &SchemaViolation,
        line: u64,
        seq: Option<u64>,
        flow_id: Option<String>,
    ) -> Self {
        let mut finding = Self::new(
            Code {
                check: Check::Schema,
                rule: Cow::Owned(violation.keyword.clone()),
            },
            violation.message.clone(),
        );
        finding.location = Location {
            line: Some(line),
            flow_id,
            seq,
            pointer: Some(violation.instance_path.clone()),
            schema_path: Some(violation.schema_path.clone()),
            ..Location::default()
        };
        finding
    }

    /// A run that breaks a structural rule (`structure.<rule>`).
    #[must_use]
    pub fn from_structure(violation: StructureViolation) -> Self {
        let mut finding = Self::new(
            Code {
                check: Check::Structure,
                rule: Cow::Borrowed(violation.kind.name()),
            },
            violation.message,
        );
        if violation.kind.is_plausibility() {
            finding.severity = Severity::Warning;
        }
        finding.location = Location {
            line: Some(violation.line),
            flow_id: Some(violation.flow_id),
            span_id: violation.span_id,
            seq: violation.seq,
            ..Location::default()
        };
        finding
    }

    /// This finding, for `runtime`.
    #[must_use]
    pub fn in_runtime(mut self, runtime: impl Into<Cow<'static, str>>) -> Self {
        self.runtime = Some(runtime.into());
        self
    }

    /// This finding, in `file`.
    #[must_use]
    pub fn in_file(mut self, file: impl Into<String>) -> Self {
        self.location.file = Some(file.into());
        self
    }

    /// This finding, with `help`.
    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// This finding, with a longer `detail` (no color).
    #[must_use]
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// Whether it fails the run.
    #[must_use]
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::structure::ViolationKind;

    #[test]
    fn codes_are_check_dot_rule() {
        assert_eq!(
            Code::new(Check::Structure, "seq_gap").to_string(),
            "structure.seq_gap"
        );
        assert_eq!(Check::from_name("parity"), Some(Check::Parity));
    }

    #[test]
    fn a_structural_violation_keeps_its_place() {
        let finding = Finding::from_structure(StructureViolation {
            flow_id: "f1".into(),
            span_id: Some("s1".into()),
            seq: Some(4),
            line: 9,
            kind: ViolationKind::SeqGap,
            message: "seq jumps from 2 to 4".into(),
        })
        .in_runtime("rust");
        let json = serde_json::to_value(&finding).unwrap();
        assert_eq!(json["code"], "structure.seq_gap");
        assert_eq!(json["runtime"], "rust");
        assert_eq!(json["severity"], "error");
        assert_eq!(json["location"]["seq"], 4);
        assert_eq!(json["location"]["line"], 9);
        assert_eq!(json["location"]["span_id"], "s1");
    }
}
