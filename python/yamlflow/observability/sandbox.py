"""Sandbox paths (CONTRACT §2): relative to the run's sandbox; absolute paths and `..` are PermissionDenied.
Shared by file.*, obs.export and the file handler."""

from __future__ import annotations

import re
from pathlib import Path

_SEPARATORS = re.compile(r"[/\\]")


class SandboxEscape(Exception):
    """A path that would leave the sandbox; ``message`` is the contract's (schema/README.md §4)."""

    def __init__(self, action: str, path: str) -> None:
        self.message = f"{action}: path escapes the sandbox: {path}"
        super().__init__(self.message)


def resolve(sandbox: Path, path: str, action: str) -> Path:
    """The sandbox path of ``path`` or SandboxEscape (absolute, drive-qualified, or with a `..` component)."""
    if path.startswith(("/", "\\")) or Path(path).is_absolute() or re.match(r"^[A-Za-z]:", path):
        raise SandboxEscape(action, path)
    if ".." in _SEPARATORS.split(path):
        raise SandboxEscape(action, path)
    return sandbox / path
