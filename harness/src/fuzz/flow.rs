//! Whole flow documents as text: state, nodes (actions with valid and invalid parameters, steps,
//! retries, `on_error`), edges (conditions, fan-out and fan-in), observability settings and the
//! run's input, in several YAML surface forms (contract §1.1). A generated flow is a fixture: it
//! ends with its `parity` block.

use proptest::prelude::*;

use super::template::{KEYS, template};

/// A YAML scalar that has a JSON value (the run's input must be JSON, contract §5.2).
fn json_scalar() -> impl Strategy<Value = String> {
    prop_oneof![
        (-3i64..20).prop_map(|n| n.to_string()),
        prop::sample::select(
            &[
                "1.5",
                "10.",
                "1e-5",
                "yes",
                "~",
                "'010'",
                "\"é ✓\"",
                "[1, two]"
            ][..]
        )
        .prop_map(str::to_owned),
    ]
}

/// Values in the YAML forms that have split loaders before (some have no JSON value: `.inf`), the
/// YAML 1.2 forms contract §1.1 admits (anchors and aliases, explicit keys, `:x` in flow, tabs,
/// multi-line and block scalars, escapes), the ones §1.4 refuses (tags outside the core schema,
/// non-string, duplicate and empty keys, unknown aliases) and broken ones, for load errors; raw
/// control characters (C0, DEL, and U+001C to U+001F, whitespace to Python alone), a raw NUL, and
/// `\u` escapes of surrogates (a pair and a lone one, both refused). Each is written as the value
/// of a key at two spaces of indentation.
const FORMS: [&str; 58] = [
    "0x1F",
    "017",
    "9223372036854775808",
    ".inf",
    "-.5",
    "+3",
    "no",
    "on",
    "off",
    "null",
    "true",
    "False",
    "'quoted'",
    "plain words",
    "'it''s'",
    "\"\\u00e9\"",
    "\"tab\\tand\\nnewline\"",
    "-0",
    "0o17",
    "1_000",
    "'  padded '",
    "!!str 12",
    "!!int '3'",
    "[1, two, 3.0]",
    "[&a 1, *a, &b {k: v}, *b]",
    "{? k : v, ? [x] : y}",
    "[:x, ?y, -z]",
    "{: empty key}",
    "\"first\n   second\"",
    "'one\n\n   two'",
    "|-\n    block\n     kept\n",
    ">\n    folded\n    text\n\n    para\n",
    "\t1\t# tabs around",
    "\"\\x07bell \\t \\u263A\"",
    "?x",
    "!!null",
    "!!binary aGk=",
    "!local v",
    "!!str [1]",
    "!!int \"42\"",
    "&lonely",
    "*nowhere",
    "{1: a}",
    "{a: 1, a: 2}",
    "{'1': a, 1: b}",
    "[-]",
    "[unclosed, 1",
    "{a: b",
    "\"unterminated",
    "a: b: c",
    "[a]]",
    "\"value\"# glued comment",
    "x\u{7}y\u{1b}",
    "'q\u{1}r\u{7f}'",
    "\"\u{1c}s\u{1f} \\a\\e\\0\\x85\"",
    "a\u{0}b",
    "\"\\udc00\"",
    "\"\\U0001F600\\ud83d\\ude00\"",
];

/// A YAML scalar: one with a JSON value, or one of the forms that have split loaders before.
fn scalar() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => json_scalar(),
        1 => prop::sample::select(&FORMS[..]).prop_map(str::to_owned),
        1 => Just("{k: v, n: 1}".to_owned()),
    ]
}

/// A template or a scalar, as a YAML value.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![2 => template().prop_map(|t| quote(&t)), 1 => scalar()]
}

