//! A run's events are held as their lines of JSON (`jsonl::LogEvents`), never as values: the
//! chain must find on that text what it finds on the parsed events, for every way a run reaches
//! the suite (in process, through a forked child's pipe, from a Python worker's reply).

use std::path::Path;
use std::sync::Arc;

use serde_json::Value;

use super::engine::{check_side, end_yaml};
use crate::check_log::check_log;
use crate::fixture::Fixture;
use crate::jsonl::LogEvents;
use crate::layout::Layout;
use crate::normalize::normalize_end;
use crate::run::{self, Outcome, Ran, RunConfig};
use crate::schema::EventValidator;

/// Values a compact or re-encoded reading could get wrong: integers at the ends of 64 bits,
/// non-ASCII text (two- and four-byte UTF-8), quotes, a tab and a control character.
const TRICKY: &str = r#"{"big": 9223372036854775807, "neg": -9223372036854775808, "one": 1.0, "s": "café \"q\" 😀 été\t\u0001"}"#;

fn fixture() -> Fixture {
    let text = format!(
        "name: tricky\nnodes:\n  - {{name: copy, uses: state.set, with: {{t: \"{{{{ state.s }}}}\", b: \"{{{{ state.big }}}}\"}}}}\n  - name: say\n    uses: log.emit\n    with: {{level: info, message: \"{{{{ state.s }}}}\", data: {{big: \"{{{{ state.big }}}}\", neg: \"{{{{ state.neg }}}}\", s: \"{{{{ state.s }}}}\"}}}}\nedges: [{{from: __start__, to: copy}}, {{from: copy, to: say}}, {{from: say, to: __end__}}]\nparity:\n  input: {TRICKY}\n"
    );
    Fixture::from_text(Path::new("tricky.yaml"), text).expect("fixture")
}

/// The findings (as text) and normalized body of `events` through the chain.
fn chain<S: crate::normalize::EventSource + ?Sized>(
    events: &S,
    validator: &EventValidator,
) -> (Vec<String>, Option<String>) {
    let checked = check_log(events, None, validator);
    let findings = checked.findings.iter().map(|f| format!("{f:?}")).collect();
    (findings, checked.normalized.map(|n| n.to_yaml()))
}

/// Checks `ran` held as text against the same events parsed; returns its normalized body.
fn same_as_values(ran: &Ran, validator: &EventValidator) -> String {
    let values = ran.events.values();
    assert_eq!(values.len(), ran.events.len());
    assert_eq!(LogEvents::from_values(&values).values(), values);
    let (text_findings, text_body) = chain(&ran.events, validator);
    let (value_findings, value_body) = chain(&values[..], validator);
    assert_eq!(text_findings, value_findings);
    assert_eq!(text_body, value_body);
    let flow_id = ran.flow_id.as_deref();
    assert_eq!(
        normalize_end(&ran.events, flow_id, &ran.state).map(|c| c.to_yaml()),
        normalize_end(&values[..], flow_id, &ran.state).map(|c| c.to_yaml()),
    );
    text_body.expect("the run normalizes")
}

#[test]
fn runs_held_as_text_check_like_their_values_in_every_way_they_arrive() {
    let layout = Layout::at(&Path::new(env!("CARGO_MANIFEST_DIR")).join("..")).expect("checkout");
    let validator = EventValidator::bundled();
    let fixture = fixture();
    let mut bodies = Vec::new();
    for isolate in [false, true] {
        let config = RunConfig {
            layout: layout.clone(),
            timeout: run::DEFAULT_TIMEOUT,
            isolate,
        };
        let mut rust_body: Option<Arc<String>> = None;
        for result in run::run_both(&fixture, &config) {
            let Outcome::Events(ran) = &result.outcome else {
                panic!(
                    "{} (isolate {isolate}): {:?}",
                    result.engine, result.outcome
                )
            };
            let body = same_as_values(ran, &validator);
            for expected in [
                "big: 9223372036854775807",
                "neg: -9223372036854775808",
                "message: \"café \\\"q\\\" 😀 été\\t\\u0001\"",
            ] {
                assert!(body.contains(expected), "{expected:?} not in:\n{body}");
            }
            assert!(
                end_yaml(ran).contains("b: 9223372036854775807"),
                "{}",
                end_yaml(ran)
            );
            let against = super::engine::Against {
                validator: &validator,
                snapshot: None,
            };
            let (report, findings) = check_side(&fixture, &result, &against, rust_body.as_ref());
            assert_eq!(
                findings,
                Vec::new(),
                "{} (isolate {isolate})",
                result.engine
            );
            assert_eq!(report.events, ran.events.len());
            let rendered = report.rendered.expect("rendered");
            assert_eq!(*rendered, body);
            match &rust_body {
                // The same body is held once, shared with the Rust side's.
                Some(rust) => assert!(Arc::ptr_eq(rust, &rendered)),
                None => rust_body = Some(rendered),
            }
            // A different body is never shared.
            let other = Arc::new(format!("{body}more\n"));
            let (report, _) = check_side(&fixture, &result, &against, Some(&other));
            let rendered = report.rendered.expect("rendered");
            assert!(!Arc::ptr_eq(&other, &rendered) && *rendered == body);
            bodies.push(body);
        }
    }
    // Parity: the same body from both engines, in process and isolated.
    assert!(
        bodies.windows(2).all(|pair| pair[0] == pair[1]),
        "{bodies:#?}"
    );
}

#[test]
fn lines_that_break_the_rules_are_found_alike_on_text_and_values() {
    let validator = EventValidator::bundled();
    let flow = "0000000a-0000-4000-8000-000000000000";
    let root = "0000000a-0000-4000-8000-000000000001";
    let line = |seq: u64, event_type: &str, level: &str, data: &str| {
        format!(
            r#"{{"flow_id":"{flow}","span_id":"{root}","parent_id":null,"node":"démo","kind":"flow","action":null,"level":"{level}","timestamp":1.5,"seq":{seq},"event_type":"{event_type}","message":"\u00e9t\u00e9 😀","data":{data},"metrics":{{}}}}"#
        )
    };
    let text = [
        line(
            0,
            "entry",
            "info",
            r#"{"input":{"max":18446744073709551615,"min":-9223372036854775808}}"#,
        ),
        // A level the schema refuses, and a seq gap.
        line(2, "log", "loud", r#"{"x":1e300}"#),
        line(3, "exit", "info", r#"{"output":{}}"#),
    ]
    .join("\n");
    let events = crate::run::parse_jsonl(text).expect("JSON lines");
    let values = events.values();
    let (text_findings, text_body) = chain(&events, &validator);
    let (value_findings, value_body) = chain(&values[..], &validator);
    assert!(text_findings.len() >= 2, "{text_findings:#?}");
    assert_eq!(text_findings, value_findings);
    assert_eq!(text_body, value_body);
    let body = text_body.expect("normalizes");
    assert!(body.contains("max: 18446744073709551615"), "{body}");
    assert_eq!(values[0]["data"]["input"]["max"], Value::from(u64::MAX));
}
