"""YAML text to a positioned value tree, and the YAML errors of contract §1.4: syntax (the parser's message
and position), a stream of more than one document, nesting deeper than the limit, unknown anchors and
duplicate keys. Mirrors ``engine/src/loader/yaml.rs``.

The YAML is read from saphyr-parser's event stream, the Rust engine's own parser of the same release, through
the ``yamlflow_yaml_events`` extension module (``python/yaml_events``, docs/yaml-parser.md): only the
tokenizer and the parser are shared. The tree, the YAML 1.2 core-schema resolution, the tag, key and anchor
rules, the limits and the document checks are this module's, a twin of the Rust engine's.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

import yamlflow_yaml_events

from ..error import LoadError

CORE = "tag:yaml.org,2002:"
T_BAD = "!bad"  # a core tag its text does not fit (contract §1.4 "Tags")
T_STR = "tag:yaml.org,2002:str"
T_INT = "tag:yaml.org,2002:int"
T_FLOAT = "tag:yaml.org,2002:float"
T_BOOL = "tag:yaml.org,2002:bool"
T_NULL = "tag:yaml.org,2002:null"
T_SEQ = "tag:yaml.org,2002:seq"
T_MAP = "tag:yaml.org,2002:map"
# The YAML 1.2 core schema's implicit resolution of plain text, in order (anything else is a string).
_IMPLICIT = (
    (T_NULL, re.compile(r"^(?:~|null|Null|NULL|)$")),
    (T_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")),
    (T_INT, re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")),
    (
        T_FLOAT,
        re.compile(
            r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
            r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
        ),
    ),
)

# Collections nested deeper than this are a YamlSyntax error in both engines (contract §6); the root
# is level 1.
MAX_NESTING = 256
TOO_DEEP = "document nests too deeply"
# saphyr-parser's own error past 255 nested flow collections: reported as TOO_DEEP, as in the Rust twin.
_FLOW_LIMIT = "recursion limit exceeded"
# Events read from the parser at a time.
_BATCH = 4096
# A document holds at most this many nodes, aliases expanded (contract §6.12: the alias bomb), and is at
# most MAX_BYTES of UTF-8.
MAX_NODES = 100_000
MAX_SCALAR_BYTES = 16 * 1024 * 1024  # scalar text, aliases expanded (a long string aliased often)
MAX_BYTES = 4 * 1024 * 1024
I64_MIN, I64_MAX = -(2**63), 2**63 - 1


@dataclass(frozen=True)
class Pos:
    """A 1-based position."""

    line: int
    column: int

    @staticmethod
    def _of(line: int, column: int) -> Pos:
        # saphyr-parser: line 1-based, column 0-based.
        return Pos(line, column + 1)


class Node:
    """A node of the positioned tree: its tag (resolved by the core schema, ``T_BAD``, or a tag outside it),
    its value (a scalar's text, a sequence's items, a mapping's (key, value) pairs in document order,
    duplicates kept) and its position."""

    __slots__ = ("pos", "tag", "value")

    def __init__(self, tag: str, value: Any, pos: Pos) -> None:
        self.tag = tag
        self.value = value
        self.pos = pos


class ScalarNode(Node):
    """A scalar."""

    value: str


class SequenceNode(Node):
    """A sequence."""

    value: list[Node]


class MappingNode(Node):
    """A mapping."""

    value: list[tuple[Node, Node]]


@dataclass(frozen=True)
class Origin:
    """Where the document came from (a path or a label such as ``<string>``): every LoadError names it."""

    name: str

    def error(self, kind: str, message: str, node: Node | None, key: str | None) -> LoadError:
        """A LoadError at ``node``'s position (none when ``node`` is None)."""
        if node is None:
            return LoadError(kind, message, self.name, None, None, key)
        return LoadError(kind, message, self.name, node.pos.line, node.pos.column, key)

    def invalid(self, message: str, node: Node, key: str) -> LoadError:
        """An InvalidValue at ``node``."""
        return self.error("InvalidValue", message, node, key)

    def _syntax(self, message: str, pos: Pos | None) -> LoadError:
        line, column = (pos.line, pos.column) if pos else (None, None)
        return LoadError("YamlSyntax", message, self.name, line, column, None)


