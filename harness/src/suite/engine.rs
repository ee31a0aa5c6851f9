//! One engine's side of a fixture: its run through the check chain (schema → structure →
//! normalize → snapshot, [`crate::check_log`]) plus what only an embedded run shows: the status
//! the engine reports, its console output, and how the run ended against `parity.expect`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;

use serde_json::Value;

use super::model::{Ended, EngineReport};
use crate::check_log::{check_log, compare_with_snapshot};
use crate::diff::render_labeled_diff;
use crate::finding::{Check, Code, Finding};
use crate::fixture::{Expect, Fixture};
use crate::jsonl::LogEvents;
use crate::normalize::{Canon, EventSource, Normalized};
use crate::run::{LoadError, Outcome, Ran, RunFailure, RunResult, RunStatus};
use crate::schema::EventValidator;
use crate::snapshot::SnapshotError;

/// What the side is checked against.
pub(crate) struct Against<'a> {
    pub(crate) validator: &'a EventValidator,
    /// The folder of snapshots and the stored one, when snapshots are checked.
    pub(crate) snapshot: Option<(&'a Path, &'a Result<Option<String>, SnapshotError>)>,
}

/// Checks one engine's run of `fixture`; the findings are tagged with the fixture and engine.
/// `same_as` is the other engine's body, when already rendered: an identical body shares it.
pub(crate) fn check_side(
    fixture: &Fixture,
    run: &RunResult,
    against: &Against<'_>,
    same_as: Option<&Arc<String>>,
) -> (EngineReport, Vec<Finding>) {
    let mut findings = Vec::new();
    let mut report = EngineReport {
        engine: run.engine,
        elapsed: run.elapsed,
        ended: ended(&run.outcome),
        events: 0,
        rendered: None,
        snapshot_compared: false,
        log: None,
    };
    match &run.outcome {
        Outcome::Events(ran) => {
            report.events = ran.events.len();
            findings.extend(status_mismatch(ran));
            findings.extend(console_mismatch(ran, fixture.console_handlers));
            let checked = check_log(&ran.events, None, against.validator);
            findings.extend(checked.findings);
            report.rendered = checked
                .normalized
                .map(|normalized| render(&normalized, same_as));
        }
        Outcome::Load(failure) => report.rendered = Some(Arc::new(load_failure_yaml(failure))),
        Outcome::Errored(failure) => findings.push(errored(failure)),
    }
    if let Some((expected, stored)) = against.snapshot {
        match &report.rendered {
            Some(rendered) => {
                report.snapshot_compared = true;
                findings.extend(compare_with_snapshot(
                    rendered,
                    stored,
                    expected,
                    &fixture.name,
                ));
            }
            None if !matches!(report.ended, Ended::Errored(_)) => findings.push(Finding::new(
                Code::new(Check::Snapshot, "unavailable"),
                "nothing to compare: the events cannot be normalized",
            )),
            None => {}
        }
    }
    findings.extend(outcome_mismatch(fixture, &report.ended));
    for finding in &mut findings {
        finding.fixture = Some(fixture.name.clone());
        finding.runtime = Some(run.engine.name().into());
    }
    (report, findings)
}

/// The normalized body, or `same_as` itself when the body is the same text: rendered in chunks
/// and compared as it goes, so that a second copy is built only when the bodies differ.
fn render<S: EventSource + ?Sized>(
    normalized: &Normalized<'_, S>,
    same_as: Option<&Arc<String>>,
) -> Arc<String> {
    if let Some(other) = same_as {
        let (mut at, mut same) = (0, true);
        normalized.write_yaml(&mut |chunk| {
            same = same && other.as_bytes().get(at..at + chunk.len()) == Some(chunk.as_bytes());
            at += chunk.len();
        });
        if same && at == other.len() {
            return Arc::clone(other);
        }
    }
    Arc::new(normalized.to_yaml())
}

