"""Sampling and tenant scoping (contract §3.8): whether a run keeps its non-error events, decided from the
flow's name and its input alone, which spans a run that does not keeps anyway, and the tenant stamped on
every event of the run. Mirrors ``engine/src/observability/scope.rs``."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ..error import LoadError
from ..event import EventType, Level
from ..flow import Flow


def is_error_event(event: dict[str, Any]) -> bool:
    """An *error event* (contract §3.8): an ``error`` event (a retry warning included) or any event at level
    ``error``. Sampling and the ring buffer never drop one."""
    return event["event_type"] == EventType.ERROR.as_str() or event["level"] == Level.ERROR.as_str()


_FNV_OFFSET = 0xCBF29CE484222325
_FNV_PRIME = 0x100000001B3
_MASK = (1 << 64) - 1
# `json.stringify`'s spelling (contract §2.2): compact, keys sorted, non-ASCII as is, floats by repr.
_CANONICAL = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False)


def fnv1a64(data: bytes) -> int:
    """FNV-1a, 64 bits, over ``data``."""
    h = _FNV_OFFSET
    for byte in data:
        h = ((h ^ byte) * _FNV_PRIME) & _MASK
    return h


def sampling_point(name: str, input: dict[str, Any]) -> float:
    """The run's sampling point in [0, 1) (contract §3.8): FNV-1a 64 of the UTF-8 of the flow's name, one 0
    byte and the input as ``json.stringify`` writes it; its top 53 bits over 2^53."""
    text = _CANONICAL.encode(input)
    h = fnv1a64(name.encode("utf-8") + b"\x00" + text.encode("utf-8"))
    # Both halves are exact in a double: an integer below 2^53 and a power of two.
    return (h >> 11) / float(1 << 53)


@dataclass
class RunScope:
    """What a run's observability context knows of the run itself (contract §3.8)."""

    # The tenant stamped on every event, if any.
    tenant: str | None = None
    # Whether every event is kept (no sampling, or the run's point is below the rate).
    keeps_all: bool = False

    @classmethod
    def of(cls, flow: Flow, input: dict[str, Any]) -> RunScope:
        """The scope of a run of ``flow`` with ``input``: the settings' tenant, else the input's ``tenant``,
        which must then be a non-empty string (an ``Io`` load error of ``<input>`` otherwise). Rust:
        ``RunScope::new``."""
        settings = flow.observability
        tenant = settings.tenant
        if tenant is None and "tenant" in input:
            tenant = input["tenant"]
            if type(tenant) is not str or not tenant:
                raise LoadError("Io", "input 'tenant' must be a non-empty string", "<input>")
        sampling = settings.sampling
        keeps_all = sampling is None or sampling_point(flow.name, input) < sampling.rate
        return cls(tenant, keeps_all)


@dataclass
class _Held:
    """One open span of a run that does not keep every event."""

    parent: str | None
    # Kept: its events are emitted as they come.
    kept: bool = False
    # Its events so far, while it is not kept.
    events: list[dict[str, Any]] = field(default_factory=list)


class Sampler:
    """The open spans of a run that does not keep every event (contract §3.8): a span's events are held
    until the span is kept (an error event in it or below it, or its end slower than ``slow_ms``), then
    emitted with its ancestors', outermost first; a span that ends not kept takes its held events with it."""

    def __init__(self, slow_ms: float | None) -> None:
        """A sampler keeping spans slower than ``slow_ms``, when given."""
        self._slow_ms = slow_ms
        self._spans: dict[str, _Held] = {}

    def begin(self, span: str, parent: str | None) -> None:
        """Span ``span`` (child of ``parent``) opened, whether its entry is emitted or not."""
        self._spans[span] = _Held(parent)

    def settle(self, span: str, duration_ms: float, out: list[dict[str, Any]]) -> None:
        """Span ``span`` is ending after ``duration_ms``: a slow one is kept, into ``out``."""
        if self._slow_ms is not None and duration_ms > self._slow_ms:
            self._keep(span, out)

    def finish(self, span: str) -> None:
        """Span ``span`` has ended: forgets it, and its held events when it was not kept."""
        self._spans.pop(span, None)

    def admit(self, event: dict[str, Any], out: list[dict[str, Any]]) -> None:
        """Takes ``event`` in: an error event keeps its span; an event of a kept span (or of no span known
        here) goes to ``out``, in order, after what keeping released; any other is held."""
        if is_error_event(event):
            self._keep(event["span_id"], out)
        held = self._spans.get(event["span_id"])
        if held is not None and not held.kept:
            held.events.append(event)
        else:
            out.append(event)

    def _keep(self, span: str, out: list[dict[str, Any]]) -> None:
        """Keeps span ``span`` and its ancestors, releasing their held events into ``out``, outermost span
        first, each span's in the order they came."""
        chain: list[_Held] = []
        at: str | None = span
        while at is not None:
            held = self._spans.get(at)
            if held is None or held.kept:
                break
            chain.append(held)
            at = held.parent
        for held in reversed(chain):
            held.kept = True
            out.extend(held.events)
            held.events.clear()
