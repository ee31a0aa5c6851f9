//! Runs every fixture of ../fixtures: each event must validate against ../schema/event.schema.json,
//! the stream must follow contract §3's sequence rules, and the run's status must be the
//! fixture's `parity.expect`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use saphyr::{LoadableYamlNode, Scalar, Yaml};
use serde_json::{Map, Value};
use yamlflow::{Event, EventType, Level, RunOptions, RunStatus};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn to_json(yaml: &Yaml<'_>) -> Value {
    match yaml {
        Yaml::Value(Scalar::Null) => Value::Null,
        Yaml::Value(Scalar::Boolean(b)) => Value::Bool(*b),
        Yaml::Value(Scalar::Integer(i)) => Value::from(*i),
        Yaml::Value(Scalar::FloatingPoint(f)) => Value::from(f.into_inner()),
        Yaml::Value(Scalar::String(s)) => Value::String(s.to_string()),
        Yaml::Sequence(items) => Value::Array(items.iter().map(to_json).collect()),
        Yaml::Mapping(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    (
                        k.as_str().map(str::to_owned).unwrap_or_default(),
                        to_json(v),
                    )
                })
                .collect(),
        ),
        _ => Value::Null,
    }
}

/// `parity.input` and `parity.expect` of a fixture.
fn parity(text: &str) -> (Map<String, Value>, String) {
    let docs = Yaml::load_from_str(text).expect("fixture parses");
    let doc = to_json(&docs[0]);
    let parity = doc.get("parity").cloned().unwrap_or(Value::Null);
    let input = parity
        .get("input")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let expect = parity
        .get("expect")
        .and_then(Value::as_str)
        .unwrap_or("completed")
        .to_owned();
    (input, expect)
}

/// contract §3: seq gap-free from 0; per span one entry first and one final exit/error last;
/// children start after their parent's entry and end before its end. Spans whose entry the level
/// filter dropped are only checked for seq.
fn check_sequence(name: &str, events: &[Event]) {
    for (i, event) in events.iter().enumerate() {
        assert_eq!(event.seq, i as u64, "{name}: seq gap at {i}");
    }
    #[derive(Default)]
    struct SpanSeen {
        entry: Option<u64>,
        end: Option<u64>,
        parent: Option<Arc<str>>,
    }
    let mut spans: BTreeMap<Arc<str>, SpanSeen> = BTreeMap::new();
    for event in events {
        let span = spans.entry(event.span_id.clone()).or_default();
        assert!(
            span.end.is_none(),
            "{name}: event after the end of span {} ({:?})",
            event.node,
            event.event_type
        );
        span.parent = event.parent_id.clone();
        match event.event_type {
            EventType::Entry => {
                assert!(
                    span.entry.is_none(),
                    "{name}: second entry in {}",
                    event.node
                );
                span.entry = Some(event.seq);
            }
            EventType::Exit => span.end = Some(event.seq),
            EventType::Error if event.level == Level::Error => span.end = Some(event.seq),
            _ => {}
        }
    }
    let debug_or_info = events.iter().any(|e| e.event_type == EventType::Entry);
    for (id, span) in &spans {
        let Some(entry) = span.entry else { continue };
        let end = span
            .end
            .unwrap_or_else(|| panic!("{name}: span {id} never ended"));
        assert!(entry < end, "{name}: span {id} ends before it starts");
        if let Some(parent) = span.parent.as_ref().and_then(|p| spans.get(p)) {
            if let (Some(pe), Some(pend)) = (parent.entry, parent.end) {
                assert!(
                    pe < entry && end < pend,
                    "{name}: span {id} outside its parent"
                );
            }
        }
    }
    if debug_or_info {
        let roots = events
            .iter()
            .filter(|e| e.parent_id.is_none() && e.event_type == EventType::Entry)
            .count();
        assert_eq!(roots, 1, "{name}: exactly one root span");
        assert_eq!(
            events[0].event_type,
            EventType::Entry,
            "{name}: the flow entry comes first"
        );
    }
}

#[test]
fn every_fixture_runs_validates_and_ends_as_expected() {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("schema/event.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let mut files: Vec<PathBuf> = std::fs::read_dir(repo().join("fixtures"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    assert!(files.len() >= 80, "fixtures found: {}", files.len());
    for path in files {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        let (input, expect) = parity(&text);
        let flow = yamlflow::load_str(&text, "<string>").unwrap_or_else(|e| panic!("{name}: {e}"));
        let sandbox = tempfile::tempdir().unwrap();
        let events = Arc::new(Mutex::new(Vec::<Event>::new()));
        let sink = Arc::clone(&events);
        let mut options = RunOptions::new(sandbox.path());
        options.input = input;
        // Console handlers write here, not into the test output (the harness checks their lines).
        options.console = Some(Arc::new(Mutex::new(std::io::sink())));
        options.callbacks.push(Arc::new(move |event: &Event| {
            sink.lock().unwrap().push(event.clone())
        }));
        let outcome = yamlflow::run(&flow, options).unwrap_or_else(|e| panic!("{name}: {e}"));
        let events = std::mem::take(&mut *events.lock().unwrap());
        for event in &events {
            let json = serde_json::to_value(event).unwrap();
            let errors: Vec<String> = validator
                .iter_errors(&json)
                .map(|e| e.to_string())
                .collect();
            assert!(
                errors.is_empty(),
                "{name}: event {} invalid: {errors:?}\n{json}",
                event.seq
            );
        }
        check_sequence(&name, &events);
        let status = match outcome.status {
            RunStatus::Completed => "completed",
            RunStatus::Failed => "failed",
        };
        assert_eq!(status, expect, "{name}: status (error {:?})", outcome.error);
        if let Some(last) = events.last().filter(|e| e.parent_id.is_none()) {
            let ended = if last.event_type == EventType::Exit {
                "completed"
            } else {
                "failed"
            };
            assert_eq!(ended, expect, "{name}: the flow span's last event");
        }
    }
}
