"""The in-memory EventStream: a ring buffer of the last ``buffer_size`` events (contract §3).
Mirrors ``engine/src/observability/stream.rs``."""

from __future__ import annotations

from collections import deque
from typing import Any


class EventStream:
    """Keeps the newest ``capacity`` events; ``dropped`` counts the ones overwritten."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._events: deque[dict[str, Any]] = deque(maxlen=capacity)
        self.dropped = 0

    def append(self, event: dict[str, Any]) -> None:
        if len(self._events) == self.capacity:
            self.dropped += 1
        self._events.append(event)

    def events(self) -> list[dict[str, Any]]:
        """The buffered events in seq order."""
        return list(self._events)

    def __len__(self) -> int:
        return len(self._events)
