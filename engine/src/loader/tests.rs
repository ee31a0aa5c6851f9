//! The loader's tests: load errors with their kinds, messages, positions and key paths (contract §1.4, §6).

use super::*;

fn err(text: &str) -> LoadError {
    load_str(text, "t.yaml").unwrap_err()
}

/// `text` does not load: this kind and message, at this line, column and key path.
#[track_caller]
fn assert_located(
    text: &str,
    expected: (
        LoadErrorKind,
        &str,
        Option<usize>,
        Option<usize>,
        Option<&str>,
    ),
) {
    let e = err(text);
    assert_eq!(
        (
            e.kind,
            e.message.as_str(),
            e.line,
            e.column,
            e.key.as_deref()
        ),
        expected
    );
}

/// `text` does not load, with this message at this key path.
#[track_caller]
fn assert_refused(text: &str, message: &str, key: &str) {
    let e = err(text);
    assert_eq!((e.message.as_str(), e.key.as_deref()), (message, Some(key)));
}

const OK: &str = "name: f\nnodes:\n  - name: a\n    uses: state.set\nedges:\n  - {from: __start__, to: a}\n  - {from: a, to: __end__}\n";

const FAN: &str = "name: f\nnodes:\n  - {name: a, uses: state.set}\n  - {name: b, uses: state.set}\n  - {name: c, uses: state.set}\nedges:\n  - {from: __start__, to: c}\n  - {from: c, to: [a, b]}\n  - {from: [a, b], to: __end__}\n";

#[test]
fn branches_cannot_be_reached_otherwise() {
    // contract §6: the offending reference, in document order, after UnknownNode.
    let e = err(&FAN.replace("to: c}", "to: a}"));
    assert_eq!(
        (
            e.kind,
            e.message.as_str(),
            e.key.as_deref(),
            e.line,
            e.column
        ),
        (
            LoadErrorKind::InvalidValue,
            "node 'a' is a fan-out branch and cannot be reached otherwise",
            Some("edges[0].to"),
            Some(7),
            Some(27)
        )
    );
    assert_refused(
        &FAN.replace(
            "{name: c, uses: state.set}",
            "{name: c, uses: state.set, on_error: b}",
        ),
        "node 'b' is a fan-out branch and cannot be reached otherwise",
        "nodes[2].on_error",
    );
    // UnknownNode comes first.
    let e = err(&FAN
        .replace("to: c}", "to: a}")
        .replace("to: __end__}", "to: zz}"));
    assert_eq!(e.kind, LoadErrorKind::UnknownNode);
    assert!(load_str(FAN, "t.yaml").is_ok());
}

#[test]
fn fan_out_list_messages() {
    // contract §6.
    let e = err(&FAN.replace("to: [a, b]", "to: [a, a]"));
    assert_eq!(
        (e.message.as_str(), e.key.as_deref()),
        ("edges[1].to lists 'a' twice", Some("edges[1].to[1]"))
    );
    assert_refused(
        &FAN.replace("to: [a, b]", "to: [a]"),
        "edges[1].to must list at least two nodes",
        "edges[1].to",
    );
    assert_refused(
        &FAN.replace(
            "name: f\n",
            "name: f\nsettings: {observability: {redact: [x, '']}}\n",
        ),
        "settings.observability.redact[1] must not be empty",
        "settings.observability.redact[1]",
    );
}

#[test]
fn settings_limits_and_secrets_load() {
    // contract §1.1, §3.4, §6.12 (the refusals are cases of python/tests/data/load_rules.json).
    let text = FAN.replace(
        "name: f\n",
        "name: f\nsettings: {limits: {events: 7}, observability: {secrets: [hééé], learn_secrets: true}}\n",
    );
    let flow = load_str(&text, "t.yaml").unwrap();
    assert_eq!(
        (flow.limits.events, flow.limits.template_iterations),
        (7, 100_000)
    );
    assert_eq!(flow.observability.secrets, ["hééé".to_owned()]);
    assert!(flow.observability.learn_secrets);
}

#[test]
fn sampling_and_tenant_load() {
    // contract §3.8 (the refusals are cases of python/tests/data/load_rules.json).
    let text = FAN.replace(
        "name: f\n",
        "name: f\nsettings: {observability: {sampling: {slow_ms: 20, rate: 0.25}, tenant: acme}}\n",
    );
    let settings = load_str(&text, "t.yaml").unwrap().observability;
    let sampling = crate::flow::Sampling {
        rate: 0.25,
        slow_ms: Some(20.0),
    };
    assert_eq!(settings.sampling, Some(sampling));
    assert_eq!(settings.tenant.as_deref(), Some("acme"));
    let text = FAN.replace(
        "name: f\n",
        "name: f\nsettings: {observability: {sampling: {rate: 1}}}\n",
    );
    let settings = load_str(&text, "t.yaml").unwrap().observability;
    assert_eq!(
        settings.sampling.map(|s| (s.rate, s.slow_ms)),
        Some((1.0, None))
    );
    assert_eq!(settings.tenant, None);
}

