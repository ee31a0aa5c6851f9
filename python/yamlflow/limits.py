"""The run limits (contract §6.12): how deep a value may nest, how large the state may grow and how many
events a run may emit. Each is a typed error, ``LimitExceeded``, identical in both engines; a run that hits
one fails cleanly, its spans closed. Mirrors ``engine/src/limits.rs``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .actions.context import ActionError

# Nested arrays/objects a value may hold (`{}` is 1, a scalar 0): the starting state, a rendered `with`
# and an action's result. Events then nest at most 103 levels, below the 127 a JSON reader must accept.
DEPTH_LIMIT = 100
# The size of the state, and of any one value: one per JSON value, plus the characters of every string and
# object key.
SIZE_LIMIT = 10_000_000
# Characters one text template may write (its output is refused beyond).
TEXT_LIMIT = SIZE_LIMIT
# Loop iterations one template rendering may run (Rust meters minijinja's fuel instead, contract §6.12).
TEMPLATE_ITERATIONS = 100_000
# Events one run may produce (emitted, or dropped by the level filter) before no new span, attempt, log or
# metric starts (the events that close the spans already open still come).
EVENT_LIMIT = 100_000


@dataclass(frozen=True)
class Measure:
    """A value's nesting depth (0 for a scalar, 1 for ``{}``) and size (one per value, plus the characters
    of strings and keys)."""

    depth: int
    size: int


def measure(value: Any) -> Measure:
    """Measures ``value`` without recursion (a deep value must not exhaust the stack here)."""
    depth = 0
    size = 0
    todo: list[tuple[Any, int]] = [(value, 0)]
    while todo:
        v, level = todo.pop()
        size += 1
        t = type(v)
        if t is str:
            size += len(v)
        elif t is list:
            depth = max(depth, level + 1)
            todo.extend((item, level + 1) for item in v)
        elif t is dict:
            depth = max(depth, level + 1)
            for key, item in v.items():
                size += len(key)
                todo.append((item, level + 1))
    return Measure(depth, size)


def measure_map(value: dict[str, Any]) -> Measure:
    """Measures an object held as a map (the state, a rendered ``with``); the same as ``measure``."""
    return measure(value)


def _exceeded(message: str) -> ActionError:
    return ActionError("LimitExceeded", message)


def check_value(value: Any) -> Measure:
    """A value within the depth and size limits, or ``LimitExceeded``."""
    return _check(measure(value))


def check_map(value: dict[str, Any]) -> Measure:
    """An object held as a map within the depth and size limits, or ``LimitExceeded``."""
    return _check(measure_map(value))


def _check(m: Measure) -> Measure:
    if m.depth > DEPTH_LIMIT:
        raise _exceeded(f"value nests deeper than {DEPTH_LIMIT} levels")
    if m.size > SIZE_LIMIT:
        raise _exceeded(f"value larger than the size limit of {SIZE_LIMIT}")
    return m


def check_result(state: dict[str, Any], output: str | None, result: Any) -> Any:
    """A result that may be applied to ``state`` (to ``output``, or merged when an object): within the
    value limits, and the state it leaves within the size limit. Gives the result back."""
    added = check_value(result).size
    if output is not None:
        replaced: set[str] = {output}
        added += len(output)
    elif type(result) is dict:
        # The object itself is not kept: its keys and values move into the state.
        replaced = set(result)
        added -= 1
    else:
        return result
    kept = sum(len(key) + measure(value).size for key, value in state.items() if key not in replaced)
    if 1 + kept + added > SIZE_LIMIT:
        raise _exceeded(f"state larger than the size limit of {SIZE_LIMIT}")
    return result


def check_events(produced: int) -> None:
    """``LimitExceeded`` once the run has produced ``EVENT_LIMIT`` events."""
    if produced >= EVENT_LIMIT:
        raise _exceeded(f"event limit of {EVENT_LIMIT} events per run reached")