/// `text` as a YAML double-quoted scalar.
pub(crate) fn quote(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// One action call: `uses` and its rendered `with` mapping (flow style), valid or not.
fn call() -> impl Strategy<Value = (String, String)> {
    let key = || prop::sample::select(&KEYS[..]);
    prop_oneof![
        3 => prop::collection::vec((key(), value()), 1..3).prop_map(|pairs| {
            let with: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}: {v}")).collect();
            ("state.set".to_owned(), format!("{{{}}}", with.join(", ")))
        }),
        2 => template().prop_map(|t| ("text.render".to_owned(), format!("{{template: {}}}", quote(&t)))),
        1 => value().prop_map(|v| ("json.stringify".to_owned(), format!("{{value: {v}}}"))),
        1 => prop::sample::select(&["'{\"a\": [1, 2.50, \"x\"]}'", "'[1e400]'", "'not json'", "'{\"a\":1,\"a\":2}'"][..])
            .prop_map(|t| ("json.parse".to_owned(), format!("{{text: {t}}}"))),
        1 => (key(), value()).prop_map(|(k, v)| ("memory.store".to_owned(), format!("{{key: {k}, value: {v}}}"))),
        1 => key().prop_map(|k| ("memory.get".to_owned(), format!("{{key: {k}, default: 0}}"))),
        1 => (prop::sample::select(&["info", "warn", "debug", "error", "loud"][..]), value())
            .prop_map(|(level, m)| ("log.emit".to_owned(), format!("{{level: {level}, message: {m}, data: {{api_key: s, n: 1}}}}"))),
        1 => value().prop_map(|v| ("metric.emit".to_owned(), format!("{{metrics: {{latency: {v}, tokens: 3}}}}"))),
        1 => (0u8..3).prop_map(|times| ("fail".to_owned(), format!("{{type: Boom, message: \"no {{{{ state.a }}}}\", times: {times}}}"))),
        1 => prop::sample::select(&["out.txt", "deep/x.txt", "../escape.txt", "/abs.txt"][..])
            .prop_map(|p| ("file.write".to_owned(), format!("{{path: \"{p}\", content: \"{{{{ state.a }}}}\"}}"))),
        1 => prop::sample::select(&["out.txt", "missing.txt"][..])
            .prop_map(|p| ("file.read".to_owned(), format!("{{path: {p}}}"))),
        1 => Just(("obs.get_flow_log".to_owned(), "{}".to_owned())),
        1 => prop::sample::select(&["'*'", "'n?'", "'n1*'"][..])
            .prop_map(|g| ("obs.query".to_owned(), format!("{{node: {g}, level: info}}"))),
        1 => Just(("sleep".to_owned(), "{ms: 1}".to_owned())),
        1 => Just(("no.such_action".to_owned(), "{}".to_owned())),
    ]
}

/// One node's body, options and the node it recovers at (an index into the later nodes).
#[derive(Debug, Clone)]
struct NodeSpec {
    steps: Vec<(String, String)>,
    as_steps: bool,
    output: bool,
    retry: Option<u8>,
    on_error: bool,
}

fn node() -> impl Strategy<Value = NodeSpec> {
    (
        prop::collection::vec(call(), 1..3),
        prop::bool::weighted(0.25),
        prop::bool::weighted(0.3),
        prop::option::weighted(0.2, 1u8..4),
        prop::bool::weighted(0.2),
    )
        .prop_map(|(steps, as_steps, output, retry, on_error)| NodeSpec {
            steps,
            as_steps,
            output,
            retry,
            on_error,
        })
}

/// A stage of the flow: one node, or a fan-out of two or three branches.
#[derive(Debug, Clone)]
enum Stage {
    Single(NodeSpec),
    FanOut(Vec<NodeSpec>),
}

fn stage() -> impl Strategy<Value = Stage> {
    prop_oneof![
        4 => node().prop_map(Stage::Single),
        1 => prop::collection::vec(node(), 2..4).prop_map(Stage::FanOut),
    ]
}

/// The observability settings, or none.
fn settings() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => Just(String::new()),
        1 => prop::sample::select(&["debug", "info", "warn", "error"][..])
            .prop_map(|level| format!("settings:\n  observability: {{level: {level}}}\n")),
        1 => Just("settings:\n  observability: {enabled: false}\n".to_owned()),
        1 => Just("settings:\n  observability: {redact: [text, Items], buffer_size: 3}\n".to_owned()),
        // A run sampled out keeps only its error events' spans (contract §3.8); no `slow_ms`,
        // whose outcome would depend on the machine's speed.
        1 => Just("settings:\n  observability: {sampling: {rate: 0}, tenant: fuzz, buffer_size: 4}\n".to_owned()),
    ]
}

/// A generated flow document, ready to be a fixture.
pub fn flow() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(stage(), 1..4),
        prop::collection::vec((prop::sample::select(&KEYS[..]), scalar()), 0..3),
        prop::collection::vec((prop::sample::select(&KEYS[..]), json_scalar()), 0..2),
        settings(),
        prop::option::weighted(0.3, template()),
    )
        .prop_map(|(stages, state, input, settings, when)| {
            render(&stages, &state, &input, &settings, when.as_deref())
        })
}

