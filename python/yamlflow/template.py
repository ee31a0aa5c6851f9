"""Templates: Jinja2 with the semantics both engines pin (contract §1, §1.3,
brief "Templates").

- Only strings are templates; a string without ``{{``, ``{%`` or ``{#`` is returned unchanged.
- A single expression (starts with ``{{``, ends with ``}}``, no other ``{{``/``}}`` inside) is compiled with
  ``compile_expression`` and yields its native value, never re-parsed text.
- ``a.b`` is the key lookup ``a['b']`` on objects and undefined on any other JSON value (no host methods).
- Text output spells values as Python does (``pyrepr.json_text``); ``tojson`` keeps key order and UTF-8.
- Native results must be JSON values: undefined, ints outside 64 bits and non-finite floats are errors.
Mirrors ``engine/src/template.rs``.
"""

from __future__ import annotations

import functools
import math
import re
import threading
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

import jinja2
from jinja2 import StrictUndefined, TemplateSyntaxError, UndefinedError, nodes
from jinja2.environment import TemplateExpression
from jinja2.lexer import Lexer
from jinja2.parser import Parser
from jinja2.runtime import (
    LoopContext,
    Markup,  # markupsafe's, as Jinja2 (our one pinned dependency) exports it
)
from jinja2.sandbox import ImmutableSandboxedEnvironment, safe_range
from jinja2.utils import Namespace
from jinja2.visitor import NodeTransformer

from . import ordering
from .flow import DEFAULT_LIMITS, Limits
from .pyrepr import json_text, quote
from .values import MjIterable, has_lone_surrogate

I64_MIN = -(2**63)
I64_MAX = 2**63 - 1


class TemplateError(Exception):
    """A template that cannot be rendered; ``message`` is the contract message (contract §2.3)."""

    type = "TemplateError"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _undefined(src: str) -> TemplateError:
    return TemplateError(f"undefined value in template: {src}")


def _cannot(src: str) -> TemplateError:
    return TemplateError(f"cannot evaluate template: {src}")


def _syntax(src: str) -> TemplateError:
    return TemplateError(f"syntax error in template: {src}")


# Jinja2 runtime objects whose attributes are part of the template language (minijinja has them too):
# `loop.index`, `loop.cycle(...)`, `ns.total` of `namespace()`. Everything else that is not a JSON object
# has no attributes at all (contract §6: no host attribute or method is reachable, `'abc'.upper()`
# and
# `range(3).index(2)` are undefined).
_TEMPLATE_OBJECTS = (LoopContext, Namespace)


class _BadEscape(Exception):
    r"""A string literal's escape minijinja refuses (contract §1.3): ``cannot evaluate template``."""


def _mj_unescape(text: str) -> str:
    r"""A string literal's text as minijinja reads its escapes (contract §1.3): ``\\ \" \' \/``, ``\b \f \n
    \r \t``, ``\u`` and four hex digits (a surrogate pair makes one character, a lone one is refused),
    ``\xHH`` and up to three octal digits (a character up to 255); any other escape stays as written (``\a``,
    ``\U...``)."""
    out: list[str] = []
    high: int | None = None  # a high surrogate waiting for its low half
    i = 0
    while i < len(text):
        if text[i] != "\\":
            piece: str | int = text[i]
            i += 1
        else:
            piece, i = _escape_at(text, i + 1)
        if isinstance(piece, int):  # a `\u` escape's code unit
            if high is not None:
                if not 0xDC00 <= piece <= 0xDFFF:
                    raise _BadEscape
                piece, high = chr(0x10000 + (high - 0xD800) * 0x400 + piece - 0xDC00), None
            elif 0xD800 <= piece <= 0xDBFF:
                high = piece
                continue
            elif 0xDC00 <= piece <= 0xDFFF:
                raise _BadEscape
            else:
                piece = chr(piece)
        elif high is not None:
            raise _BadEscape
        out.append(piece)
    if high is not None:
        raise _BadEscape
    return "".join(out)


def _escape_at(text: str, i: int) -> tuple[str | int, int]:
    r"""The escape whose letter is ``text[i]``: a ``\u`` code unit as an integer, any other as its text; and
    where the text goes on."""
    if i == len(text):
        raise _BadEscape
    d, i = text[i], i + 1
    if d in "\"\\/'":
        return d, i
    if d in _CONTROL_ESCAPES:
        return _CONTROL_ESCAPES[d], i
    if d in "ux":
        width = 4 if d == "u" else 2
        digits = text[i : i + width]
        if len(digits) != width or not _HEX_DIGITS.fullmatch(digits):
            raise _BadEscape
        code = int(digits, 16)
        return (code if d == "u" else chr(code)), i + width
    if "0" <= d <= "7":
        end = i
        while end < min(len(text), i + 2) and "0" <= text[end] <= "7":
            end += 1
        code = int(text[i - 1 : end], 8)
        if code > 255:
            raise _BadEscape
        return chr(code), end
    return "\\" + d, i


_CONTROL_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
# Rust's from_str_radix takes a leading `+` and hexadecimal digits, nothing else.
_HEX_DIGITS = re.compile(r"\+?[0-9a-fA-F]+")


class _Lexer(Lexer):
    r"""Jinja2's lexer with string literals read as minijinja reads them (``_mj_unescape``): Jinja2 would
    read Python's escapes (``\U0001F600``, ``\N{...}``, ``\a``) and keep a lone surrogate."""

    def wrap(
        self, stream: Iterable[tuple[int, str, str]], name: str | None = None, filename: str | None = None
    ):
        # Jinja2 decodes a string token's text with "unicode-escape": hand it minijinja's value so encoded.
        return super().wrap(
            (
                (line, kind, '"' + _mj_unescape(value[1:-1]).encode("unicode_escape").decode("ascii") + '"')
                if kind == "string"
                else (line, kind, value)
                for line, kind, value in stream
            ),
            name,
            filename,
        )


@functools.cache
def _lexer(environment: Any) -> Lexer:
    return _Lexer(environment)


