"""``memory.store`` and ``memory.get``: per-run memory, shared by fan-out branches and never rolled back by
retries (contract §2.2). Mirrors ``engine/src/actions/memory.rs``."""

from __future__ import annotations

import threading
from typing import Any

from ..values import copy_json
from .context import ActionCtx
from .params import Params


class Memory:
    """A key-value store for one run; thread-safe (Rust: ``Mutex<Map<String, Value>>``)."""

    def __init__(self) -> None:
        self._values: dict[str, Any] = {}
        self._lock = threading.Lock()

    def insert(self, key: str, value: Any) -> None:
        with self._lock:
            self._values[key] = copy_json(value)

    def get(self, key: str) -> Any:
        """A copy of the value under ``key``, or ``_MISSING``."""
        with self._lock:
            if key in self._values:
                return copy_json(self._values[key])
        return _MISSING


_MISSING = object()


def store(params: Params, ctx: ActionCtx) -> Any:
    key = params.str("key")
    value = params.required("value")
    ctx.memory.insert(key, value)
    return value


def get(params: Params, ctx: ActionCtx) -> Any:
    key = params.str("key")
    value = ctx.memory.get(key)
    return params.optional("default") if value is _MISSING else value
