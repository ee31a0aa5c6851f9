"""``state.set``: returns its rendered mapping (contract §2); the runner applies it.
Mirrors ``engine/src/actions/state.rs``."""

from __future__ import annotations

from typing import Any


def set(params: dict[str, Any]) -> Any:
    """The rendered ``with`` itself."""
    return params
