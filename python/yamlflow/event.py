"""The event record of CONTRACT §3 and its enums. Mirrors ``engine/src/event.rs``."""

from __future__ import annotations

from enum import IntEnum


class Level(IntEnum):
    """Event severity, ordered DEBUG < INFO < WARN < ERROR; ``str(level)`` is the contract's spelling."""

    DEBUG = 10
    INFO = 20
    WARN = 30
    ERROR = 40

    def __str__(self) -> str:
        return self.name.lower()
