"""Loading flow documents: YAML 1.2 parsing with positions, and the checks of contract §1.4.
Mirrors ``engine/src/loader/mod.rs``.

Phases, in the order of contract §1.4: YAML syntax (the parser's message and position) and
duplicate keys (``yaml.py``), then the structure of the document (keys, types, values) in document order
(``document.py``), then duplicate nodes, unknown nodes, edges and the path from ``__start__`` to ``__end__``
(``graph.py``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..actions.json import parse_text
from ..error import LoadError
from ..flow import Flow
from . import graph, yaml
from .document import Reader
from .yaml import TOO_DEEP, Origin


def load_file(path: str | Path) -> Flow:
    """Reads and validates a flow file; the origin in errors is the path as given."""
    origin = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise LoadError("Io", f"cannot read flow: {e.strerror or e}", origin) from None
    return load_str(text, origin)


def load_str(text: str, origin: str = "<string>") -> Flow:
    """Parses and validates a flow document; ``origin`` names it in errors. Raises LoadError."""
    where = Origin(origin)
    try:
        root = yaml.parse(where, text)
        yaml.check_duplicates(where, root)
        doc = Reader(where).structure(root)
        return graph.check(where, doc)
    except RecursionError:
        # The composer is iterative and depth is capped at MAX_NESTING, so this is a last guard
        # (contract §6).
        raise LoadError("YamlSyntax", TOO_DEEP, origin, None, None, None) from None


def parse_yaml(text: str, origin: str = "<string>") -> Any:
    """The JSON value of one YAML document, with phase 1 of contract §1.4 and the value rules of §1.1 (64-bit
    integers, finite floats, core-schema tags, keys by their JSON spelling): what a flow document is before
    its structure is checked. An empty stream is ``None``."""
    where = Origin(origin)
    try:
        root = yaml.parse(where, text)
        yaml.check_duplicates(where, root)
        return None if root is None else yaml.to_json(where, root, "")
    except RecursionError:
        raise LoadError("YamlSyntax", TOO_DEEP, origin, None, None, None) from None


def parse_input(text: str, origin: str = "<input>") -> dict:
    """Parses a run's input (``--input``, the harness's ``parity.input`` text): a JSON object; blank text is
    ``{}``. Anything else is a LoadError of kind ``Io`` named by ``origin`` (contract §6): text that is not
    JSON, NaN/Infinity, an integer outside 64 bits, nesting beyond json.parse's limit →
    ``input is not valid JSON: ...``; another JSON value → ``input must be a JSON object``."""
    if not text.strip():
        return {}
    try:
        # The same reader as json.parse, but an integer outside 64 bits is refused (contract §6).
        value = parse_text(text, big_ints=False)
    except RecursionError:
        raise LoadError("Io", "input is not valid JSON: nesting too deep", origin) from None
    except ValueError as e:
        raise LoadError("Io", f"input is not valid JSON: {e}", origin) from None
    if not isinstance(value, dict):
        raise LoadError("Io", "input must be a JSON object", origin)
    return value
