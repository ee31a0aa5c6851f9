"""Hostile input (issue 14, contract §3.1, §6.8, §6.12): no event is lost for its content, no traceback
reaches the command line, and exit codes are 0, 1 or 2. Property tests draw arbitrary strings (lone
surrogates and control characters included) and numbers (NaN, ±inf, the 64-bit edges) from a seeded random
generator, so a failure reproduces."""

from __future__ import annotations

import json
import math
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

import yamlflow
from yamlflow.event import to_json

from .conftest import FIXTURES

PY_DIR = Path(__file__).resolve().parent.parent
SEED = int(os.environ.get("TWINFLOW_PROPERTY_SEED", "14"))
CASES = int(os.environ.get("TWINFLOW_PROPERTY_CASES", "300"))

# Every way a value reaches the state or an event: the input as is, a native template value, text, a
# log message and data, json round trips.
FLOW = yamlflow.load_str(
    "name: hostile\nnodes:\n"
    "  - {name: native, uses: state.set, with: {copy: '{{ state.s }}', n: '{{ state.n }}'}}\n"
    "  - {name: text, uses: text.render, with: {template: 'x{{ state.s }}{{ state.n }}'}, output: t}\n"
    "  - {name: log, uses: log.emit, with: {message: '{{ state.s }}', data: {s: '{{ state.s }}'}}}\n"
    "  - {name: dump, uses: json.stringify, with: {value: '{{ state.s }}'}, output: j}\n"
    "  - {name: load, uses: json.parse, with: {text: '{{ state.j }}'}, output: back}\n"
    "edges:\n  - {from: __start__, to: native}\n  - {from: native, to: text}\n  - {from: text, to: log}\n"
    "  - {from: log, to: dump}\n  - {from: dump, to: load}\n  - {from: load, to: __end__}\n"
)


def _string(rng: random.Random) -> str:
    pools = [
        lambda: chr(rng.randrange(0x20, 0x7F)),
        lambda: chr(rng.randrange(0, 0x20)),
        lambda: chr(rng.randrange(0xD800, 0xE000)),  # a lone surrogate
        lambda: chr(rng.randrange(0x80, 0x110000)),
        lambda: rng.choice(["{{", "}}", "{%", "\\", '"', "'", "\n", "\u202e", "\ufeff"]),
    ]
    return "".join(rng.choice(pools)() for _ in range(rng.randrange(0, 12)))


def _number(rng: random.Random) -> int | float:
    return rng.choice(
        [
            rng.randrange(-(2**63), 2**63),
            rng.choice([2**63 - 1, -(2**63), 0, -1]),
            rng.uniform(-1e308, 1e308),
            rng.choice([math.nan, math.inf, -math.inf, -0.0, 5e-324, 1e16]),
        ]
    )


def _check_events(events: list[dict], outcome: yamlflow.RunOutcome) -> None:
    assert [e["seq"] for e in events] == list(range(len(events)))
    for event in events:
        line = to_json(event)
        line.encode("utf-8")  # strict: no lone surrogate survives
        assert json.loads(line)["seq"] == event["seq"]
    assert events[0]["message"] == "flow started"
    assert events[-1]["message"] == ("flow completed" if outcome.error is None else "flow failed")


