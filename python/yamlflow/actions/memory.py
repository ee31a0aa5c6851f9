"""``memory.store`` and ``memory.get``: per-run memory, never rolled back by retries (contract §2.2); a
fan-out branch has its own copy (``runner.memory``). Mirrors ``engine/src/actions/memory.rs``."""

from __future__ import annotations

from typing import Any

from .context import ActionCtx
from .params import Params


def store(params: Params, ctx: ActionCtx) -> Any:
    key = params.str("key")
    value = params.required("value")
    ctx.memory.insert(ctx.span, key, value)
    return value


def get(params: Params, ctx: ActionCtx) -> Any:
    key = params.str("key")
    return ctx.memory.get(ctx.span, key, params.optional("default"))
