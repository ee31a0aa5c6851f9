"""Event handlers: console (stderr lines), file (JSON Lines in the sandbox), callback (from code).
contract §3.5. Mirrors ``engine/src/observability/handlers.rs``."""

from __future__ import annotations

import sys
from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from ..sandbox import resolve

Callback = Callable[[dict[str, Any]], object]


class Handler(ABC):
    """Receives every emitted event in seq order; one that raises is skipped for that event.

    ``line`` is the event's JSON text when a handler of the run asked for it (``wants_line``), else None:
    serialized once per event for all handlers, and only when needed."""

    wants_line = False

    @abstractmethod
    def handle(self, event: dict[str, Any], line: str | None) -> None:
        """Delivers one event."""

    def close(self) -> None:  # noqa: B027 -- most handlers hold nothing to release
        """Releases what the handler holds (files)."""


class ConsoleHandler(Handler):
    """``[{level}] {node} {event_type}: {message}`` on stderr (no ``: message`` when it is null)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream

    def handle(self, event: dict[str, Any], line: str | None) -> None:
        out = self.stream or sys.stderr
        text = f"[{event['level']}] {event['node']} {event['event_type']}"
        if event["message"] is not None:
            text += f": {event['message']}"
        out.write(text + "\n")


class FileHandler(Handler):
    """Appends JSON Lines to ``path`` relative to the sandbox, ``{flow_id}`` replaced: the file (and its
    directories) is created with the first event written, and every line is flushed before emit returns
    (contract §6), so ``file.read`` of the log during the run sees every event so far."""

    wants_line = True

    def __init__(self, sandbox: Path, path: str, flow_id: str) -> None:
        self.sandbox = sandbox
        self.path = path.replace("{flow_id}", flow_id)
        self._file: TextIO | None = None

    def handle(self, event: dict[str, Any], line: str | None) -> None:
        if self._file is None:
            target = resolve(self.sandbox, self.path, "file handler")
            target.parent.mkdir(parents=True, exist_ok=True)
            self._file = open(target, "a", encoding="utf-8", newline="\n")  # noqa: SIM115 (held for the run)
        self._file.write(f"{line}\n")
        self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


class CallbackHandler(Handler):
    """Calls a function with each event dict (read-only: it is the same object the buffer keeps)."""

    def __init__(self, fn: Callback) -> None:
        self.fn = fn

    def handle(self, event: dict[str, Any], line: str | None) -> None:
        self.fn(event)
