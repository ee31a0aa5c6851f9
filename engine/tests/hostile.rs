//! Hostile input (issue 14, contract §3.1, §6.8): every event emitted for any string or number a
//! run meets, and the command line's unusable inputs as one line and exit 2. The property test
//! is the Rust twin of `python/tests/test_hostile.py` (proptest; `PROPTEST_CASES` sets the count).

use std::sync::{Arc, Mutex};

use assert_cmd::Command;
use proptest::prelude::*;
use serde_json::{Value, json};
use yamlflow::{Event, RunOptions};

const FLOW: &str = r#"
name: hostile
nodes:
  - {name: native, uses: state.set, with: {copy: '{{ state.s }}', n: '{{ state.n }}'}}
  - {name: text, uses: text.render, with: {template: 'x{{ state.s }}{{ state.n }}'}, output: t}
  - {name: log, uses: log.emit, with: {message: '{{ state.s }}', data: {s: '{{ state.s }}'}}}
  - {name: dump, uses: json.stringify, with: {value: '{{ state.s }}'}, output: j}
  - {name: load, uses: json.parse, with: {text: '{{ state.j }}'}, output: back}
edges:
  - {from: __start__, to: native}
  - {from: native, to: text}
  - {from: text, to: log}
  - {from: log, to: dump}
  - {from: dump, to: load}
  - {from: load, to: __end__}
"#;

fn number() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        prop::num::f64::NORMAL.prop_map(|f| json!(f)),
        Just(json!(i64::MAX)),
        Just(json!(i64::MIN)),
        Just(json!(-0.0)),
        Just(json!(5e-324)),
    ]
}

proptest! {
    #[test]
    fn arbitrary_strings_and_numbers_lose_no_event(s in any::<String>(), n in number()) {
        let flow = yamlflow::load_str(FLOW, "<test>").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let seen = Arc::new(Mutex::new(Vec::<Event>::new()));
        let sink = Arc::clone(&seen);
        let mut options = RunOptions::new(dir.path());
        options.input.insert("s".into(), json!(s));
        options.input.insert("n".into(), n);
        options.callbacks.push(Arc::new(move |e: &Event| sink.lock().unwrap().push(e.clone())));
        let outcome = yamlflow::run(&flow, options).unwrap();
        let events = seen.lock().unwrap();
        for (i, event) in events.iter().enumerate() {
            prop_assert_eq!(event.seq, i as u64);
            let line = serde_json::to_string(event).unwrap();
            let back: Value = serde_json::from_str(&line).unwrap();
            prop_assert_eq!(&back["seq"], &json!(i));
        }
        prop_assert_eq!(events[0].message.as_deref(), Some("flow started"));
        // Every Rust string is valid Unicode: the run goes through and the JSON round trip is exact.
        prop_assert!(outcome.error.is_none(), "{:?}", outcome.error);
        prop_assert_eq!(&outcome.state["back"], &json!(s));
    }
}

fn yamlflow() -> Command {
    Command::new(assert_cmd::cargo::cargo_bin!("yamlflow"))
}

fn fixture(name: &str) -> String {
    format!("{}/../fixtures/{name}.yaml", env!("CARGO_MANIFEST_DIR"))
}

/// Exit 2 with exactly `line` on standard error.
fn refused(args: &[&str], line: &str) {
    let out = yamlflow().args(args).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&out.stderr), format!("{line}\n"));
}

#[test]
fn unusable_input_exits_2_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, b"name: t\xff\n").unwrap();
    let bad = bad.to_str().unwrap();
    let flow = fixture("linear_three_nodes");
    refused(
        &["run", bad],
        &format!("{bad}: Io: cannot read flow: not UTF-8 text"),
    );
    refused(
        &["validate", bad],
        &format!("{bad}: Io: cannot read flow: not UTF-8 text"),
    );
    refused(
        &["run", &flow, "--input", "@/dev/zero"],
        "/dev/zero: Io: cannot read input: larger than 67108864 bytes",
    );
    let huge = dir.path().join("huge.json");
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(1_000_000_000)
        .unwrap();
    let huge = huge.to_str().unwrap();
    refused(
        &["run", &flow, "--input", &format!("@{huge}")],
        &format!("{huge}: Io: cannot read input: larger than 67108864 bytes"),
    );
    let not_utf8 = dir.path().join("in.json");
    std::fs::write(&not_utf8, b"{\"a\": \"\xff\"}").unwrap();
    let not_utf8 = not_utf8.to_str().unwrap();
    refused(
        &["run", &flow, "--input", &format!("@{not_utf8}")],
        &format!("{not_utf8}: Io: cannot read input: not UTF-8 text"),
    );
}