class _Environment(ImmutableSandboxedEnvironment):
    """Jinja2's immutable sandbox whose attribute and item access only ever look keys up in JSON values.

    The sandbox is the second wall: it refuses unsafe attributes and calls even on the template objects
    this class lets through, and never lets a template mutate a list or dict it was given."""

    @property
    def lexer(self) -> Lexer:
        return _lexer(self)

    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, jinja2.Undefined):
            # A lookup on an undefined value uses it (contract §1.3), as minijinja's strict mode does.
            obj._fail_with_undefined_error()
        if type(obj) is dict:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        if isinstance(obj, _TEMPLATE_OBJECTS):
            return super().getattr(obj, attribute)
        return self.undefined(obj=obj, name=attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        if isinstance(obj, jinja2.Undefined):
            obj._fail_with_undefined_error()
        if isinstance(obj, (dict, list, str, tuple)):
            try:
                # An item or slice of a safe string is a plain string, as in minijinja (contract §1.3).
                return str.__getitem__(obj, argument) if isinstance(obj, Markup) else obj[argument]
            except (KeyError, IndexError, TypeError, ValueError):
                # Jinja2 would fall back to getattr here and reach str/dict methods: not in this contract.
                return self.undefined(obj=obj, name=argument)
        if isinstance(obj, _TEMPLATE_OBJECTS):
            return super().getitem(obj, argument)
        return self.undefined(obj=obj, name=argument)

    intercepted_binops = frozenset({"+", "-", "*", "/", "//", "%", "**"})
    intercepted_unops = frozenset({"-"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        """Arithmetic on operand types minijinja computes too (contract §1.3: an undefined operand is
        ``cannot evaluate``, ``%`` is modulo only), ``*`` and ``**`` within the limits of contract §6.12,
        then as Jinja2 computes them; an integer result must stay within minijinja's integers."""
        if isinstance(left, jinja2.Undefined) or isinstance(right, jinja2.Undefined):
            raise _WrongOperand
        if operator == "%" and isinstance(left, str):
            raise _WrongOperand
        if operator == "+" and isinstance(left, str) and isinstance(right, str):
            return _joined((left, right), str.__add__(left, right))
        if operator == "*":
            left, right = _whole_count(left, right), _whole_count(right, left)
            for seq, n in ((left, right), (right, left)):
                size = _repeat_size(seq)
                if size is not None and type(n) is int and size * max(n, 0) > _MAX_REPEAT:
                    raise _OverBudget
        elif operator == "**" and _over_exponent(left, right):
            raise _OverBudget
        elif operator == "**" and _float_power(left, right):
            return _ieee_pow(float(left), float(right))
        iterable = _iterable_result(operator, left, right)
        if iterable is not None:
            return iterable
        return _within_int128(super().call_binop(context, operator, left, right))

    def call_unop(self, context: Any, operator: str, arg: Any) -> Any:
        """Unary ``-`` takes a number: an undefined operand or a boolean is ``cannot evaluate`` (contract
        §1.3); the result has the binary operators' integer range."""
        if isinstance(arg, jinja2.Undefined) or type(arg) is bool:
            raise _WrongOperand
        return _within_int128(super().call_unop(context, operator, arg))


def _iterable_result(operator: str, left: Any, right: Any) -> MjIterable | None:
    """``+`` of two lists and ``*`` of a list that has items by a positive count are iterables, as minijinja
    makes them (contract §1.3; a tuple's stay tuples, ``[] * 2`` is a list), built in place: a repetition
    may hold 10^8 items, and is not copied."""
    if operator == "+" and isinstance(left, list) and isinstance(right, list):
        joined = MjIterable(left)
        joined += right
        return joined
    if operator == "*":
        for seq, count in ((left, right), (right, left)):
            if isinstance(seq, list) and seq and type(count) in (int, bool) and count > 0:
                repeated = MjIterable(seq)
                repeated *= count
                return repeated
    return None


def _whole_count(count: Any, other: Any) -> Any:
    """A repetition count as minijinja reads it (contract §1.3): a float with no fraction is that integer
    (``'a' * 2.0`` is ``aa``) if it lies within 64 bits, a negative count is 0; any other float stays and is
    refused."""
    if not isinstance(other, (str, list, tuple)):
        return count
    if type(count) is float and count.is_integer() and I64_MIN <= count < -I64_MIN:
        count = int(count)
    return max(count, 0) if type(count) is int else count


def _float_power(left: Any, right: Any) -> bool:
    """A power computed on floats: a float operand, or an integer base with a negative exponent (not 0)."""
    if type(left) not in (int, float, bool) or type(right) not in (int, float, bool):
        return False
    if left == 0 and right < 0:
        return False  # division by zero, as in minijinja
    return type(left) is float or type(right) is float or right < 0


def _ieee_pow(left: float, right: float) -> float:
    """``left ** right`` as IEEE computes it (minijinja's ``powf``, contract §1.3): an overflow is inf or
    -inf, a negative base with a fractional exponent nan, where Python raises or gives a complex."""
    try:
        return math.pow(left, right)
    except OverflowError:
        odd = right.is_integer() and math.fmod(right, 2.0) != 0.0
        return -math.inf if left < 0 and odd else math.inf
    except ValueError:
        return math.nan


def _within_int128(value: Any) -> Any:
    """An integer a template computes must lie in [-2^127, 2^128 - 1] (minijinja's i128 and u128): a
    Python integer would otherwise grow without bound, and squaring one of many megabytes hangs inside C
    where no time limit reaches (contract §6.12)."""
    if type(value) is int and not _INT_MIN <= value <= _INT_MAX:
        raise _OverBudget
    return value


def _over_exponent(left: Any, right: Any) -> bool:
    """An integer power beyond the limits of contract §6.12."""
    if type(left) not in (int, bool) or type(right) not in (int, bool):
        return False
    return right > _MAX_ANY_EXPONENT or (abs(left) > 1 and right > _MAX_EXPONENT)


class _WrongOperand(Exception):
    """An arithmetic operator given an undefined value or a string for ``%`` (contract §1.3): minijinja's
    operators refuse them as operands of the wrong type, ``cannot evaluate template``."""


# String and sequence repetition (`'a' * n`) is refused beyond this many bytes or items (minijinja's own
# limit), and `a ** b` on integers with |a| > 1 and b above this exponent (the result leaves 64 bits anyway,
# and computing it would hang inside C): both `cannot evaluate template` (contract §6.12).
_MAX_REPEAT = 100_000_000
_MAX_EXPONENT = 128
_INT_MIN = -(2**127)
_INT_MAX = 2**128 - 1
# Any integer power with an exponent beyond 32 bits (minijinja's own limit, even for 0, 1 and -1).
_MAX_ANY_EXPONENT = 2**32 - 1


class _OverBudget(Exception):
    """A rendering ran out of its loop iterations or wrote too much text (contract §6.12)."""


# The iterations left to the rendering running on this thread (fan-out branches render concurrently).
_BUDGET = threading.local()
# A filter name no template can spell (names are identifiers): every `for` loop's iterable goes through it.
_COUNTED = "loop-budget"


def _counted(iterable: Iterable[Any] | None) -> Iterator[Any]:
    """Each item a `for` loop takes costs one of the rendering's iterations. None iterates as an empty
    sequence, as in minijinja (contract §1.3)."""
    for item in () if iterable is None else iterable:
        _BUDGET.left -= 1
        if _BUDGET.left < 0:
            raise _OverBudget
        yield item


# A filter name no template can spell: the operands of `in` go through it.
_OPERAND = "in-operand"


class _Container:
    """The right operand of ``in``/``not in``, checked when the test runs, after both operands were
    evaluated (contract §1.3, as minijinja does): an undefined operand is ``undefined value`` whatever the
    other side is, and a string contains another value's spelling (``1 in 'a1'``)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __contains__(self, item: Any) -> bool:
        for operand in (self.value, item):
            if isinstance(operand, jinja2.Undefined):
                operand._fail_with_undefined_error()
        if isinstance(self.value, str) and not isinstance(item, str):
            item = _mj_text(item)
        if isinstance(self.value, dict) and isinstance(item, (list, dict)):
            return False  # no key is a list or an object (Python would refuse the unhashable value)
        if isinstance(self.value, (list, tuple)):
            # An undefined item equals nothing (as in minijinja): `1 in [state.missing]` is false.
            return item in [v for v in self.value if not isinstance(v, jinja2.Undefined)]
        return item in self.value


# A filter name no template can spell: the operands of `<`, `<=`, `>`, `>=` go through it.
_ORDERED = "ordered-operand"


_PASSED = (jinja2.Environment, jinja2.nodes.EvalContext, jinja2.runtime.Context)


def _none_as_empty(builtin: Any) -> Any:
    """``sum``, ``list`` and ``join`` read none as an empty sequence, as minijinja iterates it (contract
    §1.3), where Python's iteration would refuse it."""

    @functools.wraps(builtin)
    def filter_(*args: Any, **kwargs: Any) -> Any:
        # Jinja2 passes the environment, the eval context or the context first to some filters (as
        # their `jinja_pass_arg` says, which `wraps` keeps): the value follows it.
        index = 1 if args and isinstance(args[0], _PASSED) else 0
        if len(args) > index and args[index] is None:
            args = (*args[:index], [], *args[index + 1 :])
        return builtin(*args, **kwargs)

    return filter_


def _mixed_order(builtin: Any) -> Any:
    """``sort``, ``min`` and ``max`` order items as minijinja does (contract §1.3), always: Python's own
    comparison would refuse values of different types, and would order an iterable inside as a list. Like
    minijinja's they take keyword arguments only; ``sort``'s ``attribute`` may name several keys."""
    sort = builtin is _JINJA_SORT

    @functools.wraps(builtin)
    def filter_(environment: Any, value: Any, *args: Any, **kwargs: Any) -> Any:
        _keywords_only(
            args,
            kwargs,
            ("reverse", "case_sensitive", "attribute") if sort else ("case_sensitive", "attribute"),
        )
        if value is None:
            value = []  # none is an empty sequence, as in minijinja
        attribute = kwargs.get("attribute")
        items = list(value)
        case_sensitive = bool(kwargs.get("case_sensitive"))
        order = ordering.key(case_sensitive)
        if attribute is not None:
            # By the attribute's value; an item lacking it orders first (contract §1.3, as in minijinja).
            order = _by_attribute(order, _attribute_key(environment, attribute, sort, case_sensitive))
        if sort:
            return sorted(items, key=order, reverse=bool(kwargs.get("reverse")))
        if not items:
            return environment.undefined("min or max of an empty sequence")
        return (min if builtin is _JINJA_MIN else max)(items, key=order)

    return filter_


def _keywords_only(args: tuple[Any, ...], kwargs: dict[str, Any], names: tuple[str, ...]) -> None:
    """minijinja's ``sort``, ``min``, ``max`` and ``unique`` take only these keyword arguments: flags a
    boolean (or none), ``attribute`` a string (or none); anything else is ``cannot evaluate template``."""
    if args or not set(kwargs) <= set(names):
        raise _WrongOperand
    for name, value in kwargs.items():
        if value is not None and type(value) is not (str if name == "attribute" else bool):
            raise _WrongOperand


def _attribute_key(environment: Any, attribute: str, several: bool, case_sensitive: bool) -> Any:
    """An item's key for ``attribute``: for ``sort`` (``several``), ``'a, b'`` names two keys, compared as a
    list whose strings are lower-cased unless ``case_sensitive``, as minijinja splits it."""
    keys = [key.strip() for key in attribute.split(",") if key.strip()] if several else []
    if len(keys) < 2:
        return jinja2.filters.make_attrgetter(environment, keys[0] if keys else attribute)
    getters = [jinja2.filters.make_attrgetter(environment, key) for key in keys]

    def fold(part: Any) -> Any:
        return part.lower() if isinstance(part, str) and not case_sensitive else part

    return lambda item: [fold(get(item)) for get in getters]


@jinja2.pass_environment
def _unique_filter(environment: Any, value: Any, *args: Any, **kwargs: Any) -> Any:
    """``unique`` as minijinja computes it (contract §1.3): an item whose key (itself, or its ``attribute``; a
    string lower-cased unless ``case_sensitive``) orders equal to an earlier one's is left out."""
    _keywords_only(args, kwargs, ("case_sensitive", "attribute"))
    get = jinja2.filters.make_attrgetter(environment, kwargs.get("attribute"))
    items = list(value)
    return ordering.distinct(items, [get(item) for item in items], bool(kwargs.get("case_sensitive")))


def _join_filter(value: Any, separator: Any = None) -> str:
    """``join`` as both engines write it (contract §1.3): each item in its text spelling, ``separator`` (as
    ``~`` spells it; none is nothing) between them; an integer outside 64 bits is refused as in any text."""
    items = list(value)
    _check_ints(items)
    return ("" if separator is None else _mj_text(separator)).join(json_text(item) for item in items)


def _by_attribute(order: Any, get: Any) -> Any:
    """A sort key ordering items by ``order`` of their attribute (``get``)."""
    return lambda item: order(get(item))


_JINJA_SORT = jinja2.filters.do_sort
_JINJA_MIN = jinja2.filters.do_min


# A filter name no template can spell: the operands of `~` go through it.
_SPELLED = "tilde-join"


def _mj_float(value: float, nested: bool) -> str:
    """A float as minijinja writes it: alone in plain decimal with ``.0`` on integral values (``0.00001``,
    ``10000000000000000.0``), inside a list or object with a bare exponent (``1e-5``, ``1e16``)."""
    if not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("-inf" if value < 0 else "inf")
    text = repr(value)
    if nested or "e" not in text:
        mantissa, _, exponent = text.partition("e")
        return mantissa + (f"e{int(exponent)}" if exponent else "")
    plain = format(Decimal(text), "f")
    return plain if "." in plain else plain + ".0"


def _mj_text(value: Any, nested: bool = False) -> str:
    """A value as minijinja spells it where the library writes it itself (contract §1.3): the text
    spelling but for floats (``_mj_float``)."""
    if isinstance(value, jinja2.Undefined):
        if nested:
            return "undefined"  # minijinja writes an undefined item so; alone it is refused
        value._fail_with_undefined_error()
    if type(value) is float:
        return _mj_float(value, nested)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_mj_text(v, True) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_mj_text(k, True)}: {_mj_text(v, True)}" for k, v in value.items()) + "}"
    if nested and isinstance(value, str):
        return quote(value)
    # Integers of any size in decimal: minijinja writes its 128-bit ones so.
    return json_text(value)


def _tilde_join(operands: list[Any]) -> str:
    """``a ~ b ~ ...``: every operand evaluated first, then an undefined one refused (contract §1.3: an
    error inside a later operand comes first, ``state.missing ~ (1 + state.missing)`` is ``cannot
    evaluate``), each spelled by ``_mj_text``."""
    for value in operands:
        if isinstance(value, jinja2.Undefined):
            value._fail_with_undefined_error()
    return _joined(operands, "".join(_mj_text(value) for value in operands))


def _joined(operands: Iterable[Any], text: str) -> str:
    """The text that ``~`` or ``+`` made of ``operands``: safe when every operand was, else plain, as in
    minijinja (contract §1.3; Jinja2's Markup would escape the plain side of ``+``)."""
    return Markup(text) if all(isinstance(value, Markup) for value in operands) else text


def _spelled_input(builtin: Any) -> Any:
    """A string filter given another value reads it as minijinja spells it (contract §1.3)."""
    # A filter marked pass_eval_context takes that first and its input second.
    at = 1 if hasattr(builtin, "jinja_pass_arg") else 0

    @functools.wraps(builtin)
    def filter_(*args: Any, **kwargs: Any) -> Any:
        if not isinstance(args[at], str):
            args = (*args[:at], _mj_text(args[at]), *args[at + 1 :])
        return builtin(*args, **kwargs)

    return filter_


# A filter name no template can spell: every slice's result goes through it.
_SLICED = "slice-of"


def _sliced(value: Any, start: Any, stop: Any, step: Any) -> Any:
    """``value[start:stop:step]`` as minijinja slices (contract §1.3): an undefined value fails, none gives an
    empty list, a list or an iterable an iterable, a safe string a plain string, a string or a tuple the
    same; the bounds are none or integers within 64 bits, and a step of 0 is refused."""
    if isinstance(value, jinja2.Undefined):
        value._fail_with_undefined_error()
    bounds = slice(*(_slice_bound(bound) for bound in (start, stop, step)))
    if bounds.step == 0:
        raise _WrongOperand
    if value is None:
        return []
    if not isinstance(value, (str, list, tuple)):
        raise _WrongOperand
    if isinstance(value, Markup):
        return str.__getitem__(value, bounds)
    return MjIterable(value[bounds]) if isinstance(value, list) else value[bounds]


def _slice_bound(bound: Any) -> int | None:
    """A slice bound as minijinja reads it: none, or an integer within 64 bits; a boolean is 0 or 1 and a
    float with no fraction its integer; an undefined bound is a value of the wrong type."""
    if bound is None:
        return None
    if type(bound) is float and bound.is_integer() and I64_MIN <= bound <= -I64_MIN:
        return min(int(bound), I64_MAX)  # minijinja's cast saturates at 2^63
    if type(bound) in (int, bool) and I64_MIN <= bound <= I64_MAX:
        return int(bound)
    raise _WrongOperand


class _Rewritten(NodeTransformer):
    """Every ``~`` chain becomes one call of ``_tilde_join`` on the list of its operands, and every slice
    ``x[a:b:c]`` one of ``_sliced`` (Jinja2 would compile it to Python's slicing, bypassing ``getitem``)."""

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        operands = nodes.List(node.nodes, lineno=node.lineno)
        return nodes.Filter(operands, _SPELLED, [], [], None, None, lineno=node.lineno)

    def visit_Getitem(self, node: nodes.Getitem) -> nodes.Node:
        self.generic_visit(node)
        if not isinstance(node.arg, nodes.Slice):
            return node
        parts = [node.arg.start, node.arg.stop, node.arg.step]
        bounds = [nodes.Const(None, lineno=node.lineno) if part is None else part for part in parts]
        return nodes.Filter(node.node, _SLICED, bounds, [], None, None, lineno=node.lineno)


def _checked_in(template: nodes.Template) -> nodes.Template:
    """Every right operand of ``in`` and ``not in`` becomes a ``_Container``, every operand of ``<`` and
    friends an ``ordering.Ordered``, every ``~`` chain a call of ``_tilde_join``, every slice one of
    ``_sliced``."""
    template = _Rewritten().visit(template)
    for compare in template.find_all(nodes.Compare):
        if all(op.op in ("lt", "lteq", "gt", "gteq") for op in compare.ops):
            # Ordering comparisons order any two values as minijinja does (contract §1.3).
            compare.expr = nodes.Filter(compare.expr, _ORDERED, [], [], None, None, lineno=compare.lineno)
            for op in compare.ops:
                op.expr = nodes.Filter(op.expr, _ORDERED, [], [], None, None, lineno=compare.lineno)
        for op in compare.ops:
            if op.op in ("in", "notin"):
                op.expr = nodes.Filter(op.expr, _OPERAND, [], [], None, None, lineno=compare.lineno)
    return template


def _compile_expression(source: str) -> TemplateExpression:
    """``ENV.compile_expression(source)`` with the expression's tree rewritten as a text template's is."""
    parser = Parser(ENV, source, state="variable")
    expr = parser.parse_expression()
    if not parser.stream.eos:
        raise TemplateSyntaxError("chunk after expression", parser.stream.current.lineno)
    body = [nodes.Assign(nodes.Name("result", "store"), expr, lineno=1)]
    tree = nodes.Template(body, lineno=1)
    tree.set_environment(ENV)
    return TemplateExpression(ENV.from_string(_checked_in(tree)), False)


def _budgeted(template: nodes.Template) -> nodes.Template:
    """The parsed template with every `for` loop's iterable counted, and the iterable given to a recursive
    loop's ``loop(...)`` (contract §6.12; the Rust engine rewrites the same expressions, ``budget.rs``)."""
    for loop in template.find_all(nodes.For):
        loop.iter = nodes.Filter(loop.iter, _COUNTED, [], [], None, None, lineno=loop.lineno)
    for call in template.find_all(nodes.Call):
        if isinstance(call.node, nodes.Name) and call.node.name == "loop" and call.args:
            call.args[0] = nodes.Filter(call.args[0], _COUNTED, [], [], None, None, lineno=call.lineno)
    return template


def _checked_literals(src: str, single: bool) -> None:
    """Literals as the Rust engine reads them (contract §1.3). minijinja's lexer refuses a string literal's
    bad escape (``cannot evaluate``) and an integer past 2^128 - 1 (an index too); the engine then refuses a
    decimal integer with a leading zero (``010``) and a float with no digit after its dot (``10.``,
    ``10. else``, ``1.e5``; ``10.real`` stays the attribute ``real`` of 10), both syntax errors. In a single
    expression the four are found in one pass, in source order; in a text template the lexer's two come
    first, over the whole text, then the forms."""
    tokens = [(line, kind, value) for line, kind, value in ENV.lex(src)]
    forms = _number_forms(tokens)
    for i, (line, kind, value) in enumerate(tokens):
        if kind == "string":
            _mj_unescape(value[1:-1])
        if kind == "integer" and int(value, 0) > _INT_MAX:
            raise TemplateSyntaxError("invalid integer (too large)", line)
        if single and i in forms:
            raise TemplateSyntaxError("number literal form", line)
    if forms:
        raise TemplateSyntaxError("number literal form", tokens[min(forms)][0])


def _number_forms(tokens: list[tuple[int, str, str]]) -> set[int]:
    """The tokens where a refused number form starts (``_checked_literals``; whitespace is a token): Jinja2
    lexes ``010`` as ``0`` and ``10`` side by side, and ``10.`` as ``10`` and ``.``."""
    forms = set()
    for i, (_line, kind, value) in enumerate(tokens):
        if kind != "integer" or (i > 0 and tokens[i - 1][1:] == ("operator", ".")):
            continue  # an index, as in `xs.0.name`
        after = tokens[i + 1] if i + 1 < len(tokens) else None
        if value == "0" and after is not None and after[1] == "integer":
            if after[2].strip("0_"):
                forms.add(i)
        elif after is not None and after[1:] == ("operator", "."):
            name = tokens[i + 2] if i + 2 < len(tokens) else None
            if name is None or name[1] != "name" or name[2][:1] in ("e", "E"):
                forms.add(i)
    return forms


def _no_unary_plus(template: nodes.Template) -> nodes.Template:
    """Unary ``+`` is not in the grammar (minijinja has none): a syntax error (contract §1.3)."""
    if next(template.find_all(nodes.Pos), None) is not None:
        raise TemplateSyntaxError("unary + is not supported", 1)
    return template


def _repeat_size(value: Any) -> int | None:
    if isinstance(value, str):
        return len(value.encode("utf-8", "surrogatepass"))
    if isinstance(value, (list, tuple)):
        return len(value)
    return None


class _OutsideI64(Exception):
    """An integer outside 64 bits written into text (contract §6): ``cannot evaluate template``."""


def _check_ints(value: Any) -> None:
    # Iteratively: a deep list must not hit the recursion limit here.
    todo = [value]
    while todo:
        v = todo.pop()
        t = type(v)
        if t is int:
            if not I64_MIN <= v <= I64_MAX:
                raise _OutsideI64
        elif t is list or t is tuple or t is MjIterable:
            todo.extend(v)
        elif t is dict:
            todo.extend(v.values())


def _finalize(value: Any) -> Any:
    # `{{ x }}` in text: Jinja2 writes str(value); lists (iterables too), objects need the pinned repr.
    # An integer the Rust twin cannot hold is an error in text too (contract §6).
    _check_ints(value)
    if isinstance(value, (list, tuple, dict)):
        return json_text(value)
    return value


def _string_filter(value: Any) -> str:
    """The ``string`` filter: the text spelling, with the same 64-bit rule as ``{{ x }}`` in text."""
    _check_ints(value)
    return json_text(value)


# The filters and tests a flow may use (contract §1.3): any other is unknown in every runtime.
FILTERS = frozenset(
    (
        "abs", "batch", "capitalize", "count", "d", "default", "dictsort", "e", "escape", "first", "float",
        "format", "indent", "int", "items", "join", "last", "length", "list", "lower", "map", "max", "min",
        "reject", "rejectattr", "replace", "reverse", "round", "safe", "select", "selectattr", "slice",
        "sort", "string", "sum", "title", "tojson", "trim", "unique", "upper",
    )
)  # fmt: skip
TESTS = frozenset(
    (
        "boolean", "defined", "divisibleby", "eq", "equalto", "==", "escaped", "even", "false", "filter",
        "float", "ge", ">=", "greaterthan", "gt", ">", "in", "integer", "iterable", "le", "<=",
        "lessthan", "lt", "<", "lower", "mapping", "ne", "!=", "none", "number", "odd", "sameas",
        "sequence", "string", "test", "true", "undefined", "upper",
    )
)  # fmt: skip


def _known_names(template: nodes.Template) -> nodes.Template:
    """An unknown filter or test is a syntax error when the template is compiled, whether or not a
    rendering reaches it (contract §1.3; Jinja2 alone would defer it inside a conditional)."""
    for node in template.find_all((nodes.Filter, nodes.Test)):
        names = FILTERS if isinstance(node, nodes.Filter) else TESTS
        if node.name not in names:
            raise TemplateSyntaxError(f"unknown filter or test {node.name!r}", node.lineno)
    return template


def _numbers_only(builtin: Any) -> Any:
    """``abs`` and ``round`` of a boolean are a wrong type (contract §1.3), not 1."""

    def filter_(value: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(value, jinja2.Undefined):
            value._fail_with_undefined_error()
        if type(value) is bool:
            raise _WrongOperand
        return builtin(value, *args, **kwargs)

    return filter_


def _defined_only(builtin: Any) -> Any:
    """A filter or test given an undefined value fails with ``undefined value`` (contract §1.3), where
    Jinja2's ``items`` would give nothing and its tests would answer."""
    # A filter marked pass_context/pass_environment takes that first and its input second.
    at = 1 if hasattr(builtin, "jinja_pass_arg") else 0

    @functools.wraps(builtin)
    def filter_(*args: Any, **kwargs: Any) -> Any:
        if isinstance(args[at], jinja2.Undefined):
            args[at]._fail_with_undefined_error()
        return builtin(*args, **kwargs)

    return filter_


def _eager_input(builtin: Any, mapping: bool) -> Any:
    """Filters that give a sequence give a list, computed when the filter runs, as minijinja does (contract
    §1.3): a value that is not iterable (an object for ``items``) fails at once, not when (or if) the
    sequence is read. None stays an empty sequence."""
    at = 1 if hasattr(builtin, "jinja_pass_arg") else 0

    @functools.wraps(builtin)
    def filter_(*args: Any, **kwargs: Any) -> list[Any]:
        value = args[at]
        if mapping and not isinstance(value, dict):
            raise _WrongOperand
        if value is None:
            args = (*args[:at], [], *args[at + 1 :])
        elif not isinstance(value, (str, list, tuple, dict)):
            raise _WrongOperand
        return list(builtin(*args, **kwargs))

    return filter_


def _reverse_filter(builtin: Any) -> Any:
    """``reverse`` of a list or an object (its keys) is an iterable (contract §1.3); of a string, a string."""

    @functools.wraps(builtin)
    def filter_(value: Any) -> Any:
        reversed_ = builtin(value)
        return reversed_ if isinstance(reversed_, str) else MjIterable(reversed_)

    return filter_


def _range(*args: Any) -> MjIterable:
    """The global ``range`` (at most 100 000 items in both libraries) gives an iterable (contract §1.3)."""
    return MjIterable(safe_range(*args))


def _indent_filter(value: Any, width: Any = None, first: Any = None, blank: Any = None) -> str:
    """``indent`` (contract §1.3): lines are split at ``\\n``; every line but the first (and the first too
    with ``first``) gets ``width`` spaces in front, unless it is empty and ``blank`` is false; one ``\\n``
    ending the text stays (Jinja2 splits at every line break Python knows, minijinja drops the last
    ``\\n``). The Rust engine writes the same filter (``template/filters.rs``)."""
    width = 4 if width is None else width
    first = False if first is None else first
    blank = False if blank is None else blank
    if type(width) is not int or width < 0:
        raise _WrongOperand
    for flag in (first, blank):
        if type(flag) is not bool:
            raise _WrongOperand
    text = str(value)
    body = text.removesuffix("\n")
    lines = body.split("\n")
    if width * len(lines) > _MAX_REPEAT:
        raise _WrongOperand
    pad = " " * width
    indented = [pad + line if (i > 0 or first) and (blank or line) else line for i, line in enumerate(lines)]
    return "\n".join(indented) + text[len(body) :]


def _pair_lists(builtin: Any) -> Any:
    """``items`` and ``dictsort`` give each pair as a two-item list, in a list (contract §1.3): spelled
    ``['k', 1]`` in text, by ``join`` and by ``~`` alike, where Python's tuples would be ``('k', 1)``."""

    @functools.wraps(builtin)
    def filter_(*args: Any, **kwargs: Any) -> list[list[Any]]:
        return [list(pair) for pair in builtin(*args, **kwargs)]

    return filter_


_JINJA_TOJSON = jinja2.filters.do_tojson


@jinja2.pass_eval_context
def _tojson_filter(eval_ctx: Any, value: Any, indent: int | None = None) -> Any:
    """``tojson`` of an undefined value is ``undefined value`` (contract §1.3), not a failed dump."""
    if isinstance(value, jinja2.Undefined):
        raise UndefinedError("tojson of an undefined value")
    _check_ints(value)  # JSON text holds no integer outside 64 bits, as any text (contract §1.3)
    return _JINJA_TOJSON(eval_ctx, value, indent)


# What `escape` replaces, and with what: minijinja's HTML escaping (contract §1.3).
_HTML_ESCAPES = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;", "/": "&#x2f;"}
)


def _escape_filter(value: Any) -> str:
    """``escape``/``e`` as minijinja writes it (contract §1.3): a safe string as it is; any other value
    spelled as ``~`` spells it, ``& < > " ' /`` replaced, and the result safe."""
    if isinstance(value, Markup):
        return value
    return Markup(_mj_text(value).translate(_HTML_ESCAPES))


def _safe_filter(value: Any) -> str:
    """``safe`` marks its input, spelled as ``~`` spells it, safe (contract §1.3)."""
    return Markup(_mj_text(value))


_NOT_A_NUMBER = object()


def _number_filter(builtin: Any, none: Any) -> Any:
    """``int`` and ``float`` as minijinja reads numbers (contract §1.3): text with spaces, ``_`` or digits
    other than ASCII's is not a number, and a value that is not one gives the filter's default when one is
    given, else ``cannot evaluate`` (Jinja2 alone would give 0)."""

    def filter_(value: Any, default: Any = _NOT_A_NUMBER, *args: Any, **kwargs: Any) -> Any:
        if value is None:
            return none if default is _NOT_A_NUMBER else default
        text = isinstance(value, str) and (value != value.strip() or "_" in value or not value.isascii())
        result = _NOT_A_NUMBER if text else builtin(value, _NOT_A_NUMBER, *args, **kwargs)
        if result is not _NOT_A_NUMBER:
            return result
        if default is _NOT_A_NUMBER:
            raise _WrongOperand
        return default

    return filter_


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float))


