"""``sleep`` and ``fail`` (contract §2, §2.3 and §2.2).
Mirrors ``engine/src/actions/control.rs``."""

from __future__ import annotations

import time
from typing import Any

from . import ActionContext, ActionFailure, param

# One day: a longer sleep is a mistake in the flow, not a wait (contract §6).
MAX_SLEEP_MS = 86_400_000


def sleep(params: dict[str, Any], ctx: ActionContext) -> Any:
    ms = param(ctx, params, "ms", "number")
    if ms < 0:
        raise ActionFailure("ActionError", "sleep: parameter 'ms' must be at least 0")
    if ms > MAX_SLEEP_MS:
        raise ActionFailure("ActionError", f"sleep: parameter 'ms' must be at most {MAX_SLEEP_MS}")
    time.sleep(ms / 1000.0)
    return None


def fail(params: dict[str, Any], ctx: ActionContext) -> Any:
    type_ = param(ctx, params, "type", "string", default="ActionError")
    message = param(ctx, params, "message", "string", default="failed on purpose")
    times = param(ctx, params, "times", "integer", default=None)
    # Fails attempt n when `times` is absent or n <= times; attempts are the node's.
    if times is None or ctx.attempt <= times:
        raise ActionFailure(type_, message)
    return None
