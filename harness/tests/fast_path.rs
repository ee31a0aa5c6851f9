//! The typed fast path of `twinflow validate` (`schema::fast_facts`) against the generic path
//! (`serde_json::Value`, the `jsonschema` validator, `EventFacts::from_value`, the duplicate-key
//! search): on every line where the fast path answers, the generic path must find nothing wrong
//! and the same facts. The lines are every event of every fixture run through the Rust engine,
//! every line of the damaged logs under `tests/data`, and random mutations of the fixture events
//! (a seeded generator: fields removed, replaced by values of every JSON type, unknown or
//! sensitive keys added, keys repeated, characters escaped).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde_json::{Map, Value, json};
use twinflow::jsonl::duplicate_key;
use twinflow::schema::{EventValidator, fast_facts};
use twinflow::structure::EventFacts;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every event of every fixture that loads, run through the Rust engine, as JSON lines.
fn fixture_lines() -> Vec<String> {
    let fixtures = twinflow::fixture::discover(&root().join("fixtures")).unwrap();
    let mut lines = Vec::new();
    for path in fixtures {
        let fixture = twinflow::fixture::Fixture::load(&path).unwrap();
        let Ok(flow) = yamlflow::load_str(&fixture.text, "<string>") else {
            continue;
        };
        let sandbox = tempfile::tempdir().unwrap();
        let sink = Arc::new(Mutex::new(Vec::<String>::new()));
        let events = Arc::clone(&sink);
        let mut options = yamlflow::RunOptions::new(sandbox.path());
        options.input = fixture.parity.input.clone();
        options.console = Some(Arc::new(Mutex::new(Vec::new())));
        options
            .callbacks
            .push(Arc::new(move |event: &yamlflow::Event| {
                let line = serde_json::to_string(event).unwrap();
                events.lock().unwrap().push(line);
            }));
        let _ = yamlflow::run(&flow, options);
        lines.extend(sink.lock().unwrap().drain(..));
    }
    lines
}

/// Both paths on one line: `Ok(accepted)` when they agree, `Err(why)` when the fast path said
/// "valid" and the generic one disagrees.
fn agree(validator: &EventValidator, line: &str) -> Result<bool, String> {
    let Some(fast) = fast_facts(line) else {
        return Ok(false);
    };
    let value: Value =
        serde_json::from_str(line).map_err(|err| format!("fast accepted non-JSON: {err}"))?;
    let violations = validator.validate(&value);
    if !violations.is_empty() {
        return Err(format!("fast accepted a schema violation: {violations:?}"));
    }
    if let Some(dup) = duplicate_key(line, 1) {
        return Err(format!("fast accepted a duplicate key: {dup}"));
    }
    let generic = EventFacts::from_value(&value);
    if !generic.unredacted().is_empty() {
        return Err(format!(
            "fast accepted unredacted values: {:?}",
            generic.unredacted()
        ));
    }
    if fast != generic {
        return Err(format!(
            "facts differ:\n fast    {fast:?}\n generic {generic:?}"
        ));
    }
    Ok(true)
}

#[test]
fn every_fixture_event_takes_the_fast_path_with_the_generic_facts() {
    let validator = EventValidator::bundled();
    let lines = fixture_lines();
    assert!(lines.len() > 1000, "only {} fixture events", lines.len());
    for line in &lines {
        match agree(&validator, line) {
            Ok(true) => {}
            Ok(false) => panic!("a valid engine event misses the fast path: {line}"),
            Err(why) => panic!("{why}\n{line}"),
        }
    }
}

#[test]
fn damaged_logs_get_the_same_verdict() {
    let validator = EventValidator::bundled();
    let mut checked = 0;
    for entry in std::fs::read_dir(root().join("harness/tests/data")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|ext| ext != "jsonl") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        for line in String::from_utf8_lossy(&bytes).lines() {
            if let Err(why) = agree(&validator, line.trim_start_matches('\u{feff}')) {
                panic!("{}: {why}\n{line}", path.display());
            }
            checked += 1;
        }
    }
    assert!(checked > 50, "{checked} lines");
}

/// A small xorshift generator: the mutations are the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).unwrap()
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const FIELDS: [&str; 13] = [
    "flow_id",
    "span_id",
    "parent_id",
    "node",
    "kind",
    "action",
    "level",
    "timestamp",
    "seq",
    "event_type",
    "message",
    "data",
    "metrics",
];

