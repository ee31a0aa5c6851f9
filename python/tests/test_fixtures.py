"""Every fixture runs; every event validates against event.schema.json; contract §3 sequence rules hold;
parity.expect matches; the final state is what each fixture's comment says."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import yamlflow
from yamlflow.event import Level

from .conftest import FIXTURES

FIXTURE_FILES = sorted(p.name for p in FIXTURES.glob("*.yaml"))

_ENTRY_LEVEL = {"flow": Level.INFO, "node": Level.INFO, "parallel": Level.INFO, "step": Level.DEBUG}
_LEVELS = {"debug": Level.DEBUG, "info": Level.INFO, "warn": Level.WARN, "error": Level.ERROR}


def _run(name: str, tmp_path: Path) -> tuple[Any, list[dict[str, Any]], dict[str, Any], yamlflow.Flow]:
    text = (FIXTURES / name).read_text(encoding="utf-8")
    parity = (yamlflow.parse_yaml(text) or {}).get("parity") or {}
    flow = yamlflow.load_str(text)
    events: list[dict[str, Any]] = []
    outcome = yamlflow.run(
        flow,
        yamlflow.RunOptions(input=parity.get("input") or {}, sandbox=tmp_path, callbacks=[events.append]),
    )
    return outcome, events, parity, flow


def check_sequence(events: list[dict[str, Any]], min_level: Level) -> None:
    """contract §3: seq gap-free from 0; one root; per span one entry first and one final exit/error last;
    children inside their parents' interval. Entries hidden by the level filter are not required."""
    assert [e["seq"] for e in events] == list(range(len(events)))
    if not events:
        return
    assert len({e["flow_id"] for e in events}) == 1
    by_span: dict[str, list[dict[str, Any]]] = {}
    for e in events:
        by_span.setdefault(e["span_id"], []).append(e)
    roots = [s for s, evs in by_span.items() if evs[0]["parent_id"] is None]
    assert len(roots) <= 1
    if min_level <= Level.INFO:
        assert events[0]["kind"] == "flow" and events[0]["event_type"] == "entry"
        assert len(roots) == 1
    interval: dict[str, tuple[int, int]] = {}
    for span_id, evs in by_span.items():
        kind = evs[0]["kind"]
        entries = [e for e in evs if e["event_type"] == "entry"]
        finals = [
            e
            for e in evs
            if e["event_type"] == "exit" or (e["event_type"] == "error" and e["level"] == "error")
        ]
        assert len(entries) <= 1 and len(finals) <= 1, span_id
        if _ENTRY_LEVEL[kind] >= min_level:
            assert entries and evs[0] is entries[0], f"{evs[0]['node']}: entry is not first"
            assert finals and evs[-1] is finals[0], f"{evs[0]['node']}: no final event last"
        elif finals:
            assert evs[-1] is finals[0]
        for e in evs:
            assert e["kind"] == kind and e["node"] == evs[0]["node"] and e["parent_id"] == evs[0]["parent_id"]
        interval[span_id] = (evs[0]["seq"], evs[-1]["seq"])
    for span_id, evs in by_span.items():
        parent = evs[0]["parent_id"]
        if (
            parent is not None
            and parent in interval
            and any(e["event_type"] == "entry" for e in by_span[parent])
        ):
            lo, hi = interval[parent]
            assert lo < interval[span_id][0] and interval[span_id][1] < hi, evs[0]["node"]


@pytest.mark.parametrize("name", FIXTURE_FILES)
def test_fixture(name: str, tmp_path: Path, event_validator) -> None:
    outcome, events, parity, flow = _run(name, tmp_path)
    assert outcome.status == parity.get("expect", "completed"), outcome.error
    for e in events:
        event_validator.validate(e)
        # `tenant` is last and only in a run with a tenant (contract §3.8).
        assert list(e) == list(yamlflow.event.FIELDS) + (["tenant"] if "tenant" in e else [])
        json.dumps(e, allow_nan=False)
    settings = flow.observability
    check_sequence(events, settings.level)
    if not settings.enabled:
        assert events == []
    if events and settings.level <= Level.INFO:
        last = events[-1]
        assert last["kind"] == "flow"
        if outcome.status == "completed":
            assert last["event_type"] == "exit" and last["message"] == "flow completed"
        else:
            assert last["event_type"] == "error" and last["data"]["error"] == {
                "type": outcome.error[0],
                "message": outcome.error[1],
            }
    expected = EXPECTED_STATE.get(name[:-5])
    if expected is not None:
        for key, value in expected.items():
            assert outcome.state.get(key) == value, key


