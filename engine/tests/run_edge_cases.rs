//! Whole-run edge cases pinned in contract §6 (sandbox, file handler, sleep limits, run input,
//! deep documents) that need a flow, a sandbox and the events of a run.

use std::path::Path;
use std::sync::{Arc, Mutex};

use serde_json::Value;
use yamlflow::{Event, RunOptions, RunOutcome, RunStatus};

/// Runs `yaml` in `sandbox` and returns the outcome with every event delivered to a callback.
fn run(yaml: &str, sandbox: &Path) -> (RunOutcome, Vec<Event>) {
    let flow = yamlflow::load_str(yaml, "<test>").expect("flow loads");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    let mut options = RunOptions::new(sandbox);
    options.callbacks.push(Arc::new(move |event: &Event| {
        sink.lock().unwrap().push(event.clone());
    }));
    let outcome = yamlflow::run(&flow, options).expect("run starts");
    let events = seen.lock().unwrap().clone();
    (outcome, events)
}

#[test]
fn file_handler_lines_are_on_disk_during_the_run() {
    // contract §6: the log is created with its directories at the first event and every line
    // is written before emit returns, so a node reading it sees every event so far.
    let dir = tempfile::tempdir().unwrap();
    let (outcome, events) = run(
        r#"
name: live_log
settings:
  observability:
    handlers: [{type: file, path: "logs/deep/run.jsonl"}]
nodes:
  - name: one
    uses: state.set
    with: {a: 1}
  - name: peek
    uses: file.read
    with: {path: logs/deep/run.jsonl}
    output: log
edges:
  - {from: __start__, to: one}
  - {from: one, to: peek}
  - {from: peek, to: __end__}
"#,
        dir.path(),
    );
    assert_eq!(outcome.status, RunStatus::Completed);
    let log = outcome.state["log"].as_str().unwrap().to_owned();
    let seqs: Vec<Value> = log
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["seq"].clone())
        .collect();
    // flow entry, one's entry and exit, peek's entry: four events before file.read ran.
    assert_eq!(seqs, [0, 1, 2, 3].map(Value::from), "{log}");
    let file = std::fs::read_to_string(dir.path().join("logs/deep/run.jsonl")).unwrap();
    assert_eq!(file.lines().count(), events.len());
}

#[test]
fn file_handler_creates_nothing_without_events() {
    // contract §6: no event, no file (level error and nothing fails).
    let dir = tempfile::tempdir().unwrap();
    let (outcome, events) = run(
        r#"
name: quiet
settings:
  observability:
    level: error
    handlers: [{type: file, path: "logs/quiet.jsonl"}]
nodes:
  - {name: one, uses: state.set, with: {a: 1}}
edges:
  - {from: __start__, to: one}
  - {from: one, to: __end__}
"#,
        dir.path(),
    );
    assert_eq!(outcome.status, RunStatus::Completed);
    assert!(events.is_empty());
    assert!(!dir.path().join("logs").exists());
}

#[test]
fn file_handler_outside_the_sandbox_is_skipped() {
    // contract §6: the handler follows the sandbox rule; the run goes on without it.
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(outside.path(), dir.path().join("out")).unwrap();
    let (outcome, events) = run(
        r#"
name: escaping_log
settings:
  observability:
    handlers:
      - {type: file, path: "../escape.jsonl"}
      - {type: file, path: "out/escape.jsonl"}
      - {type: file, path: "ok.jsonl"}
nodes:
  - {name: one, uses: state.set, with: {a: 1}}
edges:
  - {from: __start__, to: one}
  - {from: one, to: __end__}
"#,
        dir.path(),
    );
    assert_eq!(outcome.status, RunStatus::Completed);
    assert_eq!(events.len(), 4);
    assert!(!dir.path().join("../escape.jsonl").exists());
    assert!(!outside.path().join("escape.jsonl").exists());
    let ok = std::fs::read_to_string(dir.path().join("ok.jsonl")).unwrap();
    assert_eq!(ok.lines().count(), 4);
}

#[test]
fn summary_tokens_saturate() {
    // contract §6: the flow log's token sum stops at i64::MAX instead of overflowing.
    let dir = tempfile::tempdir().unwrap();
    let (outcome, _) = run(
        r#"
name: many_tokens
nodes:
  - {name: a, uses: metric.emit, with: {metrics: {tokens: 9223372036854775807}}}
  - {name: b, uses: metric.emit, with: {metrics: {tokens: 5}}}
edges:
  - {from: __start__, to: a}
  - {from: a, to: b}
  - {from: b, to: __end__}
"#,
        dir.path(),
    );
    assert_eq!(outcome.status, RunStatus::Completed);
    let log = outcome.observability.flow_log();
    assert_eq!(log["summary"]["tokens"], Value::from(i64::MAX));
}

