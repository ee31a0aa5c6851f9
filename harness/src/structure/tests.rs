//! The structural rules, checked on small logs built event by event.

use serde_json::{Value, json};

use super::facts::Id;
use super::recent::Recent;
use super::*;
use crate::finding::{Finding, Severity};

const FLOW: &str = "0b6f3c2e-8f1d-4f3a-9a51-3f0f5d1c2b7a";

/// Builds one flow's events with consecutive `seq` and increasing timestamps.
struct Log {
    flow: String,
    seq: u64,
    ts: f64,
    events: Vec<Value>,
}

impl Log {
    fn new(flow: &str) -> Self {
        Self {
            flow: flow.to_owned(),
            seq: 0,
            ts: 1_700_000_000.0,
            events: Vec::new(),
        }
    }

    fn event(
        &mut self,
        span: &str,
        parent: Option<&str>,
        kind: &str,
        node: &str,
        event_type: &str,
    ) -> &mut Value {
        let level = match (kind, event_type) {
            ("step", "entry" | "exit") => "debug",
            (_, "error") => "error",
            _ => "info",
        };
        let mut metrics = json!({});
        if matches!(event_type, "exit" | "error") {
            metrics["duration_ms"] = json!(1.5);
        }
        self.events.push(json!({
            "flow_id": self.flow, "span_id": span, "parent_id": parent, "node": node,
            "kind": kind, "action": null, "level": level, "timestamp": self.ts,
            "seq": self.seq, "event_type": event_type, "message": null, "data": {},
            "metrics": metrics
        }));
        self.seq += 1;
        self.ts += 0.001;
        self.events.last_mut().unwrap()
    }

    /// Appends events of the spans tests use by name (`root`, `root2`, `n1`, `s1`, `s2`: a flow,
    /// a node in it, steps in the node; `stray`: a node whose parent never appears), written
    /// `span event_type` and separated by commas.
    fn spans(&mut self, spec: &str) -> &mut Self {
        for event in spec.split(", ") {
            let (span, event_type) = event.split_once(' ').expect("`span event_type`");
            let (parent, kind, node) = match span {
                "root" | "root2" => (None, "flow", "demo"),
                "n1" => (Some("root"), "node", "load"),
                "s1" => (Some("n1"), "step", "load.step[0]"),
                "s2" => (Some("n1"), "step", "load.step[1]"),
                "stray" => (Some("ghost"), "node", "load"),
                other => panic!("unknown test span {other}"),
            };
            self.event(span, parent, kind, node, event_type);
        }
        self
    }

    /// A log of `FLOW` with the events of [`spans`](Self::spans).
    fn of(spec: &str) -> Self {
        let mut log = Self::new(FLOW);
        log.spans(spec);
        log
    }

    /// The kinds of the findings about this log, in order.
    fn kinds(&self) -> Vec<&'static str> {
        check_kinds(&self.events)
    }

    /// A flow with one node that has one step: the well-formed baseline (debug level).
    fn simple(flow: &str) -> Self {
        let mut log = Self::new(flow);
        log.spans("root entry, n1 entry, s1 entry, s1 log, s1 exit, n1 exit, root exit");
        log
    }
}

/// Asserts that `violation`'s message contains `text`.
#[track_caller]
fn assert_says(violation: &StructureViolation, text: &str) {
    assert!(violation.message.contains(text), "{}", violation.message);
}

/// Checks `events`, asserts the kinds of the findings, in order, and returns the findings.
#[track_caller]
fn expect_kinds(events: &[Value], expected: &[&str]) -> Vec<StructureViolation> {
    let found = check_events(events);
    assert_eq!(kinds(&found), expected);
    found
}

/// The kinds of the findings about `events`, in order.
fn check_kinds(events: &[Value]) -> Vec<&'static str> {
    kinds(&check_events(events))
}

fn kinds(violations: &[StructureViolation]) -> Vec<&'static str> {
    violations.iter().map(|v| v.kind.name()).collect()
}

