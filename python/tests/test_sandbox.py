"""sandbox.py and the file handler's lazy, flushed file (contract §6.11, §6.6)."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import yamlflow
from yamlflow.sandbox import Access, SandboxEscape
from yamlflow.sandbox import open as sandbox_open


def refusal(sandbox: Path, path: str, access: Access = Access.WRITE) -> str | None:
    try:
        sandbox_open("file.write", sandbox, path, access).close()
    except SandboxEscape as e:
        return e.message
    except OSError:
        return None
    return None


def denied(sandbox: Path, path: str) -> bool:
    message = refusal(sandbox, path)
    if message is None:
        return False
    assert message == f"file.write: path escapes the sandbox: {path}"
    return True


@pytest.mark.parametrize(
    "bad",
    ["/etc/hostname", "logs/../../etc/passwd", "a/../b", "..", "a\\b", "..\\x", "a\0b", "C:x", "c:/x", "a:b"],
)
def test_lexical_rules_refuse(tmp_path: Path, bad: str) -> None:
    assert denied(tmp_path, bad)


@pytest.mark.parametrize("good", ["a/b.txt", "a..b", "./a", "a/./b", "", "...", "ab:c", "é:x"])
def test_lexical_rules_allow(tmp_path: Path, good: str) -> None:
    assert not denied(tmp_path, good)
    if good:
        assert (tmp_path / good).is_file()


def test_symlinks_cannot_lead_out(tmp_path: Path) -> None:
    root = tmp_path / "sb"
    outside = tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    os.symlink(outside, root / "out")
    (root / "in").mkdir()
    os.symlink(root / "in", root / "alias")
    os.symlink("in/../..", root / "up")
    os.symlink("loop", root / "loop")
    (root / "file").write_text("x")
    assert denied(root, "out")
    assert denied(root, "out/new/file.txt")
    assert denied(root, "up/x")
    assert not denied(root, "alias/file.txt")
    assert (root / "in/file.txt").is_file()
    assert not denied(root, "in/new/deeper.txt")
    assert not denied(root, "file/below")  # not a directory: the I/O reports it, not the sandbox
    with pytest.raises(OSError) as info:
        sandbox_open("file.read", root, "loop", Access.READ)
    assert info.value.errno == errno.ELOOP
    # A sandbox reached through a symlink is still its own inside.
    link = outside / "sb"
    os.symlink(root, link)
    assert not denied(link, "in/x")
    assert denied(link, "out/x")
    assert [p.name for p in outside.iterdir()] == ["sb"]


@pytest.mark.parametrize("access", list(Access))
def test_only_regular_files_with_one_link(tmp_path: Path, access: Access) -> None:
    root = tmp_path / "sb"
    root.mkdir()
    (tmp_path / "secret").write_text("outside")
    os.link(tmp_path / "secret", root / "hard")
    os.mkfifo(root / "fifo")
    assert refusal(root, "hard", access) == "file.write: file has other hard links: hard"
    assert refusal(root, "fifo", access) == "file.write: not a regular file: fifo"
    assert (tmp_path / "secret").read_text() == "outside"  # refused before truncation


_SWAPPER = """
import contextlib, os, sys
root, outside = sys.argv[1], sys.argv[2]
n = 0
while True:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(root + "/next")
    os.symlink(root + "/in" if n % 2 == 0 else outside, root + "/next")
    os.rename(root + "/next", root + "/link")
    n += 1
"""


def test_a_swapped_symlink_never_escapes(tmp_path: Path) -> None:
    """A process swaps ``link`` between a directory inside and one outside as fast as it can (a process,
    not a thread: the GIL would keep the swaps out of the window between a check and an open) while flows
    read through it: no read returns the outside file. The check-then-open sandbox this replaced let about
    one read in ten escape here."""
    root, outside = tmp_path / "sb", tmp_path / "outside"
    (root / "in").mkdir(parents=True)
    outside.mkdir()
    (root / "in/data").write_text("inside")
    (outside / "data").write_text("outside")
    text = (
        "name: t\nnodes:\n  - {name: a, uses: file.read, with: {path: link/data}, output: got}\n"
        "edges:\n  - {from: __start__, to: a}\n  - {from: a, to: __end__}\n"
    )
    flow = yamlflow.load_str(text)
    swapper = subprocess.Popen([sys.executable, "-c", _SWAPPER, str(root), str(outside)])
    outcomes = {"inside": 0, "outside": 0, "refused": 0}
    try:
        for _ in range(2000):
            outcome = yamlflow.run(flow, yamlflow.RunOptions(sandbox=root))
            got = outcome.state.get("got") if outcome.status == "completed" else None
            outcomes["outside" if got == "outside" else "inside" if got else "refused"] += 1
        for _ in range(2000):
            try:
                with sandbox_open("file.read", root, "link/data", Access.READ) as f:
                    outcomes[f.read().decode()] += 1
            except (SandboxEscape, OSError):
                outcomes["refused"] += 1
    finally:
        swapper.kill()
        swapper.wait()
    assert outcomes["outside"] == 0, outcomes
    assert outcomes["inside"] > 0 and outcomes["refused"] > 0, outcomes


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
