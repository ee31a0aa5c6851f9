//! The one chain every event log goes through, whoever wrote it: **schema** (each event against
//! `schema/event.schema.json`, contract §3.1) → **structure** (the sequence rules of contract §3.3
//! and the checks of §4 step 3) → **normalize** (contract §4) → **compare** (with a stored
//! snapshot). `twinflow check` runs it on both engines' runs, `validate` streams logs through its
//! first two links ([`LogChecker`]), `compare` runs it whole on a third runtime's log, and the
//! drift tests run it on altered logs. Each link gives [`Finding`]s; none formats text.

use std::path::Path;

use serde_json::Value;

use crate::diff::render_diff;
use crate::finding::{Check, Code, Finding};
use crate::normalize::{EventSource, Normalized, normalize_source};
use crate::schema::{EventValidator, SchemaViolation, fast_facts};
use crate::snapshot::{self, SnapshotError};
use crate::structure::{EventFacts, StructureChecker};

/// The streaming half of the chain (schema and structure), for logs too big to hold: feed events
/// in log order, collect findings as they are known, [`finish`](Self::finish) at the end.
#[derive(Debug)]
pub struct LogChecker<'v> {
    validator: &'v EventValidator,
    structure: StructureChecker,
}

impl<'v> LogChecker<'v> {
    /// A checker validating with `validator`.
    #[must_use]
    pub fn new(validator: &'v EventValidator) -> Self {
        Self {
            validator,
            structure: StructureChecker::new(),
        }
    }

    /// A checker that holds at most `max_open` flows and spans of unfinished runs at once
    /// (`twinflow validate --max-open`, see [`StructureChecker::with_max_open`]).
    #[must_use]
    pub fn with_max_open(validator: &'v EventValidator, max_open: usize) -> Self {
        Self {
            validator,
            structure: StructureChecker::with_max_open(max_open),
        }
    }

    /// Checks one event found at `line` (1-based line of a log, or position in a run).
    pub fn push(&mut self, event: &Value, line: u64, findings: &mut Vec<Finding>) {
        let violations = self.validator.validate(event);
        self.push_checked(EventFacts::from_value(event), &violations, line, findings);
    }

    /// Checks event `index` of `events`: an event held as a line of JSON takes `validate`'s typed
    /// fast path when the bundled schema is in use and the line passes it (nothing is built), any
    /// other is checked as a value.
    fn push_from<S: EventSource + ?Sized>(
        &mut self,
        events: &S,
        index: usize,
        line: u64,
        findings: &mut Vec<Finding>,
    ) {
        if self.validator.is_bundled() {
            if let Some(facts) = events.text(index).and_then(fast_facts) {
                self.push_checked(facts, &[], line, findings);
                return;
            }
        }
        self.push(&events.value(index), line, findings);
    }

    /// Checks one event whose schema violations and structural facts were taken elsewhere (on
    /// `validate`'s worker threads, which drop the parsed tree early).
    pub fn push_checked(
        &mut self,
        facts: EventFacts,
        schema: &[SchemaViolation],
        line: u64,
        findings: &mut Vec<Finding>,
    ) {
        if !schema.is_empty() {
            let (seq, flow_id) = (facts.seq(), facts.flow_id());
            findings.extend(
                schema
                    .iter()
                    .map(|violation| Finding::from_schema(violation, line, seq, flow_id.clone())),
            );
        }
        self.structure.push_facts(facts, line);
        findings.extend(self.structure.drain().map(Finding::from_structure));
    }

    /// Notes a line that is not an event (reported as a parse error), so that the `seq` gap
    /// it leaves is not reported again.
    pub fn unreadable(&mut self, line: u64) {
        self.structure.unreadable(line);
    }

    /// Events checked so far.
    #[must_use]
    pub fn events(&self) -> u64 {
        self.structure.events()
    }

    /// Runs (`flow_id`s) seen so far.
    #[must_use]
    pub fn flows(&self) -> u64 {
        self.structure.flows()
    }

    /// The findings only the end of the log can show (a span that never ended).
    pub fn finish(self, findings: &mut Vec<Finding>) {
        findings.extend(
            self.structure
                .finish()
                .into_iter()
                .map(Finding::from_structure),
        );
    }
}

/// A whole log through the chain.
pub struct CheckedLog<'e, S: ?Sized> {
    /// Schema and structure findings in log order, then the end-of-log ones; a log that cannot be
    /// normalized adds `structure.normalize`.
    pub findings: Vec<Finding>,
    /// The normalized log (contract §4), when it can be normalized: its snapshot body is rendered
    /// on demand ([`Normalized::to_yaml`], or [`Normalized::write_yaml`] in chunks).
    pub normalized: Option<Normalized<'e, S>>,
}