#[test]
fn kind_names_are_unique_snake_case() {
    let mut names: Vec<&str> = ViolationKind::ALL.iter().map(|k| k.name()).collect();
    assert!(
        names
            .iter()
            .all(|n| n.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
    );
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), ViolationKind::ALL.len());
}

#[test]
fn well_formed_flow_has_no_violation() {
    assert_eq!(check_events(&Log::simple(FLOW).events), Vec::new());
}

#[test]
fn interleaved_flows_are_checked_separately() {
    let a = Log::simple("flow-a").events;
    let b = Log::simple("flow-b").events;
    let mixed: Vec<Value> = a.into_iter().zip(b).flat_map(|(x, y)| [x, y]).collect();
    assert_eq!(check_events(&mixed), Vec::new());
    let mut checker = StructureChecker::new();
    for (line, event) in (1..).zip(&mixed) {
        checker.push(event, line);
    }
    assert_eq!(checker.flows(), 2);
    assert_eq!(checker.events(), 14);
}

#[test]
fn seq_gap_counts_lost_events() {
    let mut events = Log::simple(FLOW).events;
    events.remove(3); // the step's log
    let found = expect_kinds(&events, &["seq_gap"]);
    assert_eq!(found[0].line, 4);
    assert_eq!(found[0].seq, Some(4));
    assert_says(&found[0], "from 2 to 4: 1 event(s) lost");
}

#[test]
fn first_seq_must_be_zero() {
    let mut events = Log::simple(FLOW).events;
    for event in &mut events {
        event["seq"] = json!(event["seq"].as_u64().unwrap() + 3);
    }
    let found = expect_kinds(&events, &["seq_gap"]);
    assert_says(&found[0], "first event has seq 3");
}

#[test]
fn repeated_seq_is_reported() {
    let mut events = Log::simple(FLOW).events;
    events[2]["seq"] = json!(1);
    events[3]["seq"] = json!(2);
    expect_kinds(&events, &["seq_not_increasing", "seq_gap"]);
}

#[test]
fn missing_exit_is_reported_when_known_and_names_the_entry() {
    let mut events = Log::simple(FLOW).events;
    events.remove(4); // the step's exit
    for (seq, event) in events.iter_mut().enumerate() {
        event["seq"] = json!(seq);
    }
    let found = expect_kinds(&events, &["missing_exit"]);
    // Known at the root's exit (line 6), in line order with the other findings.
    assert_eq!((found[0].line, found[0].seq), (6, None));
    assert_says(&found[0], "entry at line 3");
    // Its exit after the parent's end puts it outside the parent instead.
    let mut events = Log::simple(FLOW).events;
    let exit = events.remove(4);
    events.insert(5, exit);
    for (seq, event) in events.iter_mut().enumerate() {
        event["seq"] = json!(seq);
        event["timestamp"] = json!(1000.0 + f64::from(u8::try_from(seq).unwrap()));
    }
    let found = expect_kinds(&events, &["child_outside_parent"]);
    assert_eq!(found[0].line, 6);
    // A run cut short at the end of the log is one missing exit, its root's, counting the
    // spans left open inside it.
    let log = Log::of("root entry, n1 entry, s1 entry");
    let found = expect_kinds(&log.events, &["missing_exit"]);
    assert_eq!(found[0].line, 3);
    assert_eq!(found[0].span_id.as_deref(), Some("root"));
    assert_says(
        &found[0],
        "entry at line 1 but no exit or error (nor do 2 spans inside it)",
    );
}

#[test]
fn exit_before_entry() {
    let log = Log::of("root entry, n1 exit, n1 entry, root exit");
    let found = expect_kinds(&log.events, &["exit_before_entry"]);
    assert_eq!(found[0].line, 2);
}

#[test]
fn log_before_entry_and_duplicate_entry() {
    let log = Log::of("root entry, n1 log, n1 entry, n1 entry, n1 exit, root exit");
    assert_eq!(log.kinds(), ["event_before_entry", "duplicate_entry"]);
}