def _odd_test(value: Any) -> bool:
    """``odd``, ``even``, ``divisibleby``: false for anything but a number (contract §1.3)."""
    return _is_number(value) and value % 2 == 1


def _even_test(value: Any) -> bool:
    return _is_number(value) and value % 2 == 0


def _name_test(builtin: Any) -> Any:
    """``test`` and ``filter`` ask whether a string names one (contract §1.3); minijinja refuses any other
    value (``1.5 is test``: cannot evaluate), where Jinja2 would answer false."""

    @functools.wraps(builtin)
    def test(*args: Any) -> bool:
        # Jinja2 passes the environment first (`jinja_pass_arg`, kept by `wraps`): the value is last.
        if not isinstance(args[-1], str):
            raise _WrongOperand
        return builtin(*args)

    return test


@jinja2.pass_environment
def _sum_filter(environment: Any, value: Any, attribute: Any = None, start: Any = 0) -> Any:
    """``sum`` as minijinja adds (contract §1.3): an undefined item (an item lacking ``attribute``) is
    skipped, where Jinja2 would fail on it."""
    get = jinja2.filters.make_attrgetter(environment, attribute) if attribute is not None else None
    items = (item if get is None else get(item) for item in value)
    return sum((item for item in items if not isinstance(item, jinja2.Undefined)), start)


