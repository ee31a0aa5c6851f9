"""``state.set``: returns its rendered mapping (contract §2). Mirrors ``engine/src/actions/state.rs``."""

from __future__ import annotations

from typing import Any

from . import ActionContext


def state_set(params: dict[str, Any], ctx: ActionContext) -> Any:
    return params
