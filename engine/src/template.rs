//! Templates: minijinja with the semantics of CONTRACT §1 and schema/README.md §5.
