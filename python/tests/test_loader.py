"""loader/: YAML 1.2 core schema and every load error kind with its line, column and key path
(contract §1.4, brief "Load errors")."""

from __future__ import annotations

import pytest

import yamlflow
from yamlflow import LoadError

BASE = """name: demo
nodes:
  - name: a
    uses: state.set
edges:
  - {from: __start__, to: a}
  - {from: a, to: __end__}
"""


def load_error(text: str) -> LoadError:
    with pytest.raises(LoadError) as e:
        yamlflow.load_str(text)
    return e.value


@pytest.mark.parametrize(
    ("text", "kind", "line", "column", "key", "message"),
    [
        ("name: demo\nnodes: [\n", "YamlSyntax", 3, 1, None, None),
        (
            "name: demo\nextra: 1\n" + BASE.split("\n", 1)[1],
            "UnknownKey",
            2,
            1,
            "extra",
            "unknown key 'extra'",
        ),
        (
            BASE.replace("    uses: state.set\n", "    uses: state.set\n    color: red\n"),
            "UnknownKey",
            5,
            5,
            "nodes[0].color",
            "unknown key 'color'",
        ),
        (
            BASE.replace("    uses: state.set\n", "    uses: state.set\n    uses: fail\n"),
            "DuplicateKey",
            5,
            5,
            "nodes[0].uses",
            "duplicate key 'uses'",
        ),
        (
            BASE.replace("edges:", "  - name: a\n    uses: fail\nedges:"),
            "DuplicateNode",
            5,
            11,
            "nodes[1].name",
            "duplicate node 'a'",
        ),
        (BASE.replace("to: __end__}", "to: b}"), "UnknownNode", 7, 19, "edges[1].to", "unknown node 'b'"),
        (
            BASE.replace("    uses: state.set\n", "    uses: state.set\n    on_error: zz\n"),
            "UnknownNode",
            5,
            15,
            "nodes[0].on_error",
            "unknown node 'zz'",
        ),
        (
            BASE.replace("  - {from: a, to: __end__}\n", ""),
            "MissingEdge",
            3,
            11,
            "nodes[0].name",
            "node 'a' has no unconditional outgoing edge",
        ),
        (
            BASE + "  - {from: a, to: a}\n",
            "MissingEdge",
            8,
            12,
            "edges[2].from",
            "node 'a' has more than one unconditional outgoing edge",
        ),
        (
            BASE.replace("  - {from: a, to: __end__}\n", "  - {from: a, to: [b, c]}\n").replace(
                "edges:", "  - {name: b, uses: fail}\n  - {name: c, uses: fail}\nedges:"
            ),
            "MissingEdge",
            9,
            19,
            "edges[1].to",
            "fan-out to [b, c] has no fan-in edge",
        ),
        (
            BASE.replace("  - {from: a, to: __end__}\n", "  - {from: a, to: a}\n"),
            "NoPath",
            None,
            None,
            None,
            "no path from __start__ to __end__",
        ),
        (
            BASE.replace("name: a", "name: Bad-Name"),
            "InvalidValue",
            3,
            11,
            "nodes[0].name",
            "invalid name 'Bad-Name'",
        ),
        (
            BASE.replace("name: a", "name: __end__"),
            "InvalidValue",
            3,
            11,
            "nodes[0].name",
            "reserved name '__end__'",
        ),
        (BASE.replace("name: demo", "name: 5"), "InvalidValue", 1, 7, "name", "name must be a string"),
        # A name is the whole string: no trailing newline (the Rust twin's valid_name).
        (
            BASE.replace("name: demo", 'name: "demo\\n"'),
            "InvalidValue",
            1,
            7,
            "name",
            "invalid name 'demo\n'",
        ),
        ("description: d\n", "MissingKey", 1, 1, "name", "missing key 'name'"),
        (
            BASE.replace("{from: a, to: __end__}", "{to: __end__}"),
            "MissingKey",
            7,
            5,
            "edges[1].from",
            "missing key 'from'",
        ),
        (
            BASE.replace("    uses: state.set\n", "    uses: state.set\n    retry: {max_attempts: 0}\n"),
            "InvalidValue",
            5,
            27,
            "nodes[0].retry.max_attempts",
            "retry.max_attempts must be at least 1",
        ),
        (
            BASE.replace("    uses: state.set\n", "    uses: state.set\n    steps: [{uses: fail}]\n"),
            "InvalidValue",
            3,
            5,
            "nodes[0]",
            "a node needs exactly one of 'uses' and 'steps'",
        ),
        (
            BASE.replace("    uses: state.set\n", "    steps: [{uses: fail}]\n    output: x\n"),
            "InvalidValue",
            5,
            13,
            "nodes[0].output",
            "a steps node has no 'output'",
        ),
        (
            BASE.replace("nodes:", "state: {x: 99999999999999999999}\nnodes:"),
            "InvalidValue",
            2,
            12,
            "state.x",
            "integer outside 64 bits",
        ),
        (
            BASE.replace("nodes:", "state: {x: .inf}\nnodes:"),
            "InvalidValue",
            2,
            12,
            "state.x",
            "non-finite number",
        ),
        (
            BASE.replace("uses: state.set", "uses: state.set\n    with: {v: [1, .nan]}"),
            "InvalidValue",
            5,
            19,
            "nodes[0].with.v[1]",
            "non-finite number",
        ),
        (
            "name: demo\nsettings:\n  observability:\n    level: loud\n" + BASE.split("\n", 1)[1],
            "InvalidValue",
            4,
            12,
            "settings.observability.level",
            "unknown level 'loud'",
        ),
        (
            BASE.replace("uses: state.set", "uses: state.set\n    retry: {max_attempts: x}"),
            "InvalidValue",
            5,
            27,
            "nodes[0].retry.max_attempts",
            "nodes[0].retry.max_attempts must be an integer",
        ),
        (
            BASE.replace("nodes:", "state: [1]\nnodes:"),
            "InvalidValue",
            2,
            8,
            "state",
            "state must be an object",
        ),
    ],
)
def test_load_errors(text, kind, line, column, key, message) -> None:
    err = load_error(text)
    assert (err.kind, err.line, err.column, err.key) == (kind, line, column, key)
    if message is not None:
        assert err.message == message
    assert str(err).startswith(f"<string>:{line}:{column}: {kind}: " if line else f"<string>: {kind}: ")


