"""Builtin actions (contract §2, §2.2), one module per namespace, and their dispatch; what an action gets
and gives back is ``context.py``'s, typed parameter access ``params.py``'s. Messages are the contract's
(contract §2.3). Mirrors ``engine/src/actions/mod.rs``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..sandbox import SandboxEscape
from . import control, emit, file, json, memory, obs, state, text
from .context import ActionCtx, ActionError
from .params import Params

__all__ = ["ActionCtx", "ActionError", "call"]


def call(uses: str, params: dict[str, Any], ctx: ActionCtx) -> Any:
    """Runs the builtin ``uses`` with its rendered parameters. An exception inside an action is a bug: it
    becomes the ActionError ``{uses}: internal error: {description}`` (contract §6) instead of taking the
    run (or a branch thread) down."""
    return _guarded(uses, lambda: _dispatch(uses, params, ctx))


def _guarded(uses: str, body: Callable[[], Any]) -> Any:
    """Runs an action body, turning an unexpected exception into ``{uses}: internal error: {description}``."""
    try:
        return body()
    except ActionError:
        raise
    except SandboxEscape as e:
        # Rust: `impl From<SandboxEscape> for ActionError` (the `?` after sandbox::resolve).
        raise ActionError("PermissionDenied", e.message) from None
    except Exception as e:  # a defect in an action must not crash the run: it fails the attempt (contract §6)
        raise ActionError.action(f"{uses}: internal error: {e or type(e).__name__}") from e


_DISPATCH: dict[str, Callable[[dict[str, Any], ActionCtx], Any]] = {
    "state.set": lambda params, ctx: state.set(params),
    "text.render": lambda params, ctx: text.render(Params("text.render", params)),
    "json.parse": lambda params, ctx: json.parse(Params("json.parse", params)),
    "json.stringify": lambda params, ctx: json.stringify(Params("json.stringify", params)),
    "memory.store": lambda params, ctx: memory.store(Params("memory.store", params), ctx),
    "memory.get": lambda params, ctx: memory.get(Params("memory.get", params), ctx),
    "file.write": lambda params, ctx: file.write(Params("file.write", params), ctx),
    "file.read": lambda params, ctx: file.read(Params("file.read", params), ctx),
    "sleep": lambda params, ctx: control.sleep(Params("sleep", params)),
    "fail": lambda params, ctx: control.fail(Params("fail", params), ctx),
    "log.emit": lambda params, ctx: emit.log(Params("log.emit", params), ctx),
    "metric.emit": lambda params, ctx: emit.metric(Params("metric.emit", params), ctx),
    "obs.get_flow_log": lambda params, ctx: ctx.obs.flow_log_in(ctx.span),
    "obs.query": lambda params, ctx: obs.query(Params("obs.query", params), ctx),
    "obs.export": lambda params, ctx: obs.export(Params("obs.export", params), ctx),
}


def _dispatch(uses: str, params: dict[str, Any], ctx: ActionCtx) -> Any:
    action = _DISPATCH.get(uses)
    if action is None:
        raise ActionError("UnknownAction", f"unknown action: {uses}")
    return action(params, ctx)
