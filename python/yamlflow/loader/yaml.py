"""YAML text to a positioned value tree, and the YAML errors of contract §1.4: syntax (the parser's message
and position), a stream of more than one document, nesting deeper than the limit, unknown anchors and
duplicate keys. Mirrors ``engine/src/loader/yaml.rs``.

YAML 1.2 core schema on PyYAML (NOTES.md): a loader whose implicit resolvers are the four 1.2 core ones, so
``yes``/``no``/``on``/``off`` stay strings and ``017`` is 17. The document is composed into PyYAML nodes (the
positioned tree: every key and value keeps its mark, 0-based in PyYAML, reported 1-based).
"""

from __future__ import annotations

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
    """Composes YAML 1.2 core-schema nodes (no constructors are used: ``document.py`` builds the values)."""


_Yaml12Loader.yaml_implicit_resolvers = {}
_Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]
)
_Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"), list("-+0123456789")
)
_Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+0123456789."),
)

T_STR = "tag:yaml.org,2002:str"
T_INT = "tag:yaml.org,2002:int"
T_FLOAT = "tag:yaml.org,2002:float"
T_BOOL = "tag:yaml.org,2002:bool"
T_NULL = "tag:yaml.org,2002:null"

# Collections nested deeper than this are a YamlSyntax error in both engines (contract §6); the root
# is level 1.
MAX_NESTING = 256
TOO_DEEP = "document nests too deeply"
# saphyr refuses the 256th nested flow collection (`[`/`{`); the Rust twin reports that as TOO_DEEP.
MAX_FLOW_DEPTH = 255
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


def _compose(origin: Origin, text: str) -> Node | None:
    """PyYAML's ``get_single_node`` without recursion (contract §6): its composer recurses once per level
    (LibYAML's crashes the process on a deep enough document). Collections nested deeper than MAX_NESTING
    are a YamlSyntax error at the first too-deep collection once the document has parsed (a syntax error
    anywhere wins), as in the Rust twin; more than MAX_FLOW_DEPTH nested flow collections stop the parse at
    once (saphyr's own limit)."""
    loader = _Yaml12Loader(text)
    try:
        loader.get_event()  # STREAM-START
        root: Node | None = None
        too_deep = None
        flow_depth = 0
        if not loader.check_event(yaml.StreamEndEvent):
            loader.get_event()  # DOCUMENT-START
            anchors: dict[str, Node] = {}
            # Open collections; a mapping collects its keys and values flat and pairs them at its end.
            stack: list[tuple[Node, list[Node]]] = []
            while True:
                event = loader.get_event()
                if isinstance(event, yaml.DocumentEndEvent):
                    break
                if isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                    node, items = stack.pop()
                    node.end_mark = event.end_mark
                    if node.flow_style:
                        flow_depth -= 1
                    if isinstance(node, MappingNode):
                        node.value = list(zip(items[0::2], items[1::2], strict=True))
                    continue  # already in its parent since its start
                elif isinstance(event, yaml.AliasEvent):
                    if event.anchor not in anchors:
                        raise yaml.composer.ComposerError(
                            None, None, f"found undefined alias {event.anchor!r}", event.start_mark
                        )
                    node = anchors[event.anchor]
                else:
                    anchor = event.anchor
                    if anchor is not None and anchor in anchors:
                        raise yaml.composer.ComposerError(
                            f"found duplicate anchor {anchor!r}; first occurrence",
                            anchors[anchor].start_mark,
                            "second occurrence",
                            event.start_mark,
                        )
                    tag = event.tag
                    if isinstance(event, yaml.ScalarEvent):
                        if tag is None or tag == "!":
                            tag = loader.resolve(ScalarNode, event.value, event.implicit)
                        node = ScalarNode(
                            tag, event.value, event.start_mark, event.end_mark, style=event.style
                        )
                    else:
                        kind = SequenceNode if isinstance(event, yaml.SequenceStartEvent) else MappingNode
                        if tag is None or tag == "!":
                            tag = loader.resolve(kind, None, event.implicit)
                        node = kind(tag, [], event.start_mark, None, flow_style=event.flow_style)
                    if anchor is not None:
                        anchors[anchor] = node
                    if not isinstance(node, ScalarNode):
                        if stack:
                            stack[-1][1].append(node)
                        else:
                            root = node
                        stack.append((node, node.value if isinstance(node, SequenceNode) else []))
                        if len(stack) > MAX_NESTING and too_deep is None:
                            too_deep = event.start_mark
                        if event.flow_style:
                            flow_depth += 1
                            if flow_depth > MAX_FLOW_DEPTH:
                                # saphyr stops here (the Rust twin reports the first too-deep
                                # collection); LibYAML slows down quadratically with flow depth.
                                raise origin._syntax(TOO_DEEP, too_deep or event.start_mark)
                        continue
                if stack:
                    stack[-1][1].append(node)
                else:
                    root = node
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
    if too_deep is not None:
        raise origin._syntax(TOO_DEEP, too_deep)
    return root


