//! Proof that the harness catches drift (issue 4 §8): a known-good event log is altered the ways
//! a runtime drifts — a renamed field, a lost exit, sequential spans run in another order, a
//! changed message, a value that escaped redaction — and each alteration must be reported by the
//! check meant to catch it (schema, structure, or the normalized comparison), with a message
//! that names the place.

use serde_json::Value;
use twinflow::check_log::check_log;
use twinflow::finding::Check;
use twinflow::schema::EventValidator;
use twinflow::snapshot::same_body;

/// What the harness reports about one log, through the one chain every check uses.
struct Findings {
    /// `code message` of each schema finding.
    schema: Vec<String>,
    /// `(rule, message)` of each structure finding.
    structure: Vec<(String, String)>,
    normalized: Result<String, String>,
}

fn check(events: &[Value]) -> Findings {
    let checked = check_log(events, None, &EventValidator::bundled());
    let mut schema = Vec::new();
    let mut structure = Vec::new();
    let mut normalize_error = None;
    for finding in checked.findings {
        let pointer = finding.location.pointer.unwrap_or_default();
        match finding.code.check {
            Check::Schema => schema.push(format!(
                "{pointer} {} {}",
                finding.code.rule, finding.message
            )),
            Check::Structure if finding.code.rule == "normalize" => {
                normalize_error = Some(finding.message);
            }
            Check::Structure => structure.push((finding.code.rule.into_owned(), finding.message)),
            _ => panic!("unexpected finding {}", finding.code),
        }
    }
    let normalized = checked
        .normalized
        .map(|normalized| normalized.to_yaml())
        .ok_or_else(|| normalize_error.unwrap_or_default());
    Findings {
        schema,
        structure,
        normalized,
    }
}

/// The reference log: two interleaved runs (steps, a log, a retry, a fan-out, a metric, a
/// redacted value), valid and clean.
fn base() -> Vec<Value> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/valid.jsonl");
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

fn base_normalized() -> String {
    let findings = check(&base());
    assert!(findings.schema.is_empty(), "{:?}", findings.schema);
    assert!(findings.structure.is_empty(), "{:?}", findings.structure);
    findings.normalized.unwrap()
}

/// The index of the event of flow `flow` (the id's 8th character) with this seq.
fn find(events: &[Value], flow: char, seq: u64) -> usize {
    events
        .iter()
        .position(|e| {
            e["flow_id"].as_str().unwrap().chars().nth(7) == Some(flow) && e["seq"] == seq
        })
        .unwrap()
}

#[test]
fn the_reference_log_is_clean_and_stable() {
    // Normalizing twice gives the same text, and reordering the file's lines does not matter.
    let mut shuffled = base();
    shuffled.reverse();
    assert!(same_body(
        &base_normalized(),
        &check(&shuffled).normalized.unwrap()
    ));
}

#[test]
fn a_renamed_field_breaks_the_schema() {
    let mut events = base();
    let index = find(&events, 'a', 3);
    let event = events[index].as_object_mut().unwrap();
    let message = event.remove("message").unwrap();
    event.insert("msg".into(), message);
    let findings = check(&events);
    assert!(
        findings
            .schema
            .iter()
            .any(|f| f.contains("required") && f.contains("message")),
        "{:?}",
        findings.schema
    );
    assert!(
        findings
            .schema
            .iter()
            .any(|f| f.contains("additionalProperties") && f.contains("msg")),
        "{:?}",
        findings.schema
    );
}

