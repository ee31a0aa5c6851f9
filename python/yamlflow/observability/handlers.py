"""Event handlers (contract §3.5): console lines on stderr, JSON Lines files in the sandbox, and API
callbacks. A handler that fails is skipped for that event; the run goes on.
Mirrors ``engine/src/observability/handlers.rs``.

Rust's ``Handler`` is an enum of three variants; here they are three private subclasses of ``Handler``.
"""

from __future__ import annotations

import io
import sys
from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO, TypeAlias

from ..flow import HandlerSpec
from ..sandbox import Access
from ..sandbox import open as sandbox_open

# A callback handler: receives every emitted event (a read-only dict), in `seq` order.
Callback: TypeAlias = Callable[[dict[str, Any]], object]

# Where console handlers write instead of standard error (an embedding harness captures them).
ConsoleSink: TypeAlias = TextIO


class Handler(ABC):
    """One handler of a run; receives every emitted event in seq order.

    ``line`` is the event's JSON text when a handler of the run asked for it (``wants_line``), else None:
    serialized once per event for all handlers, and only when needed."""

    wants_line = False

    @staticmethod
    def declared(
        specs: list[HandlerSpec], sandbox: Path, flow_id: str, console: ConsoleSink | None
    ) -> list[Handler]:
        """Builds the declared handlers; ``{flow_id}`` in file paths is replaced by the run's id.
        A declared ``callback`` only documents that one is registered from code."""
        handlers: list[Handler] = []
        for spec in specs:
            if spec.type == "console":
                handlers.append(_Console(console))
            elif spec.type == "file":
                handlers.append(_File(FileSink(sandbox, (spec.path or "").replace("{flow_id}", flow_id))))
        return handlers

    @abstractmethod
    def handle(self, event: dict[str, Any], line: str | None) -> None:
        """Delivers one event; an exception skips the handler for this event."""

    def close(self) -> None:  # noqa: B027 (a no-op by default: only file handlers hold something)
        """Releases what the handler holds (files)."""


class _Console(Handler):
    """``[{level}] {node} {event_type}: {message}`` on stderr, or on the run's console sink."""

    def __init__(self, sink: ConsoleSink | None) -> None:
        self.sink = sink

    def handle(self, event: dict[str, Any], line: str | None) -> None:
        _console_line(self.sink or sys.stderr, event)


class _File(Handler):
    """JSON Lines appended to a sandbox file."""

    wants_line = True

    def __init__(self, sink: FileSink) -> None:
        self.sink = sink

    def handle(self, event: dict[str, Any], line: str | None) -> None:
        self.sink._write(line)

    def close(self) -> None:
        self.sink._close()


class _Callback(Handler):
    """A callback registered through the API."""

    def __init__(self, callback: Callback) -> None:
        self.callback = callback

    def handle(self, event: dict[str, Any], line: str | None) -> None:
        self.callback(event)


def _console_line(out: TextIO, event: dict[str, Any]) -> None:
    """One console line (contract §3.5): ``[{level}] {node} {event_type}``, then ``: {message}`` when there
    is one."""
    text = f"[{event['level']}] {event['node']} {event['event_type']}"
    if event["message"] is not None:
        text += f": {event['message']}"
    out.write(text + "\n")


class FileSink:
    """A file handler's file (contract §6): created, parent directories too, when the first event is
    written, so a run that emits nothing creates nothing; every line is flushed before ``emit`` returns,
    so ``file.read`` of the log mid-run sees every event so far. A path the sandbox rule refuses, or a file
    that cannot be opened, skips the handler for that event; the next event tries again."""

    def __init__(self, sandbox: Path, path: str) -> None:
        self.sandbox = sandbox
        self.path = path
        self._file: TextIO | None = None

    def _write(self, line: str | None) -> None:
        if self._file is None:
            self._file = _open(self.sandbox, self.path)
        self._file.write(f"{line}\n")
        self._file.flush()

    def _close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def _open(sandbox: Path, path: str) -> TextIO:
    binary = sandbox_open("file handler", sandbox, path, Access.APPEND)  # held for the run
    return io.TextIOWrapper(binary, encoding="utf-8", newline="\n")