def _case_test(builtin: Any) -> Any:
    """``lower`` and ``upper`` are false for anything but a string (contract §1.3), as in minijinja, where
    Jinja2 would test the value's ``str()`` (``[1, 'a'] is lower`` was true)."""

    def test(value: Any) -> bool:
        return isinstance(value, str) and builtin(value)

    return test


def _order_test(holds: Any) -> Any:
    """``gt``, ``ge``, ``lt``, ``le`` and their aliases order any two values as ``<`` does, minijinja's way
    (contract §1.3, Ordering), where Python would refuse ``'a' > 1``."""

    def test(value: Any, other: Any) -> bool:
        for operand in (value, other):
            if isinstance(operand, jinja2.Undefined):
                operand._fail_with_undefined_error()
        return holds(ordering.compare(value, other))

    return test


_ORDER_TESTS = {
    (lambda order: order > 0): ("gt", ">", "greaterthan"),
    (lambda order: order >= 0): ("ge", ">="),
    (lambda order: order < 0): ("lt", "<", "lessthan"),
    (lambda order: order <= 0): ("le", "<="),
}

# Rust's `char::is_whitespace` (Unicode's White_Space): Python's `isspace` adds U+001C-U+001F.
_WHITESPACE = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680"
    + "".join(map(chr, range(0x2000, 0x200B)))
    + "\u2028\u2029\u202f\u205f\u3000"
)
_WORD_SEPARATORS = re.compile("([-({\\[<" + _WHITESPACE + "]+)")