#[test]
fn nesting_limit() {
    // contract §6: 256 levels load (here as a state value), 257 are a YamlSyntax error at
    // the 257th collection; a deep document does not overflow the stack.
    let deep = |levels: usize| {
        // state {a: [[...]]}: the root map, state's map, then levels - 2 lists.
        let lists = levels - 2;
        format!(
            "{}state: {{a: {}{}}}\n",
            OK,
            "[".repeat(lists),
            "]".repeat(lists)
        )
    };
    assert!(load_str(&deep(256), "t.yaml").is_ok());
    let e = err(&deep(257));
    assert_eq!(
        (e.kind, e.message.as_str(), e.line, e.column),
        (
            LoadErrorKind::YamlSyntax,
            "document nests too deeply",
            Some(8),
            Some(12 + 254)
        )
    );
    let e = err(&deep(100_000));
    assert_eq!(e.message, "document nests too deeply");
    // Block nesting (no flow limit in saphyr): 257 levels are too deep, but a syntax error
    // after the deep part wins, as in the Python twin.
    let block = format!("{OK}state:\n  a:\n    {}x\n", "- ".repeat(255));
    let e = err(&block);
    assert_eq!(
        (e.message.as_str(), e.line, e.column),
        ("document nests too deeply", Some(10), Some(5 + 2 * 254))
    );
    let e = err(&format!("{block}description: [unclosed\n"));
    assert_eq!(e.kind, LoadErrorKind::YamlSyntax);
    assert_ne!(e.message, "document nests too deeply");
}

#[test]
fn run_input() {
    // contract §6.
    let message = |text: &str| parse_input(text, "<input>").map_err(|e| (e.kind, e.message));
    assert_eq!(message("  ").unwrap(), Map::new());
    assert_eq!(
        Value::Object(
            message(r#"{"a": [1, -9223372036854775808, 1e300], "s": "99999999999999999999"}"#)
                .unwrap()
        ),
        serde_json::json!({"a": [1, i64::MIN, 1e300], "s": "99999999999999999999"})
    );
    for bad in [
        r#"{"a": 9223372036854775808}"#,
        r#"{"a": [-9223372036854775809]}"#,
        r#"{"a": 123456789012345678901234567890}"#,
    ] {
        let (kind, text) = message(bad).unwrap_err();
        assert_eq!(kind, LoadErrorKind::Io);
        assert!(
            text.starts_with("input is not valid JSON: integer outside 64 bits"),
            "{text}"
        );
    }
    for bad in [
        r#"{"a": NaN}"#,
        r#"{"a": Infinity}"#,
        r#"{"a": -Infinity}"#,
        "{x",
    ] {
        let (kind, text) = message(bad).unwrap_err();
        assert_eq!(kind, LoadErrorKind::Io);
        assert!(text.starts_with("input is not valid JSON: "), "{text}");
    }
    assert_eq!(message("[1]").unwrap_err().1, "input must be a JSON object");
}

#[test]
fn loads_a_minimal_flow() {
    let flow = load_str(OK, "t.yaml").unwrap();
    assert_eq!(flow.name, "f");
    assert_eq!(flow.nodes.len(), 1);
    assert_eq!(flow.edges.len(), 2);
}

#[test]
fn yaml_numbers_follow_the_core_schema() {
    let text = format!("{OK}state: {{a: 017, b: 0o17, c: 0x1F, d: 1e3, e: yes, f: 1_000}}\n");
    let flow = load_str(&text, "t").unwrap();
    assert_eq!(
        Value::Object(flow.state),
        serde_json::json!({"a": 17, "b": 15, "c": 31, "d": 1000.0, "e": "yes", "f": "1_000"})
    );
}

#[test]
fn big_ints_and_non_finite_floats_are_invalid() {
    assert_located(
        &format!("{OK}state:\n  big: 123456789012345678901234567890\n"),
        (
            LoadErrorKind::InvalidValue,
            "integer outside 64 bits",
            Some(9),
            Some(8),
            Some("state.big"),
        ),
    );
    let e = err(&format!("{OK}state:\n  x: [.inf]\n"));
    assert_eq!(
        (e.message.as_str(), e.key.as_deref()),
        ("non-finite number", Some("state.x[0]"))
    );
}

#[test]
fn duplicate_and_unknown_keys() {
    assert_located(
        "name: f\nname: g\n",
        (
            LoadErrorKind::DuplicateKey,
            "duplicate key 'name'",
            Some(2),
            Some(1),
            Some("name"),
        ),
    );
    assert_located(
        &OK.replace(
            "    uses: state.set\n",
            "    uses: state.set\n    bogus: 1\n",
        ),
        (
            LoadErrorKind::UnknownKey,
            "unknown key 'bogus'",
            Some(5),
            Some(5),
            Some("nodes[0].bogus"),
        ),
    );
}

#[test]
fn graph_errors() {
    let e = err(&OK.replace("to: __end__", "to: b"));
    assert_eq!(
        (e.kind, e.message.as_str(), e.key.as_deref()),
        (
            LoadErrorKind::UnknownNode,
            "unknown node 'b'",
            Some("edges[1].to")
        )
    );
    let e = err(&OK.replace("  - {from: a, to: __end__}\n", ""));
    assert_eq!(
        (e.kind, e.message.as_str()),
        (
            LoadErrorKind::MissingEdge,
            "node 'a' has no unconditional outgoing edge"
        )
    );
    let e = err(&OK.replace("to: __end__}", "to: a}"));
    assert_eq!(
        (e.kind, e.message.as_str()),
        (LoadErrorKind::NoPath, "no path from __start__ to __end__")
    );
    assert_eq!(
        e.to_string(),
        "t.yaml: NoPath: no path from __start__ to __end__"
    );
}
