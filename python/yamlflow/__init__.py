"""yamlflow: the Python twin of the YAML flow engine (mirrors the Rust crate ``yamlflow``,
``engine/src/lib.rs``).

Loads YAML flow documents (contract §1), runs them with the builtin actions (contract §2) and emits
observability events (contract §3) to handlers and an in-memory ring buffer.

    flow = yamlflow.load_file("fixtures/linear_three_nodes.yaml")
    outcome = yamlflow.run(flow, yamlflow.RunOptions(sandbox="."))
    print(outcome.status, outcome.state)
"""

from __future__ import annotations

import io
import json

from .error import LoadError, LoadErrorKind
from .event import ACTIONS, Event, EventType, Level, SpanKind, to_json
from .flow import (
    END,
    START,
    ActionCall,
    Edge,
    Endpoint,
    Flow,
    HandlerSpec,
    Node,
    NodeBody,
    ObservabilitySettings,
    Sampling,
)
from .loader import load_file, load_str, parse_input, parse_yaml
from .observability import Callback, ConsoleSink, EventStream, ObservabilityContext, get_flow_log
from .runner import RunOptions, RunOutcome, RunStatus, check_sandbox, run

__all__ = [
    "ACTIONS",
    "END",
    "START",
    "ActionCall",
    "Callback",
    "ConsoleSink",
    "Edge",
    "Endpoint",
    "Event",
    "EventStream",
    "EventType",
    "Flow",
    "HandlerSpec",
    "Level",
    "LoadError",
    "LoadErrorKind",
    "Node",
    "NodeBody",
    "ObservabilityContext",
    "ObservabilitySettings",
    "RunOptions",
    "RunOutcome",
    "RunStatus",
    "Sampling",
    "SpanKind",
    "check_sandbox",
    "get_flow_log",
    "load_file",
    "load_str",
    "parse_input",
    "parse_yaml",
    "run",
    "run_text",
]


def run_text(text: str, input_json: str, sandbox: str) -> tuple[str, str, str, str, str, str]:
    """Loads ``text`` (origin ``<string>``), runs it, and returns ``(events, status, state, console,
    flow_id, error)``: every event as JSON Lines, ``completed`` or ``failed``, the final state as JSON
    text, what console handlers wrote (captured instead of going to standard error), the run's id, and
    its failure ``{type, message}`` as JSON text (``null`` when it completed).

    This is the one call the parity harness makes through pyo3 per fixture (the whole flow in,
    everything out). Run failures are events and the status, never exceptions; LoadError is raised
    only for load errors (and an unusable input or sandbox)."""
    flow = load_str(text, "<string>")
    options = RunOptions(input=parse_input(input_json), sandbox=sandbox, console=io.StringIO())
    lines: list[str] = []
    options.callbacks.append(lambda e: lines.append(to_json(e) + "\n"))
    outcome = run(flow, options)
    state = json.dumps(outcome.state, ensure_ascii=False, allow_nan=False)
    assert isinstance(options.console, io.StringIO)
    error = None if outcome.error is None else {"type": outcome.error[0], "message": outcome.error[1]}
    return (
        "".join(lines),
        outcome.status.value,
        state,
        options.console.getvalue(),
        outcome.flow_id,
        json.dumps(error, ensure_ascii=False),
    )