def test_arbitrary_strings_and_numbers_lose_no_event(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    statuses: dict[str, int] = {}
    for _ in range(CASES):
        s, n = _string(rng), _number(rng)
        events: list[dict] = []
        outcome = yamlflow.run(
            FLOW, yamlflow.RunOptions(input={"s": s, "n": n}, sandbox=tmp_path, callbacks=[events.append])
        )
        _check_events(events, outcome)
        statuses[outcome.status] = statuses.get(outcome.status, 0) + 1
        encodable = not any(0xD800 <= ord(c) < 0xE000 for c in s) and not (
            isinstance(n, float) and not math.isfinite(n)
        )
        # A value UTF-8 JSON can carry goes through; one it cannot is refused by the first template.
        if encodable and "{" not in s and "%" not in s:
            assert outcome.error is None, (s, n, outcome.error)
            assert outcome.state["back"] == s
        if not encodable:
            assert outcome.error is not None and outcome.error[0] == "TemplateError", (s, n)
    assert statuses.get("completed", 0) > 0 and statuses.get("failed", 0) > 0


def test_json_parse_and_input_refuse_lone_surrogates() -> None:
    with pytest.raises(yamlflow.LoadError) as info:
        yamlflow.parse_input('{"a": "\\ud800"}')
    assert info.value.message.startswith("input is not valid JSON: ")
    assert yamlflow.parse_input('{"a": "\\ud83d\\ude00"}') == {"a": "\U0001f600"}


def test_to_json_never_fails() -> None:
    assert (
        to_json({"a": "x\ud800", "b": [math.nan, math.inf], "c": 1.5})
        == '{"a":"x\ufffd","b":[null,null],"c":1.5}'
    )


def cli(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "yamlflow", *args], cwd=PY_DIR, capture_output=True, input=stdin, timeout=60
    )


def _one_line_exit(p: subprocess.CompletedProcess[bytes], code: int, text: str) -> None:
    assert p.returncode == code, p.stderr
    assert b"Traceback" not in p.stderr
    assert p.stderr.decode().splitlines() == [text]


def test_unusable_input_exits_2_with_one_line(tmp_path: Path) -> None:
    flow = str(FIXTURES / "linear_three_nodes.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(b"name: t\xff\n")
    _one_line_exit(cli("run", str(bad)), 2, f"{bad}: Io: cannot read flow: not UTF-8 text")
    _one_line_exit(cli("validate", str(bad)), 2, f"{bad}: Io: cannot read flow: not UTF-8 text")
    _one_line_exit(
        cli("run", flow, "--input", "@/dev/zero"),
        2,
        "/dev/zero: Io: cannot read input: larger than 67108864 bytes",
    )
    huge = tmp_path / "huge.json"
    with huge.open("wb") as f:
        f.truncate(10**9)  # 'a' * 10**9 without writing a gigabyte: a sparse file
    _one_line_exit(
        cli("run", flow, "--input", f"@{huge}"),
        2,
        f"{huge}: Io: cannot read input: larger than 67108864 bytes",
    )
    not_utf8 = tmp_path / "in.json"
    not_utf8.write_bytes(b'{"a": "\xff"}')
    _one_line_exit(
        cli("run", flow, "--input", f"@{not_utf8}"), 2, f"{not_utf8}: Io: cannot read input: not UTF-8 text"
    )
    p = cli("run", flow, "--input", '{"a": "\\udc00"}')
    assert p.returncode == 2 and p.stderr.startswith(b"<input>: Io: input is not valid JSON: ")


def test_arbitrary_flow_files_never_trace_back(tmp_path: Path) -> None:
    """Random bytes, random UTF-8 and mutated fixtures as the flow file: exit 0, 1 or 2, never a traceback,
    and exit 2 is one line."""
    rng = random.Random(SEED)
    fixture = (FIXTURES / "linear_three_nodes.yaml").read_bytes()
    for i in range(max(CASES // 15, 10)):
        kind = i % 3
        if kind == 0:
            data = bytes(rng.randrange(256) for _ in range(rng.randrange(64)))
        elif kind == 1:
            data = _string(rng).encode("utf-8", "surrogatepass")
        else:
            cut = rng.randrange(len(fixture))
            data = fixture[:cut] + bytes([rng.randrange(256)]) + fixture[cut + 1 :]
        path = tmp_path / f"f{i}.yaml"
        path.write_bytes(data)
        p = cli("run", str(path), "--sandbox", str(tmp_path))
        assert p.returncode in (0, 1, 2), (data, p.stderr)
        assert b"Traceback" not in p.stderr, (data, p.stderr)
        if p.returncode == 2:
            assert len(p.stderr.decode("utf-8", "replace").strip().splitlines()) >= 1
