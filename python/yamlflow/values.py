"""Helpers on JSON values (dict/list/str/int/float/bool/None) shared by the runner and actions, and the one
template value JSON lacks, minijinja's iterable (``MjIterable``).

No Rust twin: the Rust engine gets these from serde_json (``Value::clone``, ``PartialEq`` on ``Value``,
which also tells 1, 1.0 and true apart) and from minijinja (its ``ValueKind::Iterable``); Python's dicts need
them written out."""

from __future__ import annotations

import re
from typing import Any

# A UTF-16 surrogate code point: a Python string may hold one alone, UTF-8 (and a Rust String) cannot.
_SURROGATE = re.compile("[\ud800-\udfff]")


class MjIterable(list):  # type: ignore[type-arg]
    """A sequence of minijinja's iterable kind (contract §1.3): what ``range``, ``reverse``, slicing, ``+`` of
    two lists and ``*`` of a non-empty list by a positive count give. It holds its items (it iterates again,
    has a length, indexes and slices like a list, equals the list of the same items), but it orders after
    every list and object, and it is not a ``sequence``."""

    __slots__ = ()


def has_lone_surrogate(text: str) -> bool:
    """Whether ``text`` holds a lone surrogate, which no JSON text in UTF-8 can carry (contract §3.1)."""
    return not text.isascii() and _SURROGATE.search(text) is not None


def replace_lone_surrogates(text: str) -> str:
    """``text`` with each lone surrogate written as U+FFFD (contract §3.1)."""
    return text if text.isascii() else _SURROGATE.sub("\ufffd", text)


def copy_json(value: Any) -> Any:
    """A deep copy of a JSON value (much cheaper than ``copy.deepcopy``)."""
    t = type(value)
    if t is dict:
        return {k: copy_json(v) if type(v) in (dict, list) else v for k, v in value.items()}
    if t is list:
        return [copy_json(v) if type(v) in (dict, list) else v for v in value]
    return value


def json_equal(a: Any, b: Any) -> bool:
    """Equality of JSON values that tells types apart (1, 1.0 and true are three different values)."""
    ta, tb = type(a), type(b)
    if ta is not tb:
        return False
    if ta is dict:
        return a.keys() == b.keys() and all(json_equal(v, b[k]) for k, v in a.items())
    if ta is list:
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    return a == b
