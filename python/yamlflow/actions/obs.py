"""``obs.query`` and ``obs.export`` over the run's buffered events (contract §2.2). (``obs.get_flow_log`` is
the context's flow log, dispatched directly.) Mirrors ``engine/src/actions/obs.rs``."""

from __future__ import annotations

from typing import Any

from .. import sandbox
from ..event import Level, to_json
from ..values import copy_json, json_equal
from .context import ActionCtx, ActionError, io_reason
from .params import Params


def glob_match(pattern: str, text: str) -> bool:
    """Matches ``text`` against a glob with ``*`` (any run) and ``?`` (one character); everything else
    matches itself (contract §2.2). One pass that goes back only to the last ``*``: at most
    len(pattern) x len(text) steps. A regex (``.*`` per ``*``) backtracks exponentially inside C, where no
    time limit reaches it (``*a*a*a*a*a*a*a*a*a*a*b`` against 40 ``a``: minutes)."""
    p, t = pattern, text
    pi = ti = 0
    star = -1
    mark = 0
    while ti < len(t):
        if pi < len(p) and (p[pi] == "?" or p[pi] == t[ti]) and p[pi] != "*":
            pi += 1
            ti += 1
        elif pi < len(p) and p[pi] == "*":
            star = pi
            mark = ti
            pi += 1
        elif star >= 0:
            pi = star + 1
            mark += 1
            ti = mark
        else:
            return False
    while pi < len(p) and p[pi] == "*":
        pi += 1
    return pi == len(p)


_MISSING = object()


class DataFilter:
    """``obs.query``'s ``data`` filter (contract §2.2): a dotted path into an event's ``data`` and, when
    ``equals`` is given, the value that must be there (by JSON type: ``1``, ``1.0`` and ``true`` differ)."""

    def __init__(self, path: list[str], equals: Any) -> None:
        self._path = path
        self._equals = equals

    @classmethod
    def of(cls, params: Params) -> DataFilter | None:
        """The filter of parameter ``data``, if given: ``{path, equals}``, ``path`` a string of non-empty
        segments joined by ``.``."""
        data = params.opt_object("data")
        if data is None:
            return None
        if "path" not in data:
            raise ActionError.action("obs.query: missing parameter 'data.path'")
        path = data["path"]
        if type(path) is not str:
            raise ActionError.action("obs.query: parameter 'data.path' must be a string")
        segments = path.split(".")
        if any(not segment for segment in segments):
            raise ActionError.action(f"obs.query: invalid data path '{path}'")
        return cls(segments, data.get("equals", _MISSING))

    def matches(self, data: dict[str, Any]) -> bool:
        """Whether the path leads somewhere in ``data`` (to ``equals``, when given). A key that is absent, an
        index out of range and a scalar on the way all mean no match."""
        found: Any = data
        for segment in self._path:
            found = _step(found, segment)
            if found is _MISSING:
                return False
        return self._equals is _MISSING or json_equal(found, self._equals)


def _step(value: Any, segment: str) -> Any:
    """One step of a data path: an object's key, or a list's index written in decimal without a leading zero
    (``0``, ``12``)."""
    if type(value) is dict:
        return value.get(segment, _MISSING)
    if type(value) is list:
        decimal = segment.isascii() and segment.isdigit() and (segment == "0" or not segment.startswith("0"))
        if decimal and int(segment) < len(value):
            return value[int(segment)]
    return _MISSING


def query(params: Params, ctx: ActionCtx) -> Any:
    # Checked in this order (contract §6): node, level (a string, then a known level), event_type.
    node = params.opt_str("node")
    level = None
    name = params.opt_str("level")
    if name is not None:
        level = Level.parse(name)
        if level is None:
            raise ActionError.action(f"obs.query: unknown level '{name}'")
    event_type = params.opt_str("event_type")
    data = DataFilter.of(params)

    def keep(e: dict[str, Any]) -> bool:
        return (
            (node is None or glob_match(node, e["node"]))
            and (level is None or Level.parse(e["level"]) >= level)
            and (event_type is None or event_type == e["event_type"])
            and (data is None or data.matches(e["data"]))
        )

    return ctx.obs.with_events_in(ctx.span, lambda events: [copy_json(e) for e in events if keep(e)])


def export(params: Params, ctx: ActionCtx) -> Any:
    path = params.str("path")
    format = params.opt_str("format")
    format = "jsonl" if format is None else format
    if format != "jsonl":
        raise ActionError.action(f"obs.export: unsupported format '{format}'")
    text, count = ctx.obs.with_events_in(
        ctx.span, lambda events: ("".join(to_json(e) + "\n" for e in events), len(events))
    )
    ctx.files.wait(ctx.span)
    try:
        with sandbox.open(params.action(), ctx.sandbox, path, sandbox.Access.WRITE) as f:
            f.write(text.encode("utf-8"))
    except OSError as e:
        raise ActionError.action(f"obs.export: cannot write {path}: {io_reason(e)}") from None
    return {"path": path, "events": count}
