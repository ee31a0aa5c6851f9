"""The graph rules of contract §1.4, after the document reads well: duplicate nodes, unknown nodes, fan-out
branches reached otherwise, outgoing edges, fan-ins, and the path from ``__start__`` to ``__end__``. Each
check reports the first offence in document order. Mirrors ``engine/src/loader/graph.rs``.
"""

from __future__ import annotations

import re

from ..flow import END, START, Edge, Flow, Node, fan_in
from .document import Doc, NodeRef
from .yaml import Origin

_SINGLE_TO = re.compile(r"edges\[\d+\]\.to")


def check(origin: Origin, doc: Doc) -> Flow:
    """Checks the graph of a read document and makes it a flow."""
    names = _duplicate_nodes(origin, doc)
    refs = _unknown_nodes(origin, doc, names)
    edges = [e for e, _ in doc.edges]
    # Fan-out branches leave through their fan-in edge instead of an unconditional edge.
    branches = {b for e in edges if isinstance(e.to, list) for b in e.to}
    _branches_reached_otherwise(origin, refs, branches)
    _outgoing_edges(origin, doc, edges, branches)
    _fan_ins(origin, doc, edges)
    nodes = [n for n, _ in doc.nodes]
    if not _reaches_end(nodes, edges):
        raise origin.error("NoPath", "no path from __start__ to __end__", None, None)
    return Flow(
        origin.name, doc.name, doc.description, doc.state, doc.observability, doc.limits, nodes, edges
    )


def _duplicate_nodes(origin: Origin, doc: Doc) -> set[str]:
    """The node names; a repeated name is a DuplicateNode at the second name."""
    names: set[str] = set()
    for _, ref in doc.nodes:
        if ref.name in names:
            raise origin.error("DuplicateNode", f"duplicate node '{ref.name}'", ref.node, ref.key)
        names.add(ref.name)
    return names


def _unknown_nodes(origin: Origin, doc: Doc, names: set[str]) -> list[NodeRef]:
    """The references in document order (on_error of nodes and edge endpoints, wherever they appear); the
    first to a missing node is an UnknownNode."""
    refs = sorted(doc.node_refs, key=lambda r: (r.node.pos.line, r.node.pos.column))
    for r in refs:
        if r.name not in names:
            raise origin.error("UnknownNode", f"unknown node '{r.name}'", r.node, r.key)
    return refs


def _branches_reached_otherwise(origin: Origin, refs: list[NodeRef], branches: set[str]) -> None:
    """A fan-out branch runs only inside its fan-out (contract §6): a single-target edge or an on_error
    leading to it is refused at that reference, in document order."""
    for r in refs:
        if r.name in branches and (r.key.endswith(".on_error") or _SINGLE_TO.fullmatch(r.key)):
            raise origin.invalid(
                f"node '{r.name}' is a fan-out branch and cannot be reached otherwise", r.node, r.key
            )


def _outgoing_edges(origin: Origin, doc: Doc, edges: list[Edge], branches: set[str]) -> None:
    """``__start__`` and every node but a fan-out branch has exactly one unconditional outgoing edge."""
    sources = [(START, None)] + [(n.name, ref) for n, ref in doc.nodes]
    for name, ref in sources:
        unconditional = [j for j, e in enumerate(edges) if e.when is None and e.from_ == name]
        if len(unconditional) > 1:
            j = unconditional[1]
            raise origin.error(
                "MissingEdge",
                f"node '{name}' has more than one unconditional outgoing edge",
                doc.edges[j][1]["from"][1],
                f"edges[{j}].from",
            )
        if not unconditional and name not in branches:
            where, key = (ref.node, ref.key) if ref is not None else (doc.edges_node, "edges")
            raise origin.error("MissingEdge", f"node '{name}' has no unconditional outgoing edge", where, key)


def _fan_ins(origin: Origin, doc: Doc, edges: list[Edge]) -> None:
    """Every fan-out has its fan-in edge."""
    for j, e in enumerate(edges):
        if isinstance(e.to, list) and fan_in(edges, e.to) is None:
            raise origin.error(
                "MissingEdge",
                f"fan-out to [{', '.join(e.to)}] has no fan-in edge",
                doc.edges[j][1]["to"][1],
                f"edges[{j}].to",
            )


def _reaches_end(nodes: list[Node], edges: list[Edge]) -> bool:
    """Whether ``__end__`` is reachable from ``__start__`` along edges, fan-outs (through their fan-in) and
    on_error routes."""
    out: dict[str, set[str]] = {}
    for e in edges:
        targets = set(e.to) if isinstance(e.to, list) else {e.to}
        for s in e.from_ if isinstance(e.from_, list) else [e.from_]:
            out.setdefault(s, set()).update(targets)
    for n in nodes:
        if n.on_error:
            out.setdefault(n.name, set()).add(n.on_error)
    seen = {START}
    todo = [START]
    while todo:
        for t in out.get(todo.pop(), ()):
            if t not in seen:
                seen.add(t)
                todo.append(t)
    return END in seen