fn ended(outcome: &Outcome) -> Ended {
    match outcome {
        Outcome::Events(ran) => match ran.status {
            RunStatus::Completed => Ended::Completed,
            RunStatus::Failed => Ended::Failed,
        },
        Outcome::Load(failure) => Ended::LoadError(failure.clone()),
        Outcome::Errored(failure) => Ended::Errored(failure.clone()),
    }
}

/// An engine that produced nothing to check (`run.exception`, `run.panic`, `run.timeout`,
/// `run.crashed` with the signal and the worker's stderr tail…).
fn errored(failure: &RunFailure) -> Finding {
    let (rule, message, detail) = match failure {
        RunFailure::Exception(exception) => (
            "exception",
            format!(
                "Python raised {}: {}",
                exception.type_name, exception.message
            ),
            Some(exception.traceback.clone()),
        ),
        RunFailure::Panic { .. } => ("panic", failure.to_string(), None),
        RunFailure::Timeout { stderr_tail, .. } => (
            "timeout",
            failure.to_string(),
            (!stderr_tail.is_empty()).then(|| format!("stderr (tail):\n{stderr_tail}")),
        ),
        RunFailure::Crashed { stderr_tail, .. } => (
            "crashed",
            failure.to_string(),
            Some(format!("stderr (tail):\n{stderr_tail}")),
        ),
        RunFailure::BadJsonl { .. } => ("bad_output", failure.to_string(), None),
        RunFailure::Setup { .. } => ("setup", failure.to_string(), None),
    };
    let finding = Finding::new(Code::new(Check::Run, rule), message)
        .with_help("the engine produced nothing to check; an xfail excuses a divergence, not this");
    match detail {
        Some(detail) => finding.with_detail(detail),
        None => finding,
    }
}

/// The last end event (`exit` or `error` at level `error`) of the root span, by `seq`.
fn root_end(events: &LogEvents) -> Option<RunStatus> {
    let mut last: Option<(u64, bool)> = None;
    for event in events.iter_values() {
        let field = |name: &str| event.get(name).and_then(Value::as_str);
        let is_root =
            field("kind") == Some("flow") && event.get("parent_id").is_some_and(Value::is_null);
        let exit = field("event_type") == Some("exit");
        let is_end =
            exit || (field("event_type") == Some("error") && field("level") == Some("error"));
        let seq = event.get("seq").and_then(Value::as_u64).unwrap_or(0);
        if is_root && is_end && last.is_none_or(|(s, _)| seq >= s) {
            last = Some((seq, exit));
        }
    }
    last.map(|(_, exit)| {
        if exit {
            RunStatus::Completed
        } else {
            RunStatus::Failed
        }
    })
}

/// The root span's end contradicts the status the engine reports (`structure.status`).
fn status_mismatch(ran: &Ran) -> Option<Finding> {
    let shown = root_end(&ran.events).filter(|shown| *shown != ran.status)?;
    Some(Finding::new(
        Code::new(Check::Structure, "status"),
        format!(
            "the root span's last event says the run {}, the engine reports it {}",
            shown.name(),
            ran.status.name()
        ),
    ))
}

/// Checks the console handlers' output against the run's own events: each of the `handlers`
/// writes `[{level}] {node} {event_type}` (then `: {message}`) per event, in `seq` order
/// (contract §3.5). `None` when it matches.
fn console_mismatch(ran: &Ran, handlers: usize) -> Option<Finding> {
    let mut expected = String::new();
    // Each event is parsed once for its `seq`, then again when its line is written.
    let mut ordered: Vec<(Option<u64>, usize)> = if handlers == 0 {
        Vec::new()
    } else {
        let seq = |event: Value| event.get("seq").and_then(Value::as_u64);
        ran.events.iter_values().map(seq).zip(0..).collect()
    };
    ordered.sort_by_key(|&(seq, _)| seq);
    for (_, index) in ordered {
        let event = ran.events.value(index);
        let field = |name: &str| event.get(name).and_then(Value::as_str).unwrap_or("?");
        let mut line = format!(
            "[{}] {} {}",
            field("level"),
            field("node"),
            field("event_type")
        );
        if let Some(message) = event.get("message").and_then(Value::as_str) {
            let _ = write!(line, ": {message}");
        }
        for _ in 0..handlers {
            expected.push_str(&line);
            expected.push('\n');
        }
    }
    if expected == ran.console {
        return None;
    }
    Some(
        Finding::new(
            Code::new(Check::Structure, "console"),
            format!(
                "console output differs from one line per event and console handler ({handlers})"
            ),
        )
        .with_detail(render_labeled_diff(
            "expected",
            &expected,
            "console",
            &ran.console,
            false,
        )),
    )
}

