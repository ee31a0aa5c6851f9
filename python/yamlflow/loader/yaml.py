"""YAML text to a positioned value tree, and the YAML errors of contract §1.4: syntax (the parser's message
and position), a stream of more than one document, nesting deeper than the limit, unknown anchors and
duplicate keys. Mirrors ``engine/src/loader/yaml.rs``.

YAML 1.2 core schema on PyYAML (NOTES.md): a loader whose implicit resolvers are the four 1.2 core ones, so
``yes``/``no``/``on``/``off`` stay strings and ``017`` is 17. The document is composed into PyYAML nodes (the
positioned tree: every key and value keeps its mark, 0-based in PyYAML, reported 1-based).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

import yaml
import yaml.composer
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ..error import LoadError

_Base: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Yaml12Loader(_Base):  # type: ignore[misc, valid-type]
    """Parses YAML into events (no resolver or constructor is used: ``_compose`` resolves the scalars and
    ``document.py`` builds the values)."""


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
# saphyr refuses the 256th nested flow collection (`[`/`{`); the Rust twin reports that as TOO_DEEP.
MAX_FLOW_DEPTH = 255
# A document holds at most this many nodes, aliases expanded (contract §6.12: the alias bomb), and is at
# most MAX_BYTES of UTF-8.
MAX_NODES = 100_000
MAX_SCALAR_BYTES = 16 * 1024 * 1024  # scalar text, aliases expanded (a long string aliased often)
MAX_BYTES = 4 * 1024 * 1024
I64_MIN, I64_MAX = -(2**63), 2**63 - 1


@dataclass(frozen=True)
class Origin:
    """Where the document came from (a path or a label such as ``<string>``): every LoadError names it."""

    name: str

    def error(self, kind: str, message: str, node: Node | None, key: str | None) -> LoadError:
        """A LoadError at ``node``'s position (none when ``node`` is None)."""
        if node is None:
            return LoadError(kind, message, self.name, None, None, key)
        mark = node.start_mark
        return LoadError(kind, message, self.name, mark.line + 1, mark.column + 1, key)

    def invalid(self, message: str, node: Node, key: str) -> LoadError:
        """An InvalidValue at ``node``."""
        return self.error("InvalidValue", message, node, key)

    def _syntax(self, message: str, mark: Any) -> LoadError:
        line = mark.line + 1 if mark else None
        column = mark.column + 1 if mark else None
        return LoadError("YamlSyntax", message, self.name, line, column, None)


def parse(origin: Origin, text: str) -> Node | None:
    """The document's positioned tree (None for an empty document), or its YamlSyntax LoadError."""
    try:
        return _compose(origin, text)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        message = " ".join(p for p in (e.context, e.problem) if p) or "invalid YAML"
        raise origin._syntax(message, mark) from None
    except yaml.YAMLError as e:
        raise origin._syntax(str(e), None) from None


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


class _Builder:
    """The tree under construction: open collections, anchors (with their sizes) and the size so far. A size
    is (nodes, bytes of scalar text, height), aliases expanded (contract §6.12): nodes and bytes add up; the
    height is the collections nested in a node (itself included; 0 for a scalar), which an alias adds to the
    depth where it stands."""

    def __init__(self, origin: Origin) -> None:
        self.origin = origin
        # Anchor → its node and size; None while the collection it names is open (an alias inside it is
        # unknown, as in saphyr: no cycles). A name defined again names the latest definition.
        self.anchors: dict[str, tuple[Node, tuple[int, int, int]] | None] = {}
        self.owner: dict[str, Node] = {}
        # Open collections: (node, items flat, size at its start, anchor), and the greatest height of the
        # items of each.
        self.stack: list[tuple[Node, list[Node], tuple[int, int, int], str | None]] = []
        self.heights: list[int] = []
        self.size = (0, 0, 0)
        self.root: Node | None = None
        # The first collection nested deeper than MAX_NESTING: from there on nothing is attached or
        # anchored (as in the Rust twin, which keeps its tree shallow), and an alias naming what was not
        # kept is passed over.
        self.too_deep: Any = None

    def count(self, size: tuple[int, int, int], mark: Any) -> None:
        """Counts ``size`` more; past MAX_NODES or MAX_SCALAR_BYTES that is a YamlSyntax error at ``mark``."""
        nodes, nbytes = self.size[0] + size[0], self.size[1] + size[1]
        self.size = (nodes, nbytes, 0)
        if nodes > MAX_NODES:
            raise self.origin._syntax(f"document expands to more than {MAX_NODES} nodes", mark)
        if nbytes > MAX_SCALAR_BYTES:
            raise self.origin._syntax(
                f"document expands to more than {MAX_SCALAR_BYTES} bytes of scalars", mark
            )

    def since(self, start: tuple[int, int, int], height: int) -> tuple[int, int, int]:
        """What was counted since ``start``, as the size of a collection of this height."""
        return (self.size[0] - start[0], self.size[1] - start[1], height)

    def define(self, anchor: str | None, node: Node) -> None:
        """An anchor seen at the start of ``node``: it names ``node`` from now on (unknown until it ends)."""
        if anchor is not None:
            self.owner[anchor] = node
            self.anchors[anchor] = None

    def attach(self, node: Node, anchor: str | None, size: tuple[int, int, int]) -> None:
        if self.too_deep is not None:
            return
        if anchor is not None and self.owner.get(anchor) is node:
            self.anchors[anchor] = (node, size)
        if self.stack:
            self.heights[-1] = max(self.heights[-1], size[2])
            self.stack[-1][1].append(node)
        else:
            self.root = node


