"""The YAML layer of both engines on the official YAML test suite (docs/yaml-parser.md).

``data/yaml_suite.json`` holds every single-document case of yaml/yaml-test-suite (MIT; the commit is in the
file), extracted by ``scripts/yaml-suite-extract``, with the Rust engine's outcome of ``yamlflow yaml`` for
each (``engine/tests/yaml_suite.rs`` checks that it still holds). Here the Python engine's ``parse_yaml`` is
compared with it: verdict, value, error kind, message, position and key path, all of them on every case.
Both engines read saphyr-parser's events (the Python twin through ``yamlflow_yaml_events``), so a
difference is one in the layer above the parser, which each engine writes itself (contract §1.4).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import yamlflow
from yamlflow import LoadError

DATA = Path(__file__).parent / "data"
SUITE = json.loads((DATA / "yaml_suite.json").read_text(encoding="utf-8"))
# The rules of contract §1.4 and §6.12 (tags, keys, anchors, limits), pinned for both engines
# (engine/tests/yaml_suite.rs reads the same file).
RULES = json.loads((DATA / "yaml_rules.json").read_text(encoding="utf-8"))
# The same rules at the places of a flow document (contract §6.7), loaded whole.
LOAD_RULES = json.loads((DATA / "load_rules.json").read_text(encoding="utf-8"))

REJECTS = "Python rejects valid YAML with a syntax error"
ACCEPTS = "Python accepts invalid YAML"
POSITION = "another syntax error position"
VALUE = "another value"
KIND = "another error kind"
MESSAGE = "another message or key path"


def outcome(text: str) -> dict:
    """What ``yamlflow yaml`` prints for a document."""
    try:
        return {"value": yamlflow.parse_yaml(text, "<string>")}
    except LoadError as e:
        return {
            "error": {"kind": e.kind, "message": e.message, "line": e.line, "column": e.column, "key": e.key}
        }


def difference(rust: dict, python: dict) -> str | None:
    """The class of a difference between the two engines' outcomes, or None when they agree."""
    if "value" in rust and "value" in python:
        return None if rust == python else VALUE
    if "error" in rust and "error" in python:
        r, p = rust["error"], python["error"]
        if r["kind"] != p["kind"]:
            return KIND
        if (r["line"], r["column"]) != (p["line"], p["column"]):
            return POSITION
        return None if (r["message"], r["key"]) == (p["message"], p["key"]) else MESSAGE
    if "error" in python:
        return REJECTS if python["error"]["kind"] == "YamlSyntax" else "Python rejects"
    return ACCEPTS


def test_the_corpus_is_the_suite() -> None:
    cases = SUITE["cases"]
    assert SUITE["commit"] == "ccfa74e56afb53da960847ff6e6976c0a0825709"
    assert (len(cases), sum(c["fail"] for c in cases)) == (382, 93)


def test_python_agrees_with_rust_on_every_case() -> None:
    # No case may differ (docs/yaml-parser.md: 382 of 382); a difference is shown with its class.
    found = {case["id"]: difference(case["rust"], outcome(case["yaml"])) for case in SUITE["cases"]}
    differing = {i: cls for i, cls in found.items() if cls is not None}
    assert not differing, differing
    assert len(found) == 382


def test_a_difference_is_classified() -> None:
    at = {"kind": "YamlSyntax", "message": "m", "line": 1, "column": 2, "key": None}
    assert difference({"value": 1}, {"value": 1}) is None
    assert difference({"value": 1}, {"value": "1"}) == VALUE
    assert difference({"value": 1}, {"error": at}) == REJECTS
    assert difference({"error": at}, {"value": 1}) == ACCEPTS
    assert difference({"error": at}, {"error": {**at, "column": 3}}) == POSITION
    assert difference({"error": at}, {"error": {**at, "kind": "InvalidValue"}}) == KIND
    assert difference({"error": at}, {"error": {**at, "message": "n"}}) == MESSAGE


def test_rust_rejects_every_invalid_case_and_reads_the_valid_ones_as_the_suite() -> None:
    """The Rust engine is the reference: every invalid case is a YamlSyntax error; a valid case is read
    as the suite's JSON, or refused on purpose (contract §1.4: a tag outside the core schema, a key that
    is not a scalar, a repeated key) but never with a syntax error."""
    refused = Counter()
    for case in SUITE["cases"]:
        rust = case["rust"]
        if case["fail"]:
            assert rust.get("error", {}).get("kind") == "YamlSyntax", case["id"]
        elif "error" in rust:
            assert rust["error"]["kind"] != "YamlSyntax", case["id"]
            refused[rust["error"]["kind"]] += 1
        elif "json" in case and case["id"] not in ("SM9W-01", "UKK6-02"):
            # SM9W-01 (`:`) and UKK6-02 (`!`): the suite's JSON has no form for a null key or `!`.
            assert rust["value"] == case["json"], case["id"]
    assert refused == Counter({"InvalidValue": 28, "DuplicateKey": 1})


def test_every_yaml_rule_holds() -> None:
    for case in RULES["cases"]:
        text = case["yaml"]
        if "repeat" in case:
            text = text.replace("<<REPEAT>>", case["repeat"][0] * case["repeat"][1])
        got, expect = outcome(text), case["expect"]
        if expect == "value":
            assert "value" in got, got
            continue
        assert got == expect, case["yaml"]


def test_every_load_rule_holds() -> None:
    for case in LOAD_RULES["cases"]:
        try:
            flow = yamlflow.load_str(case["yaml"], "<string>")
            got: dict = {"nodes": len(flow.nodes), "edges": len(flow.edges)}
        except LoadError as e:
            got = {
                "error": {
                    "kind": e.kind,
                    "message": e.message,
                    "line": e.line,
                    "column": e.column,
                    "key": e.key,
                }
            }
        assert got == case["expect"], case["yaml"]
