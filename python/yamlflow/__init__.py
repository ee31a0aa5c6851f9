"""yamlflow: the Python twin of the YAML flow engine (mirrors the Rust crate ``yamlflow``)."""

from __future__ import annotations

import io
import json
from pathlib import Path

from .error import LoadError
from .event import to_json
from .flow import Flow
from .loader import load_file, load_str, parse_input
from .observability import get_flow_log
from .runner import RunOutcome, run

__all__ = [
    "Flow",
    "LoadError",
    "RunOutcome",
    "get_flow_log",
    "load_file",
    "load_str",
    "parse_input",
    "run",
    "run_text",
]


def run_text(text: str, input_json: str, sandbox: str) -> tuple[str, str, str, str]:
    """Loads ``text`` (origin ``<string>``), runs it, and returns ``(events, status, state, console)``:
    every event as JSON Lines, ``completed`` or ``failed``, the final state as JSON text, and what
    console handlers wrote (captured instead of going to standard error).

    This is the one call the parity harness makes through pyo3 per fixture (the whole flow in,
    everything out). Run failures are events and the status, never exceptions; LoadError is raised
    only for load errors (and an unusable input or sandbox)."""
    flow = load_str(text, "<string>")
    input_ = parse_input(input_json)
    if not Path(sandbox).is_dir():
        raise LoadError("Io", f"sandbox is not a directory: {sandbox}", "<string>")
    lines: list[str] = []
    console = io.StringIO()
    outcome = run(flow, input_, sandbox, [lambda e: lines.append(to_json(e) + "\n")], console)
    state = json.dumps(outcome.state, ensure_ascii=False, allow_nan=False)
    return "".join(lines), outcome.status, state, console.getvalue()
