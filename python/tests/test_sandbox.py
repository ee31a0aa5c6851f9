"""sandbox.py and the file handler's lazy, flushed file (contract §6)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import yamlflow
from yamlflow.sandbox import SandboxEscape, resolve


def denied(sandbox: Path, path: str) -> bool:
    try:
        resolve("file.write", sandbox, path)
    except SandboxEscape as e:
        assert e.message == f"file.write: path escapes the sandbox: {path}"
        return True
    return False


@pytest.mark.parametrize(
    "bad",
    ["/etc/hostname", "logs/../../etc/passwd", "a/../b", "..", "a\\b", "..\\x", "a\0b", "C:x", "c:/x", "a:b"],
)
def test_lexical_rules_refuse(tmp_path: Path, bad: str) -> None:
    assert denied(tmp_path, bad)


@pytest.mark.parametrize("good", ["a/b.txt", "a..b", "./a", "a/./b", "", "...", "ab:c", "é:x"])
def test_lexical_rules_allow(tmp_path: Path, good: str) -> None:
    assert not denied(tmp_path, good)
    assert resolve("x", tmp_path, good) == tmp_path / good


def test_symlinks_cannot_lead_out(tmp_path: Path) -> None:
    root = tmp_path / "sb"
    outside = tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    os.symlink(outside, root / "out")
    (root / "in").mkdir()
    os.symlink(root / "in", root / "alias")
    os.symlink(root / "nowhere", root / "dangling")
    (root / "file").write_text("x")
    assert denied(root, "out")
    assert denied(root, "out/new/file.txt")
    assert denied(root, "dangling")
    assert not denied(root, "alias/file.txt")
    assert not denied(root, "in/new/deeper.txt")
    assert not denied(root, "file/below")  # not a directory: the I/O reports it, not the sandbox
    # A sandbox reached through a symlink is still its own inside.
    link = outside / "sb"
    os.symlink(root, link)
    assert not denied(link, "in/x")
    assert denied(link, "out/x")


def test_file_action_through_symlink_is_denied(tmp_path: Path) -> None:
    root = tmp_path / "sb"
    root.mkdir()
    (tmp_path / "secret.txt").write_text("s")
    os.symlink(tmp_path / "secret.txt", root / "link.txt")
    text = (
        "name: t\nnodes:\n  - {name: a, uses: file.read, with: {path: link.txt}}\n"
        "edges:\n  - {from: __start__, to: a}\n  - {from: a, to: __end__}\n"
    )
    outcome = yamlflow.run(yamlflow.load_str(text), yamlflow.RunOptions(sandbox=root))
    assert outcome.error == ("PermissionDenied", "file.read: path escapes the sandbox: link.txt")


def _handler_flow(path: str, extra: str = "", node: str = "{name: a, uses: state.set, with: {x: 1}}") -> str:
    return (
        "name: t\nsettings:\n  observability:\n"
        f"    handlers: [{{type: file, path: '{path}'}}]\n{extra}"
        f"nodes:\n  - {node}\n"
        "edges:\n  - {from: __start__, to: a}\n  - {from: a, to: __end__}\n"
    )


def test_file_handler_sees_every_event_so_far(tmp_path: Path) -> None:
    # file.read of the log during the run sees every event emitted before it (each line flushed).
    node = "{name: a, uses: file.read, with: {path: logs/run.jsonl}, output: log}"
    outcome = yamlflow.run(
        yamlflow.load_str(_handler_flow("logs/run.jsonl", node=node)), yamlflow.RunOptions(sandbox=tmp_path)
    )
    assert outcome.status == "completed"
    lines = outcome.state["log"].splitlines()
    assert [json.loads(x)["event_type"] for x in lines] == ["entry", "entry"]
    assert len((tmp_path / "logs/run.jsonl").read_text().splitlines()) == 4


def test_file_handler_creates_no_file_without_events(tmp_path: Path) -> None:
    flow = yamlflow.load_str(_handler_flow("logs/{flow_id}.jsonl", "    enabled: false\n"))
    assert yamlflow.run(flow, yamlflow.RunOptions(sandbox=tmp_path)).status == "completed"
    assert not (tmp_path / "logs").exists()
    flow = yamlflow.load_str(_handler_flow("logs/x.jsonl", "    level: error\n"))
    assert yamlflow.run(flow, yamlflow.RunOptions(sandbox=tmp_path)).status == "completed"
    assert not (tmp_path / "logs").exists()


def test_file_handler_outside_sandbox_is_skipped(tmp_path: Path) -> None:
    root = tmp_path / "sb"
    root.mkdir()
    os.symlink(tmp_path, root / "up")
    events: list[dict] = []
    flow = yamlflow.load_str(_handler_flow("up/escaped.jsonl"))
    outcome = yamlflow.run(flow, yamlflow.RunOptions(sandbox=root, callbacks=[events.append]))
    assert outcome.status == "completed" and len(events) == 4
    assert not (tmp_path / "escaped.jsonl").exists()
