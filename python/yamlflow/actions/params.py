"""Typed access to an action's parameters, with the contract's messages (contract §2.3):
``{action}: missing parameter '{name}'``, ``{action}: parameter '{name}' must be {what}``.
Mirrors ``engine/src/actions/params.rs``."""

from __future__ import annotations

from typing import Any

from .context import ActionError


class Params:
    """Typed access to an action's parameters with the contract's messages. An explicit null counts as
    given (and is then the wrong type for every typed getter)."""

    def __init__(self, action: str, map: dict[str, Any]) -> None:
        self._action = action
        self._map = map

    def action(self) -> str:
        return self._action

    def _wrong_type(self, name: str, what: str) -> ActionError:
        return ActionError.action(f"{self._action}: parameter '{name}' must be {what}")

    def required(self, name: str) -> Any:
        """Any value, which must be present."""
        if name not in self._map:
            raise ActionError.action(f"{self._action}: missing parameter '{name}'")
        return self._map[name]

    def optional(self, name: str) -> Any:
        """An optional value of any type (None when absent)."""
        return self._map.get(name)

    def str(self, name: str) -> str:
        value = self.required(name)
        if type(value) is not str:
            raise self._wrong_type(name, "a string")
        return value

    def opt_str(self, name: str) -> str | None:
        if name not in self._map:
            return None
        return self.str(name)

    def number(self, name: str) -> int | float:
        """A number (booleans are not numbers here, though Python's ``bool`` is an ``int``)."""
        value = self.required(name)
        if type(value) not in (int, float):
            raise self._wrong_type(name, "a number")
        return value

    def opt_int(self, name: str) -> int | None:
        if name not in self._map:
            return None
        value = self._map[name]
        if type(value) is not int:
            raise self._wrong_type(name, "an integer")
        return value

    def object(self, name: str) -> dict[str, Any]:
        value = self.required(name)
        if type(value) is not dict:
            raise self._wrong_type(name, "an object")
        return value

    def opt_object(self, name: str) -> dict[str, Any] | None:
        if name not in self._map:
            return None
        return self.object(name)
