"""Observability: the per-run context, the ring-buffered event stream, handlers and redaction
(contract §3, §3.5). Mirrors ``engine/src/observability/mod.rs``.

Emit path: build the event → drop it if disabled or below the level (no seq) → redact ``data``/``metrics``
→ under one lock: timestamp and ``seq`` (0-based, gap-free), record it in the span table, hand it to the
handlers in order (declared, then API callbacks), append it to the ring buffer. Holding the lock across the
handlers keeps every handler's view in ``seq`` order, even from concurrent branches.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from time import perf_counter
from typing import Any, TypeVar

from ..event import EventType, Level, SpanKind, to_json
from ..flow import ObservabilitySettings
from ..values import copy_json
from . import flow_log
from .branch import Branches
from .flow_log import SpanTable
from .handlers import Callback, ConsoleSink, Handler, _Callback
from .redact import Redactor
from .scope import RunScope, Sampler
from .stream import EventStream

__all__ = ["Callback", "ConsoleSink", "EventStream", "ObservabilityContext", "Span", "get_flow_log"]

R = TypeVar("R")

_REGISTRY: OrderedDict[str, ObservabilityContext] = OrderedDict()
_REGISTRY_LIMIT = 16  # recent runs only: each holds its whole buffer (contract §6)
_REGISTRY_LOCK = threading.Lock()


def get_flow_log(flow_id: str, tenant: str | None = None) -> dict[str, Any] | None:
    """The flow log of a recent run of this process (``get_flow_log(flow_id)`` of contract §3.6), when
    ``tenant`` is that run's tenant (None for a run without one): no tenant reads another's run (§3.8)."""
    with _REGISTRY_LOCK:
        ctx = _REGISTRY.get(flow_id)
    return ctx.get_flow_log(flow_id, tenant) if ctx is not None else None


def new_id() -> str:
    """A new lower-case hyphenated UUID v4."""
    return str(uuid.uuid4())


class Span:
    """One open span: what every event in it shares, and when it started."""

    __slots__ = ("action", "id", "kind", "node", "parent_id", "started")

    def __init__(self, parent: Span | None, node: str, kind: SpanKind, action: str | None) -> None:
        """A new span starting now."""
        self.id = new_id()
        self.parent_id = parent.id if parent is not None else None
        self.node = node
        self.kind = kind
        self.action = action
        self.started = perf_counter()

    def elapsed_ms(self) -> float:
        """Milliseconds since the span's entry (a float, contract §3.2)."""
        return (perf_counter() - self.started) * 1000.0


