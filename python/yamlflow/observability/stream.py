"""The in-memory ring buffer of a run's events (contract §3.5): keeps the last ``buffer_size`` events and
counts what it overwrote (``summary.dropped``); an error event is overwritten only by an error event, when the
buffer holds nothing else (contract §3.8). Mirrors ``engine/src/observability/stream.rs``."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from typing import Any

from .scope import is_error_event


class EventStream:
    """The in-memory ring buffer of a run's events."""

    def __init__(self, capacity: int) -> None:
        """An empty buffer keeping at most ``capacity`` events (at least one)."""
        self._capacity = max(capacity, 1)
        self._events: deque[dict[str, Any]] = deque()
        self._dropped = 0

    def push(self, event: dict[str, Any]) -> None:
        """Appends an event; when full, first drops (and counts) the oldest event that is not an error event
        (contract §3.8). When every buffered event is an error event, a new error event drops the oldest of
        them and any other new event is dropped itself."""
        events = self._events
        if len(events) == self._capacity:
            self._dropped += 1
            oldest = next((i for i, e in enumerate(events) if not is_error_event(e)), None)
            if oldest is not None:
                del events[oldest]
            elif is_error_event(event):
                events.popleft()
            else:
                return
        events.append(event)

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
