"""YAML → Flow with every load check of contract §1.4 and the brief's "Load errors" pins.

YAML 1.2 core schema on PyYAML (NOTES.md): a loader whose implicit resolvers are the four 1.2 core ones, so
``yes``/``no``/``on``/``off`` stay strings and ``017`` is 17. The document is composed into PyYAML nodes and
walked by hand, so every key and value keeps its mark (0-based in PyYAML, reported 1-based).
Check order: YAML (syntax, duplicate keys) → structure (keys, types, in document order) → duplicate nodes →
unknown nodes → edges → path. Mirrors ``engine/src/loader.rs``.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import yaml
import yaml.composer
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .error import LoadError
from .event import Level
from .flow import END, START, ActionCall, Edge, Flow, HandlerSpec, ObservabilitySettings
from .flow import Node as FlowNode

_Base: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Yaml12Loader(_Base):  # type: ignore[misc, valid-type]
    """Composes YAML 1.2 core-schema nodes (no constructors are used: the walk below builds the values)."""


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

NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
RESERVED = (START, END)
I64_MIN, I64_MAX = -(2**63), 2**63 - 1
# Collections nested deeper than this are a YamlSyntax error in both engines (contract §6); the root
# is level 1.
MAX_DEPTH = 256
TOO_DEEP = "document nests too deeply"
# saphyr refuses the 256th nested flow collection (`[`/`{`); the Rust twin reports that as TOO_DEEP.
MAX_FLOW_DEPTH = 255

TOP_KEYS = ("name", "description", "state", "settings", "nodes", "edges", "parity")
NODE_KEYS = ("name", "uses", "with", "output", "retry", "on_error", "steps")
STEP_KEYS = ("uses", "with", "output")
EDGE_KEYS = ("from", "to", "when")
OBS_KEYS = ("enabled", "level", "buffer_size", "handlers", "redact")
HANDLER_TYPES = ("console", "file", "callback")
LEVELS = {"debug": Level.DEBUG, "info": Level.INFO, "warn": Level.WARN, "error": Level.ERROR}

# The article of each wrong-type message (brief: `{path} must be {a string|an object|...}`).
_WANT = {
    "str": "a string",
    "map": "an object",
    "seq": "a list",
    "bool": "a boolean",
    "int": "an integer",
    "number": "a number",
}


def load_file(path: str | Path) -> Flow:
    """Load a flow file; the origin in errors is the path as given."""
    origin = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise LoadError("Io", f"cannot read flow: {e.strerror or e}", origin) from None
    return load_str(text, origin)


def load_str(text: str, origin: str = "<string>") -> Flow:
    """Load a flow document from text; raises LoadError."""
    try:
        return _Loader(origin).load(text)
    except RecursionError:
        # The composer is iterative and depth is capped at MAX_DEPTH, so this is a last guard
        # (contract §6).
        raise LoadError("YamlSyntax", TOO_DEEP, origin, None, None, None) from None


def _scalar_key(node: ScalarNode) -> tuple[str, Any]:
    return (node.tag, node.value if node.tag == T_STR else _Loader.scalar_value(node, strict=False))


class _Loader:
    def __init__(self, origin: str) -> None:
        self.origin = origin

    # -- errors ---------------------------------------------------------------------------------------

    def err(self, kind: str, message: str, node: Node | None, key: str | None) -> LoadError:
        if node is None:
            return LoadError(kind, message, self.origin, None, None, key)
        mark = node.start_mark
        return LoadError(kind, message, self.origin, mark.line + 1, mark.column + 1, key)

    def invalid(self, message: str, node: Node, key: str) -> LoadError:
        return self.err("InvalidValue", message, node, key)

    def want(self, kind: str, node: Node, path: str) -> LoadError:
        return self.invalid(f"{path} must be {_WANT[kind]}", node, path)

    # -- YAML stage -----------------------------------------------------------------------------------

    def load(self, text: str) -> Flow:
        try:
            root = self.compose(text)
        except yaml.MarkedYAMLError as e:
            mark = e.problem_mark or e.context_mark
            message = " ".join(p for p in (e.context, e.problem) if p) or "invalid YAML"
            line = mark.line + 1 if mark else None
            column = mark.column + 1 if mark else None
            raise LoadError("YamlSyntax", message, self.origin, line, column, None) from None
        except yaml.YAMLError as e:
            raise LoadError("YamlSyntax", str(e), self.origin, None, None, None) from None
        if root is not None:
            self.check_duplicates(root, "", set())
        return self.structure(root)

    def compose(self, text: str) -> Node | None:
        """PyYAML's ``get_single_node`` without recursion (contract §6): its composer recurses once
        per level
        (LibYAML's crashes the process on a deep enough document). Collections nested deeper than
        MAX_DEPTH are a YamlSyntax error at the first too-deep collection once the document has parsed
        (a syntax error anywhere wins), as in the Rust twin; more than MAX_FLOW_DEPTH nested flow
        collections stop the parse at once (saphyr's own limit)."""
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
                            if len(stack) > MAX_DEPTH and too_deep is None:
                                too_deep = event.start_mark
                            if event.flow_style:
                                flow_depth += 1
                                if flow_depth > MAX_FLOW_DEPTH:
                                    # saphyr stops here (the Rust twin reports the first too-deep
                                    # collection); LibYAML slows down quadratically with flow depth.
                                    raise self.too_deep(too_deep or event.start_mark)
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
            raise self.too_deep(too_deep)
        return root

    def too_deep(self, mark: Any) -> LoadError:
        return LoadError("YamlSyntax", TOO_DEEP, self.origin, mark.line + 1, mark.column + 1, None)

    def check_duplicates(self, node: Node, path: str, seen: set[int]) -> None:
        """DuplicateKey anywhere in the document (second key's position), before any structure check."""
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
                        raise self.err("DuplicateKey", f"duplicate key '{key}'", k, _join(path, key))
                    keys.add(ident)
                self.check_duplicates(k, path, seen)
                self.check_duplicates(v, _join(path, key), seen)
        elif isinstance(node, SequenceNode):
            for i, item in enumerate(node.value):
                self.check_duplicates(item, f"{path}[{i}]", seen)

    # -- values ---------------------------------------------------------------------------------------

    @staticmethod
    def scalar_value(node: ScalarNode, strict: bool = True) -> Any:
        """The value of a scalar under the 1.2 core schema (None for an unknown tag when not strict)."""
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

    def data(self, node: Node, path: str) -> Any:
        """A JSON value (state, with, parity): 64-bit integers, finite floats, string keys."""
        if isinstance(node, ScalarNode):
            try:
                value = self.scalar_value(node)
            except ValueError:
                raise self.invalid(f"unsupported tag '{node.tag}'", node, path) from None
            if type(value) is int and not I64_MIN <= value <= I64_MAX:
                raise self.invalid("integer outside 64 bits", node, path)
            if type(value) is float and not math.isfinite(value):
                raise self.invalid("non-finite number", node, path)
            return value
        if isinstance(node, SequenceNode):
            return [self.data(item, f"{path}[{i}]") for i, item in enumerate(node.value)]
        out: dict[str, Any] = {}
        for k, v in node.value:
            if not (isinstance(k, ScalarNode) and k.tag == T_STR):
                raise self.want("str", k, path)
            out[k.value] = self.data(v, f"{path}.{k.value}")
        return out

    def string(self, node: Node, path: str) -> str:
        if isinstance(node, ScalarNode) and node.tag == T_STR:
            return node.value
        self.numbers_ok(node, path)
        raise self.want("str", node, path)

    def numbers_ok(self, node: Node, path: str) -> None:
        # A huge integer or a non-finite float is reported as such, whatever type was wanted.
        if isinstance(node, ScalarNode) and node.tag in (T_INT, T_FLOAT):
            self.data(node, path)

    def name(self, node: Node, path: str, reserved_ok: bool = False, node_name: bool = True) -> str:
        value = self.string(node, path)
        if value in RESERVED and not reserved_ok and node_name:
            raise self.invalid(f"reserved name '{value}'", node, path)
        if value in RESERVED and reserved_ok:
            return value
        if not NAME_RE.match(value):
            raise self.invalid(f"invalid name '{value}'", node, path)
        return value

    def mapping(self, node: Node, path: str) -> list[tuple[ScalarNode, Node, str]]:
        """The (key node, value node, key) pairs of a mapping; non-string keys are unknown keys."""
        if not isinstance(node, MappingNode):
            self.numbers_ok(node, path)
            raise self.want("map", node, path)
        pairs = []
        for k, v in node.value:
            key = k.value if isinstance(k, ScalarNode) else "?"
            pairs.append((k, v, key))
        return pairs

    def sequence(self, node: Node, path: str) -> list[Node]:
        if not isinstance(node, SequenceNode):
            self.numbers_ok(node, path)
            raise self.want("seq", node, path)
        return node.value

    def boolean(self, node: Node, path: str) -> bool:
        if isinstance(node, ScalarNode) and node.tag == T_BOOL:
            return node.value.lower() == "true"
        self.numbers_ok(node, path)
        raise self.want("bool", node, path)

    def integer(self, node: Node, path: str) -> int:
        if isinstance(node, ScalarNode) and node.tag == T_INT:
            value = self.data(node, path)
            return value
        self.numbers_ok(node, path)
        raise self.want("int", node, path)

    def keys(self, node: Node, path: str, allowed: tuple[str, ...]) -> dict[str, tuple[ScalarNode, Node]]:
        """Checks the keys of a mapping in document order; returns key → (key node, value node)."""
        found: dict[str, tuple[ScalarNode, Node]] = {}
        for k, v, key in self.mapping(node, path):
            if not (isinstance(k, ScalarNode) and k.tag == T_STR and key in allowed):
                raise self.err("UnknownKey", f"unknown key '{key}'", k, _join(path, key))
            found[key] = (k, v)
        return found

    def missing(self, found: dict[str, Any], node: Node, path: str, required: tuple[str, ...]) -> None:
        for key in required:
            if key not in found:
                # The key path names the missing key where it would be (`edges[1].from`).
                raise self.err("MissingKey", f"missing key '{key}'", node, _join(path, key))

    # -- structure ------------------------------------------------------------------------------------

    def structure(self, root: Node | None) -> Flow:
        if not isinstance(root, MappingNode):
            # An empty document or a scalar/list at the top: the flow must be an object.
            raise LoadError("InvalidValue", "a flow document must be an object", self.origin, 1, 1, None)
        name = description = None
        state: dict[str, Any] = {}
        obs = ObservabilitySettings()
        nodes: list[FlowNode] = []
        edges: list[Edge] = []
        self.node_names: list[tuple[str, Node, str]] = []  # (name, value node, key path)
        self.refs: list[tuple[str, Node, str]] = []  # node names referenced by edges and on_error
        self.edge_info: list[tuple[Edge, dict[str, tuple[ScalarNode, Node]]]] = []
        found: dict[str, Any] = {}
        for k, v, key in self.mapping(root, ""):
            if not (isinstance(k, ScalarNode) and k.tag == T_STR and key in TOP_KEYS):
                raise self.err("UnknownKey", f"unknown key '{key}'", k, key)
            found[key] = v
            if key == "name":
                name = self.name(v, "name", node_name=False)
            elif key == "description":
                description = self.string(v, "description")
            elif key == "state":
                if not isinstance(v, MappingNode):
                    self.numbers_ok(v, "state")
                    raise self.want("map", v, "state")
                state = self.data(v, "state")
            elif key == "settings":
                obs = self.settings(v)
            elif key == "nodes":
                nodes = [self.node(item, f"nodes[{i}]") for i, item in enumerate(self.sequence(v, "nodes"))]
            elif key == "edges":
                edges = [self.edge(item, f"edges[{i}]") for i, item in enumerate(self.sequence(v, "edges"))]
            elif key == "parity":
                # Engines ignore it (contract §5), but numbers anywhere in the document are checked.
                self.data(v, "parity")
        self.missing(found, root, "", ("name", "nodes", "edges"))
        assert name is not None
        flow = Flow(self.origin, name, description, state, obs, nodes, edges)
        self.graph(flow, found["edges"])
        return flow

    def settings(self, node: Node) -> ObservabilitySettings:
        obs = ObservabilitySettings()
        for key, (_k, v) in self.keys(node, "settings", ("observability",)).items():
            if key == "observability":
                obs = self.observability(v, "settings.observability")
        return obs

    def observability(self, node: Node, path: str) -> ObservabilitySettings:
        obs = ObservabilitySettings()
        for key, (_k, v) in self.keys(node, path, OBS_KEYS).items():
            p = f"{path}.{key}"
            if key == "enabled":
                obs.enabled = self.boolean(v, p)
            elif key == "level":
                level = self.string(v, p)
                if level not in LEVELS:
                    raise self.invalid(f"unknown level '{level}'", v, p)
                obs.level = LEVELS[level]
            elif key == "buffer_size":
                size = self.integer(v, p)
                if size < 1:
                    raise self.invalid(f"{p} must be at least 1", v, p)
                obs.buffer_size = size
            elif key == "handlers":
                obs.handlers = [self.handler(h, f"{p}[{i}]") for i, h in enumerate(self.sequence(v, p))]
            elif key == "redact":
                items = []
                for i, item in enumerate(self.sequence(v, p)):
                    text = self.string(item, f"{p}[{i}]")
                    if not text:
                        raise self.invalid(f"{p}[{i}] must not be empty", item, f"{p}[{i}]")
                    items.append(text)
                obs.redact = items
        return obs

    def handler(self, node: Node, path: str) -> HandlerSpec:
        found = self.keys(node, path, ("type", "path"))
        htype = hpath = None
        for key, (_k, v) in found.items():
            if key == "type":
                htype = self.string(v, f"{path}.type")
                if htype not in HANDLER_TYPES:
                    raise self.invalid(f"unknown handler type '{htype}'", v, f"{path}.type")
            else:
                hpath = self.string(v, f"{path}.path")
        self.missing(found, node, path, ("type",))
        if htype == "file":
            self.missing(found, node, path, ("path",))
        assert htype is not None
        return HandlerSpec(htype, hpath)

    def call(self, found: dict[str, tuple[ScalarNode, Node]], path: str) -> ActionCall:
        uses = self.string(found["uses"][1], f"{path}.uses")
        with_: dict[str, Any] = {}
        if "with" in found:
            with_ = self.with_(found["with"][1], f"{path}.with")
        output = None
        if "output" in found:
            output = self.name(found["output"][1], f"{path}.output")
        return ActionCall(uses, with_, output)

    def with_(self, node: Node, path: str) -> dict[str, Any]:
        if not isinstance(node, MappingNode):
            self.numbers_ok(node, path)
            raise self.want("map", node, path)
        return self.data(node, path)

    def node(self, node: Node, path: str) -> FlowNode:
        found = self.keys(node, path, NODE_KEYS)
        # Values in document order (the order `keys` returned them in).
        name = None
        max_attempts = 1
        on_error = None
        steps: list[ActionCall] | None = None
        with_: dict[str, Any] = {}
        uses = output = None
        for key, (_k, v) in found.items():
            p = f"{path}.{key}"
            if key == "name":
                name = self.name(v, p)
                self.node_names.append((name, v, p))
            elif key == "uses":
                uses = self.string(v, p)
            elif key == "with":
                with_ = self.with_(v, p)
            elif key == "output":
                output = self.name(v, p)
            elif key == "retry":
                rfound = self.keys(v, p, ("max_attempts",))
                for _rk, (_k2, rv) in rfound.items():
                    max_attempts = self.integer(rv, f"{p}.max_attempts")
                    if max_attempts < 1:
                        raise self.invalid("retry.max_attempts must be at least 1", rv, f"{p}.max_attempts")
                self.missing(rfound, v, p, ("max_attempts",))
            elif key == "on_error":
                on_error = self.name(v, p)
                self.refs.append((on_error, v, p))
            elif key == "steps":
                items = self.sequence(v, p)
                if not items:
                    raise self.invalid(f"{p} must be a non-empty list", v, p)
                steps = [self.step(item, f"{p}[{i}]") for i, item in enumerate(items)]
        self.missing(found, node, path, ("name",))
        if ("uses" in found) == ("steps" in found):
            raise self.invalid("a node needs exactly one of 'uses' and 'steps'", node, path)
        if steps is not None:
            if "output" in found:
                raise self.invalid("a steps node has no 'output'", found["output"][1], f"{path}.output")
            if "with" in found:
                raise self.invalid("a steps node has no 'with'", found["with"][1], f"{path}.with")
        assert name is not None
        body: ActionCall | list[ActionCall] = steps if steps is not None else ActionCall(uses, with_, output)
        # type: ignore[arg-type]
        return FlowNode(name, body, max_attempts, on_error)

    def step(self, node: Node, path: str) -> ActionCall:
        found = self.keys(node, path, STEP_KEYS)
        uses = output = None
        with_: dict[str, Any] = {}
        for key, (_k, v) in found.items():
            p = f"{path}.{key}"
            if key == "uses":
                uses = self.string(v, p)
            elif key == "with":
                with_ = self.with_(v, p)
            else:
                output = self.name(v, p)
        self.missing(found, node, path, ("uses",))
        assert uses is not None
        return ActionCall(uses, with_, output)

    def endpoint(self, node: Node, path: str, reserved: str) -> str | list[str]:
        """One side of an edge: a name (or __start__ for from / __end__ for to), or a list of branches."""
        if isinstance(node, SequenceNode):
            names = []
            for i, item in enumerate(node.value):
                p = f"{path}[{i}]"
                n = self.name(item, p)
                if n in names:
                    raise self.invalid(f"{path} lists '{n}' twice", item, p)
                names.append(n)
                self.refs.append((n, item, p))
            if len(names) < 2:
                raise self.invalid(f"{path} must list at least two nodes", node, path)
            return names
        value = self.string(node, path)
        if value == reserved:
            n = self.name(node, path, reserved_ok=True)
            return n
        if value in RESERVED:
            raise self.invalid(f"reserved name '{value}'", node, path)
        n = self.name(node, path)
        self.refs.append((n, node, path))
        return n

    def edge(self, node: Node, path: str) -> Edge:
        found = self.keys(node, path, EDGE_KEYS)
        src: str | list[str] = ""
        dst: str | list[str] = ""
        when = None
        for key, (_k, v) in found.items():
            p = f"{path}.{key}"
            if key == "from":
                src = self.endpoint(v, p, START)
            elif key == "to":
                dst = self.endpoint(v, p, END)
            else:
                when = self.string(v, p)
        self.missing(found, node, path, ("from", "to"))
        if isinstance(src, list) and when is not None:
            raise self.invalid("a fan-in edge has no 'when'", found["when"][1], f"{path}.when")
        e = Edge(src, dst, when)
        self.edge_info.append((e, found))
        return e

    # -- graph ----------------------------------------------------------------------------------------

    def graph(self, flow: Flow, edges_node: Node) -> None:
        names: set[str] = set()
        for name, v, p in self.node_names:
            if name in names:
                raise self.err("DuplicateNode", f"duplicate node '{name}'", v, p)
            names.add(name)
        # Unknown nodes in document order (on_error of nodes and edge endpoints, wherever they appear).
        refs = sorted(self.refs, key=lambda r: (r[1].start_mark.line, r[1].start_mark.column))
        for name, v, p in refs:
            if name not in names:
                raise self.err("UnknownNode", f"unknown node '{name}'", v, p)
        # A fan-out branch runs only inside its fan-out (contract §6): a single-target edge or an
        # on_error
        # leading to it is refused at the reference, in document order.
        branches = {b for e in flow.edges if isinstance(e.to, list) for b in e.to}
        for name, v, p in refs:
            if name in branches and (p.endswith(".on_error") or _SINGLE_TO.fullmatch(p)):
                raise self.invalid(f"node '{name}' is a fan-out branch and cannot be reached otherwise", v, p)
        self.edges_check(flow, edges_node)
        self.path_check(flow)

    def edges_check(self, flow: Flow, edges_node: Node) -> None:
        branches = {b for e in flow.edges if isinstance(e.to, list) for b in e.to}
        sources = [(START, None, None)] + [
            (n.name, v, p) for (n, (_, v, p)) in zip(flow.nodes, self.node_names, strict=True)
        ]
        for name, v, p in sources:
            unconditional = [(e, f) for e, f in self.edge_info if e.when is None and e.from_ == name]
            if len(unconditional) > 1:
                second = unconditional[1][1]["from"][1]
                index = next(i for i, (e, _f) in enumerate(self.edge_info) if e is unconditional[1][0])
                raise self.err(
                    "MissingEdge",
                    f"node '{name}' has more than one unconditional outgoing edge",
                    second,
                    f"edges[{index}].from",
                )
            if not unconditional and name not in branches:
                where, key = (v, p) if v is not None else (edges_node, "edges")
                raise self.err("MissingEdge", f"node '{name}' has no unconditional outgoing edge", where, key)
        fan_ins = fan_in_table(flow.edges)
        for i, (e, f) in enumerate(self.edge_info):
            if isinstance(e.to, list) and frozenset(e.to) not in fan_ins:
                raise self.err(
                    "MissingEdge",
                    f"fan-out to [{', '.join(e.to)}] has no fan-in edge",
                    f["to"][1],
                    f"edges[{i}].to",
                )

    def path_check(self, flow: Flow) -> None:
        out: dict[str, set[str]] = {}
        for e in flow.edges:
            targets = set(e.to) if isinstance(e.to, list) else {e.to}
            for s in e.from_ if isinstance(e.from_, list) else [e.from_]:
                out.setdefault(s, set()).update(targets)
        for n in flow.nodes:
            if n.on_error:
                out.setdefault(n.name, set()).add(n.on_error)
        seen = {START}
        todo = [START]
        while todo:
            for t in out.get(todo.pop(), ()):
                if t not in seen:
                    seen.add(t)
                    todo.append(t)
        if END not in seen:
            raise LoadError("NoPath", "no path from __start__ to __end__", self.origin, None, None, None)


_SINGLE_TO = re.compile(r"edges\[\d+\]\.to")


def fan_in_table(edges: list[Edge]) -> dict[frozenset[str], str | list[str]]:
    """Fan-in edges by their set of branches: how a fan-out finds its fan-in, in the loader's check and
    in the runner alike (the first fan-in edge of a set wins)."""
    table: dict[frozenset[str], str | list[str]] = {}
    for e in edges:
        if isinstance(e.from_, list):
            table.setdefault(frozenset(e.from_), e.to)
    return table


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key
