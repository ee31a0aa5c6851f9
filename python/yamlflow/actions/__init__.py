"""Builtin actions (contract §2, §2.3 and §2.2): dispatch, parameter helpers, ActionFailure.
Mirrors ``engine/src/actions/mod.rs``."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..observability import ObservabilityContext, Span
    from .memory import Memory


class ActionFailure(Exception):
    """An action attempt that failed with a contract error ``{type, message}``."""

    def __init__(self, type_: str, message: str) -> None:
        super().__init__(message)
        self.type = type_
        self.message = message


@dataclass
class ActionContext:
    """What an action may touch: the run's memory, sandbox and observability, its span and attempt."""

    action: str
    span: Span
    attempt: int
    obs: ObservabilityContext
    memory: Memory
    sandbox: Any  # pathlib.Path


_MISSING = object()

_KINDS: dict[str, tuple[str, Callable[[Any], bool]]] = {
    "string": ("a string", lambda v: type(v) is str),
    "number": ("a number", lambda v: type(v) in (int, float)),
    "integer": ("an integer", lambda v: type(v) is int),
    "object": ("an object", lambda v: type(v) is dict),
    "list": ("a list", lambda v: type(v) is list),
}


def param(
    ctx: ActionContext, params: dict[str, Any], name: str, kind: str | None = None, default: Any = _MISSING
) -> Any:
    """A parameter, checked: missing → ``{action}: missing parameter '{name}'`` unless a default is given;
    wrong type → ``{action}: parameter '{name}' must be ...``. An explicit null counts as given."""
    if name not in params:
        if default is _MISSING:
            raise ActionFailure("ActionError", f"{ctx.action}: missing parameter '{name}'")
        return default
    value = params[name]
    if kind is not None:
        article, check = _KINDS[kind]
        if not check(value):
            raise ActionFailure("ActionError", f"{ctx.action}: parameter '{name}' must be {article}")
    return value


def is_number(value: Any) -> bool:
    return type(value) in (int, float) and (type(value) is int or math.isfinite(value))


def _registry() -> dict[str, Callable[[dict[str, Any], ActionContext], Any]]:
    from . import control, emit, file, json, memory, obs, state, text

    return {
        "state.set": state.state_set,
        "text.render": text.render,
        "json.parse": json.parse,
        "json.stringify": json.stringify,
        "memory.store": memory.store,
        "memory.get": memory.get,
        "file.write": file.write,
        "file.read": file.read,
        "sleep": control.sleep,
        "fail": control.fail,
        "log.emit": emit.log_emit,
        "metric.emit": emit.metric_emit,
        "obs.get_flow_log": obs.get_flow_log,
        "obs.query": obs.query,
        "obs.export": obs.export,
    }


_BUILTINS: dict[str, Callable[[dict[str, Any], ActionContext], Any]] | None = None


def builtins() -> dict[str, Callable[[dict[str, Any], ActionContext], Any]]:
    global _BUILTINS
    if _BUILTINS is None:
        _BUILTINS = _registry()
    return _BUILTINS


def call(uses: str, params: dict[str, Any], ctx: ActionContext) -> Any:
    """Runs a builtin; ``UnknownAction`` at run time when ``uses`` names none (contract §2.3)."""
    fn = builtins().get(uses)
    if fn is None:
        raise ActionFailure("UnknownAction", f"unknown action: {uses}")
    try:
        return fn(params, ctx)
    except ActionFailure:
        raise
    except Exception as e:  # a defect in an action must not crash the run: it fails the attempt (contract §6)
        raise ActionFailure("ActionError", f"{uses}: internal error: {e or type(e).__name__}") from e
