"""The event record of contract §3 and its enums. Mirrors ``engine/src/event.rs``.

Events are plain dicts with the thirteen fields in schema order (contract §3.1), so handlers, the ring
buffer and ``obs.query`` share one object per event; they are never mutated after emission.
"""

from __future__ import annotations

import json
from enum import IntEnum
from typing import Any

FIELDS = (
    "flow_id",
    "span_id",
    "parent_id",
    "node",
    "kind",
    "action",
    "level",
    "timestamp",
    "seq",
    "event_type",
    "message",
    "data",
    "metrics",
)


class Level(IntEnum):
    """Event severity, ordered DEBUG < INFO < WARN < ERROR; ``str(level)`` is the contract's spelling."""

    DEBUG = 10
    INFO = 20
    WARN = 30
    ERROR = 40

    def __str__(self) -> str:
        return self.name.lower()


LEVEL_NAMES = {Level.DEBUG: "debug", Level.INFO: "info", Level.WARN: "warn", Level.ERROR: "error"}
LEVELS_BY_NAME = {v: k for k, v in LEVEL_NAMES.items()}

_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def to_json(value: Any) -> str:
    """Compact JSON, UTF-8 not ASCII-escaped, never NaN (brief "Observability")."""
    return _ENCODER.encode(value)
