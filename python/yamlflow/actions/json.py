"""``json.parse`` / ``json.stringify`` (contract §2, §1.3 and §2.2). Mirrors
``engine/src/actions/json.rs``.

``parse_text`` is the one JSON reader of the engine (json.parse and the run input, contract §6): it
reads JSON as serde_json does — no NaN/Infinity, no non-finite floats, at most 127 nested
arrays/objects (serde_json's recursion limit of 128 refuses the 128th level).
"""

from __future__ import annotations

import json as _json
import math
from typing import Any

from ..values import has_lone_surrogate
from .context import ActionError
from .params import Params

I64_MIN, I64_MAX = -(2**63), 2**63 - 1
# serde_json's recursion limit: its 128th nested array/object is an error.
MAX_DEPTH = 127


class _JsonError(ValueError):
    """Text that is not JSON under the engine's rules."""


def _reject_constant(name: str) -> Any:
    raise _JsonError(f"not JSON: {name}")


def _parse_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _JsonError("number out of range")
    return value


def _int_or_float(text: str) -> int | float:
    value = int(text)
    # Outside 64 bits a JSON integer becomes a float, as serde_json reads it (contract §6).
    return value if I64_MIN <= value <= I64_MAX else float(value)


def _int_in_i64(text: str) -> int:
    value = int(text)
    if not I64_MIN <= value <= I64_MAX:
        raise _JsonError("integer outside 64 bits")
    return value


def _check_depth(value: Any) -> None:
    # Iterative: the value may be as deep as Python's parser allowed. A `\ud800` escape without its pair
    # is refused as serde_json refuses it (contract §3.1: UTF-8 JSON cannot carry a lone surrogate).
    todo = [(value, 1)]
    while todo:
        v, depth = todo.pop()
        t = type(v)
        if t is str:
            if has_lone_surrogate(v):
                raise _JsonError("lone surrogate")
        elif t is dict or t is list:
            if depth > MAX_DEPTH:
                raise _JsonError(f"nesting deeper than {MAX_DEPTH}")
            if t is dict and any(has_lone_surrogate(k) for k in v):
                raise _JsonError("lone surrogate")
            items = v.values() if t is dict else v
            todo.extend((x, depth + 1) for x in items if type(x) in (dict, list, str))


def parse_text(text: str, big_ints: bool = True) -> Any:
    """Parses JSON text; ``big_ints`` keeps integers outside 64 bits as floats (json.parse), else they
    are an error (the run input). Raises a ValueError or RecursionError."""
    value = _json.loads(
        text,
        parse_constant=_reject_constant,
        parse_float=_parse_float,
        parse_int=_int_or_float if big_ints else _int_in_i64,
    )
    _check_depth(value)
    return value


def parse(params: Params) -> Any:
    """Parses JSON text (contract §6): serde_json's depth limit; an integer beyond i64 becomes a float."""
    text = params.str("text")
    try:
        return parse_text(text)
    except (ValueError, RecursionError):
        raise ActionError.action("json.parse: invalid JSON") from None


_ENCODER = _json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False)


def stringify(params: Params) -> Any:
    # Compact, keys sorted at every depth, non-ASCII as is, floats by repr (json uses float.__repr__).
    return _ENCODER.encode(params.required("value"))
