"""``log.emit`` and ``metric.emit``: one ``log`` / ``metric`` event in the calling span
(contract §3.2, §2.2). Mirrors ``engine/src/actions/emit.rs``."""

from __future__ import annotations

import math
from typing import Any

from ..event import EventType, Level
from ..limits import check_events
from .context import ActionCtx, ActionError
from .params import Params


def log(params: Params, ctx: ActionCtx) -> Any:
    # Checked in this order by both engines: message, level, data.
    message = params.str("message")
    level_name = params.opt_str("level")
    level_name = "info" if level_name is None else level_name
    level = Level.parse(level_name)
    if level is None:
        raise ActionError.action(f"log.emit: unknown level '{level_name}'")
    data = params.opt_object("data")
    if data is not None:
        _check_data(data)
    check_events(ctx.obs.produced(), ctx.limits)
    if ctx.obs.produce(level):
        ctx.obs.emit(ctx.span, level, EventType.LOG, message, data or {}, {})
    return None


def _check_data(data: dict[str, Any]) -> None:
    """The event schema types two keys of ``data`` (contract §2.2): a value it would reject never leaves
    the engine."""
    if "attempt" in data and not (type(data["attempt"]) is int and data["attempt"] >= 1):
        raise ActionError.action("log.emit: data 'attempt' must be an integer of at least 1")
    if "error" in data and not _is_error(data["error"]):
        raise ActionError.action(
            "log.emit: data 'error' must be an object of a non-empty string 'type' and a string 'message'"
        )


def _is_error(error: Any) -> bool:
    """``{type, message}``: a non-empty string and a string, nothing else (the schema's error)."""
    return (
        type(error) is dict
        and len(error) == 2
        and isinstance(error.get("type"), str)
        and error["type"] != ""
        and isinstance(error.get("message"), str)
    )


def metric(params: Params, ctx: ActionCtx) -> Any:
    metrics = params.object("metrics")
    if not all(_is_number(v) for v in metrics.values()):
        raise ActionError.action("metric.emit: parameter 'metrics' must be an object of numbers")
    # The event schema types these three; a value it would reject never leaves the engine.
    tokens = metrics.get("tokens")
    if tokens is not None and not (isinstance(tokens, int) and tokens >= 0):
        raise ActionError.action("metric.emit: metric 'tokens' must be a non-negative integer")
    for name in ("cost_usd", "duration_ms"):
        if metrics.get(name, 0) < 0:
            raise ActionError.action(f"metric.emit: metric '{name}' must not be negative")
    check_events(ctx.obs.produced(), ctx.limits)
    if ctx.obs.produce(Level.INFO):
        ctx.obs.emit(ctx.span, Level.INFO, EventType.METRIC, None, {}, metrics)
    return None


def _is_number(value: Any) -> bool:
    """A JSON number (serde_json's ``is_number``): an int or a finite float, never a bool."""
    return type(value) is int or (type(value) is float and math.isfinite(value))
