"""template.py and pyrepr.py: spelling, division, undefined, single expressions, results
(contract §1.3)."""

from __future__ import annotations

import pytest

from yamlflow.pyrepr import json_text, pyrepr, quote
from yamlflow.template import TemplateError, is_single_expression, render_str, render_text, render_value

CTX = {"state": {"a": {"items": [1, 2], "keys": "k"}, "name": "ada", "n": 3, "big": 1e16, "none": None}}


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1.0, "1.0"),
        (1.5e-05, "1.5e-05"),
        (1e16, "1e+16"),
        (0.1 + 0.2, "0.30000000000000004"),
        (True, "True"),
        (None, "None"),
        (17, "17"),
        (["a", 1, True, None], "['a', 1, True, None]"),
        ({"k": 1.5}, "{'k': 1.5}"),
        ((1, 2), "[1, 2]"),
    ],
)
def test_spell(value, text) -> None:
    assert json_text(value) == text


@pytest.mark.parametrize(
    ("s", "r"),
    [
        ("plain", "'plain'"),
        ("it's", '"it\'s"'),
        ("both '\"", "'both \\'\"'"),
        ("tab\tnl\ncr\r", "'tab\\tnl\\ncr\\r'"),
        ("bell\x07del\x7f", "'bell\\x07del\\x7f'"),
        ("back\\slash", "'back\\\\slash'"),
        ("Zoë ✓", "'Zoë ✓'"),
    ],
)
def test_quote(s, r) -> None:
    assert quote(s) == r


def test_pyrepr_nested() -> None:
    assert pyrepr({"q": "it's", "l": [False, 2.0]}) == "{'q': \"it's\", 'l': [False, 2.0]}"


@pytest.mark.parametrize(
    ("src", "value"),
    [
        ("{{ 7 / 2 }}", 3.5),
        ("{{ 6 / 2 }}", 3.0),
        ("{{ 7 // 2 }}", 3),
        ("{{ -7 // 2 }}", -4),
        ("{{ -7 % 3 }}", 2),
        ("{{ 2 ** 10 }}", 1024),
        ("{{1}}", 1),
        ("{{ state.a.items | length }}", 2),
        ("{{ state.a.keys }}", "k"),
        ("{{ state.none }}", None),
        ("{{ (1, 2) }}", [1, 2]),
        ("{{ [3, 1] | reverse }}", [1, 3]),
        ("{{ 'x' ~ 1 }}", "x1"),
        ("{{ '' ~ 7 }}", "7"),
    ],
)
def test_native_values(src, value) -> None:
    result = render_str(src, CTX)
    assert result == value and type(result) is type(value)


@pytest.mark.parametrize(
    ("src", "text"),
    [
        ("{{ 7 / 2 }} {{ 6 / 2 }}", "3.5 3.0"),
        ("x{{ state.big }}", "x1e+16"),
        ("{{ state.a }}!", "{'items': [1, 2], 'keys': 'k'}!"),
        ("{{ state.none }} {{ true }}", "None True"),
        ("{{ state.none | string }}", "None"),
        ("no markers {", "no markers {"),
        ("{{ 1 }}{{ 2 }}", "12"),
        ("{{ '}}' }}", "}}"),
        ("{{ {'z': 1, 'a': '<&>\\''} | tojson }}", '{"z": 1, "a": "\\u003c\\u0026\\u003e\\u0027"}'),
        ("{{ 'é' | tojson }}", '"é"'),
    ],
)
def test_text(src, text) -> None:
    assert render_str(src, CTX) == text


@pytest.mark.parametrize(
    ("src", "message"),
    [
        ("{{ state.missing }}", "undefined value in template: {{ state.missing }}"),
        ("Hi {{ state.missing }}", "undefined value in template: Hi {{ state.missing }}"),
        ("{{ user }}", "undefined value in template: {{ user }}"),
        ("{{ state.name.upper() }}", "undefined value in template: {{ state.name.upper() }}"),
        ("{{ state.a.values() }}", "undefined value in template: {{ state.a.values() }}"),
        ("{{ state.name.__class__ }}", "undefined value in template: {{ state.name.__class__ }}"),
        ("{{ state.n + }}", "syntax error in template: {{ state.n + }}"),
        ("{{ 1 / 0 }}", "cannot evaluate template: {{ 1 / 0 }}"),
        ("{{ 2 ** 64 }}", "cannot evaluate template: {{ 2 ** 64 }}"),
        ("{{ [2 ** 63] }}", "cannot evaluate template: {{ [2 ** 63] }}"),
        ("{{ 1e308 * 10 }}", "cannot evaluate template: {{ 1e308 * 10 }}"),
        ("{{ 'a' - 1 }}", "cannot evaluate template: {{ 'a' - 1 }}"),
    ],
)
def test_errors(src, message) -> None:
    with pytest.raises(TemplateError) as e:
        render_str(src, CTX)
    assert e.value.message == message
    assert e.value.type == "TemplateError"


def test_int_range_edges() -> None:
    assert render_str("{{ 2 ** 63 - 1 }}", CTX) == 2**63 - 1
    assert render_str("{{ -(2 ** 63) }}", CTX) == -(2**63)


