//! The Rust engine's YAML layer on the official YAML test suite (docs/yaml-parser.md): every case of
//! `python/tests/data/yaml_suite.json` (yaml/yaml-test-suite, MIT) still gives the outcome recorded
//! there, the one `python/tests/test_yaml_suite.py` compares the Python engine with.

use serde_json::{Value, json};

fn outcome(text: &str) -> Value {
    match yamlflow::parse_yaml(text, "<string>") {
        Ok(value) => json!({ "value": value }),
        Err(err) => json!({ "error": {
            "kind": err.kind.name(), "message": err.message, "line": err.line, "column": err.column,
        }}),
    }
}

#[test]
fn every_suite_case_gives_its_recorded_outcome() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../python/tests/data/yaml_suite.json");
    let suite: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let cases = suite["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 382);
    let changed: Vec<&str> = cases
        .iter()
        .filter(|case| outcome(case["yaml"].as_str().unwrap()) != case["rust"])
        .map(|case| case["id"].as_str().unwrap())
        .collect();
    assert!(changed.is_empty(), "outcomes changed: {changed:?}");
}