def check_duplicates(origin: Origin, root: Node | None) -> None:
    """DuplicateKey anywhere in the document (the second key's position), before any structure check."""
    if root is not None:
        _walk_keys(origin, root, "", set())


def _walk_keys(origin: Origin, node: Node, path: str, seen: set[int]) -> None:
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, MappingNode):
        keys: set[Any] = set()
        for k, v in node.value:
            key = k.value if isinstance(k, ScalarNode) else "?"
            if isinstance(k, ScalarNode):
                ident = _scalar_key(k)
                if ident in keys:
                    raise origin.error("DuplicateKey", f"duplicate key '{key}'", k, _join(path, key))
                keys.add(ident)
            _walk_keys(origin, k, path, seen)
            _walk_keys(origin, v, _join(path, key), seen)
    elif isinstance(node, SequenceNode):
        for i, item in enumerate(node.value):
            _walk_keys(origin, item, f"{path}[{i}]", seen)


def _scalar_key(node: ScalarNode) -> tuple[str, Any]:
    return (node.tag, node.value if node.tag == T_STR else _scalar_value(node, strict=False))


def _scalar_value(node: ScalarNode, strict: bool = True) -> Any:
    """The value of a scalar under the 1.2 core schema (its text for an unknown tag when not strict)."""
    tag, text = node.tag, node.value
    if tag == T_STR:
        return text
    if tag == T_NULL:
        return None
    if tag == T_BOOL:
        return text.lower() == "true"
    if tag == T_INT:
        sign = -1 if text.startswith("-") else 1
        body = text.lstrip("+-")
        if body.startswith("0o"):
            return sign * int(body[2:], 8)
        if body.startswith("0x"):
            return sign * int(body[2:], 16)
        return sign * int(body, 10)
    if tag == T_FLOAT:
        low = text.lower()
        if low.endswith(".nan"):
            return math.nan
        if low.endswith(".inf"):
            return -math.inf if low.startswith("-") else math.inf
        return float(text)
    if strict:
        raise ValueError(tag)
    return text


def _join(path: str, key: str) -> str:
    """``path.key``, or ``key`` at the top."""
    return f"{path}.{key}" if path else key


def map_to_json(origin: Origin, node: MappingNode, key: str) -> dict[str, Any]:
    """A mapping's JSON object (state, with): see ``_to_json``."""
    return _to_json(origin, node, key)


def _to_json(origin: Origin, node: Node, path: str) -> Any:
    """Converts a YAML value to JSON: 64-bit integers, finite floats, string keys."""
    if isinstance(node, ScalarNode):
        try:
            value = _scalar_value(node)
        except ValueError:
            raise origin.invalid(f"unsupported tag '{node.tag}'", node, path) from None
        if type(value) is int and not I64_MIN <= value <= I64_MAX:
            raise origin.invalid("integer outside 64 bits", node, path)
        if type(value) is float and not math.isfinite(value):
            raise origin.invalid("non-finite number", node, path)
        return value
    if isinstance(node, SequenceNode):
        return [_to_json(origin, item, f"{path}[{i}]") for i, item in enumerate(node.value)]
    out: dict[str, Any] = {}
    for k, v in node.value:
        if not (isinstance(k, ScalarNode) and k.tag == T_STR):
            raise origin.invalid(f"{path} must be a string", k, path)
        out[k.value] = _to_json(origin, v, f"{path}.{k.value}")
    return out
