"""The YAML event module (``python/yaml_events``, docs/yaml-parser.md): saphyr-parser's events with their
spans, the Rust engine's parser of the same release, read by ``yamlflow/loader/yaml.py``."""

from __future__ import annotations

import re

import pytest
import yamlflow_yaml_events

import yamlflow
from yamlflow import LoadError
from yamlflow.loader import yaml as loader_yaml

from .conftest import ROOT


def _locked(lockfile: str, name: str) -> tuple[str, str]:
    text = (ROOT / lockfile).read_text(encoding="utf-8")
    found = re.search(rf'name = "{name}"\nversion = "([^"]+)"\nsource = "[^"]+"\nchecksum = "([^"]+)"', text)
    assert found, f"{name} is not in {lockfile}"
    return found.group(1), found.group(2)


def test_the_module_reads_with_the_rust_engines_parser() -> None:
    # The module is a cargo workspace of its own (python/yaml_events/Cargo.toml): the same release and
    # checksum of saphyr-parser in both lockfiles is what makes the parser the same.
    ours = _locked("python/yaml_events/Cargo.lock", "saphyr-parser")
    assert ours == _locked("Cargo.lock", "saphyr-parser")


def read_all(text: str, n: int = 1000) -> tuple[list[tuple], tuple | None]:
    reader = yamlflow_yaml_events.events(text)
    out: list[tuple] = []
    while True:
        events, error = reader.read(n)
        out += events
        if error is not None or not events:
            return out, error


def test_events_carry_kind_value_style_anchor_tag_and_span() -> None:
    events, error = read_all("a: &x [1, !!int '2', !local x]\nb: *x\n")
    assert error is None
    assert events == [
        ("StreamStart", None, None, 0, None, 1, 0),
        ("DocumentStart", None, None, 0, None, 1, 0),
        ("MappingStart", None, None, 0, None, 1, 0),
        ("Scalar", "a", "plain", 0, None, 1, 0),
        ("SequenceStart", None, None, 1, None, 1, 3),
        ("Scalar", "1", "plain", 0, None, 1, 7),
        ("Scalar", "2", "single", 0, "tag:yaml.org,2002:int", 1, 10),
        ("Scalar", "x", "plain", 0, "!local", 1, 21),
        ("SequenceEnd", None, None, 0, None, 1, 29),
        ("Scalar", "b", "plain", 0, None, 2, 0),
        ("Alias", None, None, 1, None, 2, 3),
        ("MappingEnd", None, None, 0, None, 3, 0),
        ("DocumentEnd", None, None, 0, None, 3, 0),
        ("StreamEnd", None, None, 0, None, 3, 0),
    ]


def test_an_error_comes_with_the_events_read_before_it() -> None:
    events, error = read_all("[a\n", n=2)
    assert [e[0] for e in events] == ["StreamStart", "DocumentStart", "SequenceStart", "Scalar"]
    assert error == ("while parsing a flow sequence, expected ',' or ']'", 2, 0)
    # The reader is finished: nothing more, no second error.
    reader = yamlflow_yaml_events.events("[a\n")
    assert reader.read(10)[1] is not None
    assert reader.read(10) == ([], None)


def test_every_style_and_a_redefined_anchor() -> None:
    events, _ = read_all("- 'a'\n- \"b\"\n- |\n  c\n- >\n  d\n- &x e\n- &x f\n- *x\n")
    scalars = [(e[1], e[2], e[3]) for e in events if e[0] in ("Scalar", "Alias")]
    assert scalars == [
        ("a", "single", 0),
        ("b", "double", 0),
        ("c\n", "literal", 0),
        ("d\n", "folded", 0),
        ("e", "plain", 1),
        ("f", "plain", 2),
        (None, None, 2),
    ]


def test_a_limit_before_a_syntax_error_wins(monkeypatch) -> None:
    text = "[" + "x, " * 100_000 + "]\n]\n"
    for batch in (1, 7, 4096):
        monkeypatch.setattr(loader_yaml, "_BATCH", batch)
        with pytest.raises(LoadError) as err:
            yamlflow.parse_yaml(text)
        assert (err.value.message, err.value.line, err.value.column) == (
            "document expands to more than 100000 nodes",
            1,
            299_999,
        )


def test_a_lone_surrogate_is_a_syntax_error() -> None:
    with pytest.raises(LoadError) as err:
        yamlflow.parse_yaml("a: b\ud800\n")
    assert (err.value.kind, err.value.line) == ("YamlSyntax", None)
    assert err.value.message == "document is not valid UTF-8 (a lone surrogate)"
