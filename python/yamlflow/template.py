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

import math
import threading
from collections.abc import Iterable, Iterator
from typing import Any

import jinja2
from jinja2 import StrictUndefined, TemplateSyntaxError, UndefinedError, nodes
from jinja2.runtime import LoopContext
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import Namespace

from .flow import DEFAULT_LIMITS, Limits
from .pyrepr import json_text
from .values import has_lone_surrogate

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


class _Environment(ImmutableSandboxedEnvironment):
    """Jinja2's immutable sandbox whose attribute and item access only ever look keys up in JSON values.

    The sandbox is the second wall: it refuses unsafe attributes and calls even on the template objects
    this class lets through, and never lets a template mutate a list or dict it was given."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        if isinstance(obj, _TEMPLATE_OBJECTS):
            return super().getattr(obj, attribute)
        return self.undefined(obj=obj, name=attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        if isinstance(obj, (dict, list, str, tuple, range)):
            try:
                return obj[argument]
            except (KeyError, IndexError, TypeError, ValueError):
                # Jinja2 would fall back to getattr here and reach str/dict methods: not in this contract.
                return self.undefined(obj=obj, name=argument)
        if isinstance(obj, _TEMPLATE_OBJECTS):
            return super().getitem(obj, argument)
        return self.undefined(obj=obj, name=argument)

    intercepted_binops = frozenset({"*", "**", "+", "-", "//", "%"})
    intercepted_unops = frozenset({"-"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        """``*`` and ``**`` within the limits of contract §6.12, then as Jinja2 computes them; an integer
        result must stay within minijinja's integers."""
        if operator == "*":
            for seq, n in ((left, right), (right, left)):
                size = _repeat_size(seq)
                if size is not None and type(n) is int and size * max(n, 0) > _MAX_REPEAT:
                    raise _OverBudget
        elif operator == "**" and _int_pair(left, right) and abs(left) > 1 and right > _MAX_EXPONENT:
            raise _OverBudget
        return _within_int128(super().call_binop(context, operator, left, right))

    def call_unop(self, context: Any, operator: str, arg: Any) -> Any:
        """``-x`` with the same integer range as the binary operators."""
        return _within_int128(super().call_unop(context, operator, arg))


def _int_pair(left: Any, right: Any) -> bool:
    return type(left) is int and type(right) is int


def _within_int128(value: Any) -> Any:
    """An integer a template computes must lie in [-2^127, 2^128 - 1] (minijinja's i128 and u128): a
    Python integer would otherwise grow without bound, and squaring one of many megabytes hangs inside C
    where no time limit reaches (contract §6.12)."""
    if type(value) is int and not _INT_MIN <= value <= _INT_MAX:
        raise _OverBudget
    return value


# String and sequence repetition (`'a' * n`) is refused beyond this many bytes or items (minijinja's own
# limit), and `a ** b` on integers with |a| > 1 and b above this exponent (the result leaves 64 bits anyway,
# and computing it would hang inside C): both `cannot evaluate template` (contract §6.12).
_MAX_REPEAT = 100_000_000
_MAX_EXPONENT = 128
_INT_MIN = -(2**127)
_INT_MAX = 2**128 - 1


class _OverBudget(Exception):
    """A rendering ran out of its loop iterations or wrote too much text (contract §6.12)."""


# The iterations left to the rendering running on this thread (fan-out branches render concurrently).
_BUDGET = threading.local()
# A filter name no template can spell (names are identifiers): every `for` loop's iterable goes through it.
_COUNTED = "loop-budget"


def _counted(iterable: Iterable[Any]) -> Iterator[Any]:
    """Each item a `for` loop takes costs one of the rendering's iterations."""
    for item in iterable:
        _BUDGET.left -= 1
        if _BUDGET.left < 0:
            raise _OverBudget
        yield item


def _budgeted(template: nodes.Template) -> nodes.Template:
    """The parsed template with every `for` loop's iterable counted, and the iterable given to a recursive
    loop's ``loop(...)`` (contract §6.12; the Rust engine rewrites the same expressions, ``budget.rs``)."""
    for loop in template.find_all(nodes.For):
        loop.iter = nodes.Filter(loop.iter, _COUNTED, [], [], None, None, lineno=loop.lineno)
    for call in template.find_all(nodes.Call):
        if isinstance(call.node, nodes.Name) and call.node.name == "loop" and call.args:
            call.args[0] = nodes.Filter(call.args[0], _COUNTED, [], [], None, None, lineno=call.lineno)
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
        elif t is list or t is tuple:
            todo.extend(v)
        elif t is dict:
            todo.extend(v.values())


def _finalize(value: Any) -> Any:
    # `{{ x }}` in text: Jinja2 writes str(value); lists, objects and lazy sequences need the pinned repr.
    # An integer the Rust twin cannot hold is an error in text too (contract §6).
    if isinstance(value, (Iterator, range)):
        value = list(value)
    _check_ints(value)
    if isinstance(value, (list, tuple, dict)):
        return json_text(value)
    return value


def _string_filter(value: Any) -> str:
    """The ``string`` filter: the text spelling, with the same 64-bit rule as ``{{ x }}`` in text."""
    if isinstance(value, (Iterator, range)):
        value = list(value)
    _check_ints(value)
    return json_text(value)


ENV = _Environment(undefined=StrictUndefined, autoescape=False, finalize=_finalize)
# tojson (contract §1): keys in the object's order, non-ASCII as is; Jinja2 adds the \u003c... escapes.
ENV.policies["json.dumps_kwargs"] = {"sort_keys": False, "ensure_ascii": False}
ENV.filters["string"] = _string_filter
ENV.filters[_COUNTED] = _counted
# Only the globals minijinja also has (`range`, `dict`, `namespace`); `lipsum`, `cycler` and `joiner`
# are Jinja2-only and `lipsum.__globals__` reached the host (contract §6).
for _name in ("lipsum", "cycler", "joiner"):
    ENV.globals.pop(_name, None)


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
    if t is list or t is tuple:
        return [to_json(v, src) for v in value]
    if isinstance(value, jinja2.Undefined):
        raise _undefined(src)
    if isinstance(value, str):  # Markup from tojson and friends
        return to_json(str(value), src)
    if isinstance(value, (Iterator, range)):
        return [to_json(v, src) for v in value]
    raise _cannot(src)


class _Compiled:
    __slots__ = ("error", "expr", "template")

    def __init__(self, src: str) -> None:
        self.expr = None
        self.template = None
        self.error: TemplateError | None = None
        try:
            if is_single_expression(src):
                self.expr = ENV.compile_expression(src[2:-2], undefined_to_none=False)
            else:
                self.template = ENV.from_string(_budgeted(ENV.parse(src)))
        except (TemplateSyntaxError, RecursionError):
            # Nesting beyond the parser's depth is a syntax error in minijinja too (contract §6.12).
            self.error = _syntax(src)


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
    except UndefinedError:
        # Converting a lazy sequence can touch an undefined value.
        raise _undefined(src) from None
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
