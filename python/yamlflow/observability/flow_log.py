"""The flow log (contract §3, §3.6, brief "Observability"). Mirrors
``engine/src/observability/flow_log.rs``.

The span table is fed by every emitted event (after the level filter), including events the ring buffer
later overwrites: entry → running (children in entry order), exit → completed, final error (level error,
not the warn retry) → failed, duration_ms from the event's metrics.
"""

from __future__ import annotations

import math
from typing import Any

from ..values import copy_json
from .stream import EventStream

I64_MAX = 2**63 - 1


class SpanTable:
    """Every span seen in the emitted events (after the level filter, including events the buffer has since
    overwritten)."""

    def __init__(self) -> None:
        self._spans: dict[str, dict[str, Any]] = {}
        self.root: dict[str, Any] | None = None

    def observe(self, event: dict[str, Any]) -> None:
        """Records what an event says about its span."""
        et = event["event_type"]
        if et == "entry":
            span = {
                "span_id": event["span_id"],
                "parent_id": event["parent_id"],
                "node": event["node"],
                "kind": event["kind"],
                "status": "running",
                "duration_ms": None,
                "children": [],
            }
            self._spans[event["span_id"]] = span
            parent = self._spans.get(event["parent_id"]) if event["parent_id"] is not None else None
            if parent is not None:
                parent["children"].append(span)
            elif event["kind"] == "flow" and self.root is None:
                self.root = span
        elif et == "exit" or (et == "error" and event["level"] == "error"):
            span = self._spans.get(event["span_id"])
            if span is not None:
                span["status"] = "completed" if et == "exit" else "failed"
                span["duration_ms"] = event["metrics"].get("duration_ms")


def _copy_span(span: dict[str, Any]) -> dict[str, Any]:
    out = dict(span)
    out["children"] = [_copy_span(c) for c in span["children"]]
    return out


def build(flow_id: str, tenant: str | None, stream: EventStream, spans: SpanTable) -> dict[str, Any]:
    """``{flow_id, events, spans, summary}`` from the buffered events and the span table, with ``tenant``
    after ``flow_id`` only for a run with a tenant (contract §3.8)."""
    events = list(stream.iter())
    tokens = 0
    cost = 0.0
    errors = 0
    for e in events:
        if e["event_type"] == "error":
            errors += 1
        m = e["metrics"]
        t = m.get("tokens")
        if type(t) is int:
            tokens += t
        c = m.get("cost_usd")
        if type(c) in (int, float):
            cost += c
    root = spans.root
    log: dict[str, Any] = {"flow_id": flow_id}
    if tenant is not None:
        log["tenant"] = tenant
    log.update(
        {
            "events": [copy_json(e) for e in events],
            "spans": [_copy_span(root)] if root is not None else [],
            "summary": {
                "events": len(events),
                "errors": errors,
                "duration_ms": root["duration_ms"] if root is not None else None,
                # Saturating at i64::MAX as the Rust twin's `saturating_add` (contract §6); tokens are
                # never negative.
                "tokens": min(tokens, I64_MAX),
                # A sum past the largest double is null, as JSON has no infinity (contract §3.6).
                "cost_usd": float(cost) if math.isfinite(cost) else None,
                "dropped": stream.dropped,
            },
        }
    )
    return log
