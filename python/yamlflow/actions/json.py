"""``json.parse`` / ``json.stringify`` (CONTRACT §2, schema/README.md §5 and §8). Mirrors
``engine/src/actions/json.rs``."""

from __future__ import annotations

import json as _json
import math
from typing import Any

from . import ActionContext, ActionFailure, param

I64_MIN, I64_MAX = -(2**63), 2**63 - 1


def _reject_constant(name: str) -> Any:
    raise ValueError(f"not JSON: {name}")


def _parse_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("number out of range")
    return value


def _parse_int(text: str) -> int | float:
    value = int(text)
    # Outside 64 bits a JSON integer becomes a float, as serde_json reads it.
    return value if I64_MIN <= value <= I64_MAX else float(value)


def parse(params: dict[str, Any], ctx: ActionContext) -> Any:
    text = param(ctx, params, "text", "string")
    try:
        return _json.loads(
            text, parse_constant=_reject_constant, parse_float=_parse_float, parse_int=_parse_int
        )
    except (ValueError, RecursionError):
        raise ActionFailure("ActionError", "json.parse: invalid JSON") from None


_ENCODER = _json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False)


def stringify(params: dict[str, Any], ctx: ActionContext) -> Any:
    # Compact, keys sorted at every depth, non-ASCII as is, floats by repr (json uses float.__repr__).
    return _ENCODER.encode(param(ctx, params, "value"))