class ObservabilityContext:
    """The per-run observability state: seq counter, handlers, buffer, span table; thread-safe (fan-out
    branches emit concurrently)."""

    def __init__(
        self,
        flow_id: str,
        settings: ObservabilitySettings,
        sandbox: Path,
        callbacks: list[Callback] | tuple[Callback, ...] = (),
        console: ConsoleSink | None = None,
        start: dict[str, Any] | None = None,
        scope: RunScope | None = None,
    ) -> None:
        """A context for a new run with id ``flow_id``; ``start`` is the starting state when it is within
        the limits (``learn_secrets`` learns from it, contract §3.4); ``scope`` its tenant and sampling
        decision (contract §3.8)."""
        scope = scope if scope is not None else RunScope()
        handlers = Handler.declared(settings.handlers, sandbox, flow_id, console) if settings.enabled else []
        handlers.extend(_Callback(cb) for cb in callbacks)
        self._flow_id = flow_id
        self.enabled = settings.enabled
        self.level = settings.level
        self.redactor = Redactor(settings.redact, settings.secrets)
        if settings.learn_secrets and start is not None:
            self.redactor.learn(start)
        self._lock = threading.Lock()
        # Events produced, emitted or not (the event limit counts them).
        self._produced = 0
        self._produced_lock = threading.Lock()
        self._next_seq = 0
        # The run's tenant, stamped on every event (contract §3.8).
        self._tenant = scope.tenant
        # The held spans of a run that does not keep every event (contract §3.8).
        sampling = settings.sampling
        self._sampler = Sampler(sampling.slow_ms) if sampling is not None and not scope.keeps_all else None
        # The last emitted event's timestamp: a held event released later never goes below it.
        self._last_timestamp = 0.0
        self.stream = EventStream(settings.buffer_size)
        self.spans = SpanTable()
        # What fan-out branches see (contract §3.6).
        self.branches = Branches()
        self.handlers: list[Handler] = handlers
        self._wants_line = any(h.wants_line for h in handlers)
        with _REGISTRY_LOCK:
            _REGISTRY[flow_id] = self
            while len(_REGISTRY) > _REGISTRY_LIMIT:
                _REGISTRY.popitem(last=False)

    @property
    def flow_id(self) -> str:
        """The run's id."""
        return self._flow_id

    @property
    def tenant(self) -> str | None:
        """The run's tenant, if it has one (contract §3.8)."""
        return self._tenant

    def produced(self) -> int:
        """How many events the run has produced so far, emitted or dropped by the level filter (contract
        §6.12: the event limit)."""
        return self._produced

    def produce(self, level: Level) -> bool:
        """Counts one event the run produces and says whether it is emitted (``wants``)."""
        with self._produced_lock:
            self._produced += 1
        return self.wants(level)

    def wants(self, level: Level) -> bool:
        """Whether an event at ``level`` would be emitted (callers skip building payloads otherwise)."""
        return self.enabled and level >= self.level

    def emit(
        self,
        span: Span,
        level: Level,
        event_type: EventType,
        message: str | None,
        data: dict[str, Any],
        metrics: dict[str, Any],
    ) -> None:
        """Emits one event in ``span``."""
        if not self.wants(level):
            return
        red = self.redactor
        event = {
            "flow_id": self._flow_id,
            "span_id": span.id,
            "parent_id": span.parent_id,
            "node": span.node,
            "kind": span.kind.as_str(),
            "action": span.action,
            "level": level.as_str(),
            "timestamp": 0.0,
            "seq": 0,
            "event_type": event_type.as_str(),
            "message": red.redact_message(message),
            "data": red.redact_data(data) if data else {},
            "metrics": red.redact_metrics(metrics) if metrics else {},
        }
        if self._tenant is not None:
            event["tenant"] = self._tenant
        with self._lock:
            # Taken under the lock with the seq, so timestamps follow seq (contract §6); a held event keeps
            # the time it was produced (contract §3.8).
            event["timestamp"] = time.time()
            if self._sampler is None:
                self._publish(event)
            else:
                out: list[dict[str, Any]] = []
                self._sampler.admit(event, out)
                for released in out:
                    self._publish(released)

    def _publish(self, event: dict[str, Any]) -> None:
        """Emits ``event``, under the lock: its timestamp (never below the last one), its ``seq``, the span
        table, the branches, the handlers in order and the buffer. Rust: ``Shared::publish``."""
        event["timestamp"] = max(event["timestamp"], self._last_timestamp)
        self._last_timestamp = event["timestamp"]
        event["seq"] = self._next_seq
        self._next_seq += 1
        self.spans.observe(event)
        self.branches.record(event["span_id"], event["parent_id"], event)
        if self.handlers:
            # Serialized once, and only when a handler writes lines (the file handler).
            line = to_json(event) if self._wants_line else None
            for handler in self.handlers:
                try:
                    handler.handle(event, line)
                except Exception:
                    continue
        self.stream.push(event)

    def _with_sampler(self, f: Callable[[Sampler, list[dict[str, Any]]], None]) -> None:
        """Runs ``f`` on the sampler of a run that holds events back, and emits what it releases."""
        sampler = self._sampler
        if sampler is None:
            return
        with self._lock:
            out: list[dict[str, Any]] = []
            f(sampler, out)
            for event in out:
                self._publish(event)

    # -- span lifecycle (contract §6): every entry/exit/error message is written once ------------------

    def open(self, span: Span, data: Callable[[], dict[str, Any]]) -> None:
        """A span's ``entry`` event (``{kind} started``); ``data`` is built only when the event is wanted."""
        self._with_sampler(lambda sampler, _out: sampler.begin(span.id, span.parent_id))
        level = span.kind.entry_level()
        if self.produce(level):
            message = lifecycle_messages(span.kind).started
            self.emit(span, level, EventType.ENTRY, message, data(), {})

    def exit(self, span: Span, output: Callable[[], Any]) -> None:
        """A span's ``exit`` event (``{kind} completed``, ``{output}``), with its duration; a span slower than
        ``slow_ms`` is kept (contract §3.8)."""
        level = span.kind.entry_level()
        elapsed = span.elapsed_ms()
        self._with_sampler(lambda sampler, out: sampler.settle(span.id, elapsed, out))
        if self.produce(level):
            message = lifecycle_messages(span.kind).completed
            self.emit(span, level, EventType.EXIT, message, one("output", output()), {"duration_ms": elapsed})
        self._with_sampler(lambda sampler, _out: sampler.finish(span.id))

    def fail(self, span: Span, error: dict[str, Any], attempt: int | None) -> None:
        """A span's final ``error`` event (``{kind} failed``, level error): ``{error}``, plus ``attempt`` for
        a node."""
        if self.produce(Level.ERROR):
            data = one("error", error)
            if attempt is not None:
                data["attempt"] = attempt
            message = lifecycle_messages(span.kind).failed
            self.emit(span, Level.ERROR, EventType.ERROR, message, data, _duration(span))
        self._with_sampler(lambda sampler, _out: sampler.finish(span.id))

    def retry(self, span: Span, error: dict[str, Any], attempt: int) -> None:
        """The warn ``error`` event of a node attempt that will be retried: ``attempt N failed``."""
        if self.produce(Level.WARN):
            data = one("error", error)
            data["attempt"] = attempt
            self.emit(span, Level.WARN, EventType.ERROR, f"attempt {attempt} failed", data, _duration(span))

    def flow_log(self) -> dict[str, Any]:
        """The flow log so far (contract §3.6)."""
        with self._lock:
            return flow_log.build(self._flow_id, self._tenant, self.stream, self.spans)

    def flow_log_in(self, span: Span) -> dict[str, Any]:
        """The flow log as an action in ``span`` sees it: inside a fan-out branch, the run up to the fork and
        the branch's own events (contract §3.6)."""
        with self._lock:
            view = self.branches.view(span.id, span.parent_id)
            stream, spans = view if view is not None else (self.stream, self.spans)
            return flow_log.build(self._flow_id, self._tenant, stream, spans)

    def fork(self, parallel: Span) -> None:
        """Keeps what the branches of parallel span ``parallel``, just opened, will see (contract §3.6)."""
        with self._lock:
            self.branches.fork(parallel.id, self.stream, self.spans)

    def branch(self, node: Span) -> None:
        """Registers node span ``node`` as a fan-out branch, before its first event."""
        if node.parent_id is not None:
            with self._lock:
                self.branches.branch(node.id, node.parent_id)

    def join(self, parallel: Span) -> None:
        """Forgets what the branches of parallel span ``parallel`` saw, once they have ended, and keeps the
        buffer their events leave when replayed in node-name order (contract §3.5)."""
        with self._lock:
            stream = self.branches.join(parallel.id)
            if stream is not None:
                self.stream = stream

    def get_flow_log(self, flow_id: str, tenant: str | None = None) -> dict[str, Any] | None:
        """The flow log of run ``flow_id``, if that is this context's run and ``tenant`` its tenant (None for
        a run without one): no tenant reads another's run (contract §3.8)."""
        return self.flow_log() if flow_id == self._flow_id and tenant == self._tenant else None

    def events(self) -> list[dict[str, Any]]:
        """A copy of the buffered events, in ``seq`` order."""
        with self._lock:
            return [copy_json(e) for e in self.stream.iter()]

    @property
    def dropped(self) -> int:
        """How many events the ring buffer overwrote."""
        with self._lock:
            return self.stream.dropped

    def with_events_in(self, span: Span, f: Callable[[list[dict[str, Any]]], R]) -> R:
        """Runs ``f`` over the buffered events as an action in ``span`` sees them, under the lock (contract
        §3.6: a fan-out branch sees the run up to the fork and its own events)."""
        with self._lock:
            view = self.branches.view(span.id, span.parent_id)
            stream = view[0] if view is not None else self.stream
            return f(list(stream.iter()))

    def close(self) -> None:
        """Closes the handlers' files (Rust drops them with the context)."""
        for h in self.handlers:
            try:
                h.close()
            except Exception:
                continue


