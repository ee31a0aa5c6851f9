//! The run limits of contract §6.12 seen from a run's callback (`fixtures/err_limit_*` show them
//! through the harness): the event limit fails the run cleanly, every span closed, and a state
//! beyond the depth limit is never emitted.

use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

use yamlflow::{Event, EventType, RunOptions, RunStatus};

/// A steps node of 100 `log.emit` steps that routes back to itself until the run stops.
fn spam_flow() -> String {
    let mut yaml = String::from("name: spam\nnodes:\n  - name: spam\n    steps:\n");
    for i in 0..100 {
        writeln!(
            yaml,
            "      - {{uses: log.emit, with: {{message: 'm{i}'}}}}"
        )
        .unwrap();
    }
    yaml.push_str(
        "edges:\n  - {from: __start__, to: spam}\n  - {from: spam, to: spam, when: '{{ true }}'}\n  - {from: spam, to: __end__}\n",
    );
    yaml
}

#[test]
fn the_event_limit_fails_the_run_with_its_spans_closed() {
    let flow = yamlflow::load_str(&spam_flow(), "<test>").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let seen = Arc::new(Mutex::new(Vec::<Event>::new()));
    let sink = Arc::clone(&seen);
    let mut options = RunOptions::new(dir.path());
    options.callbacks.push(Arc::new(move |e: &Event| {
        sink.lock().unwrap().push(e.clone())
    }));
    let outcome = yamlflow::run(&flow, options).unwrap();
    assert_eq!(outcome.status, RunStatus::Failed);
    let (kind, message) = outcome.error.unwrap();
    assert_eq!(
        (kind.as_str(), message.as_str()),
        (
            "LimitExceeded",
            "event limit of 100000 events per run reached"
        )
    );
    let events = seen.lock().unwrap();
    // Steps' entries and exits are debug: produced and counted, not emitted. Then the node's and
    // the flow's closing events.
    assert!(
        events.len() > 33_000 && events.len() < 34_000,
        "{}",
        events.len()
    );
    assert!(events.iter().enumerate().all(|(i, e)| e.seq == i as u64));
    let last: Vec<_> = events[events.len() - 2..]
        .iter()
        .map(|e| (e.event_type, e.message.clone()))
        .collect();
    assert_eq!(
        last,
        [
            (EventType::Error, Some("node failed".into())),
            (EventType::Error, Some("flow failed".into()))
        ]
    );
}

#[test]
fn a_state_beyond_the_depth_limit_is_never_emitted() {
    // The run input reads 127 levels (serde_json's limit) but a state nesting deeper than 100
    // fails the run at once: no event nests beyond what a JSON reader accepts (contract §6.12).
    let flow = yamlflow::load_str(
        "name: deep\nnodes: [{name: a, uses: state.set}]\nedges: [{from: __start__, to: a}, {from: a, to: __end__}]\n",
        "<test>",
    )
    .unwrap();
    let text = format!("{{\"d\": {}{}}}", "[".repeat(126), "]".repeat(126));
    let dir = tempfile::tempdir().unwrap();
    let seen = Arc::new(Mutex::new(Vec::<Event>::new()));
    let sink = Arc::clone(&seen);
    let mut options = RunOptions::new(dir.path());
    options.input = yamlflow::parse_input(&text, "<input>").unwrap();
    options.callbacks.push(Arc::new(move |e: &Event| {
        sink.lock().unwrap().push(e.clone())
    }));
    let outcome = yamlflow::run(&flow, options).unwrap();
    assert_eq!(
        outcome.error,
        Some((
            "LimitExceeded".into(),
            "value nests deeper than 100 levels".into()
        ))
    );
    let events = seen.lock().unwrap();
    let lines: Vec<String> = events
        .iter()
        .map(|e| serde_json::to_string(e).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    for line in &lines {
        serde_json::from_str::<serde_json::Value>(line).expect("readable with serde_json's limit");
    }
    assert_eq!(events[0].data["input"], serde_json::json!({}));
}