/// Writes the document: the nodes are named `n1`, `n2`… in stage order.
fn render(
    stages: &[Stage],
    state: &[(&str, String)],
    input: &[(&str, String)],
    settings: &str,
    when: Option<&str>,
) -> String {
    let mut names: Vec<Vec<String>> = Vec::new();
    let mut counter = 0;
    for stage in stages {
        let count = match stage {
            Stage::Single(_) => 1,
            Stage::FanOut(nodes) => nodes.len(),
        };
        names.push(
            (0..count)
                .map(|_| {
                    counter += 1;
                    format!("n{counter}")
                })
                .collect(),
        );
    }
    let mut out = String::from("# Generated by twinflow fuzz.\nname: fuzz\n");
    out.push_str(settings);
    out.push_str(&mapping("state", state));
    out.push_str("nodes:\n");
    for (index, stage) in stages.iter().enumerate() {
        let specs: Vec<&NodeSpec> = match stage {
            Stage::Single(spec) => vec![spec],
            Stage::FanOut(specs) => specs.iter().collect(),
        };
        // `on_error` goes to the next single stage, when there is one (not into a fan-out).
        let recover = match stages.get(index + 1) {
            Some(Stage::Single(_)) => names.get(index + 1).map(|n| n[0].clone()),
            _ => None,
        };
        let single = matches!(stage, Stage::Single(_));
        for (spec, name) in specs.into_iter().zip(&names[index]) {
            out.push_str(&render_node(
                name,
                spec,
                recover.as_deref().filter(|_| single),
            ));
        }
    }
    out.push_str("edges:\n");
    let mut previous = "__start__".to_owned();
    let mut fan_in: Option<Vec<String>> = None;
    for (index, stage) in names.iter().enumerate() {
        let target = if stage.len() == 1 {
            stage[0].clone()
        } else {
            format!("[{}]", stage.join(", "))
        };
        let from = match fan_in.take() {
            Some(branches) => format!("[{}]", branches.join(", ")),
            None => previous.clone(),
        };
        // A condition leaves a single node early (a fan-in edge has no `when`, contract §1.2).
        if let (true, Some(when)) = (index > 0 && !from.starts_with('['), when) {
            out.push_str(&format!(
                "  - {{from: {from}, to: __end__, when: {}}}\n",
                quote(when)
            ));
        }
        out.push_str(&format!("  - {{from: {from}, to: {target}}}\n"));
        if stage.len() > 1 {
            fan_in = Some(stage.clone());
        }
        previous = stage[0].clone();
    }
    let from = match fan_in {
        Some(branches) => format!("[{}]", branches.join(", ")),
        None => previous,
    };
    out.push_str(&format!("  - {{from: {from}, to: __end__}}\n"));
    out.push_str("parity:\n");
    let pairs: Vec<String> = input.iter().map(|(k, v)| format!("{k}: {v}")).collect();
    out.push_str(&format!("  input: {{{}}}\n", pairs.join(", ")));
    out
}

fn mapping(key: &str, pairs: &[(&str, String)]) -> String {
    if pairs.is_empty() {
        return String::new();
    }
    let mut out = format!("{key}:\n");
    let mut seen: Vec<&str> = Vec::new();
    for (k, v) in pairs {
        // A repeated key is a load error both engines report; one per document is enough.
        if !seen.contains(k) {
            seen.push(k);
            out.push_str(&format!("  {k}: {v}\n"));
        }
    }
    out
}

fn render_node(name: &str, spec: &NodeSpec, recover: Option<&str>) -> String {
    let mut out = format!("  - name: {name}\n");
    if spec.as_steps && spec.steps.len() > 1 {
        out.push_str("    steps:\n");
        for (uses, with) in &spec.steps {
            out.push_str(&format!("      - {{uses: {uses}, with: {with}}}\n"));
        }
    } else {
        let (uses, with) = &spec.steps[0];
        out.push_str(&format!("    uses: {uses}\n    with: {with}\n"));
        if spec.output {
            out.push_str("    output: result\n");
        }
    }
    if let Some(attempts) = spec.retry {
        out.push_str(&format!("    retry: {{max_attempts: {attempts}}}\n"));
    }
    if let (true, Some(target)) = (spec.on_error, recover) {
        out.push_str(&format!("    on_error: {target}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

    use super::*;

    /// The YAML forms reach the loaders: of 400 generated documents (a fixed seed), some hold an
    /// anchor and load, and some are refused for a tag outside the core schema, for a key and for
    /// broken syntax.
    #[test]
    fn the_yaml_forms_reach_the_loader_both_ways() {
        let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]);
        let mut runner = TestRunner::new_with_rng(Config::default(), rng);
        let strategy = flow();
        let mut kinds = std::collections::BTreeSet::new();
        let mut anchored_and_loaded = false;
        for _ in 0..400 {
            let text = strategy.new_tree(&mut runner).expect("a flow").current();
            match yamlflow::load_str(&text, "<fuzz>") {
                Ok(_) => anchored_and_loaded |= text.contains("[&a 1, *a"),
                Err(err) => {
                    kinds.insert(err.kind.name());
                }
            }
        }
        assert!(anchored_and_loaded, "no anchored document loaded");
        for kind in ["YamlSyntax", "InvalidValue", "DuplicateKey"] {
            assert!(kinds.contains(kind), "no {kind} among {kinds:?}");
        }
    }
}
