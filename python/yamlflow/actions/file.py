"""``file.write`` / ``file.read`` inside the run's sandbox (contract §2, §2.3 and §2.2).
Mirrors ``engine/src/actions/file.rs``."""

from __future__ import annotations

from typing import Any

from ..sandbox import SandboxEscape, resolve
from . import ActionContext, ActionFailure, param


def reason(e: OSError) -> str:
    """An I/O failure as the OS describes it, without the errno (``Is a directory``)."""
    return e.strerror or str(e)


def sandboxed(ctx: ActionContext, path: str):  # -> Path
    try:
        return resolve(ctx.sandbox, path, ctx.action)
    except SandboxEscape as e:
        raise ActionFailure("PermissionDenied", e.message) from None


def write(params: dict[str, Any], ctx: ActionContext) -> Any:
    path = param(ctx, params, "path", "string")
    content = param(ctx, params, "content", "string")
    target = sandboxed(ctx, path)
    data = content.encode("utf-8")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    except OSError as e:
        raise ActionFailure("ActionError", f"file.write: cannot write {path}: {reason(e)}") from None
    return {"path": path, "bytes": len(data)}


def read(params: dict[str, Any], ctx: ActionContext) -> Any:
    path = param(ctx, params, "path", "string")
    target = sandboxed(ctx, path)
    try:
        data = target.read_bytes()
    except FileNotFoundError:
        raise ActionFailure("ActionError", f"file.read: no such file: {path}") from None
    except OSError as e:
        # A directory, a file on the way, permissions (contract §6): the OS's description without
        # the errno.
        raise ActionFailure("ActionError", f"file.read: cannot read {path}: {reason(e)}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ActionFailure("ActionError", f"file.read: not UTF-8 text: {path}") from None
