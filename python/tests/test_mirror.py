"""The Python twin mirrors the Rust engine module for module and name for name (issue 10, point 6).

Both sides are listed the same way and compared by name:

- modules: Rust ``engine/src/**/*.rs`` as module paths (``lib.rs`` is the package, ``x/mod.rs`` is ``x``,
  ``main.rs`` is ``cli``); Python ``python/yamlflow/**/*.py`` (``__init__.py`` is the package);
- in each module, its types and free functions: Rust items declared ``pub``, ``pub(crate)`` or
  ``pub(super)`` (``struct``, ``enum``, ``trait``, ``fn``) outside ``#[cfg(test)]`` items; Python top-level
  ``class`` and ``def`` names that do not start with ``_``;
- in each type, its methods: Rust ``pub``/``pub(crate)``/``pub(super)`` functions inside ``impl Type``
  blocks (trait impls such as ``fmt``, ``from`` and ``default`` are never ``pub``, so they are not listed);
  Python methods of a class that do not start with ``_``. A Rust ``new`` is Python's ``__init__`` and is not
  listed on either side.

The Rust sources are ``engine/src`` of this repository, or ``$TWINFLOW_ENGINE_SRC`` when set (to check
against an engine being refactored elsewhere).
"""

from __future__ import annotations

import ast
import os
import re
from pathlib import Path

from .conftest import ROOT

PACKAGE = ROOT / "python" / "yamlflow"


def engine_src() -> Path:
    return Path(os.environ.get("TWINFLOW_ENGINE_SRC", ROOT / "engine" / "src"))


# What one side has and the other cannot, by (module, name); name is a type, a function or "Type.method",
# and a type's entry covers its methods. Every entry says why. Keep it short.
ALLOWED_RUST_ONLY: dict[tuple[str, str], str] = {
    # The loader's YAML tree: Python has one node class per kind (Node and its subclasses ScalarNode,
    # SequenceNode, MappingNode, each with its tag and Pos) where Rust has a YNode with a YKind.
    ("loader.yaml", "YNode"): "Python's Node classes",
    ("loader.yaml", "YKind"): "Python's Node subclasses and tags (T_BAD, a tag outside the core schema)",
    ("error", "LoadErrorKind.name"): "Python's Enum gives every member its .name",
    ("sandbox", "OpenError"): "Python's sandbox.open raises SandboxEscape or the OSError itself",
    ("actions.context", "OpenError.into_action"): "Python catches SandboxEscape in actions._guarded",
    ("runner.file_order", "Ending"): "FileOrder.ending's guard; Python's ending is a context manager",
}
ALLOWED_PYTHON_ONLY: dict[tuple[str, str], str] = {
    ("loader.yaml", "Node"): "the tree's node, Rust's YNode (its kind is the subclass)",
    ("loader.yaml", "ScalarNode"): "Rust's YKind::Scalar, Bad and Unsupported (by its tag)",
    ("loader.yaml", "SequenceNode"): "Rust's YKind::Seq",
    ("loader.yaml", "MappingNode"): "Rust's YKind::Map",
    ("", "run_text"): "pyo3 glue: the one call the harness makes into the Python twin",
    ("cli", "main"): "the console-script entry point of pyproject.toml (Rust: main.rs's private fn main)",
    ("event", "to_json"): "an event's JSON line; Rust derives serde::Serialize on Event",
    ("observability", "get_flow_log"): "the flow log of a recent run by id (contract §3.6), from a registry; "
    "Rust callers keep the RunOutcome's context and ask it",
    ("observability", "ObservabilityContext.close"): "closes handler files; Rust closes them on drop",
    ("observability.handlers", "Handler.close"): "closes a file handler's file; Rust closes it on drop",
}
# Modules only one side has.
ALLOWED_MODULES: dict[str, str] = {
    "__main__": "python -m yamlflow (Rust: the binary is main.rs, here cli.py)",
    "values": "JSON helpers (deep copy, type-exact equality) that Rust gets from serde_json's Value",
    "template.budget": "minijinja cannot count loop iterations: Rust rewrites each loop's iterable through a "
    "counting function; Python wraps the same expressions in Jinja2's tree (template.py, _budgeted)",
    "ordering": "minijinja's order of values, which Rust gets from the library (contract §1.3)",
    "template.filters": "the filters Rust writes itself where minijinja's differ from the contract (indent, "
    "items, dictsort); Python's are wrappers in template.py (_indent_filter, _pair_lists)",
}
# Modules both sides have whose names are not compared.
UNCOMPARED_MODULES: dict[str, str] = {
    "template": "Jinja2 (Python) and minijinja (Rust, with its Templates/Scope and value conversions) differ",
    "pyrepr": "Python has repr() and str(); Rust writes Python's spelling of floats, strings, JSON and "
    "minijinja values into buffers by hand",
}