def parse(origin: Origin, text: str) -> Node | None:
    """The document's positioned tree (None for an empty stream), or its YamlSyntax LoadError. Collections
    nested deeper than MAX_NESTING are an error at the first too-deep collection once the document has
    parsed (a syntax error anywhere wins); a node count or scalar size past its limit stops at once, before
    a syntax error further on, as in the Rust twin."""
    if len(text) > MAX_BYTES // 4 and len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise origin._syntax(f"document is larger than {MAX_BYTES} bytes", None)
    try:
        reader = yamlflow_yaml_events.events(text)
    except UnicodeEncodeError:
        # Only a Python string can hold a lone surrogate; UTF-8 text (a file, the harness's) never does.
        raise origin._syntax("document is not valid UTF-8 (a lone surrogate)", None) from None
    build = _Builder(origin)
    while True:
        # In batches, as the Rust twin reads one event at a time: a limit stops the reading there.
        events, error = reader.read(_BATCH)
        for kind, value, style, anchor, tag, line, column in events:
            build.event(kind, value, style, anchor, tag, Pos._of(line, column))
        if error is not None:
            info, line, column = error
            pos = Pos._of(line, column)
            if info == _FLOW_LIMIT:
                raise origin._syntax(TOO_DEEP, build.too_deep or pos)
            raise origin._syntax(info, pos)
        if not events:
            break
    if build.too_deep is not None:
        raise origin._syntax(TOO_DEEP, build.too_deep)
    return build.root


def _implicit(text: str) -> str:
    """The core schema's tag for plain ``text``."""
    return next((tag for tag, pattern in _IMPLICIT if pattern.fullmatch(text)), T_STR)


def _scalar_tag(tag: str | None, text: str, plain: bool) -> str:
    """A scalar's tag (contract §1.4 "Tags"): untagged plain text is resolved, other untagged styles and
    ``!`` are strings, a core tag its text does not fit is T_BAD, any other tag stays (unsupported)."""
    if tag is None:
        return _implicit(text) if plain else T_STR
    if tag == "!":
        return T_STR
    if tag in (T_NULL, T_BOOL, T_INT, T_FLOAT):
        found = _implicit(text)
        return tag if found == tag or (tag, found) == (T_FLOAT, T_INT) else T_BAD
    return tag


def _collection_tag(tag: str | None, core: str) -> str:
    """A collection's tag: none and ``!`` are the core one, any other stays (``_bad_tag`` refuses it)."""
    return core if tag is None or tag == "!" else tag


