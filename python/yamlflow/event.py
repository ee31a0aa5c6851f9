"""The event record of contract §3 and its vocabulary: levels, span kinds, event types and the names of the
builtin actions, defined once here. Mirrors ``engine/src/event.rs``.

Events are plain dicts with the thirteen fields in schema order (contract §3.1), so handlers, the ring
buffer and ``obs.query`` share one object per event; they are never mutated after emission. Their values
are plain JSON values: the vocabulary's ``as_str()`` spelling, never the enum members.
"""

from __future__ import annotations

import json
import math
from enum import IntEnum, StrEnum
from typing import Any, TypedDict

from .values import replace_lone_surrogates

# The builtin actions, in the order of the action table (contract §2.1). Any other `uses` fails at run
# time with `UnknownAction` (contract §2.3).
ACTIONS = (
    "state.set",
    "text.render",
    "json.parse",
    "json.stringify",
    "memory.store",
    "memory.get",
    "file.write",
    "file.read",
    "sleep",
    "fail",
    "log.emit",
    "metric.emit",
    "obs.get_flow_log",
    "obs.query",
    "obs.export",
)


class Level(IntEnum):
    """Event severity, ordered DEBUG < INFO < WARN < ERROR; ``str(level)`` is the contract's spelling."""

    DEBUG = 10
    INFO = 20
    WARN = 30
    ERROR = 40

    def __str__(self) -> str:
        return self.as_str()

    @classmethod
    def parse(cls, name: str) -> Level | None:
        """Parses a contract level name (``debug``, ``info``, ``warn``, ``error``)."""
        return _LEVELS_BY_NAME.get(name)

    def as_str(self) -> str:
        """The contract name of the level."""
        return _LEVEL_NAMES[self._value_]


# By value: an int's hash is cheaper than an Enum member's (this is on the path of every event).
_LEVEL_NAMES = {10: "debug", 20: "info", 30: "warn", 40: "error"}
_LEVELS_BY_NAME = {name: Level(value) for value, name in _LEVEL_NAMES.items()}


class SpanKind(StrEnum):
    """The kind of span an event belongs to."""

    FLOW = "flow"
    NODE = "node"
    STEP = "step"
    PARALLEL = "parallel"

    def as_str(self) -> str:
        """The contract name of the span kind (a plain str)."""
        return self._value_

    @classmethod
    def parse(cls, name: str) -> SpanKind | None:
        """Parses a contract span kind name."""
        return cls._value2member_map_.get(name)  # type: ignore[return-value]

    def entry_level(self) -> Level:
        """The level of this kind's ``entry`` and ``exit`` events (contract §3.3): ``debug`` for steps,
        ``info`` for the others. Errors are always ``error``."""
        return Level.DEBUG if self is SpanKind.STEP else Level.INFO

    def accepts_parent(self, parent: SpanKind) -> bool:
        """Whether a span of this kind may have a span of kind ``parent`` as its parent (contract §1.2:
        steps live in nodes, fan-outs in the flow, branches in fan-outs)."""
        if self is SpanKind.FLOW:
            return False
        if self is SpanKind.NODE:
            return parent in (SpanKind.FLOW, SpanKind.PARALLEL)
        if self is SpanKind.STEP:
            return parent is SpanKind.NODE
        return parent is SpanKind.FLOW


class EventType(StrEnum):
    """What an event reports."""

    ENTRY = "entry"
    EXIT = "exit"
    ERROR = "error"
    METRIC = "metric"
    LOG = "log"

    def as_str(self) -> str:
        """The contract name of the event type (a plain str)."""
        return self._value_

    @classmethod
    def parse(cls, name: str) -> EventType | None:
        """Parses a contract event type name."""
        return cls._value2member_map_.get(name)  # type: ignore[return-value]


class Event(TypedDict):
    """One observability event (contract §3): exactly the fields of ``schema/event.schema.json``, in its
    order."""

    flow_id: str
    span_id: str
    parent_id: str | None
    node: str
    kind: str
    action: str | None
    level: str
    timestamp: float
    seq: int
    event_type: str
    message: str | None
    data: dict[str, Any]
    metrics: dict[str, Any]


FIELDS = tuple(Event.__annotations__)

_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)
_INDENTED = json.JSONEncoder(ensure_ascii=False, indent=2, allow_nan=False)


def to_json(value: Any, indent: int | None = None) -> str:
    """Compact JSON (or indented by two spaces), UTF-8 not ASCII-escaped, never NaN (brief "Observability").

    Always encodable (contract §3.1): a lone surrogate is written as U+FFFD and a non-finite number as null.
    The engine lets neither into a value; this only keeps an embedding caller's value from losing an event."""
    encoder = _ENCODER if indent is None else _INDENTED
    try:
        text = encoder.encode(value)
    except ValueError:
        text = encoder.encode(_finite(value))
    return replace_lone_surrogates(text)


def _finite(value: Any) -> Any:
    t = type(value)
    if t is float:
        return value if math.isfinite(value) else None
    if t is dict:
        return {k: _finite(v) for k, v in value.items()}
    if t is list or t is tuple:
        return [_finite(v) for v in value]
    return value