@pytest.mark.parametrize("name", FIXTURE_FILES)
def test_run_text_matches_schema(name: str, tmp_path: Path, event_validator) -> None:
    text = (FIXTURES / name).read_text(encoding="utf-8")
    parity = (yamlflow.parse_yaml(text) or {}).get("parity") or {}
    out, status, state, _console, _flow_id, _error = yamlflow.run_text(
        text, json.dumps(parity.get("input") or {}), str(tmp_path)
    )
    assert status == parity.get("expect", status)
    assert isinstance(json.loads(state), dict)
    assert out == "" or out.endswith("\n")
    # JSON Lines end at "\n" only: str.splitlines would also split at U+0085, U+2028 or U+001C, which JSON
    # writes raw inside a string (fixtures/yaml_control_characters.yaml).
    for line in out.split("\n")[:-1]:
        event_validator.validate(json.loads(line))


# Final states quoted from the fixtures' comments (subset of keys).
EXPECTED_STATE: dict[str, dict[str, Any]] = {
    "err_template_no_host_access": {
        "globals": "undefined value in template: {{ lipsum.__globals__ }}",
        "string": "undefined value in template: {{ 'abc'.upper() }}",
        "range": "undefined value in template: {{ range(3).index(2) }}",
    },
    "action_file_write_read": {"written": {"path": "out/deep/note.txt", "bytes": 11}, "text": "héllo ✓\n"},
    "action_json_parse_stringify": {
        "text": '{"a":[1,2.5,{"m":null,"n":true}],"name":"Zoë","z":1}',
        "merged_key": "yes",
    },
    "action_log_emit_levels": {"logged": 5},
    "action_memory_store_get": {"missing": "fallback", "missing_null": None, "again": 2},
    "action_metric_emit": {"log_summary": {"tok_sum": 1500, "cost_usd": 0.0125}},
    "action_obs_export": {"exported": {"path": "exports/run.jsonl", "events": 4}, "lines": 4, "raw": None},
    "action_obs_get_flow_log": {
        "counts": {
            "events": 7,
            "errors": 1,
            "dropped": 0,
            "children": 3,
            "root_status": "running",
            "last_node": "snapshot",
        }
    },
    "action_obs_query": {
        "q": {
            "exits_of_fetch": 3,
            "exit_nodes": "fetch_a,fetch_b,fetcher",
            "warn_up": 2,
            "fetch_q": 6,
            "all_logs": 1,
            "none": 0,
        }
    },
    "action_sleep": {"slept": True},
    "action_state_set": {"a": 10, "b": "two", "c": [1, 2], "d": 3.5, "flags": {"on": True, "label": "TWO"}},
    "action_text_render": {"count": "3", "listing": "a,b,c", "cond": "many", "loop": "[a][b][c]"},
    "branch_default_edge": {"route": "fallback"},
    "branch_first_match": {"route": "big"},
    "err_loop_limit": {"n": 1000},
    "fanout_branch_error_recovered": {"cleaned": True, "a": None, "b": None},
    "fanout_eight_branches_sleep": {"order": "started r1 r2 r3 r4 r5 r6 r7 r8", "sum": 36},
    "fanout_from_start_to_end": {"seed": 1, "b": 2, "a": 2},
    "fanout_memory_shared": {
        "from_left": "shared",
        "from_right": "shared",
        "left_mem": "L",
        "right_mem": "R",
    },
    "fanout_steps_branch": {"words": 4},
    "input_merge_order": {
        "a": 10,
        "b": {"only": "input"},
        "c": 3,
        "d": 4,
        "e": 5,
        "seen": "a=10 b={'only': 'input'}",
    },
    "json_stringify_sorting_floats": {
        "text": '{"a":{"b":[{"x":1,"y":2}],"c":"é<&>"},"big":1e+16,'
        '"m":[2.0,1.5e-05,0.30000000000000004,-3],"z":null}'
    },
    "level_debug_steps": {"a": 1, "b": 2, "sum": "3"},
    "linear_200_nodes": {"total": 20100, "last": "n200"},
    "linear_three_nodes": {"count": 5, "total": 6, "doubled": 12, "summary": "total=6 doubled=12"},
    "loop_count_to_n": {"i": 5, "n": 5, "trail": "012345", "done": True},
    "obs_buffer_dropped": {
        "buf": {"events": 5, "dropped": 6, "listed": 5, "first_node": "c", "first_type": "log"}
    },
    "obs_console_handler": {"greeted": "hello"},
    "obs_disabled": {"a": 1, "b": 2},
    "obs_file_handler": {"written": True},
    "obs_flow_log_in_steps": {"tree": "running/running/completed,running"},
    "recover_fail_custom_type": {"backorder": "OutOfStock: sku B-2 is out of stock"},
    "recover_permission_denied": {"denied": "PermissionDenied"},
    "recover_unknown_action": {
        "_error": {"node": "assist", "type": "UnknownAction", "message": "unknown action: llm.complete"},
        "answer": "offline",
    },
    "redact_tokens_exemption": {"tokens_used": 250},
    "retry_then_succeed": {"done": True},
    "steps_nested": {"n": 2, "greeting": "hello 2"},
    "steps_retry_restart": {"tries": 1, "seen_attempt": 2},
    "template_deep_nesting": {"leaf": "bottom"},
    "template_dict_method_names": {
        "out": {
            "items_len": 3,
            "keys": "k1",
            "values": 7,
            "get": "g",
            "update": False,
            "pop": None,
            "length": "long",
        },
        "pairs": "items=3 keys=2 values=7 get=1 update=False pop=None length=4 ",
    },
    "template_division": {"text": "3.5 3.0 3 -4 2 1024 3.0 -3.5 1 -2"},
    "template_float_text": {
        "text": "1e+16 1.5e-05 0.30000000000000004 3.0 1000000000000000.0 0.0001 1e-05 2.5 -0.0 "
        "1.2345678901234567e+19 100.0"
    },
    "template_loop_variable": {"out": "1:a,2:b,3:c| first=a last=c n=3 idx=9"},
    "template_operator_precedence": {
        "p": {
            "neg_pow": 4,
            "pow_chain": 64,
            "abs_neg": 3,
            "concat_mul": "a6",
            "sub_chain": 5,
            "not_cmp": True,
            "or_value": "b",
            "and_value": 0,
            "in_list": True,
            "mixed": 7.5,
        }
    },
    "template_python_repr_strings": {
        "text": """['plain', "it's", 'say "hi"', 'both \\'"', 'tab\\tnew\\nline', 'Zoë']""",
        "obj_text": """obj={'quote': "it's"}""",
    },
    "template_python_spelling": {
        "text": "flag=True off=False none=None list=['a', 1, None, True, 2.5] obj={'k': 1.5, 'n': [False]} "
        "str=True|None",
        "native": {"flag": True, "list": ["a", 1, None, True, 2.5]},
    },
    "template_single_expression_detection": {
        "tight": 1,
        "lead_space": " 1",
        "trail_space": "1 ",
        "two_exprs": "12",
        "object": {"a": [1]},
        "statement": "3",
        "comment": "4",
        "closing_in_string": "}}",
        "opening_in_string": "{{",
        "no_markers": "no markers {",
        "braces": "{ {1} }",
        "nested_list": [5, "x5", {"deep": [6]}],
    },
    "template_tilde_agreeing": {"trail": "0123", "id": "run-42", "num_text": "7"},
    "template_tilde_concat": {"concat": "x10000000000000000.0|xTrue|xNone|x3.0|n7"},
    "template_tojson": {
        "json": '{"z": 1, "a": [true, null, 2.0], "name": "Zoë 日本 🚀", '
        '"html": "\\u003cb\\u003e\\u0026\\u0027q\\u0027 \\"d\\"\\u003c/b\\u003e"}',
        "scalar_json": '"it\\u0027s \\u003cok\\u003e"',
    },
    "template_truthiness": {
        "falsy": "FFFFFFF",
        "truthy": "TTTTTTTT",
        "route": "falsy_path",
        "lengths": "0 0 0",
    },
    "template_unicode_length": {"lengths": [5, 3, 1, 2, 2], "upper": "STRASSE"},
    "yaml_number_forms": {"text": "17 15 31 5 0 1000.0 0.5 1.0 | 1_000 0b101 12:30 2024-01-02"},
}