class _Builder:
    """The tree under construction from the parser's events: open collections, anchors (by saphyr's anchor
    id, with their sizes) and the size so far. A size is (nodes, bytes of scalar text, height), aliases
    expanded (contract §6.12): nodes and bytes add up; the height is the collections nested in a node (itself
    included; 0 for a scalar), which an alias adds to the depth where it stands."""

    def __init__(self, origin: Origin) -> None:
        self.origin = origin
        # Anchored nodes and their sizes, recorded when the node is finished: an alias inside the collection
        # its anchor names is unknown (no cycles), and a name defined again has a new id.
        self.anchors: dict[int, tuple[Node, tuple[int, int, int]]] = {}
        # Open collections: (node, items flat, size at its start, anchor id), and the greatest height of
        # the items of each.
        self.stack: list[tuple[Node, list[Node], tuple[int, int, int], int]] = []
        self.heights: list[int] = []
        self.size = (0, 0, 0)
        self.root: Node | None = None
        self.documents = 0
        # The first collection nested deeper than MAX_NESTING: from there on nothing is attached or
        # anchored (as in the Rust twin, which keeps its tree shallow), and an alias naming what was not
        # kept is passed over.
        self.too_deep: Pos | None = None

    def count(self, size: tuple[int, int, int], pos: Pos) -> None:
        """Counts ``size`` more; past MAX_NODES or MAX_SCALAR_BYTES that is a YamlSyntax error at ``pos``."""
        nodes, nbytes = self.size[0] + size[0], self.size[1] + size[1]
        self.size = (nodes, nbytes, 0)
        if nodes > MAX_NODES:
            raise self.origin._syntax(f"document expands to more than {MAX_NODES} nodes", pos)
        if nbytes > MAX_SCALAR_BYTES:
            raise self.origin._syntax(
                f"document expands to more than {MAX_SCALAR_BYTES} bytes of scalars", pos
            )

    def since(self, start: tuple[int, int, int], height: int) -> tuple[int, int, int]:
        """What was counted since ``start``, as the size of a collection of this height."""
        return (self.size[0] - start[0], self.size[1] - start[1], height)

    def event(
        self, kind: str, value: str | None, style: str | None, anchor: int, tag: str | None, pos: Pos
    ) -> None:
        """Handles one parser event: a finished node is attached to its parent."""
        if kind == "Scalar":
            assert value is not None
            size = (1, len(value) if value.isascii() else len(value.encode("utf-8")), 0)
            self.count(size, pos)
            self.attach(ScalarNode(_scalar_tag(tag, value, style == "plain"), value, pos), anchor, size)
        elif kind == "Alias":
            found = self.anchors.get(anchor)
            if found is None:
                # Past the nesting limit nothing is kept: an alias of what was not kept is passed over (the
                # document is refused as too deep anyway).
                if self.too_deep is None:
                    raise self.origin._syntax("unknown anchor", pos)
                return
            node, size = found
            # Counted before the copy is made; the copy nests as deep as it stands plus its height, which
            # the nesting limit bounds too.
            self.count(size, pos)
            if len(self.stack) + size[2] > MAX_NESTING and self.too_deep is None:
                self.too_deep = pos
            self.attach(node, 0, size)
        elif kind == "SequenceStart":
            self.open(SequenceNode(_collection_tag(tag, T_SEQ), [], pos), anchor)
        elif kind == "MappingStart":
            self.open(MappingNode(_collection_tag(tag, T_MAP), [], pos), anchor)
        elif kind in ("SequenceEnd", "MappingEnd"):
            node, items, start, anchor = self.stack.pop()
            if isinstance(node, MappingNode):
                node.value = list(zip(items[0::2], items[1::2], strict=False))  # short past too_deep
            self.attach(node, anchor, self.since(start, self.heights.pop() + 1))
        elif kind == "DocumentStart":
            self.documents += 1
            if self.documents > 1:
                raise self.origin._syntax("expected a single document in the stream", pos)

    def open(self, node: Node, anchor: int) -> None:
        start = self.size
        self.count((1, 0, 0), node.pos)
        self.stack.append((node, node.value if isinstance(node, SequenceNode) else [], start, anchor))
        self.heights.append(0)
        if len(self.stack) > MAX_NESTING and self.too_deep is None:
            self.too_deep = node.pos

    def attach(self, node: Node, anchor: int, size: tuple[int, int, int]) -> None:
        """Puts a finished node into its parent (or makes it the root), and records its anchor."""
        if self.too_deep is not None:
            return
        if anchor:
            self.anchors[anchor] = (node, size)
        if self.stack:
            self.heights[-1] = max(self.heights[-1], size[2])
            self.stack[-1][1].append(node)
        else:
            self.root = node


def _bad_tag(node: Node) -> str | None:
    """A node's tag outside the core schema (contract §1.4), if any."""
    if isinstance(node, SequenceNode):
        return None if node.tag == T_SEQ else node.tag
    if isinstance(node, MappingNode):
        return None if node.tag == T_MAP else node.tag
    return None if node.tag in (T_STR, T_NULL, T_BOOL, T_INT, T_FLOAT, T_BAD) else node.tag


