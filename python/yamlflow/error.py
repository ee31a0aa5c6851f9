"""Load errors (contract §1.4), and the failure that ends a run (contract §1.2; reported as events and in the
run outcome, never raised out of ``run``). Mirrors ``engine/src/error.rs``."""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class LoadErrorKind(StrEnum):
    """What is wrong with a flow document. The names are the contract's, shared with the Rust twin; a
    member's ``name`` and value are that name (Rust: ``LoadErrorKind::name``)."""

    # The file cannot be read.
    Io = "Io"
    # The YAML parser rejects the text.
    YamlSyntax = "YamlSyntax"
    # A mapping repeats a key.
    DuplicateKey = "DuplicateKey"
    # A key outside contract §1.1.
    UnknownKey = "UnknownKey"
    # A required key is absent.
    MissingKey = "MissingKey"
    # A value of the wrong type or outside its range.
    InvalidValue = "InvalidValue"
    # Two nodes share a name.
    DuplicateNode = "DuplicateNode"
    # An edge or `on_error` names a node that does not exist.
    UnknownNode = "UnknownNode"
    # A node without exactly one unconditional outgoing edge, or a fan-out without its fan-in.
    MissingEdge = "MissingEdge"
    # No path from `__start__` to `__end__`.
    NoPath = "NoPath"

    @classmethod
    def parse(cls, name: str) -> LoadErrorKind | None:
        """The kind with this contract name."""
        return cls._value2member_map_.get(name)  # type: ignore[return-value]


class LoadError(Exception):
    """A flow document that cannot be loaded, with where the problem is.

    ``str(err)`` is ``file:line:column: Kind: message`` (line and column 1-based, omitted when unknown),
    exactly as the Rust twin's ``Display``.
    """

    def __init__(
        self,
        kind: str,
        message: str,
        file: str,
        line: int | None = None,
        column: int | None = None,
        key: str | None = None,
    ) -> None:
        parsed = LoadErrorKind.parse(kind)
        if parsed is None:
            raise ValueError(f"unknown load error kind {kind!r}")
        # A plain str (the kind's contract name), also when given a LoadErrorKind.
        self.kind = parsed.value
        self.message = message
        self.file = file
        self.line = line
        self.column = column
        self.key = key
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.kind}: {self.message}"


class RunError(Exception):
    """Why a run failed (contract §1.2): a node's error that no ``on_error`` caught, a ``when`` that cannot be
    rendered, the loop limit, a merge conflict. It is the flow span's error event data and the run
    outcome's ``error``; ``kind`` is the error type (``LoopLimit``, ``MergeConflict``, ``TemplateError``, or
    the failed node's)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message

    def to_json(self) -> dict[str, Any]:
        """``{type, message}`` as event data."""
        return error_json(self.kind, self.message)


def error_json(kind: str, message: str) -> dict[str, Any]:
    """``{type, message}``: the ``error`` of an error event (contract §3.1)."""
    return {"type": kind, "message": message}
