"""Property test: random YAML documents from the YAML 1.2 grammar read alike by both engines' YAML layer.

A seeded generator writes documents with scalars of every style (plain, single- and double-quoted with
escapes, literal and folded block scalars with chomping and indentation indicators), flow and block
collections, anchors and aliases (redefined ones too), core and other tags, comments, blank lines and
trailing spaces, and keys of every scalar type (so repeated keys, keys equal as JSON and non-scalar keys
occur), and the forms where LibYAML's YAML 1.1 grammar used to differ (tabs as separation, `:` and `?` at
the start of a plain scalar, empty keys, comments after a tab). Each is read by ``yamlflow.parse_yaml`` and
by the Rust engine's ``yamlflow yaml`` (one process for all); verdict, value, error kind, message, position
and key path must be equal. Both read saphyr-parser's events (docs/yaml-parser.md), so what this proves is
the layer above the parser: the tree, the core schema, the tag, key and anchor rules and the limits.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
from pathlib import Path

from .test_yaml_suite import outcome

ROOT = Path(__file__).resolve().parents[2]
BINARY = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target")) / "debug" / "yamlflow"
DOCUMENTS = 400

PLAIN = [
    "a",
    "b c",
    "x-y",
    "true",
    "False",
    "null",
    "~",
    "0",
    "-12",
    "0x1F",
    "0o17",
    "1.5",
    "-.5e3",
    ".inf",
    "-.INF",
    ".nan",
    "99999999999999999999",
    "yes",
    "on",
    "2001-12-14",
    "a#b",
    "c:d",
    "1_000",
    "+7",
    ":x",
    "?x",
    "-x",
]
TAGS = ["!!str", "!!int", "!!float", "!!bool", "!!null", "!", "!local", "!!binary", "!!timestamp"]
ESCAPES = ["\\n", "\\t", "\\\\", '\\"', "\\x41", "\\u00e9", "\\U0001F600", "\\0", "\\ "]


class Gen:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.anchors: list[str] = []

    def scalar_text(self) -> str:
        r = self.rng
        kind = r.randrange(4)
        if kind == 0:
            return r.choice(PLAIN)
        if kind == 1:
            return "'" + r.choice(PLAIN).replace("'", "''") + r.choice(["", "''", " it''s"]) + "'"
        if kind == 2:
            return '"' + r.choice(PLAIN) + r.choice(["", *ESCAPES]) + '"'
        return r.choice(PLAIN)

    def props(self) -> str:
        """An optional anchor and tag before a node."""
        r, out = self.rng, ""
        if r.random() < 0.15:
            name = r.choice(["a", "b", "c1", "x_y"])
            self.anchors.append(name)
            out += f"&{name} "
        if r.random() < 0.12:
            out += r.choice(TAGS) + " "
        return out

    def alias(self) -> str | None:
        if self.anchors and self.rng.random() < 0.15:
            return "*" + self.rng.choice(self.anchors)
        return None

    def flow(self, depth: int) -> str:
        r = self.rng
        alias = self.alias()
        if alias:
            return alias
        if depth > 2 or r.random() < 0.5:
            return self.props() + self.scalar_text()
        if r.random() < 0.5:
            items = [self.flow(depth + 1) for _ in range(r.randrange(4))]
            return self.props() + "[" + ", ".join(items) + r.choice(["", ","] if items else [""]) + "]"
        pairs = [f"{self.key()}: {self.flow(depth + 1)}" for _ in range(r.randrange(4))]
        return self.props() + "{" + ", ".join(pairs) + "}"

    def key(self) -> str:
        r = self.rng
        if r.random() < 0.05:
            return "[k]"
        return r.choice(["a", "b", "1", '"1"', "true", "null", "~", "1.5", "'a'", "k e", "0x1", ""])

    def block_scalar(self, indent: int) -> str:
        r = self.rng
        header = (
            r.choice(["|", ">"]) + r.choice(["", "-", "+"]) + r.choice(["", "2"] if indent == 0 else [""])
        )
        pad = " " * (indent + 2)
        lines = [r.choice(["text", "more  text", "", "  indented", "# not a comment"]) for _ in range(3)]
        if not lines[0].strip():
            lines[0] = "first"
        body = "".join(pad + line + "\n" if line else "\n" for line in lines)
        return header + r.choice(["", " # c"]) + "\n" + body + r.choice(["", "\n"])

    def block(self, indent: int, depth: int) -> str:
        """A block collection at ``indent`` (its first line starts there; it ends with a newline)."""
        r, pad, out = self.rng, " " * indent, ""
        seq = r.random() < 0.4
        for _ in range(1 + r.randrange(3)):
            head = pad + ("-" if seq else f"{self.key()}:") + r.choice([" ", " ", " ", "\t", " \t"])
            choice = r.random()
            if depth < 3 and choice < 0.3:
                child = self.block(indent + 2, depth + 1)
                out += head.rstrip() + r.choice(["", "  # c"]) + "\n" + child
            elif choice < 0.45:
                out += head + self.props().lstrip() + self.block_scalar(indent)
            else:
                out += head + self.flow(depth) + r.choice(["", " # c", "   ", "\t# c", "\t"]) + "\n"
            if r.random() < 0.1:
                out += r.choice(["\n", "# comment\n", pad + "# indented comment\n"])
        return out

    def document(self) -> str:
        r = self.rng
        self.anchors = []
        head = r.choice(["", "", "---\n", "%YAML 1.2\n---\n", "# top\n"])
        body = self.block(0, 0) if r.random() < 0.8 else self.flow(0) + "\n"
        return head + body + r.choice(["", "", "...\n"])


def test_generated_documents_read_alike(tmp_path: Path) -> None:
    gen = Gen(random.Random(17))
    docs = [gen.document() for _ in range(DOCUMENTS)]
    paths = []
    for i, doc in enumerate(docs):
        path = tmp_path / f"{i}.yaml"
        path.write_bytes(doc.encode("utf-8"))
        paths.append(str(path))
    assert BINARY.exists(), f"build the Rust engine first ({BINARY})"
    lines = subprocess.run([BINARY, "yaml", *paths], check=True, capture_output=True, text=True).stdout
    rust = [json.loads(line) for line in lines.splitlines()]
    differ = [(doc, r, p) for doc, r in zip(docs, rust, strict=True) if r != (p := outcome(doc))]
    assert not differ, "\n\n".join(f"{d!r}\nrust:   {r}\npython: {p}" for d, r, p in differ[:5])
    # The generator reaches values and each kind of refusal.
    kinds = {r["error"]["kind"] if "error" in r else "value" for r in rust}
    assert {"value", "InvalidValue", "DuplicateKey", "YamlSyntax"} <= kinds, kinds