#[test]
fn events_after_end() {
    let mut events = Log::simple(FLOW).events;
    // A step log after the node's exit, before the root's exit.
    let mut late = events[3].clone();
    late["seq"] = json!(6);
    late["timestamp"] = json!(events[5]["timestamp"].as_f64().unwrap() + 0.0001);
    events.insert(6, late);
    events[7]["seq"] = json!(7);
    // A node event after the root's exit.
    let mut after_flow = events[1].clone();
    after_flow["seq"] = json!(8);
    events.push(after_flow);
    let found = expect_kinds(
        &events,
        &["child_outside_parent", "event_after_end", "event_after_end"],
    );
    assert_says(&found[2], "root span ended at line 8");
}

#[test]
fn orphan_parent() {
    let log = Log::of("root entry, stray entry, stray exit, root exit");
    let found = expect_kinds(&log.events, &["orphan_parent"]);
    assert_says(&found[0], "ghost");
    assert_says(&found[0], "(event at line 2)");
    assert_eq!(found[0].line, 4, "known when the run ends");
}

#[test]
fn child_starting_before_parent() {
    let log = Log::of("root entry, s1 entry, n1 entry, s1 exit, n1 exit, root exit");
    let found = expect_kinds(&log.events, &["child_outside_parent"]);
    assert_eq!(found[0].span_id.as_deref(), Some("s1"));
    assert_eq!(found[0].line, 3, "known when the parent appears");
}

#[test]
fn child_ending_after_parent_by_timestamp() {
    let mut events = Log::simple(FLOW).events;
    events[4]["timestamp"] = json!(1_800_000_000.0);
    events[5]["timestamp"] = json!(1_800_000_000.0);
    let found = expect_kinds(&events, &["child_outside_parent"]);
    assert_says(&found[0], "after its parent flow span 'demo'");
}

#[test]
fn negative_duration_and_decreasing_timestamp() {
    let mut events = Log::simple(FLOW).events;
    events[4]["metrics"]["duration_ms"] = json!(-0.5);
    events[3]["timestamp"] = json!(1.0);
    expect_kinds(&events, &["timestamp_decreasing", "negative_duration"]);
}

#[test]
fn roots() {
    let log = Log::of("root entry, root2 entry, root2 exit, root exit");
    assert_eq!(log.kinds(), ["multiple_roots"]);
    let log = Log::of("n1 entry, n1 exit");
    assert_eq!(log.kinds(), ["orphan_parent", "missing_root"]);
}

#[test]
fn wrong_parent_kind_and_span_mismatch() {
    let mut log = Log::new(FLOW);
    log.spans("root entry");
    log.event("s1", Some("root"), "step", "x.step[0]", "entry");
    // The same span, now claiming to be a node.
    log.event("s1", Some("root"), "node", "x", "exit");
    log.spans("root exit");
    assert_eq!(log.kinds(), ["wrong_parent_kind", "span_mismatch"]);
}

#[test]
fn mixed_schema_versions() {
    let mut events = Log::simple(FLOW).events;
    events[2]["schema_version"] = json!("2");
    events[3]["schema_version"] = json!("2");
    let found = expect_kinds(&events, &["mixed_schema_versions"]);
    assert_eq!(found[0].line, 3);
}

#[test]
fn mixed_tenants() {
    // contract §3.8: every event of a run carries the run's tenant, or none does.
    let mut events = Log::simple(FLOW).events;
    for event in &mut events {
        event["tenant"] = json!("acme");
    }
    assert_eq!(check_events(&events), Vec::new());
    events[2]["tenant"] = json!("globex");
    events[3].as_object_mut().unwrap().remove("tenant");
    let found = expect_kinds(&events, &["mixed_tenants"]);
    assert_eq!(found[0].line, 3);
}

#[test]
fn info_level_logs_lack_step_entries_legitimately() {
    // At the default level step entry/exit (debug) are filtered: only the step's log remains.
    let mut log = Log::of("root entry, n1 entry, s1 log, s2 error, n1 error, root error");
    assert_eq!(check_events(&log.events), Vec::new());
    // A debug event proves the filter is at debug: the missing step entries are real.
    log.events[2]["level"] = json!("debug");
    assert_eq!(log.kinds(), ["event_before_entry", "exit_before_entry"]);
}

