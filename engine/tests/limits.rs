//! The run limits of contract §6.12 that no fixture can show (a fixture's snapshot would hold
//! 100,000 events): the event limit fails the run cleanly, every span closed.

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
    // The limit, then the node's and the flow's closing events.
    assert_eq!(events.len(), 100_002);
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
