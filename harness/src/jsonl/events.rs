//! A log's events held as their lines of JSON ([`LogEvents`]): what `compare` and `conform` read
//! from a file and what an engine's run hands `check`, so that no whole log is ever a tree of
//! `serde_json::Value`s (about ten times its text).

use std::io::{self, Write};

use serde_json::Value;

use super::error::LineError;
use super::locate::check_line;

/// A whole log in memory, each event held once as its line of JSON (a `serde_json::Value` tree
/// takes about ten times the text): the chain parses an event when it needs it, and borrows from
/// the line what it keeps.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogEvents {
    /// Every event's line, back to back.
    text: String,
    /// Where each event's line ends in `text`.
    ends: Vec<usize>,
    /// The 1-based line of each event (blank lines are skipped but counted).
    pub lines: Vec<u64>,
}

impl LogEvents {
    /// No events.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            text: String::new(),
            ends: Vec::new(),
            lines: Vec::new(),
        }
    }

    /// No events, borrowed for as long as needed (a run that did not happen).
    #[must_use]
    pub fn none() -> &'static Self {
        static NONE: LogEvents = LogEvents::new();
        &NONE
    }

    /// The events of JSON Lines `text` (an engine's output: one JSON value per line; blank lines
    /// are skipped but counted, a `\r` before a newline dropped). The text is compacted in place,
    /// so the events cost their text once.
    ///
    /// # Errors
    /// [`LineError`] at the first line that is not JSON.
    pub fn from_jsonl(text: String) -> Result<Self, LineError> {
        let mut bytes = text.into_bytes();
        let mut log = Self::new();
        let (mut read, mut kept, mut number) = (0, 0, 0);
        while read < bytes.len() {
            number += 1;
            let end = bytes[read..]
                .iter()
                .position(|&byte| byte == b'\n')
                .map_or(bytes.len(), |at| read + at);
            let stop = if end > read && bytes[end - 1] == b'\r' {
                end - 1
            } else {
                end
            };
            let line = &bytes[read..stop];
            if !line.iter().all(u8::is_ascii_whitespace) {
                check_line(line, number, end == bytes.len())?;
                bytes.copy_within(read..stop, kept);
                kept += stop - read;
                log.ends.push(kept);
                log.lines.push(number);
            }
            read = end + 1;
        }
        bytes.truncate(kept);
        bytes.shrink_to_fit();
        // Only whole lines, each checked to be UTF-8, were kept.
        log.text = String::from_utf8(bytes).map_err(|err| LineError::InvalidUtf8 {
            line: 0,
            column: 0,
            byte: err.as_bytes()[err.utf8_error().valid_up_to()],
        })?;
        Ok(log)
    }

    /// `values` written as lines of JSON (a run built in memory, tests).
    #[must_use]
    pub fn from_values(values: &[Value]) -> Self {
        let mut log = Self::new();
        for (line, value) in (1..).zip(values) {
            log.push(&value.to_string(), line);
        }
        log
    }

    /// The number of events.
    #[must_use]
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether the log holds no event.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The line of JSON of event `index` (0-based), when there is one.
    #[must_use]
    pub fn get(&self, index: usize) -> Option<&str> {
        let end = *self.ends.get(index)?;
        let start = index.checked_sub(1).map_or(0, |before| self.ends[before]);
        self.text.get(start..end)
    }

    /// Each event's line of JSON, in log order.
    pub fn lines_of_json(&self) -> impl Iterator<Item = &str> {
        (0..self.len()).filter_map(|index| self.get(index))
    }

    /// Each event parsed, one at a time (each value dropped before the next is built).
    pub fn iter_values(&self) -> impl Iterator<Item = Value> + '_ {
        // Every line was checked to be JSON when the log was made.
        self.lines_of_json()
            .filter_map(|text| serde_json::from_str(text).ok())
    }

    /// Every event parsed at once (tests comparing the text with its values); costs what holding
    /// `serde_json::Value`s costs, which the chain never does.
    #[must_use]
    pub fn values(&self) -> Vec<Value> {
        self.iter_values().collect()
    }

    /// Writes the events as JSON Lines, each line as it was read.
    ///
    /// # Errors
    /// When `out` fails.
    pub fn write_jsonl(&self, out: &mut impl Write) -> io::Result<()> {
        for line in self.lines_of_json() {
            out.write_all(line.as_bytes())?;
            out.write_all(b"\n")?;
        }
        Ok(())
    }

    pub(super) fn push(&mut self, text: &str, line: u64) {
        self.text.push_str(text);
        self.ends.push(self.text.len());
        self.lines.push(line);
    }

    pub(super) fn shrink_to_fit(&mut self) {
        self.text.shrink_to_fit();
    }
}