#[test]
fn warn_level_logs_have_no_entries_legitimately() {
    // contract §3.5 with level warn: a retry warning and logs, nothing else.
    let mut log = Log::new(FLOW);
    log.event("n1", Some("root"), "node", "flaky", "error")["level"] = json!("warn");
    log.event("n2", Some("root"), "node", "caution", "log")["level"] = json!("warn");
    log.event("n3", Some("root"), "node", "alarm", "log")["level"] = json!("error");
    assert_eq!(check_events(&log.events), Vec::new());
    // Error level, failing steps node: step failed, node failed, flow failed.
    let log = Log::of("s1 error, n1 error, root error");
    assert_eq!(check_events(&log.events), Vec::new());
}

#[test]
fn drain_streams_findings_and_finish_returns_the_rest() {
    let mut log = Log::of("root entry, n1 entry");
    log.events[1]["seq"] = json!(5);
    let mut checker = StructureChecker::new();
    checker.push(&log.events[0], 1);
    checker.push(&log.events[1], 2);
    assert_eq!(kinds(&checker.drain().collect::<Vec<_>>()), ["seq_gap"]);
    assert_eq!(kinds(&checker.finish()), ["missing_exit"]);
}

#[test]
fn ended_flows_are_forgotten() {
    let mut checker = StructureChecker::new();
    for (line, event) in (1..).zip(&Log::simple(FLOW).events) {
        checker.push(event, line);
    }
    assert!(checker.open.is_empty());
    assert_eq!(checker.ended.len(), 1);
    assert!(checker.finish().is_empty());
}

#[test]
fn the_set_of_ended_flows_is_bounded() {
    let mut ended = Recent::default();
    let half = u128::try_from(Recent::<u64>::CAPACITY / 2).unwrap();
    for id in 0..half * 3 {
        ended.insert(Id::Uuid(id), 1);
    }
    assert_eq!(ended.len(), Recent::<u64>::CAPACITY);
    assert_eq!(
        ended.get(&Id::Uuid(0)),
        None,
        "the oldest generation is gone"
    );
    assert_eq!(ended.get(&Id::Uuid(half)), Some(1));
    assert_eq!(ended.get(&Id::Uuid(half * 3 - 1)), Some(1));
}

#[test]
fn idle_warn_level_flows_are_evicted_without_losing_seq_continuity() {
    let mut checker = StructureChecker::new();
    checker.open.max = 10;
    let mut line = 0;
    let mut push = |checker: &mut StructureChecker, event: &Value| {
        line += 1;
        checker.push(event, line);
    };
    // 30 runs logged at level warn: their only events are retry warnings, they never end.
    let runs: Vec<Log> = (0..30)
        .map(|i| {
            let mut log = Log::new(&format!("warn-run-{i}"));
            for _ in 0..3 {
                log.event("n1", Some("root"), "node", "flaky", "error")["level"] = json!("warn");
            }
            log
        })
        .collect();
    for run in &runs {
        push(&mut checker, &run.events[0]);
    }
    // An info-level run stays open throughout: it is never evicted.
    let info = Log::simple(FLOW);
    push(&mut checker, &info.events[0]);
    assert!(
        checker.open.len() <= 11,
        "{} open flows",
        checker.open.len()
    );
    // Evicted runs come back with their seq continuity intact.
    for run in &runs {
        push(&mut checker, &run.events[1]);
        push(&mut checker, &run.events[2]);
    }
    for event in &info.events[1..] {
        push(&mut checker, event);
    }
    assert_eq!(checker.flows(), 31);
    assert_eq!(checker.finish(), Vec::new());
    // A gap in an evicted run is still a gap.
    let mut checker = StructureChecker::new();
    checker.open.max = 10;
    for (i, run) in runs.iter().enumerate() {
        checker.push(&run.events[0], u64::try_from(i).unwrap() + 1);
    }
    checker.push(&runs[0].events[2], 100);
    assert_eq!(kinds(&checker.finish()), ["seq_gap"]);
}