def _trim_filter(value: str, chars: str | None = None) -> str:
    """``trim`` as minijinja strips (contract §1.3): ``chars`` from both ends, or else Unicode whitespace."""
    return value.strip(_WHITESPACE if chars is None else chars)


def _title_filter(value: str) -> str:
    """``title`` as minijinja writes it (contract §1.3): a word begins after ``-``, ``(``, ``{``, ``[``, ``<``
    or Unicode whitespace; its first character upper-cased, the rest lower-cased."""
    return "".join(word[0].upper() + word[1:].lower() for word in _WORD_SEPARATORS.split(value) if word)


def _round_filter(builtin: Any) -> Any:
    """``round`` of an integer to a precision of 0 or more is that integer (contract §1.3), whatever the
    method, as in minijinja; Jinja2's ``ceil`` and ``floor`` would give a float."""

    def filter_(value: Any, precision: Any = 0, method: Any = "common") -> Any:
        if type(value) is int and type(precision) is int and precision >= 0 and method in _ROUNDINGS:
            return value
        return builtin(value, precision, method)

    return filter_


_ROUNDINGS = ("common", "ceil", "floor")


def _attribute_truth(builtin: Any, keep: bool) -> Any:
    """``selectattr``/``rejectattr`` with no test keep the items whose attribute is true (false); a missing
    attribute counts as false, as in minijinja (contract §1.3), where Jinja2 would fail on it."""

    @jinja2.pass_context
    def filter_(context: Any, value: Any, *args: Any, **kwargs: Any) -> Any:
        if len(args) != 1 or kwargs or not isinstance(args[0], str):
            return builtin(context, value, *args, **kwargs)
        get = jinja2.filters.make_attrgetter(context.environment, args[0])
        return [item for item in value if _truth(get(item)) == keep]

    return filter_