# -- Rust ----------------------------------------------------------------------------------------------

_VIS = r"pub(?:\((?:crate|super)\))?"
_ITEM = re.compile(rf"^(\s*){_VIS}\s+(?:const\s+|async\s+|unsafe\s+)*(fn|struct|enum|trait|type)\s+(\w+)")
_IMPL = re.compile(r"^(\s*)impl\b(?:<[^{]*?>)?\s+(?:[\w:<>', ]+\s+for\s+)?([\w:]+)")


def _strip_rust(text: str) -> str:
    """The source with comments, string and char literals blanked (same line breaks), so braces count."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif (
            c == "r"
            and re.match(r'r#*"', text[i:])
            and not (i and (text[i - 1].isalnum() or text[i - 1] == "_"))
        ):
            hashes = re.match(r'r(#*)"', text[i:]).group(1)  # type: ignore[union-attr]
            end = text.find('"' + hashes, i + 2 + len(hashes))
            j = n if end < 0 else end + 1 + len(hashes)
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            j += 1
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c == "'" and re.match(r"'(\\.|[^\\'])'", text[i : i + 4] + "  "):
            m = re.match(r"'(\\[^']*|[^\\'])'", text[i:])
            j = i + (len(m.group(0)) if m else 1)
            out.append(" " * (j - i))
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def rust_items(text: str) -> set[str]:
    """Types, free functions and ``Type.method`` names a Rust file declares visible outside itself."""
    lines = _strip_rust(text).split("\n")
    names: set[str] = set()
    depth = 0
    skip_until: int | None = None  # depth at which a #[cfg(test)] item ends
    pending_test = False
    impls: list[tuple[int, str]] = []  # (depth inside the impl block, type name)
    pending_impl: str | None = None  # an impl header whose `{` is on a later line
    for line in lines:
        stripped = line.strip()
        if skip_until is None:
            if stripped.startswith("#[cfg(test)]"):
                pending_test = True
            elif pending_test and stripped and not stripped.startswith("#["):
                pending_test = False
                if "{" in stripped:
                    skip_until = depth
                elif stripped.endswith(";"):
                    pass
                else:
                    skip_until = depth
            if skip_until is None:
                m = _IMPL.match(line)
                if m:
                    pending_impl = m.group(2).split("::")[-1]
                if pending_impl is not None and "{" in line:
                    impls.append((depth + 1, pending_impl))
                    pending_impl = None
                m = _ITEM.match(line)
                if m:
                    kind, name = m.group(2), m.group(3)
                    owner = impls[-1][1] if impls and impls[-1][0] == depth else None
                    if kind == "fn" and owner is not None:
                        if name != "new":
                            names.add(f"{owner}.{name}")
                    else:
                        names.add(name)  # at any indentation (an inline module's items too)
        depth += line.count("{") - line.count("}")
        while impls and depth < impls[-1][0]:
            impls.pop()
        if skip_until is not None and depth <= skip_until and "}" in line:
            skip_until = None
    return names


def rust_module(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts == ["lib"]:
        return ""
    if parts == ["main"]:
        return "cli"
    if parts[-1] == "mod":
        parts.pop()
    return ".".join(parts)


def rust_listing(root: Path) -> dict[str, set[str]]:
    """Every module's items; test modules (``tests.rs``, declared ``#[cfg(test)] mod tests;``) are skipped."""
    return {
        rust_module(p, root): rust_items(p.read_text(encoding="utf-8"))
        for p in sorted(root.rglob("*.rs"))
        if p.stem != "tests"
    }


# -- Python --------------------------------------------------------------------------------------------


def python_items(text: str) -> set[str]:
    """Top-level classes, functions and ``X: TypeAlias`` aliases, and the public methods of each class (names
    not starting with ``_``)."""
    names: set[str] = set()
    for node in ast.parse(text).body:
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and isinstance(node.annotation, ast.Name)
            and node.annotation.id == "TypeAlias"
        ):
            names.add(node.target.id)  # a type alias (Rust: `pub type`, or an enum of payloads)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not node.name.startswith("_"):
            names.add(node.name)
        elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            names.add(node.name)
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and not item.name.startswith(
                    "_"
                ):
                    names.add(f"{node.name}.{item.name}")
    return names


