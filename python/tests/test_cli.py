"""The CLI through subprocess: exit codes 0/1/2, --events -, --input @file, validate (brief "CLIs")."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import yamlflow

from .conftest import FIXTURES

PY_DIR = Path(__file__).resolve().parents[1]


def cli(*args: str, cwd: Path = PY_DIR) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "yamlflow", *args], cwd=cwd, capture_output=True, text=True, encoding="utf-8"
    )


def test_run_completed_prints_state(tmp_path: Path) -> None:
    p = cli(
        "run",
        str(FIXTURES / "linear_three_nodes.yaml"),
        "--input",
        '{"count": 5}',
        "--sandbox",
        str(tmp_path),
    )
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("{\n  ")
    assert json.loads(p.stdout) == {"count": 5, "total": 6, "doubled": 12, "summary": "total=6 doubled=12"}


def test_run_input_from_file(tmp_path: Path) -> None:
    (tmp_path / "in.json").write_text('{"count": 1}', encoding="utf-8")
    p = cli(
        "run",
        str(FIXTURES / "linear_three_nodes.yaml"),
        "--input",
        f"@{tmp_path / 'in.json'}",
        "--sandbox",
        str(tmp_path),
    )
    assert p.returncode == 0 and json.loads(p.stdout)["total"] == 2


def test_run_failed_exit_1(tmp_path: Path) -> None:
    p = cli("run", str(FIXTURES / "err_fail_custom_type.yaml"), "--sandbox", str(tmp_path))
    assert p.returncode == 1
    assert p.stderr.strip() == "flow failed: QuotaExceeded: quota of 3 calls exceeded"
    assert json.loads(p.stdout) == {"quota": 3}


def test_events_to_stdout(tmp_path: Path) -> None:
    p = cli("run", str(FIXTURES / "linear_three_nodes.yaml"), "--events", "-", "--sandbox", str(tmp_path))
    assert p.returncode == 0
    events = [json.loads(line) for line in p.stdout.splitlines()]
    assert [e["seq"] for e in events] == list(range(8))
    assert events[-1]["message"] == "flow completed"


def test_events_to_file(tmp_path: Path) -> None:
    out = tmp_path / "ev.jsonl"
    p = cli("run", str(FIXTURES / "action_sleep.yaml"), "--events", str(out), "--sandbox", str(tmp_path))
    assert p.returncode == 0 and json.loads(p.stdout) == {"slept": True}
    assert len(out.read_text(encoding="utf-8").splitlines()) == 10


def test_load_error_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: demo\nnodes: [{name: a, uses: state.set}]\nedges: []\nextra: 1\n", encoding="utf-8")
    for command in ("run", "validate"):
        p = cli(command, str(bad))
        assert p.returncode == 2
        assert p.stderr.strip() == f"{bad}:3:8: InvalidValue: edges must not be empty"
        assert p.stdout == ""


def test_sandbox_not_a_directory_names_the_flow(tmp_path: Path) -> None:
    """contract §1.2: an unusable sandbox is an Io error named by the flow's file, as in Rust, and leaves no
    events file behind."""
    flow = str(FIXTURES / "linear_three_nodes.yaml")
    not_dir = tmp_path / "file"
    not_dir.write_text("x", encoding="utf-8")
    events = tmp_path / "events.jsonl"
    p = cli("run", flow, "--events", str(events), "--sandbox", str(not_dir))
    assert (p.returncode, p.stdout, p.stderr) == (
        2,
        "",
        f"{flow}: Io: sandbox is not a directory: {not_dir}\n",
    )
    assert not events.exists()  # a refused run creates no events file


def test_bad_input_exit_2(tmp_path: Path) -> None:
    p = cli("run", str(FIXTURES / "linear_three_nodes.yaml"), "--input", "[1]", "--sandbox", str(tmp_path))
    assert p.returncode == 2
    p = cli("run", str(FIXTURES / "linear_three_nodes.yaml"), "--input", "@/nonexistent/x.json")
    assert p.returncode == 2
    # contract §3.8: an input tenant the run refuses is a load error too, one line.
    p = cli(
        "run",
        str(FIXTURES / "linear_three_nodes.yaml"),
        "--input",
        '{"tenant": 5}',
        "--sandbox",
        str(tmp_path),
    )
    assert (p.returncode, p.stdout, p.stderr) == (
        2,
        "",
        "<input>: Io: input 'tenant' must be a non-empty string\n",
    )


def test_validate_ok() -> None:
    flow = FIXTURES / "fanout_fanin.yaml"
    p = cli("validate", str(flow))
    assert p.returncode == 0
    assert p.stdout == f"{flow}: ok (5 nodes, 4 edges)\n"


# Fix 9: the run input is JSON as json.parse reads it, with integers limited to 64 bits.
@pytest.mark.parametrize(
    "text",
    [
        '{"a": NaN}',
        '{"a": Infinity}',
        '{"a": -Infinity}',
        '{"a": 1e999}',
        '{"a": 9223372036854775808}',
        '{"a": -9223372036854775809}',
        '{"a": ' + "[" * 127 + "]" * 127 + "}",
        "{nope",
    ],
)
def test_input_not_valid_json(text: str) -> None:
    with pytest.raises(yamlflow.LoadError) as e:
        yamlflow.run_text((FIXTURES / "linear_three_nodes.yaml").read_text(), text, ".")
    assert e.value.kind == "Io"
    assert e.value.message.startswith("input is not valid JSON: ")


@pytest.mark.parametrize("text", ["[1]", "1", '"s"', "null"])
def test_input_not_an_object(text: str) -> None:
    with pytest.raises(yamlflow.LoadError) as e:
        yamlflow.run_text((FIXTURES / "linear_three_nodes.yaml").read_text(), text, ".")
    assert (e.value.kind, e.value.message) == ("Io", "input must be a JSON object")


def test_input_edges_fit(tmp_path: Path) -> None:
    text = '{"a": [9223372036854775807, -9223372036854775808], "d": ' + "[" * 99 + "]" * 99 + "}"
    _events, status, _state, _console, _flow_id, _error = yamlflow.run_text(
        (FIXTURES / "linear_three_nodes.yaml").read_text(), text, str(tmp_path)
    )
    assert status == "completed"
    # 127 levels parse, but a state beyond the depth limit fails the run at once (contract §6.12).
    deeper = '{"d": ' + "[" * 126 + "]" * 126 + "}"
    events, status, _state, _console, _flow_id, _error = yamlflow.run_text(
        (FIXTURES / "linear_three_nodes.yaml").read_text(), deeper, str(tmp_path)
    )
    assert status == "failed"
    assert [json.loads(line)["message"] for line in events.splitlines()] == ["flow started", "flow failed"]
    assert json.loads(events.splitlines()[0])["data"] == {"input": {}}
    p = cli(
        "run", str(FIXTURES / "linear_three_nodes.yaml"), "--input", '{"a": NaN}', "--sandbox", str(tmp_path)
    )
    assert p.returncode == 2
    assert p.stderr.startswith("<input>: Io: input is not valid JSON: ")


def test_yaml_prints_a_line_per_file_and_reads_files_as_run_does(tmp_path: Path) -> None:
    """contract §6.8: one JSON line per file; a file that cannot be read is the ``Io`` error ``run`` and
    ``validate`` give (the same words as the Rust CLI)."""
    good, latin1 = tmp_path / "good.yaml", tmp_path / "latin1.yaml"
    good.write_text("a: [1, x]\n", encoding="utf-8")
    latin1.write_bytes(b"a: \xff\n")

    def io(message: str) -> str:
        return json.dumps(
            {"error": {"kind": "Io", "message": message, "line": None, "column": None, "key": None}},
            separators=(",", ":"),
        )

    p = cli("yaml", str(good), str(latin1), str(tmp_path / "missing.yaml"))
    assert (p.returncode, p.stdout) == (
        0,
        '{"value":{"a":[1,"x"]}}\n'
        + io("cannot read flow: not UTF-8 text")
        + "\n"
        + io("cannot read flow: No such file or directory")
        + "\n",
    )