/// The run does not end as `parity.expect` says (`outcome.mismatch`); a load error is located at
/// its place in the fixture.
fn outcome_mismatch(fixture: &Fixture, ended: &Ended) -> Option<Finding> {
    let expect = fixture.parity.expect?;
    let ok = matches!(
        (ended, expect),
        (Ended::Completed, Expect::Completed) | (Ended::Failed, Expect::Failed)
    );
    if ok || matches!(ended, Ended::Errored(_)) {
        return None;
    }
    let mut finding = Finding::new(
        Code::new(Check::Outcome, "mismatch"),
        format!("parity.expect is {expect}, the run ended {}", ended.label()),
    );
    if let Ended::LoadError(failure) = ended {
        finding.location.file = Some(fixture.path.display().to_string());
        finding.location.line = failure.line.map(|line| line as u64);
        finding.location.column = failure.column.map(|column| column as u64);
        finding = finding.with_detail(format!("{}: {}", failure.kind.name(), failure.message));
    }
    Some(finding)
}

/// A run's reported status and final state, normalized as values inside its events are (ids
/// relabelled, the run's own id too when no event carries it; nested events and flow logs without
/// what varies; numbers by value, keys sorted).
#[must_use]
pub fn end_yaml(ran: &Ran) -> String {
    end_canon(ran, false).to_yaml()
}

/// [`end_yaml`] with the failure the engine reports (`error: {type, message}`), which parity
/// compares too: with observability off, two runs failing differently have the same events and
/// state (contract §4).
#[must_use]
pub(super) fn reported_end_yaml(ran: &Ran) -> String {
    end_canon(ran, true).to_yaml()
}

fn end_canon(ran: &Ran, with_error: bool) -> Canon {
    // A command line does not report its run's id: a flow log in its state names it.
    let found = ran.flow_id.clone().or_else(|| flow_log_id(&ran.state));
    let flow_id = found.as_deref();
    let normalize = |value: &Value| {
        crate::normalize::normalize_end(&ran.events, flow_id, value)
            .unwrap_or_else(|_| Canon::from_json(value))
    };
    let mut end = BTreeMap::from([
        (
            "status".to_owned(),
            Canon::String(ran.status.name().to_owned()),
        ),
        ("final_state".to_owned(), normalize(&ran.state)),
    ]);
    if let (true, Some(error)) = (with_error, &ran.error) {
        end.insert("error".to_owned(), normalize(error));
    }
    Canon::Map(end)
}

/// The `flow_id` of the first flow log (an object with `flow_id`, `spans` and `summary`, contract
/// §3.6) in `value`, depth first.
fn flow_log_id(value: &Value) -> Option<String> {
    match value {
        Value::Object(map) => {
            if let (Some(Value::String(id)), true, true) = (
                map.get("flow_id"),
                map.contains_key("spans"),
                map.contains_key("summary"),
            ) {
                return Some(id.clone());
            }
            map.values().find_map(flow_log_id)
        }
        Value::Array(items) => items.iter().find_map(flow_log_id),
        _ => None,
    }
}

/// Whether `failure` is a run input the JSON reader refused, with the reader's own detail, which
/// contract §6.12 leaves uncompared (`input is not valid JSON: {detail}`; the 64-bit rule's detail
/// is the contract's and stays).
fn input_parser_detail(failure: &LoadError) -> bool {
    failure.kind == yamlflow::LoadErrorKind::Io
        && failure
            .message
            .strip_prefix("input is not valid JSON: ")
            .is_some_and(|detail| !detail.starts_with("integer outside 64 bits"))
}