def python_module(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def python_listing(root: Path) -> dict[str, set[str]]:
    return {
        python_module(p, root): python_items(p.read_text(encoding="utf-8"))
        for p in sorted(root.rglob("*.py"))
    }


# -- the comparison ------------------------------------------------------------------------------------


def compare(
    rust: dict[str, set[str]],
    python: dict[str, set[str]],
    allowed_rust_only: dict[tuple[str, str], str] | None = None,
    allowed_python_only: dict[tuple[str, str], str] | None = None,
    allowed_modules: dict[str, str] | None = None,
    uncompared_modules: dict[str, str] | None = None,
) -> list[str]:
    """Everything one side has and the other lacks, one line each (empty when they mirror)."""
    allowed_rust_only = allowed_rust_only or {}
    allowed_python_only = allowed_python_only or {}
    allowed_modules = allowed_modules or {}
    uncompared_modules = uncompared_modules or {}

    def allowed(allow: dict[tuple[str, str], str], module: str, name: str) -> bool:
        return (module, name) in allow or (module, name.split(".")[0]) in allow

    problems: list[str] = []
    for module in sorted(rust.keys() | python.keys()):
        label = module or "(package)"
        if module not in python:
            if module not in allowed_modules:
                problems.append(f"module {label}: only in Rust")
            continue
        if module not in rust:
            if module not in allowed_modules:
                problems.append(f"module {label}: only in Python")
            continue
        if module in uncompared_modules:
            continue
        for name in sorted(rust[module] - python[module]):
            if not allowed(allowed_rust_only, module, name):
                problems.append(f"{label}: {name} only in Rust")
        for name in sorted(python[module] - rust[module]):
            if not allowed(allowed_python_only, module, name):
                problems.append(f"{label}: {name} only in Python")
    return problems


def test_python_mirrors_the_rust_engine() -> None:
    src = engine_src()
    rust = rust_listing(src)
    python = python_listing(PACKAGE)
    problems = compare(
        rust, python, ALLOWED_RUST_ONLY, ALLOWED_PYTHON_ONLY, ALLOWED_MODULES, UNCOMPARED_MODULES
    )
    assert not problems, f"Python ({PACKAGE}) and Rust ({src}) differ:\n" + "\n".join(problems)


def test_allow_list_entries_are_still_needed() -> None:
    # An entry whose name now exists on both sides (or on neither) is stale.
    rust = rust_listing(engine_src())
    python = python_listing(PACKAGE)
    stale = [
        f"{m}: {n}"
        for (m, n) in ALLOWED_RUST_ONLY
        if n not in rust.get(m, set()) or n in python.get(m, set())
    ]
    stale += [
        f"{m}: {n}"
        for (m, n) in ALLOWED_PYTHON_ONLY
        if n not in python.get(m, set()) or n in rust.get(m, set())
    ]
    stale += [m for m in ALLOWED_MODULES if (m in rust) == (m in python)]
    stale += [m for m in UNCOMPARED_MODULES if m not in rust or m not in python]
    assert not stale, "stale allow-list entries: " + ", ".join(stale)


def test_a_violation_fails() -> None:
    rust = {"": {"run"}, "flow": {"Flow", "Edge", "Flow.fan_in"}, "loader": {"load_str"}}
    python = {"": {"run"}, "flow": {"Flow", "Edge", "Flow.fan_in", "fan_in_table"}, "cli": {"main"}}
    assert compare(rust, python) == [
        "module cli: only in Python",
        "flow: fan_in_table only in Python",
        "module loader: only in Rust",
    ]
    # A type's allow-list entry covers its methods; the entries of one side never excuse the other.
    assert compare({"m": {"Y", "Y.get"}}, {"m": {"Z"}}, {("m", "Y"): "why"}, {("m", "Y"): "why"}) == [
        "m: Z only in Python"
    ]
    # A deliberate violation added to the real listings is reported too.
    real_python = python_listing(PACKAGE)
    real_python["flow"] = real_python["flow"] | {"ActionFailure"}
    problems = compare(
        rust_listing(engine_src()),
        real_python,
        ALLOWED_RUST_ONLY,
        ALLOWED_PYTHON_ONLY,
        ALLOWED_MODULES,
        UNCOMPARED_MODULES,
    )
    assert "flow: ActionFailure only in Python" in problems


def test_the_rust_scan() -> None:
    text = """
pub struct A;
pub(crate) enum B { X }
struct Hidden;
impl<'a> A
where
    'a: 'static,
{
    pub(crate) fn new() -> Self { A }
    pub fn get(&self) -> &str { "}" }
    fn private(&self) {}
}
impl std::fmt::Display for A {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { write!(f, "{{") }
}
pub(super) fn parse(text: &str) -> usize { let c = '{'; text.len() }
#[cfg(test)]
pub(crate) mod tests {
    pub(crate) fn helper() {}
}
pub trait T {}
pub type Callback = Arc<dyn Fn(&Event) + Send + Sync>;
"""
    assert rust_items(text) == {"A", "B", "A.get", "parse", "T", "Callback"}


def test_the_python_scan() -> None:
    text = """
class A:
    def __init__(self): ...
    def get(self): ...
    def _private(self): ...
def run(): ...
def _helper(): ...
X = 1
Callback: TypeAlias = Callable[[dict], object]
"""
    assert python_items(text) == {"A", "A.get", "run", "Callback"}
