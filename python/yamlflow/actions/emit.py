"""``log.emit`` and ``metric.emit``: one ``log`` / ``metric`` event in the current span
(contract §3.2 and §2.2). Mirrors ``engine/src/actions/emit.rs``."""

from __future__ import annotations

from typing import Any

from ..event import LEVELS_BY_NAME, Level
from . import ActionContext, ActionFailure, is_number, param


def log_emit(params: dict[str, Any], ctx: ActionContext) -> Any:
    message = param(ctx, params, "message", "string")
    level_name = param(ctx, params, "level", "string", default="info")
    level = LEVELS_BY_NAME.get(level_name)
    if level is None:
        raise ActionFailure("ActionError", f"log.emit: unknown level '{level_name}'")
    data = param(ctx, params, "data", "object", default={})
    ctx.obs.emit(ctx.span, "log", level, message, data)
    return None


def metric_emit(params: dict[str, Any], ctx: ActionContext) -> Any:
    metrics = param(ctx, params, "metrics", "object")
    if not all(is_number(v) for v in metrics.values()):
        raise ActionFailure("ActionError", "metric.emit: parameter 'metrics' must be an object of numbers")
    # The event schema types these three; a value it would reject never leaves the engine.
    tokens = metrics.get("tokens")
    if tokens is not None and not (isinstance(tokens, int) and tokens >= 0):
        raise ActionFailure("ActionError", "metric.emit: metric 'tokens' must be a non-negative integer")
    for name in ("cost_usd", "duration_ms"):
        if metrics.get(name, 0) < 0:
            raise ActionFailure("ActionError", f"metric.emit: metric '{name}' must not be negative")
    ctx.obs.emit(ctx.span, "metric", Level.INFO, None, None, metrics)
    return None