#[test]
fn a_missing_exit_is_a_structural_violation() {
    let mut events = base();
    // `charge` (flow b) ends with its exit at seq 3; drop it and renumber the rest so that only
    // the missing exit is wrong.
    let index = find(&events, 'b', 3);
    events.remove(index);
    for event in &mut events {
        if event["flow_id"].as_str().unwrap().chars().nth(7) == Some('b') {
            let seq = event["seq"].as_u64().unwrap();
            if seq > 3 {
                event["seq"] = Value::from(seq - 1);
            }
        }
    }
    let findings = check(&events);
    assert!(findings.schema.is_empty());
    let rules: Vec<&str> = findings
        .structure
        .iter()
        .map(|(rule, _)| rule.as_str())
        .collect();
    assert!(rules.contains(&"missing_exit"), "{rules:?}");
    assert!(
        findings.structure.iter().any(|(_, m)| m.contains("charge")),
        "{:?}",
        findings.structure
    );
}

#[test]
fn sequential_spans_in_another_order_differ_after_normalization() {
    // Flow b runs `charge` (seq 1–3) then `report` (seq 4–6); the drifted runtime runs `report`
    // first. Seq and timestamps are renumbered so that the log is valid on its own: only the
    // comparison can see the drift.
    let events = base();
    let order_b: Vec<u64> = vec![0, 4, 5, 6, 1, 2, 3, 7];
    let mut drifted: Vec<Value> = events
        .iter()
        .filter(|e| e["flow_id"].as_str().unwrap().chars().nth(7) == Some('a'))
        .cloned()
        .collect();
    for (new_seq, old_seq) in order_b.iter().enumerate() {
        let mut event = events[find(&events, 'b', *old_seq)].clone();
        event["seq"] = Value::from(new_seq);
        event["timestamp"] = Value::from(1_700_000_100.0 + new_seq as f64 / 100.0);
        drifted.push(event);
    }
    let findings = check(&drifted);
    assert!(findings.schema.is_empty(), "{:?}", findings.schema);
    assert!(findings.structure.is_empty(), "{:?}", findings.structure);
    let normalized = findings.normalized.unwrap();
    assert!(!same_body(&base_normalized(), &normalized));
    let diff = twinflow::diff::render_diff(&base_normalized(), &normalized, false);
    assert!(diff.contains("charge") && diff.contains("report"), "{diff}");
}

#[test]
fn a_changed_message_differs_after_normalization() {
    let mut events = base();
    let index = find(&events, 'a', 7);
    assert_eq!(events[index]["message"], "node completed");
    events[index]["message"] = Value::from("node finished");
    let findings = check(&events);
    assert!(findings.schema.is_empty() && findings.structure.is_empty());
    let normalized = findings.normalized.unwrap();
    let diff = twinflow::diff::render_diff(&base_normalized(), &normalized, false);
    assert!(
        diff.contains("-") && diff.contains("node completed") && diff.contains("node finished"),
        "{diff}"
    );
}

#[test]
fn a_redaction_miss_is_reported_and_differs() {
    let mut events = base();
    let index = find(&events, 'b', 5);
    assert_eq!(events[index]["data"]["card_number"], "[REDACTED]");
    // A runtime whose redaction list lost a default key.
    events[index]["data"]["api_key"] = Value::from("sk-live-123");
    let findings = check(&events);
    assert!(
        findings
            .structure
            .iter()
            .any(|(rule, m)| rule == "redaction_miss" && m.contains("/data/api_key")),
        "{:?}",
        findings.structure
    );
    assert!(!same_body(
        &base_normalized(),
        &findings.normalized.unwrap()
    ));
}

#[test]
fn a_changed_number_type_is_not_drift_but_a_changed_value_is() {
    // 12.5 written as 12.50 or 1.25e1 is the same number (contract §4 step 4).
    let mut same = base();
    let index = find(&same, 'b', 7);
    same[index]["data"]["output"]["amount"] = serde_json::from_str("1.25e1").unwrap();
    assert!(same_body(
        &base_normalized(),
        &check(&same).normalized.unwrap()
    ));
    let mut changed = base();
    changed[index]["data"]["output"]["amount"] = Value::from(12.75);
    assert!(!same_body(
        &base_normalized(),
        &check(&changed).normalized.unwrap()
    ));
}