def _truth(value: Any) -> bool:
    return False if isinstance(value, jinja2.Undefined) else bool(value)


def _format_filter(builtin: Any) -> Any:
    """``format`` as minijinja formats (contract §1.3): a list or object argument is spelled as ``~`` spells
    it (``[1e-5]``, where Python's ``%s`` writes ``[1e-05]``), and a result holding a lone surrogate
    (``'%c' | format(56320)``) is refused, as minijinja's strings cannot hold one (§3.1)."""

    @functools.wraps(builtin)
    def filter_(*args: Any, **kwargs: Any) -> Any:
        # Jinja2 passes the eval context first (`jinja_pass_arg`, kept by `wraps`), then the format string.
        at = 2 if hasattr(builtin, "jinja_pass_arg") else 1
        spelled = [_mj_text(arg) if isinstance(arg, (list, tuple, dict)) else arg for arg in args[at:]]
        result = builtin(*args[:at], *spelled, **kwargs)
        if isinstance(result, str) and has_lone_surrogate(result):
            raise _WrongOperand
        return result

    return filter_


def _sequence_test(value: Any) -> bool:
    """``sequence``: a list (or the list a filter such as ``map`` or ``unique`` gives), not an iterable
    (``range``, ``reverse``, a slice...), a string or a mapping (contract §1.3), as in minijinja."""
    return isinstance(value, (list, tuple)) and type(value) is not MjIterable