def test_check_order_structure_before_graph() -> None:
    # A structure error later in the document wins over a graph error earlier in it.
    text = BASE.replace("to: a}", "to: missing}") + "parity: {expect: completed}\nbogus: 1\n"
    assert load_error(text).kind == "UnknownKey"


def test_yaml_12_core_schema() -> None:
    text = BASE.replace(
        "nodes:",
        "state:\n  words: [yes, no, on, off, y, n]\n  nums: [017, 0o17, 0x1F, +5, -0, 1e3, .5]\n"
        "  strs: [1_000, 0b101, 12:30, 2024-01-02]\n  nulls: [~, null, Null]\n  on: 1\nnodes:",
    )
    state = yamlflow.load_str(text).state
    assert state["words"] == ["yes", "no", "on", "off", "y", "n"]
    assert state["nums"] == [17, 15, 31, 5, 0, 1000.0, 0.5]
    assert [type(x) for x in state["nums"]] == [int] * 5 + [float] * 2
    assert state["strs"] == ["1_000", "0b101", "12:30", "2024-01-02"]
    assert state["nulls"] == [None, None, None]
    assert state["on"] == 1


def test_017_is_17() -> None:
    assert yamlflow.load_str(BASE.replace("nodes:", "state: {x: 017}\nnodes:")).state == {"x": 17}


