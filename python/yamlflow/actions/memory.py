"""``memory.store`` / ``memory.get``: per-run memory shared by fan-out branches, never rolled back
(contract §2.2). Mirrors ``engine/src/actions/memory.rs``."""

from __future__ import annotations

import threading
from typing import Any

from ..values import copy_json
from . import ActionContext, param


class Memory:
    """A key-value store for one run; thread-safe."""

    def __init__(self) -> None:
        self._values: dict[str, Any] = {}
        self._lock = threading.Lock()

    def store(self, key: str, value: Any) -> None:
        with self._lock:
            self._values[key] = copy_json(value)

    def get(self, key: str, default: Any) -> Any:
        with self._lock:
            if key in self._values:
                return copy_json(self._values[key])
        return default


def store(params: dict[str, Any], ctx: ActionContext) -> Any:
    key = param(ctx, params, "key", "string")
    value = param(ctx, params, "value")
    ctx.memory.store(key, value)
    return value


def get(params: dict[str, Any], ctx: ActionContext) -> Any:
    key = param(ctx, params, "key", "string")
    default = param(ctx, params, "default", default=None)
    return ctx.memory.get(key, default)
