"""yamlflow: the Python twin of the YAML flow engine (mirrors the Rust crate ``yamlflow``)."""

from .error import LoadError

__all__ = ["LoadError"]
