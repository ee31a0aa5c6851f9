//! Error text: what makes a log unusable ([`JsonlError`]) and what is wrong with one line
//! ([`LineError`]), with their messages.

use std::io;

/// A failure that makes a log unusable: it cannot be opened or read to the end.
#[derive(Debug, thiserror::Error)]
pub enum JsonlError {
    /// The log could not be opened.
    #[error("{name}: cannot open: {source}")]
    Open {
        /// The log's name as given (`-` for standard input).
        name: String,
        /// The underlying failure.
        source: io::Error,
    },
    /// Reading (or decompressing) failed part-way.
    #[error("{name}: read error after line {line}: {source}")]
    Read {
        /// The log's name.
        name: String,
        /// The last line read completely.
        line: u64,
        /// The underlying failure.
        source: io::Error,
    },
    /// A line is not a JSON value (only from `read_events`, which needs every line).
    #[error("{name}:{}: {source}", source.location())]
    Line {
        /// The log's name.
        name: String,
        /// What is wrong with the line.
        source: LineError,
    },
}

/// What is wrong with one line of a log; the rest of the log is still read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LineError {
    /// The line is not UTF-8 (RFC 8259 §8.1).
    #[error("invalid UTF-8: byte 0x{byte:02x}")]
    InvalidUtf8 {
        /// 1-based line number.
        line: u64,
        /// 1-based byte column of the first invalid byte.
        column: u64,
        /// That byte.
        byte: u8,
    },
    /// The line is UTF-8 but not one JSON value.
    #[error(
        "invalid JSON: {message} near `{snippet}`{}",
        if *truncated { " (the last line has no newline: the log looks truncated)" } else { "" }
    )]
    Json {
        /// 1-based line number.
        line: u64,
        /// 1-based byte column where the parser stopped.
        column: u64,
        /// The parser's message, without its own position.
        message: String,
        /// The text around the column, control characters escaped.
        snippet: String,
        /// The line is the last one, has no newline and ends mid-value.
        truncated: bool,
    },
    /// An object of the line has the same key twice (RFC 8259 §4: names should be unique; readers
    /// disagree on which value counts). The event is still checked, with the last value.
    #[error("duplicate key {key} in one object (the event is checked with its last value)")]
    DuplicateKey {
        /// 1-based line number.
        line: u64,
        /// 1-based byte column just after the repeated key.
        column: u64,
        /// The key, JSON-quoted.
        key: String,
    },
    /// The line exceeds the reader's limit (`MAX_LINE_BYTES` by default) and was skipped.
    #[error("line of {length} bytes exceeds the limit of {limit} bytes; skipped")]
    TooLong {
        /// 1-based line number.
        line: u64,
        /// The line's length in bytes.
        length: u64,
        /// The limit in bytes.
        limit: u64,
    },
}

impl LineError {
    /// The 1-based line number.
    #[must_use]
    pub fn line(&self) -> u64 {
        match self {
            Self::InvalidUtf8 { line, .. }
            | Self::Json { line, .. }
            | Self::DuplicateKey { line, .. }
            | Self::TooLong { line, .. } => *line,
        }
    }

    /// The 1-based byte column, when the problem has one.
    #[must_use]
    pub fn column(&self) -> Option<u64> {
        match self {
            Self::InvalidUtf8 { column, .. }
            | Self::Json { column, .. }
            | Self::DuplicateKey { column, .. } => Some(*column),
            Self::TooLong { .. } => None,
        }
    }

    /// The stable snake_case name of the problem (`invalid_json`…), for reports.
    #[must_use]
    pub fn kind_name(&self) -> &'static str {
        match self {
            Self::InvalidUtf8 { .. } => "invalid_utf8",
            Self::Json { .. } => "invalid_json",
            Self::DuplicateKey { .. } => "duplicate_key",
            Self::TooLong { .. } => "line_too_long",
        }
    }

    /// `line:column`, or `line` when there is no column.
    #[must_use]
    pub fn location(&self) -> String {
        match self.column() {
            Some(column) => format!("{}:{column}", self.line()),
            None => self.line().to_string(),
        }
    }
}