def _events(name: str, tmp_path: Path) -> list[dict[str, Any]]:
    return _run(name, tmp_path)[1]


def test_level_warn_keeps_three_events(tmp_path: Path) -> None:
    evs = _events("level_warn_filters_info.yaml", tmp_path)
    assert [(e["level"], e["event_type"]) for e in evs] == [
        ("warn", "error"),
        ("warn", "log"),
        ("error", "log"),
    ]
    assert evs[0]["data"]["attempt"] == 1


def test_level_error_only_four_events(tmp_path: Path) -> None:
    evs = _events("err_level_error_only.yaml", tmp_path)
    assert [e["message"] for e in evs] == [
        "kept: about to parse",
        "step failed",
        "node failed",
        "flow failed",
    ]


def test_loop_limit_spans(tmp_path: Path) -> None:
    evs = _events("err_loop_limit.yaml", tmp_path)
    assert sum(1 for e in evs if e["node"] == "spin" and e["event_type"] == "entry") == 1000
    assert evs[-1]["data"]["error"]["type"] == "LoopLimit"


def test_retry_events(tmp_path: Path) -> None:
    evs = _events("retry_then_succeed.yaml", tmp_path)
    retries = [e for e in evs if e["level"] == "warn"]
    assert [e["message"] for e in retries] == ["attempt 1 failed", "attempt 2 failed"]
    assert [e["data"]["error"]["message"] for e in retries] == [
        "upstream timed out on attempt 1",
        "upstream timed out on attempt 2",
    ]