def _divisibleby_test(value: Any, num: Any) -> bool:
    return _is_number(value) and _is_number(num) and value % num == 0


# No constant folding (``optimized=False``): an expression is evaluated when it runs, as in minijinja, so a
# constant part that uses an undefined value (``'' | first``) fails only if a rendering reaches it (contract
# §1.3), never while the template is compiled.
ENV = _Environment(undefined=StrictUndefined, autoescape=False, finalize=_finalize, optimized=False)
# tojson (contract §1): keys in the object's order, non-ASCII as is; Jinja2 adds the \u003c... escapes.
ENV.policies["json.dumps_kwargs"] = {"sort_keys": False, "ensure_ascii": False}
ENV.filters["string"] = _string_filter
ENV.filters[_COUNTED] = _counted
ENV.filters[_OPERAND] = _Container
ENV.filters[_SPELLED] = _tilde_join
ENV.filters[_ORDERED] = ordering.Ordered
ENV.filters[_SLICED] = _sliced
ENV.filters["join"] = _join_filter
for _name in ("sort", "min", "max"):
    ENV.filters[_name] = _mixed_order(ENV.filters[_name])
ENV.filters["sum"] = _sum_filter
for _name in ("sum", "list", "join"):
    ENV.filters[_name] = _none_as_empty(ENV.filters[_name])
ENV.filters["trim"] = _trim_filter
ENV.filters["title"] = _title_filter
for _name in ("upper", "lower", "capitalize", "title", "trim", "replace"):
    ENV.filters[_name] = _spelled_input(ENV.filters[_name])
# Only the globals minijinja also has (`range`, `dict`, `namespace`); `lipsum`, `cycler` and `joiner`
# are Jinja2-only and `lipsum.__globals__` reached the host (contract §6).
for _name in ("lipsum", "cycler", "joiner"):
    ENV.globals.pop(_name, None)
ENV.globals["range"] = _range
# Filters and tests on inputs of other types, as both engines compute them (contract §1.3).
ENV.filters["abs"] = _numbers_only(ENV.filters["abs"])
ENV.filters["round"] = _numbers_only(ENV.filters["round"])
ENV.filters["items"] = _pair_lists(_defined_only(ENV.filters["items"]))
ENV.filters["dictsort"] = _pair_lists(ENV.filters["dictsort"])
ENV.filters["indent"] = _spelled_input(_indent_filter)
ENV.filters["tojson"] = _tojson_filter
ENV.filters["escape"] = ENV.filters["e"] = _escape_filter
ENV.filters["safe"] = _safe_filter
ENV.filters["reverse"] = _reverse_filter(ENV.filters["reverse"])
ENV.filters["int"] = _number_filter(ENV.filters["int"], 0)
ENV.filters["float"] = _number_filter(ENV.filters["float"], 0.0)
ENV.tests["odd"] = _odd_test
ENV.tests["even"] = _even_test
ENV.tests["divisibleby"] = _divisibleby_test
ENV.tests["sequence"] = _sequence_test
ENV.tests["lower"] = _case_test(ENV.tests["lower"])
ENV.tests["upper"] = _case_test(ENV.tests["upper"])
ENV.tests["test"] = _name_test(ENV.tests["test"])
ENV.tests["filter"] = _name_test(ENV.tests["filter"])
for _holds, _names in _ORDER_TESTS.items():
    for _name in _names:
        ENV.tests[_name] = _order_test(_holds)