def test_single_expression_detection() -> None:
    assert is_single_expression("{{ x }}")
    assert not is_single_expression(" {{ x }}")
    assert not is_single_expression("{{ '{{' }}")
    assert not is_single_expression("{{ a }}{{ b }}")


def test_render_value_recursive_and_fresh() -> None:
    src = {"k": ["{{ state.n }}", {"deep": "{{ state.a }}"}], "{{ key }}": 1}
    out = render_value(src, CTX)
    assert out == {"k": [3, {"deep": {"items": [1, 2], "keys": "k"}}], "{{ key }}": 1}
    assert out["k"][1]["deep"] is not CTX["state"]["a"]


def test_render_text_spells() -> None:
    assert render_text("{{ state.n }}", CTX) == "3"
    assert render_text("{{ [1.0] }}", CTX) == "[1.0]"


# Fix 1: the environment is Jinja2's immutable sandbox with only minijinja's globals; nothing but JSON
# object keys and the template objects (loop, namespace) has attributes.
@pytest.mark.parametrize(
    "src",
    [
        "{{ lipsum.__globals__ }}",
        "{{ lipsum }}",
        "{{ cycler }}",
        "{{ joiner }}",
        "{{ 'abc'.upper() }}",
        "{{ range(3).index(2) }}",
        "{{ (1).real }}",
        "{{ state.a.items.append(3) }}",
        "{{ state.a.items.__class__ }}",
        "{{ [1, 2] | map(attribute='x') | list }}",
        "x{{ namespace.__init__ }}",
    ],
)
def test_no_host_access(src) -> None:
    with pytest.raises(TemplateError) as e:
        render_str(src, CTX)
    assert e.value.message == f"undefined value in template: {src}"


def test_template_objects_keep_their_attributes() -> None:
    loop = "{% for x in [1, 2] %}{{ loop.index }}{{ loop.cycle('a', 'b') }}{% endfor %}"
    assert render_str(loop, CTX) == "1a2b"
    ns = "{% set ns = namespace(t=0) %}{% for x in [1, 2] %}{% set ns.t = ns.t + x %}{% endfor %}{{ ns.t }}"
    assert render_str(ns, CTX) == "3"
    assert render_str("{{ dict(a=1) }}", CTX) == {"a": 1}
    assert render_str("{{ range(3)[1] }}", CTX) == 1
    assert render_str("{{ state.a['items'] }}", CTX) == [1, 2]


# Fix 4: an object with non-string keys is not a JSON value.
@pytest.mark.parametrize("src", ["{{ {1: 2} }}", "{{ {'a': {none: 1} } }}", "{{ [{true: 1}] }}"])
def test_non_string_keys(src) -> None:
    with pytest.raises(TemplateError) as e:
        render_str(src, CTX)
    assert e.value.message == f"cannot evaluate template: {src}"


# Fix 10: an integer outside 64 bits written into text is an error, as in a native result.
@pytest.mark.parametrize(
    "src",
    [
        "a{{ 9223372036854775807 + 1 }}",
        "a{{ -(2 ** 63) - 1 }}",
        "a{{ [1, 2 ** 64] }}",
        "a{{ {'k': 2 ** 64} }}",
        "{{ (2 ** 64) | string }}",
    ],
)
def test_text_int_outside_i64(src) -> None:
    with pytest.raises(TemplateError) as e:
        render_str(src, CTX)
    assert e.value.message == f"cannot evaluate template: {src}"


def test_text_int_edges_fit() -> None:
    assert render_str("a{{ 2 ** 63 - 1 }}", CTX) == "a9223372036854775807"
    assert render_str("a{{ -(2 ** 63) }}", CTX) == "a-9223372036854775808"
    assert render_str("{{ [3, 1] | reverse | string }}", CTX) == "[1, 3]"


def test_template_budget_is_exact() -> None:
    # contract §6.12: each item a loop takes costs one iteration, nested loops, the `if` clause's skipped
    # items and the items of a recursive `loop(...)` included (the cases of engine/src/template/tests.rs).
    from yamlflow.flow import DEFAULT_LIMITS, Limits

    ctx = {"state": {"tree": [{"kids": [{"kids": []}, {"kids": []}]}], "m": {"a": 1, "b": 2}}}
    cases = [
        ("{% for i in range(3) %}{% for j in range(4) %}.{% endfor %}{% endfor %}", 15, "............"),
        ("{% for c in 'abc' if c != 'b' %}{{ c }}{{ loop.length }}{% endfor %}", 3, "a2c2"),
        ("{% for k in state.m %}{{ k }}{{ loop.revindex }}{% else %}none{% endfor %}", 2, "a2b1"),
        ("{% for x in [] %}{% else %}none{% endfor %}", 0, "none"),
        ("{% for n in state.tree recursive %}({{ loop(n.kids) }}){% endfor %}", 3, "(()())"),
        (
            "{% macro m(n) %}{% for i in range(n) %}{{ i }}{% endfor %}{% endmacro %}{{ m(2) }}{{ m((3)) }}",
            5,
            "01012",
        ),
    ]
    for src, needed, text in cases:
        assert render_str(src, ctx, Limits(template_iterations=needed)) == text, src
        if needed:
            with pytest.raises(TemplateError, match="cannot evaluate template"):
                render_str(src, ctx, Limits(template_iterations=needed - 1))
    assert DEFAULT_LIMITS.template_iterations == 100_000