impl<S: EventSource + ?Sized> std::fmt::Debug for CheckedLog<'_, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CheckedLog")
            .field("findings", &self.findings)
            .field("normalized", &self.normalized)
            .finish()
    }
}

/// Runs `events` through schema, structure and normalization. `lines` gives each event's line in
/// its file; without it, an event is located by its 1-based position.
#[must_use]
pub fn check_log<'e, S: EventSource + ?Sized>(
    events: &'e S,
    lines: Option<&[u64]>,
    validator: &EventValidator,
) -> CheckedLog<'e, S> {
    let mut findings = Vec::new();
    let mut checker = LogChecker::new(validator);
    for index in 0..events.event_count() {
        let line = lines
            .and_then(|lines| lines.get(index).copied())
            .unwrap_or(index as u64 + 1);
        checker.push_from(events, index, line, &mut findings);
    }
    checker.finish(&mut findings);
    let normalized = match normalize_source(events) {
        Ok(normalized) => Some(normalized),
        Err(err) => {
            findings.push(Finding::new(
                Code::new(Check::Structure, "normalize"),
                format!("cannot normalize the log: {err}"),
            ));
            None
        }
    };
    CheckedLog {
        findings,
        normalized,
    }
}

/// The last link: `rendered` (a normalized log, or a load error's body) against the stored
/// snapshot of `fixture` in `expected`. `None` when they are equal.
#[must_use]
pub fn compare_with_snapshot(
    rendered: &str,
    stored: &Result<Option<String>, SnapshotError>,
    expected: &Path,
    fixture: &str,
) -> Option<Finding> {
    let path = snapshot::path_for(expected, fixture);
    let finding = match stored {
        Ok(Some(body)) if snapshot::same_body(body, rendered) => return None,
        Ok(Some(body)) => Finding::new(
            Code::new(Check::Snapshot, "differs"),
            "the normalized log differs from the snapshot",
        )
        .with_detail(render_diff(
            &snapshot::canonical_body(body),
            &snapshot::canonical_body(rendered),
            false,
        ))
        .with_help(
            "if the change is intended, regenerate with scripts/regen-expected and review the diff",
        ),
        // The finding is located at the snapshot's path (shown relative to the project).
        Ok(None) => Finding::new(
            Code::new(Check::Snapshot, "missing"),
            "no snapshot of this fixture yet",
        )
        .with_help(
            "review the run and create the snapshot with scripts/regen-expected \
             (or cargo insta test --test fixtures, then cargo insta review)",
        ),
        Err(err) => Finding::new(Code::new(Check::Snapshot, "unreadable"), err.to_string()),
    };
    Some(finding.in_file(path.display().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn findings_are_located_by_line_and_seq() {
        let events = vec![
            serde_json::json!({"flow_id": "f", "span_id": "s", "parent_id": null, "seq": 1,
                "event_type": "entry", "level": "info", "kind": "flow", "node": "x"}),
        ];
        let checked = check_log(events.as_slice(), Some(&[7]), &EventValidator::bundled());
        let codes: Vec<String> = checked
            .findings
            .iter()
            .map(|f| f.code.to_string())
            .collect();
        assert!(codes.contains(&"schema.required".to_owned()), "{codes:?}");
        assert!(codes.contains(&"structure.seq_gap".to_owned()), "{codes:?}");
        assert!(
            codes.contains(&"structure.missing_exit".to_owned()),
            "{codes:?}"
        );
        assert!(checked.findings.iter().all(|f| f.location.line == Some(7)));
        let schema = &checked.findings[0];
        assert_eq!(schema.location.seq, Some(1));
        assert_eq!(schema.location.pointer.as_deref(), Some(""));
    }

    #[test]
    fn a_snapshot_that_differs_carries_its_diff() {
        let dir = tempfile::tempdir().unwrap();
        let stored = Ok(Some("a: 1\n".to_owned()));
        assert!(compare_with_snapshot("a: 1\n", &stored, dir.path(), "x").is_none());
        let finding = compare_with_snapshot("a: 2\n", &stored, dir.path(), "x").unwrap();
        assert_eq!(finding.code.to_string(), "snapshot.differs");
        let diff = finding.detail.unwrap();
        assert!(diff.contains("-a: 1") && diff.contains("+a: 2"), "{diff}");
        let missing = compare_with_snapshot("a: 1\n", &Ok(None), dir.path(), "x").unwrap();
        assert_eq!(missing.code.to_string(), "snapshot.missing");
    }
}