@dataclass(frozen=True)
class LifecycleMessages:
    """The lifecycle messages of one span kind (contract §3.2)."""

    started: str
    completed: str
    failed: str


# Written out, as in engine/src/observability/mod.rs: each message is contract text, found by
# searching for it on both sides.
_FLOW = LifecycleMessages(started="flow started", completed="flow completed", failed="flow failed")
_NODE = LifecycleMessages(started="node started", completed="node completed", failed="node failed")
_STEP = LifecycleMessages(started="step started", completed="step completed", failed="step failed")
_PARALLEL = LifecycleMessages(
    started="parallel started", completed="parallel completed", failed="parallel failed"
)


_LIFECYCLE = {
    SpanKind.FLOW: _FLOW,
    SpanKind.NODE: _NODE,
    SpanKind.STEP: _STEP,
    SpanKind.PARALLEL: _PARALLEL,
}


def lifecycle_messages(kind: SpanKind) -> LifecycleMessages:
    """The one table of lifecycle messages."""
    return _LIFECYCLE[kind]


def one(key: str, value: Any) -> dict[str, Any]:
    """A one-entry map (event ``data``)."""
    return {key: value}


def _duration(span: Span) -> dict[str, Any]:
    """``{duration_ms: D}`` for a span's exit or error event."""
    return {"duration_ms": span.elapsed_ms()}
