//! Bad flow documents: exact kind, 1-based line and column, key path and message
//! (contract §1.4, brief "Load errors"); and run-time failures that are not load errors.

use yamlflow::{LoadErrorKind, RunOptions, RunStatus};

const GOOD: &str = "\
name: demo
nodes:
  - name: a
    uses: state.set
    with: {x: 1}
edges:
  - {from: __start__, to: a}
  - {from: a, to: __end__}
";

#[track_caller]
fn expect(
    text: &str,
    kind: LoadErrorKind,
    line: Option<usize>,
    column: Option<usize>,
    key: Option<&str>,
    message: &str,
) {
    let err = yamlflow::load_str(text, "bad.yaml").expect_err("must not load");
    assert_eq!(
        (
            err.kind,
            err.line,
            err.column,
            err.key.as_deref(),
            err.message.as_str()
        ),
        (kind, line, column, key, message),
        "{err}"
    );
}

#[test]
fn malformed_yaml() {
    let err = yamlflow::load_str("name: [unclosed\nnodes: x\n", "bad.yaml").unwrap_err();
    assert_eq!(err.kind, LoadErrorKind::YamlSyntax);
    assert!(err.line.is_some() && err.column.is_some());
    assert!(err.to_string().starts_with("bad.yaml:"), "{err}");
}

#[test]
fn unknown_key() {
    expect(
        &GOOD.replace("    with: {x: 1}\n", "    with: {x: 1}\n    retries: 3\n"),
        LoadErrorKind::UnknownKey,
        Some(6),
        Some(5),
        Some("nodes[0].retries"),
        "unknown key 'retries'",
    );
    expect(
        &format!("{GOOD}extra: 1\n"),
        LoadErrorKind::UnknownKey,
        Some(9),
        Some(1),
        Some("extra"),
        "unknown key 'extra'",
    );
}

#[test]
fn duplicate_key() {
    expect(
        &GOOD.replace("with: {x: 1}", "with: {x: 1, x: 2}"),
        LoadErrorKind::DuplicateKey,
        Some(5),
        Some(18),
        Some("nodes[0].with.x"),
        "duplicate key 'x'",
    );
}

#[test]
fn missing_key_and_invalid_values() {
    expect(
        "name: demo\nnodes: []\n",
        LoadErrorKind::InvalidValue,
        Some(2),
        Some(8),
        Some("nodes"),
        "nodes must not be empty",
    );
    expect(
        &GOOD.replace("name: demo\n", ""),
        LoadErrorKind::MissingKey,
        Some(1),
        Some(1),
        Some("name"),
        "missing key 'name'",
    );
    expect(
        &GOOD.replace("name: demo", "name: Demo"),
        LoadErrorKind::InvalidValue,
        Some(1),
        Some(7),
        Some("name"),
        "invalid name 'Demo'",
    );
    expect(
        &GOOD.replace("  - name: a\n", "  - name: __end__\n"),
        LoadErrorKind::InvalidValue,
        Some(3),
        Some(11),
        Some("nodes[0].name"),
        "reserved name '__end__'",
    );
    expect(
        &GOOD.replace(
            "    with: {x: 1}\n",
            "    with: {x: 1}\n    retry: {max_attempts: 0}\n",
        ),
        LoadErrorKind::InvalidValue,
        Some(6),
        Some(27),
        Some("nodes[0].retry.max_attempts"),
        "retry.max_attempts must be at least 1",
    );
    expect(
        &GOOD.replace("    uses: state.set\n", ""),
        LoadErrorKind::InvalidValue,
        Some(3),
        Some(5),
        Some("nodes[0]"),
        "a node needs exactly one of 'uses' and 'steps'",
    );
    expect(
        &format!("{GOOD}settings: {{observability: {{level: loud}}}}\n"),
        LoadErrorKind::InvalidValue,
        Some(9),
        Some(35),
        Some("settings.observability.level"),
        "unknown level 'loud'",
    );
    expect(
        &format!("{GOOD}state: {{n: 99999999999999999999}}\n"),
        LoadErrorKind::InvalidValue,
        Some(9),
        Some(12),
        Some("state.n"),
        "integer outside 64 bits",
    );
    expect(
        &format!("{GOOD}state: {{n: .nan}}\n"),
        LoadErrorKind::InvalidValue,
        Some(9),
        Some(12),
        Some("state.n"),
        "non-finite number",
    );
}

#[test]
fn duplicate_and_unknown_nodes() {
    let dup = GOOD.replace("edges:\n", "  - name: a\n    uses: state.set\nedges:\n");
    expect(
        &dup,
        LoadErrorKind::DuplicateNode,
        Some(6),
        Some(11),
        Some("nodes[1].name"),
        "duplicate node 'a'",
    );
    expect(
        &GOOD.replace("{from: a, to: __end__}", "{from: a, to: b}"),
        LoadErrorKind::UnknownNode,
        Some(8),
        Some(19),
        Some("edges[1].to"),
        "unknown node 'b'",
    );
}

#[test]
fn missing_edge_and_no_path() {
    expect(
        &GOOD.replace("  - {from: a, to: __end__}\n", ""),
        LoadErrorKind::MissingEdge,
        Some(3),
        Some(11),
        Some("nodes[0].name"),
        "node 'a' has no unconditional outgoing edge",
    );
    expect(
        &format!("{GOOD}  - {{from: a, to: a}}\n"),
        LoadErrorKind::MissingEdge,
        Some(9),
        Some(12),
        Some("edges[2].from"),
        "node 'a' has more than one unconditional outgoing edge",
    );
    expect(
        &GOOD.replace("{from: a, to: __end__}", "{from: a, to: a}"),
        LoadErrorKind::NoPath,
        None,
        None,
        None,
        "no path from __start__ to __end__",
    );
    let fan = "name: f\nnodes:\n  - {name: a, uses: state.set}\n  - {name: b, uses: state.set}\nedges:\n  - {from: __start__, to: [a, b]}\n";
    expect(
        fan,
        LoadErrorKind::MissingEdge,
        Some(6),
        Some(27),
        Some("edges[0].to"),
        "fan-out to [a, b] has no fan-in edge",
    );
}

fn run_text(text: &str) -> yamlflow::RunOutcome {
    let flow = yamlflow::load_str(text, "<string>").expect("loads");
    let dir = tempfile::tempdir().unwrap();
    yamlflow::run(&flow, RunOptions::new(dir.path())).unwrap()
}

#[test]
fn undefined_template_variable_fails_at_run_time() {
    let outcome = run_text(&GOOD.replace("with: {x: 1}", "with: {x: \"{{ state.nope }}\"}"));
    assert_eq!(outcome.status, RunStatus::Failed);
    assert_eq!(
        outcome.error,
        Some((
            "TemplateError".into(),
            "undefined value in template: {{ state.nope }}".into()
        ))
    );
}

#[test]
fn path_traversal_is_permission_denied() {
    let text = GOOD.replace(
        "uses: state.set\n    with: {x: 1}",
        "uses: file.read\n    with: {path: ../secret}",
    );
    let outcome = run_text(&text);
    assert_eq!(
        outcome.error,
        Some((
            "PermissionDenied".into(),
            "file.read: path escapes the sandbox: ../secret".into()
        ))
    );
}
