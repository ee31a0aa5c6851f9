//! The Rust engine's YAML layer on the official YAML test suite (docs/yaml-parser.md): every case of
//! `python/tests/data/yaml_suite.json` (yaml/yaml-test-suite, MIT) still gives the outcome recorded
//! there, the one `python/tests/test_yaml_suite.py` compares the Python engine with; and every rule
//! of `yaml_rules.json` (tags, keys, anchors, limits: contract §1.4, §6.12) and `load_rules.json` (the
//! same rules at the places of a flow document, §6.7) holds.

use serde_json::{Value, json};

fn outcome(text: &str) -> Value {
    match yamlflow::parse_yaml(text, "<string>") {
        Ok(value) => json!({ "value": value }),
        Err(err) => json!({ "error": {
            "kind": err.kind.name(), "message": err.message, "line": err.line, "column": err.column,
            "key": err.key,
        }}),
    }
}

fn data(name: &str) -> Value {
    let path = format!("{}/../python/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn every_yaml_rule_holds() {
    let rules = data("yaml_rules.json");
    for case in rules["cases"].as_array().unwrap() {
        let mut text = case["yaml"].as_str().unwrap().to_owned();
        if let Some(repeat) = case.get("repeat") {
            let count = usize::try_from(repeat[1].as_u64().unwrap()).unwrap();
            text = text.replace("<<REPEAT>>", &repeat[0].as_str().unwrap().repeat(count));
        }
        let got = outcome(&text);
        let expect = &case["expect"];
        if expect == "value" {
            assert!(got.get("value").is_some(), "{got}");
            continue;
        }
        assert_eq!(&got, expect, "{}", case["yaml"]);
    }
}

#[test]
fn every_suite_case_gives_its_recorded_outcome() {
    let suite = data("yaml_suite.json");
    let cases = suite["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 382);
    let changed: Vec<&str> = cases
        .iter()
        .filter(|case| outcome(case["yaml"].as_str().unwrap()) != case["rust"])
        .map(|case| case["id"].as_str().unwrap())
        .collect();
    assert!(changed.is_empty(), "outcomes changed: {changed:?}");
}

#[test]
fn every_load_rule_holds() {
    let rules = data("load_rules.json");
    for case in rules["cases"].as_array().unwrap() {
        let got = match yamlflow::load_str(case["yaml"].as_str().unwrap(), "<string>") {
            Ok(flow) => json!({ "nodes": flow.nodes.len(), "edges": flow.edges.len() }),
            Err(err) => json!({ "error": {
                "kind": err.kind.name(), "message": err.message, "line": err.line,
                "column": err.column, "key": err.key,
            }}),
        };
        assert_eq!(got, case["expect"], "{}", case["yaml"]);
    }
}
