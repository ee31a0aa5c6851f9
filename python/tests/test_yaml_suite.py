"""The YAML layer of both engines on the official YAML test suite (docs/yaml-parser.md).

``data/yaml_suite.json`` holds every single-document case of yaml/yaml-test-suite (MIT; the commit is in the
file), extracted by ``scripts/yaml-suite-extract``, with the Rust engine's outcome of ``yamlflow yaml`` for
each (``engine/tests/yaml_suite.rs`` checks that it still holds). Here the Python engine's ``parse_yaml`` is
compared with it: verdict, value, error kind, position, and message (YamlSyntax messages are the parser's
own, contract §1.4). ``KNOWN`` lists the cases where PyYAML (LibYAML, a YAML 1.1 parser) still differs
from saphyr, by class; the test fails on any other difference, and on a listed case that now agrees
(remove it from the list), so the list only shrinks.
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

# The LibYAML scanner's YAML 1.1 behaviour (tabs as separation, `:` and `?` inside flow collections, empty
# keys, anchors with `:`, unknown directives, comments glued to a token, ...). They go when the Python twin
# reads saphyr's events (docs/yaml-parser.md, "What is left").


def _each(ids: str, cls: str) -> dict[str, str]:
    return dict.fromkeys(ids.split(), cls)


KNOWN = {
    **_each(
        "2LFX 2SXE 4ABK 4MUZ-00 4MUZ-01 4MUZ-02 58MP 5MUD 5T43 6BCT 6CA3 6LVF 6M2F 8XYN 96NN-00 96NN-01 "
        "9SA2 A2M4 BEC7 CFD4 DBG4 DK3J DK95-00 DK95-03 DK95-04 FP8R FRK4 HM87-00 HWV9 K3WX MUS6-05 "
        "MUS6-06 NHX8 NJ66 Q5MG QT73 R4YG S3PD SM9W-01 UKK6-00 VJP3-01 W5VH Y79Y-01 Y79Y-10",
        REJECTS,
    ),
    **_each("9C9N 9JBA CVW2 DK95-01 G5U8 MUS6-00 QB6E S98Z SU5Z X4QW Y79Y-03 YJV2", ACCEPTS),
    **_each(
        "2G84-00 2G84-01 4EJS 55WF 5TRB 6PBE 9MQT-01 BF9H BS4K CQ3W DK95-06 EB22 H7TQ HRE5 JKF3 LHL4 RXY3 "
        "S4GJ U99R VJP3-00 Y79Y-00 Y79Y-04 Y79Y-05 Y79Y-07 Y79Y-09",
        POSITION,
    ),
    **_each("652Z HM87-01 JEF9-02 L24T-01 Y2GN", VALUE),
    **_each("2JQS M2N8-00", KIND),
}


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
        same = (r["message"], r["key"]) == (p["message"], p["key"])
        return None if r["kind"] == "YamlSyntax" or same else "another message or key path"
    if "error" in python:
        return REJECTS if python["error"]["kind"] == "YamlSyntax" else "Python rejects"
    return ACCEPTS


def test_the_corpus_is_the_suite() -> None:
    cases = SUITE["cases"]
    assert SUITE["commit"] == "ccfa74e56afb53da960847ff6e6976c0a0825709"
    assert (len(cases), sum(c["fail"] for c in cases)) == (382, 93)


def test_python_agrees_with_rust_except_the_known_differences() -> None:
    found = {case["id"]: difference(case["rust"], outcome(case["yaml"])) for case in SUITE["cases"]}
    unexpected = {i: cls for i, cls in found.items() if cls != KNOWN.get(i)}
    assert not unexpected, unexpected
    assert Counter(found.values()) == Counter(
        {None: 294, REJECTS: 44, POSITION: 25, ACCEPTS: 12, VALUE: 5, KIND: 2}
    )


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
        if "error" in got and expect.get("error", {}).get("message", "") is None:
            got["error"]["message"] = None
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
