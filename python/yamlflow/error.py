"""Load errors (contract §1.4). Run-time failures are events, not exceptions.
Mirrors ``engine/src/error.rs``."""

from __future__ import annotations

LOAD_ERROR_KINDS = (
    "Io",
    "YamlSyntax",
    "DuplicateKey",
    "UnknownKey",
    "MissingKey",
    "InvalidValue",
    "DuplicateNode",
    "UnknownNode",
    "MissingEdge",
    "NoPath",
)


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
        if kind not in LOAD_ERROR_KINDS:
            raise ValueError(f"unknown load error kind {kind!r}")
        self.kind = kind
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
