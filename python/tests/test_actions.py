"""actions/: exact error messages (contract §2.3), sandbox, memory, fail/times, steps restart."""

from __future__ import annotations

from pathlib import Path

import pytest

import yamlflow


def run_one(tmp_path: Path, uses: str, with_: str, extra: str = "") -> yamlflow.RunOutcome:
    text = (
        f"name: t\nnodes:\n  - name: a\n    uses: {uses}\n    with: {with_}\n{extra}"
        "edges:\n  - {from: __start__, to: a}\n  - {from: a, to: __end__}\n"
    )
    return yamlflow.run(yamlflow.load_str(text), yamlflow.RunOptions(sandbox=tmp_path))


@pytest.mark.parametrize(
    ("uses", "with_", "error"),
    [
        ("text.render", "{}", ("ActionError", "text.render: missing parameter 'template'")),
        ("sleep", "{ms: soon}", ("ActionError", "sleep: parameter 'ms' must be a number")),
        ("sleep", "{ms: true}", ("ActionError", "sleep: parameter 'ms' must be a number")),
        ("sleep", "{ms: -1}", ("ActionError", "sleep: parameter 'ms' must be at least 0")),
        ("sleep", "{ms: -0.5}", ("ActionError", "sleep: parameter 'ms' must be at least 0")),
        ("sleep", "{ms: 86400001}", ("ActionError", "sleep: parameter 'ms' must be at most 86400000")),
        ("sleep", "{ms: 1.0e300}", ("ActionError", "sleep: parameter 'ms' must be at most 86400000")),
        (
            "sleep",
            "{ms: 9223372036854775807}",
            ("ActionError", "sleep: parameter 'ms' must be at most 86400000"),
        ),
        ("json.parse", "{text: '{nope'}", ("ActionError", "json.parse: invalid JSON")),
        ("json.parse", "{text: 'NaN'}", ("ActionError", "json.parse: invalid JSON")),
        ("json.parse", "{text: 5}", ("ActionError", "json.parse: parameter 'text' must be a string")),
        ("file.read", "{path: no/such.txt}", ("ActionError", "file.read: no such file: no/such.txt")),
        (
            "file.read",
            "{path: /etc/passwd}",
            ("PermissionDenied", "file.read: path escapes the sandbox: /etc/passwd"),
        ),
        (
            "file.write",
            "{path: a/../../x, content: y}",
            ("PermissionDenied", "file.write: path escapes the sandbox: a/../../x"),
        ),
        (
            "file.write",
            "{path: x, content: 5}",
            ("ActionError", "file.write: parameter 'content' must be a string"),
        ),
        ("log.emit", "{level: fatal, message: m}", ("ActionError", "log.emit: unknown level 'fatal'")),
        (
            "log.emit",
            "{message: m, data: [1]}",
            ("ActionError", "log.emit: parameter 'data' must be an object"),
        ),
        ("obs.export", "{path: e.csv, format: csv}", ("ActionError", "obs.export: unsupported format 'csv'")),
        (
            "obs.export",
            "{path: ../e.jsonl}",
            ("PermissionDenied", "obs.export: path escapes the sandbox: ../e.jsonl"),
        ),
        ("memory.store", "{key: k}", ("ActionError", "memory.store: missing parameter 'value'")),
        ("memory.get", "{key: [1]}", ("ActionError", "memory.get: parameter 'key' must be a string")),
        (
            "metric.emit",
            "{metrics: 1}",
            ("ActionError", "metric.emit: parameter 'metrics' must be an object"),
        ),
        ("fail", "{times: x}", ("ActionError", "fail: parameter 'times' must be an integer")),
        ("fail", "{}", ("ActionError", "failed on purpose")),
        ("http.get", "{}", ("UnknownAction", "unknown action: http.get")),
    ],
)
def test_action_errors(tmp_path: Path, uses: str, with_: str, error: tuple[str, str]) -> None:
    outcome = run_one(tmp_path, uses, with_)
    assert outcome.status == "failed"
    assert outcome.error == error


def test_path_traversal_writes_nothing(tmp_path: Path) -> None:
    sandbox = tmp_path / "box"
    sandbox.mkdir()
    outcome = run_one(sandbox, "file.write", "{path: ../escaped.txt, content: x}")
    assert outcome.error[0] == "PermissionDenied"
    assert not (tmp_path / "escaped.txt").exists()


def test_file_write_read_roundtrip(tmp_path: Path) -> None:
    outcome = run_one(tmp_path, "file.write", '{path: d/e/f.txt, content: "héllo\\r\\n"}', "    output: w\n")
    assert outcome.state["w"] == {"path": "d/e/f.txt", "bytes": 8}
    assert (tmp_path / "d/e/f.txt").read_bytes() == "héllo\r\n".encode()


def test_fail_times_counts_node_attempts(tmp_path: Path) -> None:
    outcome = run_one(tmp_path, "fail", "{times: 2}", "    retry: {max_attempts: 3}\n")
    assert outcome.status == "completed"
    outcome = run_one(tmp_path, "fail", "{times: 2}", "    retry: {max_attempts: 2}\n")
    assert outcome.error == ("ActionError", "failed on purpose")


