"""The flow model: what a loaded, validated flow document holds (contract §1).

The loader (``loader.py``) builds these types and guarantees the graph rules of
contract §1.4, so the runner can index nodes by name without checking again.
Mirrors ``engine/src/flow.rs``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .event import Level

START = "__start__"
END = "__end__"


@dataclass(frozen=True)
class HandlerSpec:
    """A handler declared under ``settings.observability.handlers``: console, file (with path) or callback."""

    type: str
    path: str | None = None


@dataclass
class ObservabilitySettings:
    """``settings.observability`` with defaults filled in (contract §3.5)."""

    enabled: bool = True
    level: Level = Level.INFO
    buffer_size: int = 1000
    handlers: list[HandlerSpec] = field(default_factory=list)
    redact: list[str] = field(default_factory=list)


@dataclass
class ActionCall:
    """A call of a builtin action: a node's own or one step."""

    uses: str
    with_: dict[str, Any]
    output: str | None = None


@dataclass
class Node:
    """One node; ``body`` is its action call, or the list of its steps (``NodeBody`` in Rust)."""

    name: str
    body: ActionCall | list[ActionCall]
    max_attempts: int = 1
    on_error: str | None = None


@dataclass
class Edge:
    """One edge; ``from_``/``to`` are a name or a list of branch names; ``when`` is None if unconditional."""

    from_: str | list[str]
    to: str | list[str]
    when: str | None = None


@dataclass
class Flow:
    """A validated flow document."""

    origin: str
    name: str
    description: str | None
    state: dict[str, Any]
    observability: ObservabilitySettings
    nodes: list[Node]
    edges: list[Edge]
