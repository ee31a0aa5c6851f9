"""Python spelling of JSON values in text (brief "Templates", contract §1.3).
Mirrors ``engine/src/pyrepr.rs``.

Jinja2 already spells most values with ``str``; this module pins the cases the Rust twin must reproduce
by hand (string quoting inside lists/objects, tuples as lists) so both engines follow the same written rule
instead of CPython's ``repr`` (which also escapes non-printable non-ASCII characters).
"""

from __future__ import annotations

import re
from typing import Any

# Characters that need an escape or decide the quote in a repr'd string.
_SPECIAL = re.compile(r"[\\\x00-\x1f\x7f'\"]")
_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def quote(s: str) -> str:
    """Python ``repr`` of a string: single quotes unless it holds ``'`` and no ``"``; escapes as pinned."""
    if not _SPECIAL.search(s):
        return f"'{s}'"
    q = '"' if ("'" in s and '"' not in s) else "'"
    out = [q]
    for ch in s:
        esc = _ESCAPES.get(ch)
        if esc is not None:
            out.append(esc)
        elif ch == q:
            out.append("\\" + q)
        elif ch < " " or ch == "\x7f":
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    out.append(q)
    return "".join(out)


def pyrepr(value: Any) -> str:
    """Python ``repr`` of a JSON value (used for list items, object keys and values)."""
    if isinstance(value, str):
        return quote(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(pyrepr(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{pyrepr(k)}: {pyrepr(v)}" for k, v in value.items()) + "}"
    return json_text(value)


def json_text(value: Any) -> str:
    """Python's ``str()`` of a value: how ``{{ value }}`` in text, the ``string`` filter and ``text.render``
    write it (Rust: ``json_text`` for JSON values, ``write_mj_text`` for template values)."""
    if isinstance(value, str):
        return str(value)
    if value is True:
        return "True"
    if value is False:
        return "False"
    if value is None:
        return "None"
    if isinstance(value, (int, float)):
        # int: decimal; float: shortest round-trip repr (1.0, 1.5e-05, 1e+16).
        return repr(value)
    if isinstance(value, (list, tuple, dict)):
        # Iterables (a range, `reverse`..., contract §1.3) are lists and are written as lists.
        return pyrepr(value)
    return str(value)
