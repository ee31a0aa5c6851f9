"""The in-memory ring buffer of a run's events (contract §3): keeps the last ``buffer_size`` events and
counts what it overwrote (``summary.dropped``). Mirrors ``engine/src/observability/stream.rs``."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from typing import Any


class EventStream:
    """The in-memory ring buffer of a run's events."""

    def __init__(self, capacity: int) -> None:
        """An empty buffer keeping at most ``capacity`` events (at least one)."""
        self._capacity = max(capacity, 1)
        self._events: deque[dict[str, Any]] = deque(maxlen=self._capacity)
        self._dropped = 0

    def push(self, event: dict[str, Any]) -> None:
        """Appends an event, overwriting (and counting) the oldest one when full."""
        if len(self._events) == self._capacity:
            self._dropped += 1
        self._events.append(event)

    def iter(self) -> Iterator[dict[str, Any]]:
        """The buffered events, oldest (lowest ``seq``) first. After a fan-out the buffer holds its branches'
        events in their replay order (``branch.py``), which decides what a later overflow drops first; they
        are read in ``seq`` order all the same (contract §3.5)."""
        return iter(sorted(self._events, key=lambda event: event["seq"]))

    def len(self) -> int:
        """How many events are buffered."""
        return len(self._events)

    def is_empty(self) -> bool:
        """Whether nothing is buffered."""
        return not self._events

    @property
    def capacity(self) -> int:
        """The maximum number of buffered events."""
        return self._capacity

    @property
    def dropped(self) -> int:
        """How many events were overwritten."""
        return self._dropped

    def __copy__(self) -> EventStream:
        """A buffer of its own holding the same events (Rust: ``Clone``)."""
        other = EventStream(self._capacity)
        other._events.extend(self._events)
        other._dropped = self._dropped
        return other

    def __len__(self) -> int:
        return len(self._events)