def test_flow_model() -> None:
    flow = yamlflow.load_str(BASE)
    assert flow.name == "demo" and flow.origin == "<string>"
    assert [n.name for n in flow.nodes] == ["a"]
    assert flow.nodes[0].body.uses == "state.set" and flow.nodes[0].body.with_ == {}
    assert [(e.from_, e.to, e.when) for e in flow.edges] == [("__start__", "a", None), ("a", "__end__", None)]


def test_load_file_io_error(tmp_path) -> None:
    with pytest.raises(LoadError) as e:
        yamlflow.load_file(tmp_path / "nope.yaml")
    assert e.value.kind == "Io"


FAN = """name: demo
nodes:
  - {name: first, uses: state.set}
  - {name: a, uses: state.set}
  - {name: b, uses: state.set}
  - {name: join, uses: state.set}
edges:
  - {from: __start__, to: first}
  - {from: first, to: [a, b]}
  - {from: [a, b], to: join}
  - {from: join, to: __end__}
"""


# contract §6: a fan-out branch is reached only through its fan-out; loader messages.
@pytest.mark.parametrize(
    ("text", "line", "column", "key", "message"),
    [
        (
            FAN + "  - {from: join, to: a, when: '{{ state.again }}'}\n",
            12,
            22,
            "edges[4].to",
            "node 'a' is a fan-out branch and cannot be reached otherwise",
        ),
        (
            FAN.replace("{from: __start__, to: first}", "{from: __start__, to: b}"),
            8,
            27,
            "edges[0].to",
            "node 'b' is a fan-out branch and cannot be reached otherwise",
        ),
        (
            FAN.replace("{name: first, uses: state.set}", "{name: first, uses: fail, on_error: a}"),
            3,
            41,
            "nodes[0].on_error",
            "node 'a' is a fan-out branch and cannot be reached otherwise",
        ),
        (FAN.replace("to: [a, b]}", "to: [a, a]}"), 9, 27, "edges[1].to[1]", "edges[1].to lists 'a' twice"),
        (
            FAN.replace("to: [a, b]}", "to: [a]}"),
            9,
            23,
            "edges[1].to",
            "edges[1].to must list at least two nodes",
        ),
        (
            FAN.replace("from: [a, b]", "from: [a]"),
            10,
            12,
            "edges[2].from",
            "edges[2].from must list at least two nodes",
        ),
        (
            FAN.replace("nodes:", "settings: {observability: {redact: [x, '']}}\nnodes:"),
            2,
            40,
            "settings.observability.redact[1]",
            "settings.observability.redact[1] must not be empty",
        ),
    ],
)
def test_fan_out_and_message_errors(text, line, column, key, message) -> None:
    err = load_error(text)
    assert (err.kind, err.message, err.line, err.column, err.key) == (
        "InvalidValue",
        message,
        line,
        column,
        key,
    )


def test_settings_limits_and_secrets_load() -> None:
    assert (
        load_error(FAN.replace("nodes:", "settings: {limits: {steps: 1}}\nnodes:")).key
        == "settings.limits.steps"
    )
    text = "settings: {limits: {events: 7}, observability: {secrets: [hééé], learn_secrets: true}}\nnodes:"
    flow = yamlflow.load_str(FAN.replace("nodes:", text))
    assert (flow.limits.events, flow.limits.template_iterations, flow.limits.value_depth) == (7, 100_000, 100)
    assert (flow.observability.secrets, flow.observability.learn_secrets) == (["hééé"], True)


def test_sampling_and_tenant_load() -> None:
    # contract §3.8 (the refusals are cases of tests/data/load_rules.json).
    text = "settings: {observability: {sampling: {slow_ms: 20, rate: 0.25}, tenant: acme}}\nnodes:"
    obs = yamlflow.load_str(FAN.replace("nodes:", text)).observability
    assert (obs.sampling, obs.tenant) == (yamlflow.Sampling(0.25, 20), "acme")
    obs = yamlflow.load_str(
        FAN.replace("nodes:", "settings: {observability: {sampling: {rate: 1}}}\nnodes:")
    ).observability
    assert (obs.sampling, obs.tenant) == (yamlflow.Sampling(1, None), None)


