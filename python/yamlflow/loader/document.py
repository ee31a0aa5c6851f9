"""The document model (contract §1.1): the positioned tree of a flow document, read key by key in document
order into the flow model, every error with its key path (contract §1.4: UnknownKey, MissingKey,
InvalidValue). The graph rules are ``graph.py``'s. Mirrors ``engine/src/loader/document.rs``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ..error import LoadError
from ..event import Level
from ..flow import (
    DEFAULT_LIMITS,
    END,
    START,
    ActionCall,
    Edge,
    HandlerSpec,
    Limits,
    ObservabilitySettings,
    Sampling,
)
from ..flow import Node as FlowNode
from ..observability.redact import MIN_SECRET_CHARS

# `to_json` converts any value: the Reader checks the numbers of values it does not keep (parity) and of
# scalars that have the wrong type (a huge integer is reported as such whatever type was wanted).
from .yaml import (
    T_BOOL,
    T_FLOAT,
    T_INT,
    T_STR,
    MappingNode,
    Node,
    Origin,
    ScalarNode,
    SequenceNode,
    _bad_tag,
    _key_text,
    map_to_json,
    to_json,
)

NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
# An action name as the event schema spells `action`: lower-case words of letters and `_` joined by dots.
ACTION_RE = re.compile(r"^[a-z_]+(\.[a-z_]+)*$")
RESERVED = (START, END)

TOP_KEYS = ("name", "description", "state", "settings", "nodes", "edges", "parity")
NODE_KEYS = ("name", "uses", "with", "output", "retry", "on_error", "steps")
STEP_KEYS = ("uses", "with", "output")
EDGE_KEYS = ("from", "to", "when")
OBS_KEYS = (
    "enabled",
    "level",
    "buffer_size",
    "handlers",
    "redact",
    "secrets",
    "learn_secrets",
    "sampling",
    "tenant",
)
SAMPLING_KEYS = ("rate", "slow_ms")
HANDLER_TYPES = ("console", "file", "callback")
LIMIT_KEYS = ("value_depth", "value_size", "state_size", "events", "template_iterations", "template_output")

# The article of each wrong-type message (brief: `{path} must be {a string|an object|...}`).
_WANT = {
    "str": "a string",
    "map": "an object",
    "seq": "a list",
    "bool": "a boolean",
    "int": "an integer",
    "number": "a number",
}

# An edge's keys as found: key -> (key node, value node).
EdgeKeys = dict[str, tuple[ScalarNode, Node]]


@dataclass
class NodeRef:
    """A node name in the document (a node's own name, or one an edge or ``on_error`` mentions), with its
    position, for the graph checks."""

    name: str
    node: Node
    key: str


@dataclass
class Doc:
    """The top-level values of a structurally valid document, with positions for the graph checks."""

    name: str = ""
    description: str | None = None
    state: dict[str, Any] = field(default_factory=dict)
    observability: ObservabilitySettings = field(default_factory=ObservabilitySettings)
    limits: Limits = DEFAULT_LIMITS
    # Each node with the NodeRef of its own name.
    nodes: list[tuple[FlowNode, NodeRef]] = field(default_factory=list)
    # Node names mentioned by edges and on_error, for the UnknownNode check.
    node_refs: list[NodeRef] = field(default_factory=list)
    edges: list[tuple[Edge, EdgeKeys]] = field(default_factory=list)
    edges_node: Node | None = None


class Reader:
    """Reads a document's tree into a Doc; every error names the origin."""

    def __init__(self, origin: Origin) -> None:
        self.origin = origin
        self._name_ref: NodeRef | None = None

    def _want(self, kind: str, node: Node, path: str) -> LoadError:
        return self.origin.invalid(f"{path} must be {_WANT[kind]}", node, path)

    def _expect_str(self, node: Node, path: str) -> str:
        if isinstance(node, ScalarNode) and node.tag == T_STR:
            return node.value
        self._numbers_ok(node, path)
        raise self._want("str", node, path)

    def _numbers_ok(self, node: Node, path: str) -> None:
        # A huge integer or a non-finite float is reported as such, whatever type was wanted.
        if isinstance(node, ScalarNode) and node.tag in (T_INT, T_FLOAT):
            to_json(self.origin, node, path)

    def _expect_name(self, node: Node, path: str, reserved_ok: bool = False) -> str:
        value = self._expect_str(node, path)
        if value in RESERVED and not reserved_ok:
            raise self.origin.invalid(f"reserved name '{value}'", node, path)
        if value in RESERVED and reserved_ok:
            return value
        if not NAME_RE.fullmatch(value):
            raise self.origin.invalid(f"invalid name '{value}'", node, path)
        return value

    def _expect_action(self, node: Node, path: str) -> str:
        """An action name as the event schema spells ``action``, known or not: an unknown one fails when it
        runs (contract §1.1)."""
        value = self._expect_str(node, path)
        if not ACTION_RE.fullmatch(value):
            raise self.origin.invalid(f"invalid action name '{value}'", node, path)
        return value

    def _expect_map(self, node: Node, path: str) -> list[tuple[ScalarNode, Node, str]]:
        """The (key node, value node, key) pairs of a mapping; non-string keys are unknown keys."""
        if not isinstance(node, MappingNode) or _bad_tag(node):
            self._numbers_ok(node, path)
            raise self._want("map", node, path)
        pairs = []
        for k, v in node.value:
            pairs.append((k, v, _key_text(k) or ""))
        return pairs

    def _expect_items(self, node: Node, path: str) -> list[Node]:
        """A list with at least one item (``nodes``, ``edges``, a node's ``steps``)."""
        items = self._expect_seq(node, path)
        if not items:
            raise self.origin.invalid(f"{path} must not be empty", node, path)
        return items

    def _expect_seq(self, node: Node, path: str) -> list[Node]:
        if not isinstance(node, SequenceNode) or _bad_tag(node):
            self._numbers_ok(node, path)
            raise self._want("seq", node, path)
        return node.value

    def _expect_bool(self, node: Node, path: str) -> bool:
        if isinstance(node, ScalarNode) and node.tag == T_BOOL:
            return node.value.lower() == "true"
        self._numbers_ok(node, path)
        raise self._want("bool", node, path)

    def _expect_number(self, node: Node, path: str) -> int | float:
        """An integer or a float (finite, an integer within 64 bits)."""
        value = to_json(self.origin, node, path)
        if type(value) in (int, float):
            return value
        raise self._want("number", node, path)

    def _expect_int(self, node: Node, path: str) -> int:
        if isinstance(node, ScalarNode) and node.tag == T_INT:
            value = to_json(self.origin, node, path)
            return value
        self._numbers_ok(node, path)
        raise self._want("int", node, path)

    def _keys(
        self, node: Node, path: str, allowed: tuple[str, ...]
    ) -> Iterator[tuple[str, ScalarNode, Node]]:
        """The (key, key node, value node) entries of a mapping in document order, each key checked when
        it is reached, so that a value before an unknown key is checked first (contract §1.4, phase 2)."""
        for k, v, key in self._expect_map(node, path):
            if not (isinstance(k, ScalarNode) and k.tag == T_STR and key in allowed):
                raise self.origin.error("UnknownKey", f"unknown key '{key}'", k, _join(path, key))
            yield key, k, v

    def _missing(self, found: dict[str, Any], node: Node, path: str, required: tuple[str, ...]) -> None:
        for key in required:
            if key not in found:
                # The key path names the missing key where it would be (`edges[1].from`).
                raise self.origin.error("MissingKey", f"missing key '{key}'", node, _join(path, key))

    # -- structure ------------------------------------------------------------------------------------

    def structure(self, root: Node | None) -> Doc:
        """The top-level values in document order, each checked (contract §1.1); the graph is not."""
        if not isinstance(root, MappingNode):
            # An empty document (no position) or a scalar/list at the top (its position).
            raise self.origin.error("InvalidValue", "the document must be an object", root, None)
        doc = Doc()
        found: dict[str, Any] = {}
        for k, v, key in self._expect_map(root, ""):
            if not (isinstance(k, ScalarNode) and k.tag == T_STR and key in TOP_KEYS):
                raise self.origin.error("UnknownKey", f"unknown key '{key}'", k, key)
            found[key] = v
            if key == "name":
                doc.name = self._expect_name(v, "name")
            elif key == "description":
                doc.description = self._expect_str(v, "description")
            elif key == "state":
                if not isinstance(v, MappingNode) or _bad_tag(v):
                    self._numbers_ok(v, "state")
                    raise self._want("map", v, "state")
                doc.state = map_to_json(self.origin, v, "state")
            elif key == "settings":
                self._settings(v, doc)
            elif key == "nodes":
                for i, item in enumerate(self._expect_items(v, "nodes")):
                    node = self._node(item, f"nodes[{i}]", doc.node_refs)
                    doc.nodes.append((node, self._name_ref))
            elif key == "edges":
                for i, item in enumerate(self._expect_items(v, "edges")):
                    edge, edge_keys = self._edge(item, f"edges[{i}]", doc.node_refs)
                    doc.edges.append((edge, edge_keys))
                doc.edges_node = v
            elif key == "parity":
                # Engines ignore it (contract §5), but numbers anywhere in the document are checked.
                to_json(self.origin, v, "parity")
        self._missing(found, root, "", ("name", "nodes", "edges"))
        return doc

    def _settings(self, node: Node, doc: Doc) -> None:
        for key, _k, v in self._keys(node, "settings", ("observability", "limits")):
            if key == "observability":
                doc.observability = self._observability(v, "settings.observability")
            else:
                doc.limits = self._limits(v, "settings.limits")

    def _limits(self, node: Node, path: str) -> Limits:
        """``settings.limits`` (contract §6.12): each an integer from 1 to its default."""
        values: dict[str, int] = {}
        for key, _k, v in self._keys(node, path, LIMIT_KEYS):
            p = f"{path}.{key}"
            n = self._expect_int(v, p)
            if n < 1:
                raise self.origin.invalid(f"{p} must be at least 1", v, p)
            ceiling = getattr(DEFAULT_LIMITS, key)
            if n > ceiling:
                raise self.origin.invalid(f"{p} must be at most {ceiling}", v, p)
            values[key] = n
        return Limits(**values)

    def _observability(self, node: Node, path: str) -> ObservabilitySettings:
        obs = ObservabilitySettings()
        for key, _k, v in self._keys(node, path, OBS_KEYS):
            p = f"{path}.{key}"
            if key == "enabled":
                obs.enabled = self._expect_bool(v, p)
            elif key == "level":
                text = self._expect_str(v, p)
                level = Level.parse(text)
                if level is None:
                    raise self.origin.invalid(f"unknown level '{text}'", v, p)
                obs.level = level
            elif key == "buffer_size":
                size = self._expect_int(v, p)
                if size < 1:
                    raise self.origin.invalid(f"{p} must be at least 1", v, p)
                obs.buffer_size = size
            elif key == "handlers":
                obs.handlers = [self._handler(h, f"{p}[{i}]") for i, h in enumerate(self._expect_seq(v, p))]
            elif key == "redact":
                obs.redact = self._strings(v, p, 1)
            elif key == "secrets":
                obs.secrets = self._strings(v, p, MIN_SECRET_CHARS)
            elif key == "learn_secrets":
                obs.learn_secrets = self._expect_bool(v, p)
            elif key == "sampling":
                obs.sampling = self._sampling(v, p)
            elif key == "tenant":
                obs.tenant = self._expect_str(v, p)
                if not obs.tenant:
                    raise self.origin.invalid(f"{p} must not be empty", v, p)
        return obs

    def _sampling(self, node: Node, path: str) -> Sampling:
        """``settings.observability.sampling`` (contract §3.8): ``rate`` (required, from 0 to 1) and
        ``slow_ms`` (at least 0)."""
        # Every key is checked before any value here (contract §6.12).
        found = {key: (k, v) for key, k, v in self._keys(node, path, SAMPLING_KEYS)}
        rate: float | None = None
        slow_ms: float | None = None
        for key, (_k, v) in found.items():
            p = f"{path}.{key}"
            n = self._expect_number(v, p)
            if key == "rate":
                if not 0 <= n <= 1:
                    raise self.origin.invalid(f"{p} must be between 0 and 1", v, p)
                rate = n
            elif n < 0:
                raise self.origin.invalid(f"{p} must be at least 0", v, p)
            else:
                slow_ms = n
        self._missing(found, node, path, ("rate",))
        assert rate is not None
        return Sampling(rate, slow_ms)

    def _strings(self, node: Node, path: str, least: int) -> list[str]:
        """A list of strings of at least ``least`` characters (``redact`` entries: not empty; ``secrets``
        entries: at least ``MIN_SECRET_CHARS``)."""
        out = []
        for i, item in enumerate(self._expect_seq(node, path)):
            p = f"{path}[{i}]"
            text = self._expect_str(item, p)
            if len(text) < least:
                message = (
                    f"{p} must not be empty" if least == 1 else f"{p} must be at least {least} characters"
                )
                raise self.origin.invalid(message, item, p)
            out.append(text)
        return out

    def _handler(self, node: Node, path: str) -> HandlerSpec:
        found: dict[str, tuple[ScalarNode, Node]] = {}
        htype = hpath = None
        for key, k, v in self._keys(node, path, ("type", "path")):
            found[key] = (k, v)
            if key == "type":
                htype = self._expect_str(v, f"{path}.type")
                if htype not in HANDLER_TYPES:
                    raise self.origin.invalid(f"unknown handler type '{htype}'", v, f"{path}.type")
            else:
                hpath = self._expect_str(v, f"{path}.path")
        self._missing(found, node, path, ("type",))
        if htype == "file":
            self._missing(found, node, path, ("path",))
        assert htype is not None
        return HandlerSpec(htype, hpath)

    def _with(self, node: Node, path: str) -> dict[str, Any]:
        if not isinstance(node, MappingNode):
            self._numbers_ok(node, path)
            raise self._want("map", node, path)
        return map_to_json(self.origin, node, path)

    def _node(self, node: Node, path: str, refs: list[NodeRef]) -> FlowNode:
        found: dict[str, tuple[ScalarNode, Node]] = {}
        name = None
        max_attempts = 1
        on_error = None
        steps: list[ActionCall] | None = None
        with_: dict[str, Any] = {}
        uses = output = None
        for key, k, v in self._keys(node, path, NODE_KEYS):
            found[key] = (k, v)
            p = f"{path}.{key}"
            if key == "name":
                name = self._expect_name(v, p)
                self._name_ref = NodeRef(name, v, p)
            elif key == "uses":
                uses = self._expect_action(v, p)
            elif key == "with":
                with_ = self._with(v, p)
            elif key == "output":
                output = self._expect_name(v, p)
            elif key == "retry":
                rfound: dict[str, tuple[ScalarNode, Node]] = {}
                for rkey, rk, rv in self._keys(v, p, ("max_attempts",)):
                    rfound[rkey] = (rk, rv)
                    max_attempts = self._expect_int(rv, f"{p}.max_attempts")
                    if max_attempts < 1:
                        raise self.origin.invalid(
                            "retry.max_attempts must be at least 1", rv, f"{p}.max_attempts"
                        )
                self._missing(rfound, v, p, ("max_attempts",))
            elif key == "on_error":
                on_error = self._expect_name(v, p)
                refs.append(NodeRef(on_error, v, p))
            elif key == "steps":
                items = self._expect_items(v, p)
                steps = [self._step(item, f"{p}[{i}]") for i, item in enumerate(items)]
        self._missing(found, node, path, ("name",))
        if ("uses" in found) == ("steps" in found):
            raise self.origin.invalid("a node needs exactly one of 'uses' and 'steps'", node, path)
        if steps is not None:
            if "output" in found:
                raise self.origin.invalid(
                    "a steps node has no 'output'", found["output"][1], f"{path}.output"
                )
            if "with" in found:
                raise self.origin.invalid("a steps node has no 'with'", found["with"][1], f"{path}.with")
        assert name is not None
        body: ActionCall | list[ActionCall] = steps if steps is not None else ActionCall(uses, with_, output)
        # type: ignore[arg-type]
        return FlowNode(name, body, max_attempts, on_error)

    def _step(self, node: Node, path: str) -> ActionCall:
        found: dict[str, tuple[ScalarNode, Node]] = {}
        uses = output = None
        with_: dict[str, Any] = {}
        for key, k, v in self._keys(node, path, STEP_KEYS):
            found[key] = (k, v)
            p = f"{path}.{key}"
            if key == "uses":
                uses = self._expect_action(v, p)
            elif key == "with":
                with_ = self._with(v, p)
            else:
                output = self._expect_name(v, p)
        self._missing(found, node, path, ("uses",))
        assert uses is not None
        return ActionCall(uses, with_, output)

    def _endpoint(self, node: Node, path: str, reserved: str, refs: list[NodeRef]) -> str | list[str]:
        """One side of an edge: a name (or __start__ for from / __end__ for to), or a list of branches."""
        if isinstance(node, SequenceNode):
            names = []
            for i, item in enumerate(node.value):
                p = f"{path}[{i}]"
                n = self._expect_name(item, p)
                if n in names:
                    raise self.origin.invalid(f"{path} lists '{n}' twice", item, p)
                names.append(n)
                refs.append(NodeRef(n, item, p))
            if len(names) < 2:
                raise self.origin.invalid(f"{path} must list at least two nodes", node, path)
            return names
        value = self._expect_str(node, path)
        if value == reserved:
            n = self._expect_name(node, path, reserved_ok=True)
            return n
        if value in RESERVED:
            raise self.origin.invalid(f"reserved name '{value}'", node, path)
        n = self._expect_name(node, path)
        refs.append(NodeRef(n, node, path))
        return n

    def _edge(self, node: Node, path: str, refs: list[NodeRef]) -> tuple[Edge, EdgeKeys]:
        found: dict[str, tuple[ScalarNode, Node]] = {}
        src: str | list[str] = ""
        dst: str | list[str] = ""
        when = None
        for key, k, v in self._keys(node, path, EDGE_KEYS):
            found[key] = (k, v)
            p = f"{path}.{key}"
            if key == "from":
                src = self._endpoint(v, p, START, refs)
            elif key == "to":
                dst = self._endpoint(v, p, END, refs)
            else:
                when = self._expect_str(v, p)
        self._missing(found, node, path, ("from", "to"))
        if isinstance(src, list) and when is not None:
            raise self.origin.invalid("a fan-in edge has no 'when'", found["when"][1], f"{path}.when")
        return Edge(src, dst, when), found


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key