def check_duplicates(origin: Origin, root: Node | None) -> None:
    """DuplicateKey anywhere in the document (the second key's position), before any structure check."""
    if root is not None:
        _walk_keys(origin, root, "", set())


def _walk_keys(origin: Origin, node: Node, path: str, seen: set[int]) -> None:
    if id(node) in seen or _bad_tag(node) is not None:
        return
    seen.add(id(node))
    if isinstance(node, MappingNode):
        keys: set[str] = set()
        for k, v in node.value:
            key = _key_text(k)
            if key is None:
                raise origin.invalid("mapping keys must be scalars", k, path)
            if key in keys:
                raise origin.error("DuplicateKey", f"duplicate key '{key}'", k, _join(path, key))
            keys.add(key)
            _walk_keys(origin, v, _join(path, key), seen)
    elif isinstance(node, SequenceNode):
        for i, item in enumerate(node.value):
            _walk_keys(origin, item, f"{path}[{i}]", seen)


def _key_text(node: Node) -> str | None:
    """The text a mapping key stands for: a string itself, another scalar its JSON spelling (``1``,
    ``true``, ``null``; a float as Python's repr); None for a collection or a scalar with a bad tag."""
    if not isinstance(node, ScalarNode) or node.tag not in (T_STR, T_NULL, T_BOOL, T_INT, T_FLOAT):
        return None
    value = _scalar_value(node)
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        return repr(value)
    return json.dumps(value)


def _scalar_value(node: ScalarNode) -> Any:
    """The value of a scalar whose tag is one of the core schema's (``_scalar_tag`` checked its text)."""
    tag, text = node.tag, node.value
    if tag == T_STR:
        return text
    if tag == T_NULL:
        return None
    if tag == T_BOOL:
        return text.lower() == "true"
    if tag == T_FLOAT and _implicit(text) == T_INT:
        return float(_int_value(text))
    if tag == T_INT:
        return _int_value(text)
    low = text.lower()
    if low.endswith(".nan"):
        return math.nan
    if low.endswith(".inf"):
        return -math.inf if low.startswith("-") else math.inf
    return float(text)


def _int_value(text: str) -> int:
    sign = -1 if text.startswith("-") else 1
    body = text.lstrip("+-")
    if body.startswith("0o"):
        return sign * int(body[2:], 8)
    if body.startswith("0x"):
        return sign * int(body[2:], 16)
    return sign * int(body, 10)


def _join(path: str, key: str) -> str:
    """``path.key``, or ``key`` at the top."""
    return f"{path}.{key}" if path else key


def map_to_json(origin: Origin, node: MappingNode, key: str) -> dict[str, Any]:
    """A mapping's JSON object (state, with): see ``to_json``."""
    return to_json(origin, node, key)


def to_json(origin: Origin, node: Node, path: str) -> Any:
    """Converts a YAML value to JSON: 64-bit integers, finite floats, keys by their JSON spelling."""
    bad = _bad_tag(node)
    if bad is not None:
        raise origin.invalid(f"{path} has an unsupported tag '{bad}'", node, path)
    if isinstance(node, ScalarNode):
        if node.tag == T_BAD:
            raise origin.invalid(f"{path} has an invalid tagged value", node, path)
        value = _scalar_value(node)
        if type(value) is int and not I64_MIN <= value <= I64_MAX:
            raise origin.invalid("integer outside 64 bits", node, path)
        if type(value) is float and not math.isfinite(value):
            raise origin.invalid("non-finite number", node, path)
        return value
    if isinstance(node, SequenceNode):
        return [to_json(origin, item, f"{path}[{i}]") for i, item in enumerate(node.value)]
    out: dict[str, Any] = {}
    for k, v in node.value:
        key = _key_text(k) or ""
        out[key] = to_json(origin, v, _join(path, key))
    return out