#[test]
fn events_without_ids_are_counted_but_not_checked() {
    let found = check_events(&[json!({"seq": 0}), json!("not an object")]);
    assert!(found.is_empty());
}

#[test]
fn open_runs_beyond_the_cap_are_dropped_once_reported_and_no_longer_checked() {
    let mut checker = StructureChecker::with_max_open(20);
    let runs: Vec<Log> = (0..100)
        .map(|i| {
            let mut log = Log::new(&format!("run-{i}"));
            log.spans("root entry, n1 entry, n1 exit, root exit");
            log
        })
        .collect();
    // Every run opens before any ends: 100 runs of two spans against a cap of 20.
    let all_open_first = |checker: &mut StructureChecker| {
        let mut line = 0;
        for step in [0..2, 2..4] {
            for run in &runs {
                for event in &run.events[step.clone()] {
                    line += 1;
                    checker.push(event, line);
                    assert!(checker.open.len() <= checker.open.max);
                }
            }
        }
    };
    all_open_first(&mut checker);
    let dropped = checker.dropped();
    let found = (checker.finish(), dropped);
    assert_eq!(kinds(&found.0), ["too_many_open"], "one cause, one finding");
    assert!(found.0[0].message.contains("raise --max-open"), "{found:?}");
    assert!(found.1 > 80, "{} dropped", found.1);
    // With room for every run, the same log is valid.
    let mut checker = StructureChecker::with_max_open(300);
    all_open_first(&mut checker);
    assert_eq!(checker.finish(), Vec::new());
}

#[test]
fn an_action_that_changes_within_a_span_is_reported_once() {
    let mut log = Log::of("root entry, n1 entry, n1 log, n1 exit, root exit");
    log.events[1]["action"] = json!("text.render");
    log.events[2]["action"] = json!("log.emit");
    log.events[3]["action"] = json!("log.emit");
    let found = expect_kinds(&log.events, &["span_mismatch"]);
    assert_says(&found[0], "action 'log.emit' (was 'text.render')");
    assert_eq!(found[0].line, 3);
}

#[test]
fn implausible_units_are_one_warning_per_run() {
    // Milliseconds since the epoch.
    let mut log = Log::simple(FLOW);
    for event in &mut log.events {
        event["timestamp"] = json!(event["timestamp"].as_f64().unwrap() * 1000.0);
    }
    let found = expect_kinds(&log.events, &["implausible_units"]);
    assert_says(&found[0], "looks like milliseconds");
    assert!(Finding::from_structure(found[0].clone()).severity == Severity::Warning);
    // A duration of a trillion milliseconds.
    let mut log = Log::simple(FLOW);
    let last = log.events.len() - 1;
    log.events[last]["metrics"]["duration_ms"] = json!(1e12);
    assert_says(
        &expect_kinds(&log.events, &["implausible_units"])[0],
        "more than 31 years",
    );
    // Microseconds: 6 ms of wall time, a duration of 6000 "ms".
    let mut log = Log::simple(FLOW);
    log.events[last]["metrics"]["duration_ms"] = json!(6000.0);
    assert_says(
        &expect_kinds(&log.events, &["implausible_units"])[0],
        "is it in microseconds?",
    );
}

#[test]
fn a_gap_left_by_unreadable_lines_is_not_reported_again() {
    let log = Log::simple(FLOW);
    let mut checker = StructureChecker::new();
    // Line 3 was not JSON: its event (seq 2) is missing, and the parse error says so.
    for (line, event) in (1..).zip(&log.events) {
        if line == 3 {
            checker.unreadable(line);
        } else {
            checker.push(event, line);
        }
    }
    let found = checker.finish();
    assert!(!kinds(&found).contains(&"seq_gap"), "{:?}", kinds(&found));
    // Without the unreadable line, the same gap is lost events.
    let mut events = log.events.clone();
    events.remove(2);
    assert!(kinds(&check_events(&events)).contains(&"seq_gap"));
}
