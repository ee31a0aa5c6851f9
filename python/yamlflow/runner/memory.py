"""One run's memory (contract §1.2, §2.2): the store ``memory.*`` actions read and write, never rolled back.
Inside a fan-out each branch reads and writes its own copy, taken at the fork; the copies are applied in
list order when the branches end, so concurrent branches never race. Mirrors
``engine/src/runner/memory.rs``."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from ..values import copy_json, json_equal

if TYPE_CHECKING:
    from ..observability import Span


class Memory:
    """One run's memory: the store, and while a fan-out runs, one copy per branch; thread-safe."""

    def __init__(self) -> None:
        self._values: dict[str, Any] = {}
        # The running branches' copies: node span id, node name, the copy.
        self._branches: list[tuple[str, str, dict[str, Any]]] = []
        self._lock = threading.Lock()

    def _store(self, span: Span) -> dict[str, Any]:
        """The store ``span`` sees: its branch's copy, or the run's store (call under the lock)."""
        for span_id, _name, copy in self._branches:
            if span_id in (span.id, span.parent_id):
                return copy
        return self._values

    def insert(self, span: Span, key: str, value: Any) -> None:
        """Stores a copy of ``value`` under ``key``, as an action in ``span``."""
        with self._lock:
            self._store(span)[key] = copy_json(value)

    def get(self, span: Span, key: str, default: Any) -> Any:
        """A copy of the value under ``key`` as an action in ``span`` sees it, or ``default``."""
        with self._lock:
            values = self._store(span)
            return copy_json(values[key]) if key in values else default

    def branch(self, node: Span) -> None:
        """Gives fan-out branch ``node`` (its node span, before its first action) a copy of the store."""
        with self._lock:
            self._branches.append((node.id, node.node, copy_json(self._values)))

    def join(self, branches: list[str]) -> None:
        """Applies the branches' copies when their fan-out ends, in the order of ``branches``: every key
        whose value differs from the store's (a later branch wins)."""
        with self._lock:
            copies = sorted(self._branches, key=lambda entry: branches.index(entry[1]))
            self._branches = []
            before = dict(self._values)
            for _span_id, _name, copy in copies:
                for key, value in copy.items():
                    if key not in before or not json_equal(before[key], value):
                        self._values[key] = value
