"""The run limits (contract §6.12): how deep a value may nest, how large the state may grow and how many
events a run may emit. Each is a typed error, ``LimitExceeded``, identical in both engines; a run that hits
one fails cleanly, its spans closed. The numbers are the flow's ``settings.limits`` (``Limits``, at most the
defaults). Mirrors ``engine/src/limits.rs``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .actions.context import ActionError
from .flow import Limits


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


def check_value(value: Any, limits: Limits) -> Measure:
    """A value within the depth and size limits, or ``LimitExceeded``."""
    return _check(measure(value), limits)


def check_map(value: dict[str, Any], limits: Limits) -> Measure:
    """An object held as a map within the depth and size limits, or ``LimitExceeded``."""
    return _check(measure_map(value), limits)


def _check(m: Measure, limits: Limits) -> Measure:
    if m.depth > limits.value_depth:
        raise _exceeded(f"value nests deeper than {limits.value_depth} levels")
    if m.size > limits.value_size:
        raise _exceeded(f"value larger than the size limit of {limits.value_size}")
    return m


def check_result(state: dict[str, Any], output: str | None, result: Any, limits: Limits) -> Any:
    """A result that may be applied to ``state`` (to ``output``, or merged when an object): within the
    value limits, and the state it leaves within the size limit. Gives the result back."""
    added = check_value(result, limits).size
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
    if 1 + kept + added > limits.state_size:
        raise _exceeded(f"state larger than the size limit of {limits.state_size}")
    return result


def check_events(produced: int, limits: Limits) -> None:
    """``LimitExceeded`` once the run has produced ``limits.events`` events."""
    if produced >= limits.events:
        raise _exceeded(f"event limit of {limits.events} events per run reached")
