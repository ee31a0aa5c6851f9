//! Loading flow documents: YAML 1.2 parsing with positions, and the checks of contract §1.4.
//!
//! Phases, in the order contract §1.4 pins: YAML syntax (the parser's message and position)
//! and duplicate keys (`yaml.rs`), then the structure of the document (keys, types, values) in
//! document order (`document.rs`), then duplicate nodes, unknown nodes, edges and the path from
//! `__start__` to `__end__` (`graph.rs`).

mod document;
mod graph;
mod yaml;

use std::path::Path;

use serde_json::{Map, Value};

use self::document::Reader;
use self::yaml::Origin;
use crate::error::{LoadError, LoadErrorKind};
use crate::flow::Flow;

/// Reads and validates a flow file.
pub fn load_file(path: impl AsRef<Path>) -> Result<Flow, LoadError> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path).map_err(|err| LoadError {
        kind: LoadErrorKind::Io,
        message: err.to_string(),
        file: path.display().to_string(),
        line: None,
        column: None,
        key: None,
    })?;
    load_str(&text, &path.display().to_string())
}

/// Parses and validates a flow document; `origin` names it in errors.
pub fn load_str(text: &str, origin: &str) -> Result<Flow, LoadError> {
    let origin = Origin(origin);
    let root = yaml::parse(origin, text)?;
    yaml::check_duplicates(origin, root.as_ref())?;
    let doc = Reader::new(origin).structure(root.as_ref())?;
    graph::check(origin, doc)
}

/// The JSON value of one YAML document, with phase 1 of contract §1.4 and the value rules of
/// §1.1 (64-bit integers, finite floats, core-schema tags, keys by their JSON spelling): what a
/// flow document is before its structure is checked. An empty stream is `null`.
pub fn parse_yaml(text: &str, origin: &str) -> Result<Value, LoadError> {
    let origin = Origin(origin);
    let root = yaml::parse(origin, text)?;
    yaml::check_duplicates(origin, root.as_ref())?;
    root.map_or(Ok(Value::Null), |node| yaml::to_json(origin, &node, ""))
}

/// Parses a run's input (`--input`, the harness's `parity.input` text): a JSON object; blank text
/// is `{}`. Anything else is a LoadError of kind `Io` named by `origin` (contract §6):
/// text that is not JSON, NaN/Infinity (serde_json refuses them), an integer literal outside i64
/// → `input is not valid JSON: ...`; another JSON value → `input must be a JSON object`.
pub fn parse_input(text: &str, origin: &str) -> Result<Map<String, Value>, LoadError> {
    let error = |message: String| LoadError {
        kind: LoadErrorKind::Io,
        message,
        file: origin.to_owned(),
        line: None,
        column: None,
        key: None,
    };
    if text.trim().is_empty() {
        return Ok(Map::new());
    }
    // The same parser as json.parse (the same depth limit).
    let value = crate::actions::json::parse_text(text)
        .map_err(|err| error(format!("input is not valid JSON: {err}")))?;
    if let Some(literal) = wide_int_literal(text) {
        return Err(error(format!(
            "input is not valid JSON: integer outside 64 bits: {literal}"
        )));
    }
    match value {
        Value::Object(map) => Ok(map),
        _ => Err(error("input must be a JSON object".to_owned())),
    }
}

/// The first integer literal of valid JSON `text` outside i64, if any. serde_json turns integers
/// beyond u64 into floats, so the literals themselves are checked.
fn wide_int_literal(text: &str) -> Option<&str> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b'-' | b'0'..=b'9' => {
                let start = i;
                while i < bytes.len()
                    && matches!(bytes[i], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
                {
                    i += 1;
                }
                let literal = &text[start..i];
                if !literal.contains(['.', 'e', 'E']) && literal.parse::<i64>().is_err() {
                    return Some(literal);
                }
            }
            _ => i += 1,
        }
    }
    None
}

#[cfg(test)]
mod tests;
