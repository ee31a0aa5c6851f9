"""Redaction of event data and metrics (contract §3.4, §3.5): values under matching keys, then every
occurrence of a known secret value inside any other string of ``data``, ``metrics`` and the message.
Mirrors ``engine/src/observability/redact.rs``.

The walk doubles as the event's snapshot: it returns fresh containers, so later changes to the run's state
never reach an event already emitted. Scalars are shared (immutable).
"""

from __future__ import annotations

import re
from typing import Any

DEFAULT_KEYS = ("api_key", "password", "token", "secret", "authorization")
REDACTED = "[REDACTED]"
# The keys the event schema defines at the top of `data` and of `metrics`: never redacted by name, so an
# event stays valid whatever the flow's `redact` list holds (contract §3.4); what they hold is redacted as
# usual.
DATA_KEYS = ("input", "output", "error", "attempt")
METRICS_KEYS = ("duration_ms", "tokens", "cost_usd")
# The shortest secret value, in characters: a shorter listed one is a load error, a shorter learned one is
# ignored (contract §3.4).
MIN_SECRET_CHARS = 4


class Redactor:
    """Replaces the value of every key whose lower-cased name contains a listed fragment, at any depth."""

    def __init__(
        self, extra: list[str] | tuple[str, ...] = (), secrets: list[str] | tuple[str, ...] = ()
    ) -> None:
        """The defaults plus ``settings.observability.redact`` (matched case-insensitively), and the secret
        values of ``settings.observability.secrets``."""
        self.fragments = tuple(dict.fromkeys([*DEFAULT_KEYS, *(x.lower() for x in extra if x)]))
        self._verdicts: dict[str, bool] = {}
        self.secrets: list[str] = []
        self._pattern: re.Pattern[str] | None = None
        self._add_secrets(secrets)

    def _add_secrets(self, secrets: list[str] | tuple[str, ...]) -> None:
        """Adds secret values; those shorter than ``MIN_SECRET_CHARS`` characters are ignored."""
        for secret in secrets:
            if len(secret) >= MIN_SECRET_CHARS and secret not in self.secrets:
                self.secrets.append(secret)
        # Longest first: the regex tries alternatives in order, so at each place the longest secret wins.
        self.secrets.sort(key=len, reverse=True)
        if self.secrets:
            self._pattern = re.compile("|".join(re.escape(s) for s in self.secrets))

    def learn(self, state: dict[str, Any]) -> None:
        """``learn_secrets`` (contract §3.4): every string, at any depth, of a value that key redaction
        replaces in the starting state becomes a secret value for the rest of the run."""
        found: list[str] = []
        todo: list[tuple[Any, bool]] = [(v, self.matches(k)) for k, v in state.items()]
        while todo:
            value, redacted = todo.pop()
            t = type(value)
            if t is str and redacted:
                found.append(value)
            elif t is list:
                todo.extend((item, redacted) for item in value)
            elif t is dict:
                todo.extend((item, redacted or self.matches(k)) for k, item in value.items())
        self._add_secrets(found)

    def scrub(self, text: str) -> str | None:
        """``text`` with every secret value replaced by the marker, or None when it holds none: one scan
        from the left, the longest secret starting at a place wins, the text after a match goes on from its
        end (the marker itself is never searched)."""
        pattern = self._pattern
        if pattern is None or pattern.search(text) is None:
            return None
        return pattern.sub(REDACTED, text)

    def redact_message(self, message: str | None) -> str | None:
        """An event's message with its secret values redacted (keys do not apply)."""
        if message is None or self._pattern is None:
            return message
        clean = self.scrub(message)
        return message if clean is None else clean

    def matches(self, key: str) -> bool:
        verdict = self._verdicts.get(key)
        if verdict is None:
            low = key.lower()
            verdict = any(f in low for f in self.fragments)
            if len(self._verdicts) < 100_000:
                self._verdicts[key] = verdict
        return verdict

    def redact_data(self, data: dict[str, Any]) -> dict[str, Any]:
        """An event's ``data``, redacted at any depth but for the schema's own keys at its top and the
        ``type`` of ``data.error`` (its ``message`` is scrubbed of secret values like any string)."""
        out = self._redact_map(data, DATA_KEYS)
        error = data.get("error")
        if type(error) is dict:
            out["error"] = {
                k: v
                if k == "type"
                else self._redact(v)
                if k == "message" or not self.matches(k)
                else REDACTED
                for k, v in error.items()
            }
        return out

    def redact_metrics(self, metrics: dict[str, Any]) -> dict[str, Any]:
        """An event's ``metrics``, redacted but for the schema's own keys at its top."""
        return self._redact_map(metrics, METRICS_KEYS) if metrics else {}

    def _redact_map(self, mapping: dict[str, Any], kept: tuple[str, ...]) -> dict[str, Any]:
        """``mapping`` redacted at any depth; the keys in ``kept`` (at this level only) keep their value,
        and ``error`` is left to ``redact_data``."""
        out = {}
        for k, v in mapping.items():
            # `data.error` is the schema's only as an object; anything else there is a key like any other.
            if k in kept and (k != "error" or type(v) is dict):
                out[k] = v if k == "error" else self._redact(v)
            else:
                out[k] = REDACTED if self.matches(k) else self._redact(v)
        return out

    def _redact(self, value: Any) -> Any:
        """A redacted copy of a JSON value."""
        t = type(value)
        if self._pattern is not None:
            return self._redact_all(value)
        if t is dict:
            secret = self.matches
            out = {}
            for k, v in value.items():
                if secret(k):
                    out[k] = REDACTED
                else:
                    tv = type(v)
                    out[k] = self._redact(v) if tv is dict or tv is list else v
            return out
        if t is list:
            return [self._redact(v) if type(v) is dict or type(v) is list else v for v in value]
        return value

    def _redact_all(self, value: Any) -> Any:
        """``_redact`` when secret values are known: every string is scrubbed too."""
        t = type(value)
        if t is dict:
            return {k: REDACTED if self.matches(k) else self._redact_all(v) for k, v in value.items()}
        if t is list:
            return [self._redact_all(v) for v in value]
        if t is str:
            clean = self.scrub(value)
            return value if clean is None else clean
        return value