def test_branch_reached_otherwise_checked_after_unknown_node_before_missing_edge() -> None:
    reached = FAN + "  - {from: join, to: a, when: '{{ state.again }}'}\n"
    assert load_error(reached + "  - {from: zz, to: __end__}\n").kind == "UnknownNode"
    # `first` loses its only unconditional edge (MissingEdge), but the branch reference is reported first.
    text = reached.replace("  - {from: first, to: [a, b]}\n", "  - {from: first, to: [a, b], when: x}\n")
    assert load_error(text).kind == "InvalidValue"


def test_fan_out_loads() -> None:
    flow = yamlflow.load_str(FAN)
    assert [e.to for e in flow.edges][1] == ["a", "b"]


# Fix 13: YAML nesting deeper than 256 collections (the root is level 1) is YamlSyntax at the first
# too-deep collection; the composer never recurses, so no depth crashes the loader.
@pytest.mark.parametrize("n", [255, 256, 5_000, 200_000])
def test_document_nests_too_deeply(n: int) -> None:
    err = load_error(BASE.replace("nodes:", "state: {x: " + "[" * n + "]" * n + "}\nnodes:"))
    assert (err.kind, err.message, err.line, err.column) == (
        "YamlSyntax",
        "document nests too deeply",
        2,
        266,
    )


def test_deepest_allowed_nesting_loads() -> None:
    flow = yamlflow.load_str(BASE.replace("nodes:", "state: {x: " + "[" * 254 + "]" * 254 + "}\nnodes:"))
    depth, v = 0, flow.state["x"]
    while isinstance(v, list) and v:
        depth, v = depth + 1, v[0]
    assert depth == 253


def test_syntax_error_wins_over_block_depth() -> None:
    # Block nesting: 257 levels are too deep, but a syntax error after the deep part wins (as in Rust).
    block = BASE + "state:\n  a:\n    " + "- " * 255 + "x\n"
    err = load_error(block)
    assert (err.message, err.line, err.column) == ("document nests too deeply", 10, 5 + 2 * 254)
    err = load_error(block + "description: [unclosed\n")
    assert err.kind == "YamlSyntax" and err.message != "document nests too deeply"


def test_flow_depth_stops_the_parse() -> None:
    err = load_error(BASE.replace("nodes:", "state: {x: " + "[" * 1000 + "}\nnodes:"))
    assert (err.message, err.line, err.column) == ("document nests too deeply", 2, 266)


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [("a: 1\n---\nb: 2\n", 2, 1), ("a: *x\n", 1, 4), ("a: &x [*x]\n", 1, 8)],
)
def test_composer_errors(text: str, line: int, column: int) -> None:
    err = load_error(text)
    assert (err.kind, err.line, err.column) == ("YamlSyntax", line, column)


def test_redefined_anchor_names_the_latest() -> None:
    # YAML 1.2 lets an anchor be defined again; an alias names the latest (contract §1.4).
    assert yamlflow.parse_yaml("a: &x 1\nb: &x 2\nc: *x\n") == {"a": 1, "b": 2, "c": 2}


def test_aliases_compose() -> None:
    flow = yamlflow.load_str(BASE.replace("nodes:", "state: {a: &x [1, {k: v}], b: *x}\nnodes:"))
    assert flow.state == {"a": [1, {"k": "v"}], "b": [1, {"k": "v"}]}


def test_recursion_error_is_a_load_error(monkeypatch) -> None:
    from yamlflow.loader import document

    def deep(self, root):
        raise RecursionError

    monkeypatch.setattr(document.Reader, "structure", deep)
    err = load_error(BASE)
    assert (err.kind, err.message) == ("YamlSyntax", "document nests too deeply")