def test_json_stringify(tmp_path: Path) -> None:
    outcome = run_one(tmp_path, "json.stringify", "{value: {b: [1.0, 1e16], a: é}}", "    output: s\n")
    assert outcome.state["s"] == '{"a":"é","b":[1.0,1e+16]}'


def test_obs_query_glob_is_only_star_and_question(tmp_path: Path) -> None:
    outcome = run_one(tmp_path, "obs.query", "{node: '[a]'}", "    output: q\n")
    assert outcome.state["q"] == []


def test_glob_match_without_backtracking() -> None:
    from yamlflow.actions.obs import glob_match

    assert glob_match("fetch*", "fetcher") and glob_match("fetch_?", "fetch_a") and glob_match("*", "")
    assert not glob_match("fetch_?", "fetcher") and not glob_match("nothing*", "fetch_a")
    # A `*` is a wildcard even where the text holds a `*`; a pattern that made the old regex backtrack for
    # minutes is one quick pass.
    assert glob_match("*b", "*ab")
    assert not glob_match("*a" * 30 + "*b", "a" * 4000)


# Fix 8: json.parse reads as serde_json: its 128th nested level is refused; big integers become floats.
def _parse(tmp_path: Path, text: str) -> yamlflow.RunOutcome:
    flow = yamlflow.load_str(
        "name: t\nnodes:\n  - {name: a, uses: json.parse, with: {text: '{{ state.text }}'}, output: v}\n"
        "edges:\n  - {from: __start__, to: a}\n  - {from: a, to: __end__}\n"
    )
    return yamlflow.run(flow, yamlflow.RunOptions(input={"text": text}, sandbox=tmp_path))


def test_json_parse_depth_limit(tmp_path: Path) -> None:
    ok = _parse(tmp_path, "[" * 100 + "]" * 100)
    assert ok.status == "completed"
    # 127 levels parse, but the result is beyond the run's depth limit (contract §6.12).
    parsed = _parse(tmp_path, "[" * 127 + "]" * 127)
    assert parsed.error == ("LimitExceeded", "value nests deeper than 100 levels")
    deep = _parse(tmp_path, '{"a":' + "[" * 127 + "]" * 127 + "}")
    assert deep.error == ("ActionError", "json.parse: invalid JSON")
    very_deep = _parse(tmp_path, "[" * 100_000 + "]" * 100_000)
    assert very_deep.error == ("ActionError", "json.parse: invalid JSON")


def test_json_parse_big_integers_become_floats(tmp_path: Path) -> None:
    out = _parse(tmp_path, "[9223372036854775807, 9223372036854775808, -9223372036854775809, 1e2]")
    assert out.state["v"] == [2**63 - 1, 9.223372036854776e18, -9.223372036854776e18, 100.0]
    assert [type(x) for x in out.state["v"]] == [int, float, float, float]


# Fix 11: I/O failures other than a missing file name the OS's reason; obs.query's check order;
# an unexpected exception in an action is an internal error.
def test_file_io_messages(tmp_path: Path) -> None:
    (tmp_path / "dir").mkdir()
    (tmp_path / "plain").write_text("x")
    (tmp_path / "latin1.txt").write_bytes(b"caf\xe9")
    cases = [
        ("file.read", "{path: dir}", "file.read: cannot read dir: Is a directory"),
        ("file.read", "{path: plain/below}", "file.read: cannot read plain/below: Not a directory"),
        ("file.read", "{path: latin1.txt}", "file.read: not UTF-8 text: latin1.txt"),
        ("file.write", "{path: dir, content: x}", "file.write: cannot write dir: Is a directory"),
        ("obs.export", "{path: dir}", "obs.export: cannot write dir: Is a directory"),
    ]
    for uses, with_, message in cases:
        assert run_one(tmp_path, uses, with_).error == ("ActionError", message)
    nul = run_one(tmp_path, "file.read", '{path: "a\\0b"}')
    assert nul.error == ("PermissionDenied", "file.read: path escapes the sandbox: a\0b")


@pytest.mark.parametrize(
    ("with_", "message"),
    [
        ("{node: 1, level: 2, event_type: 3}", "obs.query: parameter 'node' must be a string"),
        ("{level: 2, event_type: 3}", "obs.query: parameter 'level' must be a string"),
        ("{level: loud, event_type: 3}", "obs.query: unknown level 'loud'"),
        ("{level: info, event_type: 3}", "obs.query: parameter 'event_type' must be a string"),
    ],
)
def test_obs_query_check_order(tmp_path: Path, with_: str, message: str) -> None:
    assert run_one(tmp_path, "obs.query", with_).error == ("ActionError", message)


def test_internal_error(tmp_path: Path, monkeypatch) -> None:
    from yamlflow import actions

    def broken(params, ctx):
        return {}["missing"]

    monkeypatch.setitem(actions._DISPATCH, "state.set", broken)
    assert run_one(tmp_path, "state.set", "{}").error == (
        "ActionError",
        "state.set: internal error: 'missing'",
    )
