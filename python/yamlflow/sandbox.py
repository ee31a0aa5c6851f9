"""The sandbox rule (contract §2, §2.3, §6), shared by ``file.*``, ``obs.export``
and the file handler: a path is relative to the run's sandbox and must stay inside it, lexically and after
following symlinks. Mirrors ``engine/src/sandbox.rs``.
"""

from __future__ import annotations

import os
from pathlib import Path


class SandboxEscape(Exception):
    """A path that would leave the sandbox; ``message`` is the contract's (contract §2.3)."""

    def __init__(self, action: str, path: str) -> None:
        self.message = f"{action}: path escapes the sandbox: {path}"
        super().__init__(self.message)


def _lexically_escapes(path: str) -> bool:
    """The checks that need no disk: absolute, a backslash or NUL anywhere, a drive letter, a `..` part."""
    return (
        path.startswith("/")
        or "\\" in path
        or "\0" in path
        or (len(path) >= 2 and path[0].isascii() and path[0].isalpha() and path[1] == ":")
        or ".." in path.split("/")
    )


def resolve(action: str, sandbox: Path, path: str) -> Path:
    """The location of ``path`` inside ``sandbox``, or SandboxEscape.

    After the lexical checks, the deepest existing ancestor of the joined path, with symlinks resolved,
    must lie inside the resolved sandbox (a symlink cannot lead out; a dangling one is refused, since
    writing through it could create its target anywhere). An empty path is the sandbox directory itself:
    the I/O that follows fails as an ActionError (actions turn SandboxEscape into PermissionDenied)."""
    if _lexically_escapes(path):
        raise SandboxEscape(action, path)
    joined = sandbox / path
    try:
        root = sandbox.resolve(strict=True)
    except (OSError, RuntimeError):
        raise SandboxEscape(action, path) from None
    existing = joined
    while True:
        try:
            os.lstat(existing)
            break
        except OSError:
            # Missing, or not a directory on the way, or no permission: the I/O that follows reports
            # anything that is not an escape.
            parent = existing.parent
            if parent == existing:
                raise SandboxEscape(action, path) from None
            existing = parent
    try:
        real = existing.resolve(strict=True)
    except (OSError, RuntimeError):
        raise SandboxEscape(action, path) from None
    if real == root or root in real.parents:
        return joined
    raise SandboxEscape(action, path)
