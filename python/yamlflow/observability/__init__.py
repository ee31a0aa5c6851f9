"""Observability (CONTRACT §3): context, event stream, handlers, redaction. Mirrors ``engine/src/observability/``."""
