"""The order of template values, as minijinja orders them (contract §1.3): ``<``, ``<=``, ``>``, ``>=`` and
``sort``, ``min``, ``max`` compare values of any types. minijinja's order cannot be configured, so the Python
twin follows it where Python would refuse (``1 < 'x'``, ``{'a': 1} < {'b': 1}``, ``[1, 'a'] | min``); the Rust
engine gets it from the library (no module of its own).

- A boolean next to a number is the integer 0 or 1.
- Otherwise values of different kinds order by kind: none < boolean < number < string < list < object <
  iterable (``values.MjIterable``: a range, ``reverse``, a slice, ``+``, ``*``...) < anything else.
- Within a kind: booleans and numbers by value, strings by code point, lists and iterables item by item (then
  the shorter first; a tuple after every list), objects pair by pair in their key order (key, then value;
  then the shorter first).
"""

from __future__ import annotations

import bisect
import functools
from typing import Any

import jinja2

from .values import MjIterable

_KINDS = {type(None): 0, bool: 1, int: 2, float: 2, str: 3, list: 4, tuple: 4, dict: 5, MjIterable: 6}


def _kind(value: Any) -> int:
    if isinstance(value, jinja2.Undefined):
        return -1  # a missing attribute of `sort`, `min`, `max`: before every value, as in minijinja
    # Anything else (`loop`, a macro, a namespace) is minijinja's plain object, after every other kind.
    return _KINDS.get(type(value), 3 if isinstance(value, str) else 7)


def compare(a: Any, b: Any) -> int:
    """-1, 0 or 1 as minijinja orders ``a`` and ``b``."""
    if type(a) is bool and type(b) in (int, float):
        a = int(a)
    elif type(b) is bool and type(a) in (int, float):
        b = int(b)
    ka, kb = _kind(a), _kind(b)
    if ka != kb:
        return -1 if ka < kb else 1
    if ka == 4 and (type(a) is tuple) != (type(b) is tuple):
        return 1 if type(a) is tuple else -1  # a tuple orders after every list
    if ka in (4, 6):
        return _items(a, b)
    if ka == 5:
        return _items(list(a.items()), list(b.items()))
    if ka in (1, 2, 3):
        return (a > b) - (a < b)
    return 0


def _items(a: Any, b: Any) -> int:
    for x, y in zip(a, b, strict=False):
        order = compare(x, y)
        if order:
            return order
    return (len(a) > len(b)) - (len(a) < len(b))


@functools.total_ordering
class Ordered:
    """A value that compares as minijinja orders values (the operands of ``<`` and friends)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def _order(self, other: Ordered) -> int:
        # Both operands are evaluated first; an undefined one fails when they are compared.
        for operand in (self.value, other.value):
            if isinstance(operand, jinja2.Undefined):
                operand._fail_with_undefined_error()
        return compare(self.value, other.value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Ordered) and self._order(other) == 0

    def __lt__(self, other: Ordered) -> bool:
        return self._order(other) < 0

    __hash__ = None  # type: ignore[assignment]


def key(case_sensitive: bool) -> Any:
    """A sort key ordering values as minijinja does; strings lower-cased unless ``case_sensitive``."""

    def fold(value: Any) -> Any:
        return value if case_sensitive or not isinstance(value, str) else value.lower()

    return functools.cmp_to_key(lambda a, b: compare(fold(a), fold(b)))


def distinct(items: list[Any], keys: list[Any], case_sensitive: bool) -> list[Any]:
    """The items whose key equals no earlier item's key, in their order, as minijinja's ``unique`` keeps the
    keys it saw in a set ordered so (contract §1.3): lists, objects and iterables are keys too (a list and
    an iterable of the same items are two keys). A key Python can hash is looked up by hash (``1``, ``1.0``
    and ``true`` are one key), any other among the others, in their order."""
    order = key(case_sensitive)
    hashed: set[Any] = set()
    ordered: list[Any] = []  # the keys seen that Python cannot hash, sorted
    kept = []
    for item, item_key in zip(items, keys, strict=True):
        if not isinstance(item_key, jinja2.Undefined) and _hashable(item_key):
            folded = item_key if case_sensitive or not isinstance(item_key, str) else item_key.lower()
            if folded in hashed:
                continue
            hashed.add(folded)
        else:
            sortable = order(item_key)
            at = bisect.bisect_left(ordered, sortable)
            if at < len(ordered) and ordered[at] == sortable:
                continue
            ordered.insert(at, sortable)
        kept.append(item)
    return kept


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True
