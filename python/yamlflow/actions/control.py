"""``sleep`` and ``fail`` (contract §2, §2.2). Mirrors ``engine/src/actions/control.rs``."""

from __future__ import annotations

import time
from typing import Any

from .context import ActionCtx, ActionError
from .params import Params

# The longest sleep: one day (contract §6): a longer sleep is a mistake in the flow, not a wait.
MAX_SLEEP_MS = 86_400_000


def sleep(params: Params) -> Any:
    # JSON numbers are finite, so the two range checks cover every number.
    ms = params.number("ms")
    if ms < 0:
        raise ActionError.action("sleep: parameter 'ms' must be at least 0")
    if ms > MAX_SLEEP_MS:
        raise ActionError.action(f"sleep: parameter 'ms' must be at most {MAX_SLEEP_MS}")
    time.sleep(ms / 1000.0)
    return None


def fail(params: Params, ctx: ActionCtx) -> Any:
    """Fails attempt ``n`` when ``times`` is absent or ``n <= times``; returns null otherwise."""
    kind = params.opt_str("type")
    kind = "ActionError" if kind is None else kind
    message = params.opt_str("message")
    message = "failed on purpose" if message is None else message
    times = params.opt_int("times")
    if times is not None and ctx.attempt > times:
        return None
    raise ActionError(kind, message)