/// The snapshot body of a run that did not load: the load error, without its origin (both engines
/// load the text as `<string>`).
#[must_use]
pub fn load_failure_yaml(failure: &LoadError) -> String {
    let optional =
        |value: Option<usize>| value.map_or(Canon::Null, |v| Canon::Number(v.to_string()));
    // The parser's own wording: only kind and position are contract for a runtime (§1.4); the two
    // reference engines share saphyr-parser, and so its messages, but a runtime may not.
    let message =
        if failure.kind == yamlflow::LoadErrorKind::YamlSyntax || input_parser_detail(failure) {
            Canon::Placeholder("parser message")
        } else {
            Canon::String(failure.message.clone())
        };
    let key = failure
        .key
        .as_ref()
        .map_or(Canon::Null, |k| Canon::String(k.clone()));
    let tree = Canon::Map(BTreeMap::from([(
        "load_error".to_owned(),
        Canon::Map(BTreeMap::from([
            (
                "kind".to_owned(),
                Canon::String(failure.kind.name().to_owned()),
            ),
            ("message".to_owned(), message),
            ("line".to_owned(), optional(failure.line)),
            ("column".to_owned(), optional(failure.column)),
            ("key".to_owned(), key),
        ])),
    )]));
    tree.to_yaml()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ran(console: &str) -> Ran {
        let event = |seq: u64, event_type: &str, message: Value| {
            serde_json::json!({"seq": seq, "level": "info", "node": "greet",
                "event_type": event_type, "message": message})
        };
        Ran {
            // Out of seq order on purpose: lines follow seq.
            events: LogEvents::from_values(&[
                event(1, "metric", Value::Null),
                event(0, "entry", Value::from("node started")),
            ]),
            status: RunStatus::Completed,
            state: serde_json::json!({}),
            console: console.to_owned(),
            flow_id: None,
            error: None,
        }
    }

    #[test]
    fn console_output_is_one_pinned_line_per_event_and_handler() {
        let one = "[info] greet entry: node started\n[info] greet metric\n";
        assert_eq!(console_mismatch(&ran(one), 1), None);
        assert_eq!(console_mismatch(&ran(""), 0), None);
        let twice = "[info] greet entry: node started\n[info] greet entry: node started\n\
                     [info] greet metric\n[info] greet metric\n";
        assert_eq!(console_mismatch(&ran(twice), 2), None);
        let drifted = "[INFO] greet entry: node started\n[info] greet metric\n";
        let finding = console_mismatch(&ran(drifted), 1).expect("reported");
        assert_eq!(finding.code.to_string(), "structure.console");
        assert!(finding.detail.unwrap().contains("[INFO] greet entry"));
        assert!(console_mismatch(&ran(one), 0).is_some());
    }

    /// A run with observability off: no events, a failed status, and what its engine reports.
    fn quiet(flow_id: &str, error: &str) -> Ran {
        let log = serde_json::json!({"flow_id": flow_id, "events": [], "spans": [],
            "summary": {"events": 0}});
        Ran {
            events: LogEvents::new(),
            status: RunStatus::Failed,
            state: serde_json::json!({"log": log}),
            console: String::new(),
            flow_id: Some(flow_id.to_owned()),
            error: Some(serde_json::json!({"type": "Boom", "message": error})),
        }
    }

    #[test]
    fn reported_ends_label_the_run_id_and_compare_the_error() {
        let a = quiet("11111111-1111-4111-8111-111111111111", "first");
        let b = quiet("22222222-2222-4222-8222-222222222222", "first");
        assert!(end_yaml(&a).contains("flow#1"), "{}", end_yaml(&a));
        assert_eq!(reported_end_yaml(&a), reported_end_yaml(&b));
        let c = quiet("33333333-3333-4333-8333-333333333333", "second");
        assert_eq!(end_yaml(&a), end_yaml(&c));
        assert_ne!(reported_end_yaml(&a), reported_end_yaml(&c));
    }
}
