"""Builtin actions (CONTRACT §2), one module per namespace. Mirrors ``engine/src/actions/``."""
