//! yamlflow: the Rust twin of the YAML flow engine.