ENV.filters["round"] = _round_filter(ENV.filters["round"])
ENV.filters["selectattr"] = _attribute_truth(ENV.filters["selectattr"], True)
ENV.filters["rejectattr"] = _attribute_truth(ENV.filters["rejectattr"], False)
ENV.filters["format"] = _format_filter(ENV.filters["format"])
ENV.filters["unique"] = _unique_filter
for _name in ("unique", "select", "reject", "selectattr", "rejectattr", "map", "batch", "slice", "items"):
    ENV.filters[_name] = _eager_input(ENV.filters[_name], _name == "items")
# A filter given an undefined value fails, but `default`/`d`, before the filter runs (contract §1.3).
for _name in FILTERS - {"default", "d"}:
    ENV.filters[_name] = _defined_only(ENV.filters[_name])
# A test given an undefined value fails, but `defined` and `undefined` (contract §1.3).
for _name in TESTS - {"defined", "undefined"}:
    ENV.tests[_name] = _defined_only(ENV.tests[_name])
# Jinja2's builtins outside the contract (contract §1.3) do not exist.
for _name in set(ENV.filters) - FILTERS - {_COUNTED, _OPERAND, _SPELLED, _ORDERED, _SLICED}:
    del ENV.filters[_name]
for _name in set(ENV.tests) - TESTS:
    del ENV.tests[_name]


def to_json(value: Any, src: str) -> Any:
    """A fresh JSON value for a native result, or TemplateError (brief "Results")."""
    t = type(value)
    if t is str:
        # UTF-8 JSON cannot carry a lone surrogate (contract §3.1); minijinja refuses it too.
        if has_lone_surrogate(value):
            raise _cannot(src)
        return value
    if t is bool or value is None:
        return value
    if t is int:
        if I64_MIN <= value <= I64_MAX:
            return value
        raise _cannot(src)
    if t is float:
        if math.isfinite(value):
            return value
        raise _cannot(src)
    if t is dict:
        out = {}
        for k, v in value.items():
            if not isinstance(k, str) or has_lone_surrogate(k):
                raise _cannot(src)
            out[str(k)] = to_json(v, src)
        return out
    if t is list or t is tuple or t is MjIterable:
        return [to_json(v, src) for v in value]
    if isinstance(value, jinja2.Undefined):
        raise _undefined(src)
    if isinstance(value, str):  # Markup from tojson and friends
        return to_json(str(value), src)
    raise _cannot(src)


class _Compiled:
    __slots__ = ("error", "expr", "template")

    def __init__(self, src: str) -> None:
        self.expr = None
        self.template = None
        self.error: TemplateError | None = None
        try:
            single = is_single_expression(src)
            _checked_literals(src, single)
            tree = _known_names(_no_unary_plus(ENV.parse(src)))
            if single:
                self.expr = _compile_expression(src[2:-2])
            else:
                self.template = ENV.from_string(_checked_in(_budgeted(tree)))
        except (TemplateSyntaxError, RecursionError):
            # Nesting beyond the parser's depth is a syntax error in minijinja too (contract §6.12).
            self.error = _syntax(src)
        except _BadEscape:
            self.error = _cannot(src)


_CACHE: dict[str, _Compiled] = {}
_CACHE_LIMIT = 20_000


def is_single_expression(src: str) -> bool:
    """``{{ ... }}`` with no other ``{{`` or ``}}`` inside (contract §1.3)."""
    if not (src.startswith("{{") and src.endswith("}}")) or len(src) < 4:
        return False
    inner = src[2:-2]
    return "{{" not in inner and "}}" not in inner


def _has_markers(src: str) -> bool:
    return "{{" in src or "{%" in src or "{#" in src


def render_str(src: str, ctx: dict[str, Any], limits: Limits = DEFAULT_LIMITS) -> Any:
    """Render one string: unchanged without markers, native for a single expression, else text, within the
    run's template limits."""
    if "{" not in src or not _has_markers(src):
        return src
    compiled = _CACHE.get(src)
    if compiled is None:
        compiled = _Compiled(src)
        if len(_CACHE) < _CACHE_LIMIT:  # bounded: a long-lived process may render many distinct strings
            _CACHE[src] = compiled
    if compiled.error is not None:
        raise compiled.error
    _BUDGET.left = limits.template_iterations
    try:
        if compiled.expr is not None:
            value = compiled.expr(ctx)
        else:
            text = _render_bounded(compiled.template, ctx, limits.template_output)  # type: ignore[arg-type]
            return to_json(text, src)
    except UndefinedError:
        raise _undefined(src) from None
    except TemplateSyntaxError:
        raise _syntax(src) from None
    except Exception:
        raise _cannot(src) from None
    try:
        return to_json(value, src)
    except TemplateError:
        raise
    except Exception:
        raise _cannot(src) from None


def _render_bounded(template: jinja2.Template, ctx: dict[str, Any], limit: int) -> str:
    """A text template's output, refused past ``limit`` characters (contract §6.12)."""
    chunks: list[str] = []
    written = 0
    for chunk in template.generate(ctx):
        written += len(chunk)
        if written > limit:
            raise _OverBudget
        chunks.append(chunk)
    return "".join(chunks)


def render_value(value: Any, ctx: dict[str, Any], limits: Limits = DEFAULT_LIMITS) -> Any:
    """Render every string at any depth of ``value``; keys are not templates. Returns fresh containers."""
    t = type(value)
    if t is str:
        return render_str(value, ctx, limits)
    if t is dict:
        return {k: render_value(v, ctx, limits) for k, v in value.items()}
    if t is list:
        return [render_value(v, ctx, limits) for v in value]
    return value


def render_text(src: str, ctx: dict[str, Any]) -> str:
    """A template rendered to text: a single expression's value spelled as text (text.render)."""
    return json_text(render_str(src, ctx))


def truthy(value: Any) -> bool:
    """Python truthiness of a rendered value (contract §1.2: a ``when`` routes when its value is truthy)."""
    return bool(value)
