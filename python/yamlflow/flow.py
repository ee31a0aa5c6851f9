"""The flow model: what a loaded, validated flow document holds (contract §1).

The loader (``loader/``) builds these types and guarantees the graph rules of
contract §1.4, so the runner can index nodes by name without checking again.
Mirrors ``engine/src/flow.rs``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeAlias

from .event import Level

START = "__start__"
END = "__end__"


@dataclass(frozen=True)
class HandlerSpec:
    """A handler declared under ``settings.observability.handlers``: console, file (with path) or callback."""

    type: str
    path: str | None = None


@dataclass(frozen=True)
class Sampling:
    """``settings.observability.sampling`` (contract §3.8)."""

    # The share of runs kept in full, 0.0 to 1.0.
    rate: float
    # Spans lasting longer than this many milliseconds are kept in every run.
    slow_ms: float | None = None


@dataclass
class ObservabilitySettings:
    """``settings.observability`` with defaults filled in (contract §3.5)."""

    enabled: bool = True
    level: Level = Level.INFO
    buffer_size: int = 1000
    handlers: list[HandlerSpec] = field(default_factory=list)
    redact: list[str] = field(default_factory=list)
    # Secret values redacted wherever they occur inside a string (contract §3.4).
    secrets: list[str] = field(default_factory=list)
    # Whether the strings under redacted keys of the starting state are secret values too.
    learn_secrets: bool = False
    # Which runs keep their non-error events (contract §3.8); None keeps every run's.
    sampling: Sampling | None = None
    # The tenant stamped on every event of the run (contract §3.8); it wins over the input's.
    tenant: str | None = None


@dataclass(frozen=True)
class Limits:
    """``settings.limits`` (contract §6.12): the run limits. A flow may lower each, never raise it; the
    defaults are the ceilings."""

    # Nested arrays/objects a value may hold (`{}` is 1, a scalar 0). At the default, events nest at most
    # 103 levels, below the 127 a JSON reader must accept.
    value_depth: int = 100
    # The size of one value: one per JSON value, plus the characters of strings and keys.
    value_size: int = 10_000_000
    # The size of the state, counted like a value's.
    state_size: int = 10_000_000
    # Events one run may produce (emitted, or dropped by the level filter).
    events: int = 100_000
    # Loop iterations one template rendering may run, every `for` of it together.
    template_iterations: int = 100_000
    # Characters one text template may write.
    template_output: int = 10_000_000


# The defaults (Rust: ``Limits::DEFAULT``).
DEFAULT_LIMITS = Limits()


@dataclass
class ActionCall:
    """A call of a builtin action: a node's own or one step."""

    uses: str
    with_: dict[str, Any]
    output: str | None = None


# A node either uses one action or runs a sequence of steps (each in its own step span).
NodeBody: TypeAlias = "ActionCall | list[ActionCall]"

# One end of an edge: a node name (or ``__start__``/``__end__``), or fan-out targets / fan-in sources in
# the order written.
Endpoint: TypeAlias = "str | list[str]"


@dataclass
class Node:
    """One node; ``body`` is its action call, or the list of its steps."""

    name: str
    body: NodeBody
    max_attempts: int = 1
    on_error: str | None = None


@dataclass
class Edge:
    """One edge; ``from_``/``to`` are a name or a list of branch names; ``when`` is None if unconditional."""

    from_: Endpoint
    to: Endpoint
    when: str | None = None


@dataclass
class Flow:
    """A validated flow document."""

    origin: str
    name: str
    description: str | None
    state: dict[str, Any]
    observability: ObservabilitySettings
    limits: Limits
    nodes: list[Node]
    edges: list[Edge]

    def fan_in(self, branches: list[str]) -> Edge | None:
        """The fan-in edge of the fan-out to ``branches``."""
        return fan_in(self.edges, branches)


def fan_in(edges: list[Edge], branches: list[str]) -> Edge | None:
    """The fan-in edge of a fan-out: the first edge whose ``from`` lists exactly ``branches`` (any order)."""
    for e in edges:
        if (
            isinstance(e.from_, list)
            and len(e.from_) == len(branches)
            and all(b in e.from_ for b in branches)
        ):
            return e
    return None
