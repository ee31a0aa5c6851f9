//! A runtime's event log through the one chain ([`crate::check_log`]): parse, schema, structure,
//! normalize, snapshot. A line that is not JSON is a `parse.*` finding (the log is then not
//! checked further); a log that does not exist is `conform.no_events`.

use std::path::Path;

use crate::check_log::{check_log, compare_with_snapshot};
use crate::finding::{Check, Code, Finding};
use crate::jsonl::{self, JsonlError, LogEvents};
use crate::schema::EventValidator;
use crate::snapshot::SnapshotError;

/// The snapshot a log is compared with.
pub(super) struct Stored<'a> {
    /// The folder of snapshots.
    pub(super) dir: &'a Path,
    /// The fixture's name.
    pub(super) fixture: &'a str,
    /// Its stored body.
    pub(super) body: &'a Result<Option<String>, SnapshotError>,
}

/// The events of the log at `path` (empty when it cannot be read) and the chain's findings.
#[must_use]
pub(super) fn check_events(
    path: &Path,
    validator: &EventValidator,
    stored: &Stored<'_>,
) -> (LogEvents, Vec<Finding>) {
    let log = match jsonl::read_events(path) {
        Ok(log) => log,
        Err(JsonlError::Line { source, .. }) => {
            return (LogEvents::new(), vec![Finding::from_line_error(&source)]);
        }
        Err(err) => {
            let finding = Finding::new(
                Code::new(Check::Conform, "no_events"),
                format!("no event log: {err}"),
            )
            .with_help("the runtime must write its events as JSON Lines to {events}, an empty file when there are none");
            return (LogEvents::new(), vec![finding]);
        }
    };
    let checked = check_log(&log, Some(&log.lines), validator);
    let mut findings = checked.findings;
    if let Some(normalized) = checked.normalized {
        findings.extend(compare_with_snapshot(
            &normalized.to_yaml(),
            stored.body,
            stored.dir,
            stored.fixture,
        ));
    }
    // The run's end is checked against its events, held as text.
    (log, findings)
}
