//! Load errors (contract §1.4), and the failure that ends a run (contract §1.2). Run-time failures
//! are events and the run's outcome, not Rust errors.

use std::fmt;

use serde_json::{Map, Value};

/// What is wrong with a flow document. The names are the contract's, shared with the Python twin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LoadErrorKind {
    /// The file cannot be read.
    Io,
    /// The YAML parser rejects the text.
    YamlSyntax,
    /// A mapping repeats a key.
    DuplicateKey,
    /// A key outside contract §1.
    UnknownKey,
    /// A required key is absent.
    MissingKey,
    /// A value of the wrong type or outside its range.
    InvalidValue,
    /// Two nodes share a name.
    DuplicateNode,
    /// An edge or `on_error` names a node that does not exist.
    UnknownNode,
    /// A node without exactly one unconditional outgoing edge, or a fan-out without its fan-in.
    MissingEdge,
    /// No path from `__start__` to `__end__`.
    NoPath,
}

impl LoadErrorKind {
    /// Every kind, in the contract's order (§1.4).
    pub const ALL: [Self; 10] = [
        Self::Io,
        Self::YamlSyntax,
        Self::DuplicateKey,
        Self::UnknownKey,
        Self::MissingKey,
        Self::InvalidValue,
        Self::DuplicateNode,
        Self::UnknownNode,
        Self::MissingEdge,
        Self::NoPath,
    ];

    /// The kind with this contract name.
    #[must_use]
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.name() == name)
    }

    /// The contract name, identical to the Python twin's `LoadError.kind`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Io => "Io",
            Self::YamlSyntax => "YamlSyntax",
            Self::DuplicateKey => "DuplicateKey",
            Self::UnknownKey => "UnknownKey",
            Self::MissingKey => "MissingKey",
            Self::InvalidValue => "InvalidValue",
            Self::DuplicateNode => "DuplicateNode",
            Self::UnknownNode => "UnknownNode",
            Self::MissingEdge => "MissingEdge",
            Self::NoPath => "NoPath",
        }
    }
}

impl fmt::Display for LoadErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A flow document that cannot be loaded, with where the problem is.
///
/// Displays as `file:line:column: Kind: message` (line and column 1-based, omitted when unknown).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct LoadError {
    /// What is wrong.
    pub kind: LoadErrorKind,
    /// Human explanation.
    pub message: String,
    /// The file (or origin label) the flow came from.
    pub file: String,
    /// 1-based line, where the parser gives one.
    pub line: Option<usize>,
    /// 1-based column, where the parser gives one.
    pub column: Option<usize>,
    /// The offending key path, such as `nodes[2].retry.max_attempts`.
    pub key: Option<String>,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        write!(f, ": {}: {}", self.kind, self.message)
    }
}

/// Why a run failed (contract §1.2): a node's error that no `on_error` caught, a `when` that cannot
/// be rendered, the loop limit, a merge conflict. It is the flow span's error event data and the
/// run outcome's `error`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RunError {
    /// The error type (`LoopLimit`, `MergeConflict`, `TemplateError`, or the failed node's).
    pub(crate) kind: String,
    /// The contract message.
    pub(crate) message: String,
}

impl RunError {
    /// A run failure of type `kind`.
    pub(crate) fn new(kind: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            kind: kind.into(),
            message: message.into(),
        }
    }

    /// `{type, message}` as event data.
    pub(crate) fn to_json(&self) -> Value {
        error_json(&self.kind, &self.message)
    }
}

/// `{type, message}`: the `error` of an error event (contract §3.1).
pub(crate) fn error_json(kind: &str, message: &str) -> Value {
    let mut map = Map::with_capacity(2);
    map.insert("type".into(), Value::String(kind.to_owned()));
    map.insert("message".into(), Value::String(message.to_owned()));
    Value::Object(map)
}