const KEYS: [&str; 16] = [
    "input",
    "output",
    "error",
    "attempt",
    "duration_ms",
    "tokens",
    "cost_usd",
    "token",
    "Api_Key",
    "TO\u{212a}EN",
    "pa\u{17f}\u{17f}word",
    "tokens_used",
    "type",
    "message",
    "x",
    "schema_version",
];

fn values() -> Vec<Value> {
    vec![
        Value::Null,
        json!(true),
        json!(0),
        json!(-1),
        json!(1.5),
        json!(-0.0),
        json!(1e300),
        json!(18_446_744_073_709_551_615_u64),
        json!(3.0),
        json!(""),
        json!("x"),
        json!("[REDACTED]"),
        json!("0b6f3c2e-8f1d-4f3a-9a51-3f0f5d1c2b7a"),
        json!("0B6F3C2E-8F1D-4F3A-9A51-3F0F5D1C2B7A"),
        json!("info"),
        json!("debug"),
        json!("warn"),
        json!("error"),
        json!("flow"),
        json!("node"),
        json!("step"),
        json!("parallel"),
        json!("entry"),
        json!("exit"),
        json!("log"),
        json!("metric"),
        json!("parallel(a,b)"),
        json!("parallel(a,)"),
        json!("n.step[0]"),
        json!("n.step[01]"),
        json!("n.step[]"),
        json!("a.b"),
        json!("a..b"),
        json!("A.b"),
        json!("load_2"),
        json!("2load"),
        json!("a\n"),
        json!([]),
        json!([1, {"token": 1}]),
        json!({}),
        json!({"a": 1}),
        json!({"type": "E", "message": "m"}),
        json!({"type": "", "message": "m"}),
        json!({"type": "E"}),
        json!({"secret": "[REDACTED]"}),
        json!({"secret": "s"}),
    ]
}

/// One random change to an event.
fn mutate(rng: &mut Rng, event: &mut Map<String, Value>, values: &[Value]) {
    let value = rng.pick(values).clone();
    match rng.below(5) {
        0 => {
            event.remove(*rng.pick(&FIELDS));
        }
        1 => {
            event.insert((*rng.pick(&FIELDS)).to_owned(), value);
        }
        2 | 3 => {
            let target = if rng.below(2) == 0 { "data" } else { "metrics" };
            if let Some(Value::Object(object)) = event.get_mut(target) {
                object.insert((*rng.pick(&KEYS)).to_owned(), value);
            }
        }
        _ => {
            if let Some(Value::Object(data)) = event.get_mut("data") {
                let nested = json!({ *rng.pick(&KEYS): value });
                data.insert("input".to_owned(), nested);
            }
        }
    }
}

/// A textual change no `Value` can express: a repeated key, an escaped character.
fn mutate_text(rng: &mut Rng, line: &str) -> String {
    match rng.below(4) {
        0 => {
            let field = rng.pick(&FIELDS);
            line.replacen('{', &format!("{{\"{field}\":null,"), 1)
        }
        1 => line.replacen("\"metrics\":{", "\"metrics\":{\"x\":1,\"x\":2,", 1),
        2 => line.replacen("\"node\":\"", "\"node\":\"\\u0061", 1),
        _ => line.replacen("\"kind\":\"", "\"kind\":\"\\", 1),
    }
}

#[test]
fn random_mutations_get_the_same_verdict() {
    let validator = EventValidator::bundled();
    let events: Vec<Map<String, Value>> = fixture_lines()
        .iter()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let values = values();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut accepted, mut rejected) = (0, 0);
    for _ in 0..20_000 {
        let mut event = rng.pick(&events).clone();
        for _ in 0..=rng.below(3) {
            mutate(&mut rng, &mut event, &values);
        }
        let mut line = serde_json::to_string(&event).unwrap();
        if rng.below(4) == 0 {
            line = mutate_text(&mut rng, &line);
        }
        match agree(&validator, &line) {
            Ok(true) => accepted += 1,
            Ok(false) => rejected += 1,
            Err(why) => panic!("{why}\n{line}"),
        }
    }
    // Both outcomes are exercised.
    assert!(
        accepted > 1000 && rejected > 1000,
        "{accepted} accepted, {rejected} rejected"
    );
}
