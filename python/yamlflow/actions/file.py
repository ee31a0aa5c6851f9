"""``file.write`` and ``file.read`` (contract §2, §2.2); paths follow the sandbox rule of ``sandbox.py``,
and inside a fan-out a branch's turn (contract §1.2, "Files").
Mirrors ``engine/src/actions/file.rs``."""

from __future__ import annotations

from typing import Any

from .. import sandbox
from .context import ActionCtx, ActionError, io_reason
from .params import Params


def write(params: Params, ctx: ActionCtx) -> Any:
    path = params.str("path")
    content = params.str("content")
    data = content.encode("utf-8")
    ctx.files.wait(ctx.span)
    try:
        with sandbox.open("file.write", ctx.sandbox, path, sandbox.Access.WRITE) as f:
            f.write(data)
    except OSError as e:
        raise ActionError.action(f"file.write: cannot write {path}: {io_reason(e)}") from None
    return {"path": path, "bytes": len(data)}


def read(params: Params, ctx: ActionCtx) -> Any:
    path = params.str("path")
    ctx.files.wait(ctx.span)
    try:
        with sandbox.open("file.read", ctx.sandbox, path, sandbox.Access.READ) as f:
            data = f.read()
    except FileNotFoundError:
        raise ActionError.action(f"file.read: no such file: {path}") from None
    except OSError as e:
        # A directory, a file on the way, permissions (contract §6): the OS's description without
        # the errno.
        raise ActionError.action(f"file.read: cannot read {path}: {io_reason(e)}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ActionError.action(f"file.read: not UTF-8 text: {path}") from None