def test_template_error_entry_has_empty_data(tmp_path: Path) -> None:
    evs = _events("err_template_undefined.yaml", tmp_path)
    entry = next(e for e in evs if e["node"] == "greet" and e["event_type"] == "entry")
    assert entry["data"] == {}


def test_parallel_span_and_merge_order(tmp_path: Path) -> None:
    evs = _events("fanout_fanin.yaml", tmp_path)
    par = [e for e in evs if e["kind"] == "parallel"]
    assert par[0]["node"] == "parallel(price,stock,reviews)"
    assert list(par[-1]["data"]["output"]) == ["price", "sku_seen", "stock", "reviews"]
    branch_parents = {e["parent_id"] for e in evs if e["node"] in ("price", "stock", "reviews")}
    assert branch_parents == {par[0]["span_id"]}


def test_merge_conflict_event(tmp_path: Path) -> None:
    evs = _events("err_fanout_merge_conflict.yaml", tmp_path)
    failed = next(e for e in evs if e["message"] == "parallel failed")
    assert failed["data"]["error"] == {
        "type": "MergeConflict",
        "message": "branches 'left' and 'right' both wrote 'result'",
    }


def test_redaction_in_events(tmp_path: Path) -> None:
    evs = _events("redact_tokens_exemption.yaml", tmp_path)
    metric = next(e for e in evs if e["event_type"] == "metric")
    assert metric["metrics"]["tokens"] == 250
    entry = next(e for e in evs if e["node"] == "report" and e["event_type"] == "entry")
    assert entry["data"]["input"]["metrics"]["tokens"] == "[REDACTED]"
    first = next(e for e in evs if e["node"] == "call_model" and e["event_type"] == "entry")
    assert first["data"]["input"]["request"]["max_tokens"] == "[REDACTED]"
    assert first["data"]["input"]["tokens_used"] == "[REDACTED]"


def test_file_handler_writes_jsonl(tmp_path: Path) -> None:
    outcome, events, _, _ = _run("obs_file_handler.yaml", tmp_path)
    written = (tmp_path / "logs" / f"{outcome.flow_id}.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in written] == json.loads(json.dumps(events))


def test_console_handler_lines(tmp_path: Path, capsys) -> None:
    _run("obs_console_handler.yaml", tmp_path)
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "[info] obs_console_handler entry: flow started"
    assert "[info] greet log: hello on stderr" in err


def test_no_host_access_final_error(tmp_path: Path) -> None:
    outcome, _events, _parity, _flow = _run("err_template_no_host_access.yaml", tmp_path)
    assert outcome.error == (
        "TemplateError",
        "undefined value in template: {{ cycler.__init__.__globals__ }}",
    )


def test_run_text_captures_console_lines(tmp_path: Path) -> None:
    text = (FIXTURES / "obs_console_handler.yaml").read_text(encoding="utf-8")
    _events, status, _state, console, _flow_id, _error = yamlflow.run_text(text, "{}", str(tmp_path))
    assert status == "completed"
    assert "[info] greet log: hello on stderr\n" in console.splitlines(keepends=True)
    assert console.startswith("[info] obs_console_handler entry: flow started\n")


def test_run_text_reports_the_run_id_and_error_without_events(tmp_path: Path) -> None:
    # With observability off no event carries them; the harness compares them (contract §4).
    text = (
        "name: quiet\nsettings: {observability: {enabled: false}}\n"
        "nodes:\n  - {name: n, uses: fail, with: {type: Boom, message: quiet failure}}\n"
        "edges:\n  - {from: __start__, to: n}\n  - {from: n, to: __end__}\n"
    )
    events, status, _state, _console, flow_id, error = yamlflow.run_text(text, "{}", str(tmp_path))
    assert (events, status) == ("", "failed")
    assert len(flow_id) == 36 and flow_id.count("-") == 4
    assert json.loads(error) == {"type": "Boom", "message": "quiet failure"}
    _events, status, _state, _console, _flow_id, error = yamlflow.run_text(
        text.replace("uses: fail, with: {type: Boom, message: quiet failure}", "uses: state.set"),
        "{}",
        str(tmp_path),
    )
    assert (status, error) == ("completed", "null")