def _compose(origin: Origin, text: str) -> Node | None:
    """PyYAML's ``get_single_node`` without recursion (contract §6): its composer recurses once per level
    (LibYAML's crashes the process on a deep enough document). Collections nested deeper than MAX_NESTING
    are a YamlSyntax error at the first too-deep collection once the document has parsed (a syntax error
    anywhere wins), as in the Rust twin; more than MAX_FLOW_DEPTH nested flow collections stop the parse at
    once (saphyr's own limit), and so does a node count past MAX_NODES."""
    if len(text) > MAX_BYTES // 4 and len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise origin._syntax(f"document is larger than {MAX_BYTES} bytes", None)
    loader = _Yaml12Loader(text)
    build = _Builder(origin)
    try:
        loader.get_event()  # STREAM-START
        flow_depth = 0
        if not loader.check_event(yaml.StreamEndEvent):
            loader.get_event()  # DOCUMENT-START
            while True:
                event = loader.get_event()
                if isinstance(event, yaml.DocumentEndEvent):
                    break
                if isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                    node, items, start, anchor = build.stack.pop()
                    height = build.heights.pop() + 1
                    node.end_mark = event.end_mark
                    if node.flow_style:
                        flow_depth -= 1
                    if isinstance(node, MappingNode):
                        node.value = list(zip(items[0::2], items[1::2], strict=False))  # short past too_deep
                    build.attach(node, anchor, build.since(start, height))
                elif isinstance(event, yaml.AliasEvent):
                    found = build.anchors.get(event.anchor)
                    if found is None and build.too_deep is not None:
                        continue
                    if found is None:
                        raise yaml.composer.ComposerError(
                            None, None, f"found undefined alias {event.anchor!r}", event.start_mark
                        )
                    node, size = found
                    build.count(size, event.start_mark)
                    # The copy nests as deep as it stands plus its height: the nesting limit bounds it too.
                    if len(build.stack) + size[2] > MAX_NESTING and build.too_deep is None:
                        build.too_deep = event.start_mark
                    build.attach(node, None, size)
                elif isinstance(event, yaml.ScalarEvent):
                    value = event.value
                    size = (
                        1,
                        len(value) if value.isascii() else len(value.encode("utf-8", "surrogatepass")),
                        0,
                    )
                    build.count(size, event.start_mark)
                    tag = _scalar_tag(event.tag, event.value, not event.style)
                    node = ScalarNode(tag, event.value, event.start_mark, event.end_mark, style=event.style)
                    build.define(event.anchor, node)
                    build.attach(node, event.anchor, size)
                else:
                    start = build.size
                    build.count((1, 0, 0), event.start_mark)
                    kind = SequenceNode if isinstance(event, yaml.SequenceStartEvent) else MappingNode
                    tag = event.tag
                    if tag is None or tag == "!":
                        tag = T_SEQ if kind is SequenceNode else T_MAP
                    node = kind(tag, [], event.start_mark, None, flow_style=event.flow_style)
                    items = node.value if kind is SequenceNode else []
                    build.define(event.anchor, node)
                    build.stack.append((node, items, start, event.anchor))
                    build.heights.append(0)
                    if len(build.stack) > MAX_NESTING and build.too_deep is None:
                        build.too_deep = event.start_mark
                    if event.flow_style:
                        flow_depth += 1
                        if flow_depth > MAX_FLOW_DEPTH:
                            # saphyr stops here (the Rust twin reports the first too-deep
                            # collection); LibYAML slows down quadratically with flow depth.
                            raise origin._syntax(TOO_DEEP, build.too_deep or event.start_mark)
        root = build.root
        if not loader.check_event(yaml.StreamEndEvent):
            event = loader.get_event()
            raise yaml.composer.ComposerError(
                "expected a single document in the stream",
                root.start_mark if root is not None else None,
                "but found another document",
                event.start_mark,
            )
        loader.get_event()  # STREAM-END
    finally:
        loader.dispose()
    if build.too_deep is not None:
        raise origin._syntax(TOO_DEEP, build.too_deep)
    return root


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
