"""ObservabilityContext: builds, filters, redacts, numbers, buffers and dispatches events (contract §3,
contract §3.2, §3.6, §3.5, brief "Observability"). Mirrors ``engine/src/observability/mod.rs``.

Emit path: build event → disabled: drop → below level: drop (no seq) → redact data/metrics → under the lock:
timestamp, seq (0-based, gap-free), ring buffer, span table, handlers in order (declared, then callbacks).
Handlers run under the lock so every handler sees events in seq order even from concurrent branches.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import OrderedDict
from pathlib import Path
from time import perf_counter
from typing import Any, TextIO

from ..event import LEVEL_NAMES, Level, to_json
from ..flow import ObservabilitySettings
from . import flow_log
from .handlers import Callback, CallbackHandler, ConsoleHandler, FileHandler, Handler
from .redact import Redactor
from .stream import EventStream

__all__ = ["ObservabilityContext", "Span", "get_flow_log"]

_REGISTRY: OrderedDict[str, ObservabilityContext] = OrderedDict()
_REGISTRY_LIMIT = 16  # recent runs only: each holds its whole buffer (contract §6)
_REGISTRY_LOCK = threading.Lock()


def get_flow_log(flow_id: str) -> dict[str, Any] | None:
    """The flow log of a recent run of this process (``get_flow_log(flow_id)`` of contract §3)."""
    with _REGISTRY_LOCK:
        ctx = _REGISTRY.get(flow_id)
    return ctx.flow_log() if ctx is not None else None


def new_id() -> str:
    return str(uuid.uuid4())


class Span:
    """One span: the run, a node execution, a step or a fan-out."""

    __slots__ = ("action", "id", "kind", "node", "parent_id", "started")

    def __init__(self, parent: Span | None, node: str, kind: str, action: str | None) -> None:
        self.id = new_id()
        self.parent_id = parent.id if parent is not None else None
        self.node = node
        self.kind = kind
        self.action = action
        self.started = perf_counter()

    def elapsed_ms(self) -> float:
        return (perf_counter() - self.started) * 1000.0


_SPAN_LEVEL = {"flow": Level.INFO, "node": Level.INFO, "parallel": Level.INFO, "step": Level.DEBUG}
_MESSAGES = {
    "flow": ("flow started", "flow completed", "flow failed"),
    "node": ("node started", "node completed", "node failed"),
    "step": ("step started", "step completed", "step failed"),
    "parallel": ("parallel started", "parallel completed", "parallel failed"),
}


class ObservabilityContext:
    """Per-run event machinery; thread-safe (fan-out branches emit concurrently)."""

    def __init__(
        self,
        settings: ObservabilitySettings,
        sandbox: Path,
        callbacks: list[Callback] | tuple[Callback, ...] = (),
        flow_id: str | None = None,
        console: TextIO | None = None,
    ) -> None:
        self.flow_id = flow_id or new_id()
        self.enabled = settings.enabled
        self.min_level = settings.level
        self.redactor = Redactor(settings.redact)
        self.stream = EventStream(settings.buffer_size)
        self.spans = flow_log.SpanTable()
        self._lock = threading.Lock()
        self._seq = 0
        self.handlers: list[Handler] = []
        for spec in settings.handlers:
            if spec.type == "console":
                self.handlers.append(ConsoleHandler(console))
            elif spec.type == "file":
                self.handlers.append(FileHandler(sandbox, spec.path or "", self.flow_id))
            # A declared `callback` handler only documents that callbacks are registered from code.
        self.handlers.extend(CallbackHandler(cb) for cb in callbacks)
        self._wants_line = any(h.wants_line for h in self.handlers)
        with _REGISTRY_LOCK:
            _REGISTRY[self.flow_id] = self
            while len(_REGISTRY) > _REGISTRY_LIMIT:
                _REGISTRY.popitem(last=False)

    # -- the emit path ---------------------------------------------------------------------------------

    def emit(
        self,
        span: Span,
        event_type: str,
        level: Level,
        message: str | None,
        data: dict[str, Any] | None = None,
        metrics: dict[str, Any] | None = None,
    ) -> None:
        if not self.enabled or level < self.min_level:
            return
        red = self.redactor
        event = {
            "flow_id": self.flow_id,
            "span_id": span.id,
            "parent_id": span.parent_id,
            "node": span.node,
            "kind": span.kind,
            "action": span.action,
            "level": LEVEL_NAMES[level],
            "timestamp": 0.0,
            "seq": 0,
            "event_type": event_type,
            "message": message,
            "data": red.redact_data(data) if data else {},
            "metrics": red.metrics(metrics) if metrics else {},
        }
        with self._lock:
            event["timestamp"] = time.time()
            event["seq"] = self._seq
            self._seq += 1
            self.stream.append(event)
            self.spans.observe(event)
            if self.handlers:
                # Serialized once, and only when a handler writes lines (the file handler).
                line = to_json(event) if self._wants_line else None
                for handler in self.handlers:
                    try:
                        handler.handle(event, line)
                    except Exception:
                        continue

    def wants(self, level: Level) -> bool:
        """Whether an event at ``level`` would be emitted (lets callers skip building its data)."""
        return self.enabled and level >= self.min_level

    # -- span helpers (contract §3.2) --------------------------------------------------------------

    def open(
        self, parent: Span | None, node: str, kind: str, action: str | None, data: dict[str, Any]
    ) -> Span:
        span = Span(parent, node, kind, action)
        self.emit(span, "entry", _SPAN_LEVEL[kind], _MESSAGES[kind][0], data)
        return span

    def exit(self, span: Span, output: Any) -> None:
        self.emit(
            span,
            "exit",
            _SPAN_LEVEL[span.kind],
            _MESSAGES[span.kind][1],
            {"output": output},
            {"duration_ms": span.elapsed_ms()},
        )

    def fail(self, span: Span, error: tuple[str, str], attempt: int | None = None) -> None:
        """The span's final error event (level error)."""
        data: dict[str, Any] = {"error": {"type": error[0], "message": error[1]}}
        if attempt is not None:
            data["attempt"] = attempt
        self.emit(
            span, "error", Level.ERROR, _MESSAGES[span.kind][2], data, {"duration_ms": span.elapsed_ms()}
        )

    def retry(self, span: Span, error: tuple[str, str], attempt: int) -> None:
        """A failed attempt before the last (level warn)."""
        self.emit(
            span,
            "error",
            Level.WARN,
            f"attempt {attempt} failed",
            {"error": {"type": error[0], "message": error[1]}, "attempt": attempt},
            {"duration_ms": span.elapsed_ms()},
        )

    # -- reading -------------------------------------------------------------------------------------------

    def buffered(self) -> list[dict[str, Any]]:
        with self._lock:
            return self.stream.events()

    def flow_log(self) -> dict[str, Any]:
        with self._lock:
            return flow_log.build(self.flow_id, self.stream.events(), self.spans, self.stream.dropped)

    @property
    def dropped(self) -> int:
        return self.stream.dropped

    def close(self) -> None:
        for h in self.handlers:
            try:
                h.close()
            except Exception:
                continue
