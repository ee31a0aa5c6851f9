"""What a fan-out branch sees of the run (contract §3.6): inside a branch, ``obs.*`` reads the events
up to the fork (the parallel span's entry included) and the branch's own events, never another
branch's, so the same flow gives the same result on every run whatever the threads do. Mirrors
``engine/src/observability/branch.rs``."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from .flow_log import SpanTable
from .stream import EventStream


@dataclass
class _Fork:
    """The buffer and the span table as they were when a parallel span opened."""

    stream: EventStream
    spans: SpanTable


@dataclass
class _Branch:
    """One branch: its parallel span (whose fork it sees) and the events the branch emitted since."""

    parallel: str
    own: list[dict[str, Any]] = field(default_factory=list)


class Branches:
    """The open forks of a run and their branches, by node span id (empty unless the run forks)."""

    def __init__(self) -> None:
        self._forks: dict[str, _Fork] = {}
        self._branches: dict[str, _Branch] = {}

    def fork(self, parallel: str, stream: EventStream, spans: SpanTable) -> None:
        """Keeps the buffer and the span table as they are at the entry of parallel span ``parallel``."""
        self._forks[parallel] = _Fork(copy.copy(stream), copy.deepcopy(spans))

    def branch(self, node: str, parallel: str) -> None:
        """Registers node span ``node``, a branch of parallel span ``parallel``, when that one forked."""
        if parallel in self._forks:
            self._branches[node] = _Branch(parallel)

    def join(self, parallel: str) -> EventStream | None:
        """Forgets parallel span ``parallel``'s fork and branches once its branches have ended, and returns
        the buffer the run keeps from then on: the fork's, with each branch's events added as if the branches
        had run one after another in the order of their node names (contract §3.5), and kept in that order:
        which events a full buffer drops, then and later, does not depend on threads (the buffer is read in
        ``seq`` order, ``stream.py``)."""
        fork = self._forks.pop(parallel, None)
        if fork is None:
            return None
        ended = [b for b in self._branches.values() if b.parallel == parallel]
        for node in [n for n, b in self._branches.items() if b.parallel == parallel]:
            del self._branches[node]
        ended.sort(key=_node_of)
        stream = copy.copy(fork.stream)
        for branch in ended:
            for event in branch.own:
                stream.push(event)
        return stream

    def _find(self, span_id: str, parent: str | None) -> _Branch | None:
        branch = self._branches.get(span_id)
        if branch is None and parent is not None:
            branch = self._branches.get(parent)
        return branch

    def record(self, span_id: str, parent: str | None, event: dict[str, Any]) -> None:
        """Keeps ``event``, emitted in span ``span_id`` (child of ``parent``), when it is a branch's. Any
        other event emitted while a fork is open belongs before it: an entry a sampled run held back and
        released by a branch (contract §3.8), which every branch then sees."""
        if not self._forks:
            return
        branch = self._find(span_id, parent)
        if branch is not None:
            branch.own.append(event)
            return
        for fork in self._forks.values():
            fork.spans.observe(event)
            fork.stream.push(event)

    def view(self, span_id: str, parent: str | None) -> tuple[EventStream, SpanTable] | None:
        """The buffer and span table span ``span_id`` (child of ``parent``) sees when it is in a branch: the
        fork's with the branch's own events added, as if the branch ran alone (its buffer keeps the last
        ``buffer_size`` of them and counts the rest as dropped)."""
        branch = self._find(span_id, parent)
        if branch is None:
            return None
        fork = self._forks[branch.parallel]
        stream = copy.copy(fork.stream)
        spans = copy.deepcopy(fork.spans)
        for event in branch.own:
            spans.observe(event)
            stream.push(event)
        return stream, spans


def _node_of(branch: _Branch) -> str:
    """The node a branch ran (its first event's); a branch that emitted nothing adds nothing."""
    return branch.own[0]["node"] if branch.own else ""
