//! Fuzz targets for the parsers the project has (issue 14, item 7), as proptest properties: the
//! template layer (through a flow run, both native and text templates), the flow loader, the JSONL
//! line reader and the normalizer. Each must return, never panic nor hang, whatever it is fed.
//! `cargo test` runs 256 cases of each; `scripts/fuzz-parsers` runs them for minutes with
//! fresh seeds (`PROPTEST_CASES`, `PROPTEST_RNG_SEED`). Failures are kept by proptest under
//! `harness/proptest-regressions/` and replayed first on every run.

use proptest::prelude::*;
use serde_json::{Value, json};

/// Pieces of Jinja syntax, names and literals a template is assembled from.
const TOKENS: &[&str] = &[
    "{{",
    "}}",
    "{%",
    "%}",
    "{#",
    "#}",
    " ",
    "state",
    ".",
    "x",
    "[",
    "]",
    "(",
    ")",
    "'a'",
    "\"b\"",
    "1",
    "2.5",
    "-3",
    "+",
    "-",
    "*",
    "/",
    "//",
    "%",
    "**",
    "~",
    "|",
    "length",
    "upper",
    "join",
    "tojson",
    "default",
    "for ",
    " in ",
    "range(",
    "if ",
    "else",
    "endif",
    "endfor",
    "set ",
    "=",
    "namespace(",
    "loop.index",
    ",",
    "not ",
    " and ",
    "==",
    "<",
    "none",
    "true",
    "\n",
    "\\",
    "{",
    "}",
    "macro ",
    "endmacro",
    "raw",
    "endraw",
    "attempt",
    "error",
    "99999999",
    "[1,2]",
    "{'k': 1}",
];

fn template() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            4 => prop::sample::select(TOKENS).prop_map(str::to_owned),
            1 => "[^\u{0}]{0,3}",
        ],
        0..24,
    )
    .prop_map(|parts| parts.concat())
}

/// A flow rendering `src` natively (`state.set`) and as text (`text.render`).
fn template_flow(src: &str) -> String {
    let quoted = serde_json::to_string(src).expect("a string");
    format!(
        "name: fuzz\nstate: {{x: [1, 'two', {{k: 3.5}}], n: 7}}\nnodes:\n  - {{name: a, uses: state.set, with: {{v: {quoted}}}, on_error: b}}\n  - {{name: b, uses: text.render, with: {{template: {quoted}}}}}\nedges:\n  - {{from: __start__, to: a}}\n  - {{from: a, to: b}}\n  - {{from: b, to: __end__}}\n"
    )
}

fn event() -> impl Strategy<Value = Value> {
    let id = |pool: &'static [&'static str]| prop::sample::select(pool).prop_map(Value::from);
    (
        id(&["f1", "f2"]),
        id(&["s1", "s2", "s3", "s4"]),
        prop_oneof![Just(Value::Null), id(&["s1", "s2", "s3", "zz"])],
        0u64..8,
        id(&["entry", "exit", "error", "log", "metric", "other"]),
        id(&["flow", "node", "step", "parallel"]),
        id(&["a", "b", "parallel(a,b)"]),
        prop_oneof![
            Just(json!({})),
            Just(json!({"input": {"span_id": "s2"}})),
            any::<f64>().prop_map(|f| json!({"output": f}))
        ],
        prop::option::of(any::<f64>()),
        0u8..16,
    )
        .prop_map(
            |(flow, span, parent, seq, kind_of, kind, node, data, duration, drop)| {
                let mut event = json!({
                    "flow_id": flow, "span_id": span, "parent_id": parent, "seq": seq,
                    "event_type": kind_of, "kind": kind, "node": node, "action": null,
                    "level": "info", "timestamp": 1.0, "message": "m", "data": data,
                    "metrics": duration.map_or_else(|| json!({}), |d| json!({"duration_ms": d})),
                });
                // Now and then a field is missing.
                let fields = [
                    "flow_id",
                    "span_id",
                    "parent_id",
                    "seq",
                    "event_type",
                    "kind",
                    "node",
                ];
                if let Some(field) = fields.get(usize::from(drop)) {
                    event.as_object_mut().expect("object").remove(*field);
                }
                event
            },
        )
}

proptest! {
    #[test]
    fn fuzz_template(src in template()) {
        let flow = template_flow(&src);
        if let Ok(flow) = yamlflow::load_str(&flow, "<fuzz>") {
            let dir = tempfile::tempdir().expect("sandbox");
            let outcome = yamlflow::run(&flow, yamlflow::RunOptions::new(dir.path())).expect("runs");
            if let Some((kind, _)) = outcome.error {
                prop_assert!(["TemplateError", "LimitExceeded"].contains(&kind.as_str()), "{kind}");
            }
        }
    }

    #[test]
    fn fuzz_loader(text in prop_oneof![
        any::<String>(),
        (any::<prop::sample::Index>(), "[\\[\\]{}:,&*!|>'\"#\n -]{1,3}").prop_map(|(at, insert)| {
            let base = include_str!("../../fixtures/linear_three_nodes.yaml");
            let cut = at.index(base.len() + 1);
            let cut = (0..=cut).rev().find(|&i| base.is_char_boundary(i)).unwrap_or(0);
            format!("{}{insert}{}", &base[..cut], &base[cut..])
        }),
    ]) {
        let _ = yamlflow::load_str(&text, "<fuzz>");
    }

    #[test]
    fn fuzz_jsonl_line(bytes in prop::collection::vec(any::<u8>(), 0..64), unterminated in any::<bool>()) {
        let _ = twinflow::jsonl::parse_line(&bytes, 1, unterminated);
        let mut event = br#"{"seq": 1, "data": {"a": [1, 2.5, "x"]}}"#.to_vec();
        event.extend_from_slice(&bytes);
        let _ = twinflow::jsonl::parse_line(&event, 2, unterminated);
    }

    #[test]
    fn fuzz_normalizer(events in prop::collection::vec(event(), 0..10)) {
        if let Ok(normalized) = twinflow::normalize::normalize(&events) {
            prop_assert!(!normalized.to_yaml().is_empty() || events.is_empty());
        }
    }
}
