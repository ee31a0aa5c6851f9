"""The order of file actions inside a fan-out (contract §1.2, "Files"): a file lies outside the run, so what a
branch writes can be neither held back nor rolled back like its state or its memory. Branches run
concurrently, but a branch's file actions wait until every branch listed before it has ended: the files see
the branches one after another, in list order, on every run. Mirrors ``engine/src/runner/file_order.rs``."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..observability import Span


class FileOrder:
    """One run's file order: the turns of the running fan-out; thread-safe."""

    def __init__(self) -> None:
        # The fan-out's branches (node names), in list order; empty outside a fan-out.
        self._names: list[str] = []
        # Each branch's node span id and its place in `_names`.
        self._spans: list[tuple[str, int]] = []
        # Whether each branch has ended (failed or not).
        self._ended: list[bool] = []
        self._changed = threading.Condition()

    def fork(self, branches: list[str]) -> None:
        """A fan-out of ``branches`` starts."""
        with self._changed:
            self._names = list(branches)
            self._spans = []
            self._ended = [False] * len(branches)

    def branch(self, node: Span) -> None:
        """Fan-out branch ``node`` (its node span, before its first action) has started."""
        with self._changed:
            if node.node in self._names:
                self._spans.append((node.id, self._names.index(node.node)))

    def wait(self, span: Span) -> None:
        """Waits until every branch listed before the one ``span`` belongs to has ended; returns at once
        outside a fan-out."""
        with self._changed:
            mine = next((place for id, place in self._spans if id in (span.id, span.parent_id)), None)
            if mine is None:
                return
            while False in self._ended[:mine]:
                self._changed.wait()

    @contextmanager
    def ending(self, place: int) -> Iterator[None]:
        """Marks branch ``place`` ended when the block exits, also when the branch raises (a branch waiting
        for it would otherwise wait for ever)."""
        try:
            yield
        finally:
            with self._changed:
                if place < len(self._ended):
                    self._ended[place] = True
                self._changed.notify_all()

    def join(self) -> None:
        """The fan-out has ended."""
        with self._changed:
            self._names, self._spans, self._ended = [], [], []
