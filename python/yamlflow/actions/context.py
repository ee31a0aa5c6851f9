"""What an action gets besides its parameters, and what it fails with (contract §2.3): the contract's
``{type, message}``. Mirrors ``engine/src/actions/context.rs``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..error import error_json

if TYPE_CHECKING:
    from ..flow import Limits
    from ..observability import ObservabilityContext, Span
    from ..runner.file_order import FileOrder
    from ..runner.memory import Memory


class ActionError(Exception):
    """A failed action (or template, or run-level check): the contract's ``{type, message}``.

    ``kind`` is the error type (``ActionError``, ``PermissionDenied``, ..., or what ``fail`` was given)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message

    @classmethod
    def action(cls, message: str) -> ActionError:
        """An error of type ``ActionError``."""
        return cls("ActionError", message)

    def to_json(self) -> dict[str, Any]:
        """``{type, message}`` as event data."""
        return error_json(self.kind, self.message)


def io_reason(err: OSError) -> str:
    """The OS's description of an I/O failure without the errno (``Is a directory``), contract §6."""
    return err.strerror or str(err)


@dataclass
class ActionCtx:
    """What an action can reach besides its parameters."""

    # The run's observability (log/metric events, obs.*).
    obs: ObservabilityContext
    # The span the action runs in (a node or step span).
    span: Span
    # The run's memory (a fan-out branch sees its own copy, contract §1.2).
    memory: Memory
    # The order of file actions in a fan-out (contract §1.2).
    files: FileOrder
    # Root of file paths.
    sandbox: Path
    # The node's 1-based attempt (for `fail`).
    attempt: int
    # The run's limits (the event limit of `log.emit` and `metric.emit`).
    limits: Limits
