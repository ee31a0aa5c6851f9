"""``obs.get_flow_log``, ``obs.query``, ``obs.export`` (contract §2, §3.6 and §2.2).
Mirrors ``engine/src/actions/obs.rs``."""

from __future__ import annotations

import re
from typing import Any

from ..event import LEVELS_BY_NAME, to_json
from ..values import copy_json
from . import ActionContext, ActionFailure, param
from .file import reason, sandboxed


def get_flow_log(params: dict[str, Any], ctx: ActionContext) -> Any:
    return ctx.obs.flow_log()


def _glob(pattern: str) -> re.Pattern[str]:
    # Only `*` and `?` are special (contract §2.2); everything else matches itself.
    parts = [".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern]
    return re.compile("".join(parts), re.DOTALL)


def query(params: dict[str, Any], ctx: ActionContext) -> Any:
    # Checked in this order (contract §6): node, level (a string, then a known level), event_type.
    node = param(ctx, params, "node", "string", default=None)
    level_name = param(ctx, params, "level", "string", default=None)
    min_level = None
    if level_name is not None:
        min_level = LEVELS_BY_NAME.get(level_name)
        if min_level is None:
            raise ActionFailure("ActionError", f"obs.query: unknown level '{level_name}'")
    event_type = param(ctx, params, "event_type", "string", default=None)
    pattern = _glob(node) if node is not None else None
    out = []
    for e in ctx.obs.buffered():
        if pattern is not None and not pattern.fullmatch(e["node"]):
            continue
        if min_level is not None and LEVELS_BY_NAME[e["level"]] < min_level:
            continue
        if event_type is not None and e["event_type"] != event_type:
            continue
        out.append(copy_json(e))
    return out


def export(params: dict[str, Any], ctx: ActionContext) -> Any:
    path = param(ctx, params, "path", "string")
    fmt = param(ctx, params, "format", "string", default="jsonl")
    if fmt != "jsonl":
        raise ActionFailure("ActionError", f"obs.export: unsupported format '{fmt}'")
    target = sandboxed(ctx, path)
    events = ctx.obs.buffered()
    text = "".join(to_json(e) + "\n" for e in events)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8", newline="\n")
    except OSError as e:
        raise ActionFailure("ActionError", f"obs.export: cannot write {path}: {reason(e)}") from None
    return {"path": path, "events": len(events)}
