"""Redaction of event data and metrics (contract §3, §3.5).
Mirrors ``engine/src/observability/redact.rs``.

The walk doubles as the event's snapshot: it returns fresh containers, so later changes to the run's state
never reach an event already emitted. Scalars are shared (immutable).
"""

from __future__ import annotations

from typing import Any

DEFAULT_KEYS = ("api_key", "password", "token", "secret", "authorization")
REDACTED = "[REDACTED]"


class Redactor:
    """Replaces the value of every key whose lower-cased name contains a listed fragment, at any depth."""

    def __init__(self, extra: list[str] | tuple[str, ...] = ()) -> None:
        """The defaults plus ``settings.observability.redact`` (matched case-insensitively)."""
        self.fragments = tuple(dict.fromkeys([*DEFAULT_KEYS, *(x.lower() for x in extra if x)]))
        self._verdicts: dict[str, bool] = {}

    def matches(self, key: str) -> bool:
        verdict = self._verdicts.get(key)
        if verdict is None:
            low = key.lower()
            verdict = any(f in low for f in self.fragments)
            if len(self._verdicts) < 100_000:
                self._verdicts[key] = verdict
        return verdict

    def redact_data(self, value: Any) -> Any:
        """A redacted copy of a JSON value."""
        t = type(value)
        if t is dict:
            secret = self.matches
            out = {}
            for k, v in value.items():
                if secret(k):
                    out[k] = REDACTED
                else:
                    tv = type(v)
                    out[k] = self.redact_data(v) if tv is dict or tv is list else v
            return out
        if t is list:
            return [self.redact_data(v) if type(v) is dict or type(v) is list else v for v in value]
        return value

    def redact_metrics(self, metrics: dict[str, Any]) -> dict[str, Any]:
        """An event's top-level metrics: like ``redact_data`` but ``tokens`` itself is exempt."""
        if not metrics:
            return {}
        out = {}
        for k, v in metrics.items():
            if k != "tokens" and self.matches(k):
                out[k] = REDACTED
            else:
                out[k] = self.redact_data(v)
        return out