#[test]
fn obs_query_checks_parameters_in_order() {
    // contract §6: node, level (type, then known), event_type.
    let dir = tempfile::tempdir().unwrap();
    for (with, message) in [
        (
            "{node: 1, level: 2, event_type: 3}",
            "obs.query: parameter 'node' must be a string",
        ),
        (
            "{level: 2, event_type: 3}",
            "obs.query: parameter 'level' must be a string",
        ),
        ("{level: x, event_type: 3}", "obs.query: unknown level 'x'"),
        (
            "{level: info, event_type: 3}",
            "obs.query: parameter 'event_type' must be a string",
        ),
    ] {
        let yaml = format!(
            "name: q\nnodes:\n  - {{name: q, uses: obs.query, with: {with}}}\nedges:\n  - {{from: __start__, to: q}}\n  - {{from: q, to: __end__}}\n"
        );
        let (outcome, _) = run(&yaml, dir.path());
        assert_eq!(
            outcome.error,
            Some(("ActionError".to_owned(), message.to_owned())),
            "{with}"
        );
    }
}

#[test]
fn timestamps_follow_seq_and_messages_come_from_one_table() {
    // contract §6: timestamps taken under the emit lock never go backwards in seq
    // order, also across concurrent branches; the lifecycle messages of every span kind.
    let dir = tempfile::tempdir().unwrap();
    let (outcome, events) = run(
        r#"
name: lifecycle
settings:
  observability: {level: debug}
nodes:
  - name: flaky
    steps:
      - {uses: state.set, with: {s: 1}}
      - {uses: fail, with: {times: 1}}
    retry: {max_attempts: 2}
  - {name: a, uses: state.set, with: {a: 1}}
  - {name: b, uses: state.set, with: {b: 1}}
edges:
  - {from: __start__, to: flaky}
  - {from: flaky, to: [a, b]}
  - {from: [a, b], to: __end__}
"#,
        dir.path(),
    );
    assert_eq!(outcome.status, RunStatus::Completed);
    for pair in events.windows(2) {
        assert_eq!(pair[1].seq, pair[0].seq + 1);
        assert!(pair[1].timestamp >= pair[0].timestamp);
    }
    let messages: Vec<&str> = events
        .iter()
        .filter(|e| e.node.as_ref() != "a" && e.node.as_ref() != "b")
        .map(|e| e.message.as_deref().unwrap_or(""))
        .collect();
    assert_eq!(
        messages,
        [
            "flow started",
            "node started",
            "step started",
            "step completed",
            "step started",
            "step failed",
            "attempt 1 failed",
            "step started",
            "step completed",
            "step started",
            "step completed",
            "node completed",
            "parallel started",
            "parallel completed",
            "flow completed",
        ]
    );
}

#[test]
fn callbacks_are_not_cloned_per_event() {
    // contract §6: the handler calls the registered Arc as it is.
    use std::sync::{OnceLock, Weak};
    let dir = tempfile::tempdir().unwrap();
    let flow = yamlflow::load_str(
        "name: f\nnodes:\n  - {name: a, uses: state.set}\nedges:\n  - {from: __start__, to: a}\n  - {from: a, to: __end__}\n",
        "<test>",
    )
    .unwrap();
    type Probe = OnceLock<Weak<dyn Fn(&Event) + Send + Sync>>;
    let me: Arc<Probe> = Arc::new(OnceLock::new());
    let counts = Arc::new(Mutex::new(Vec::new()));
    let (me2, counts2) = (Arc::clone(&me), Arc::clone(&counts));
    let callback: yamlflow::Callback = Arc::new(move |_: &Event| {
        let strong = me2.get().map_or(0, Weak::strong_count);
        counts2.lock().unwrap().push(strong);
    });
    me.set(Arc::downgrade(&callback)).ok();
    let mut options = RunOptions::new(dir.path());
    options.callbacks.push(callback);
    yamlflow::run(&flow, options).unwrap();
    let counts = counts.lock().unwrap();
    assert_eq!(counts.len(), 4);
    assert!(counts.iter().all(|&c| c == 1), "{counts:?}");
}

#[test]
fn console_handlers_write_to_the_run_console_sink() {
    let yaml = "name: talk\nsettings:\n  observability:\n    handlers: [{type: console}]\nnodes:\n  - {name: say, uses: log.emit, with: {message: hi}}\nedges:\n  - {from: __start__, to: say}\n  - {from: say, to: __end__}\n";
    let flow = yamlflow::load_str(yaml, "<test>").expect("flow loads");
    let sandbox = tempfile::tempdir().unwrap();
    let console = Arc::new(Mutex::new(Vec::<u8>::new()));
    let mut options = RunOptions::new(sandbox.path());
    options.console = Some(console.clone());
    let outcome = yamlflow::run(&flow, options).expect("run starts");
    assert_eq!(outcome.status, RunStatus::Completed);
    let text = String::from_utf8(console.lock().unwrap().clone()).unwrap();
    assert_eq!(
        text,
        "[info] talk entry: flow started\n[info] say entry: node started\n[info] say log: hi\n\
         [info] say exit: node completed\n[info] talk exit: flow completed\n"
    );
}
