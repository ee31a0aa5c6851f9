//! Reading JSON Lines event logs (contract §3: one event per line) from files, standard input
//! (`-`) and gzip streams, in batches of whole lines with bounded memory.
//!
//! Reading and parsing are split so that `twinflow validate` can read on one thread and parse on
//! others: [`JsonlReader::read_batch`] only splits bytes into lines (stripping a leading BOM, the
//! `\r` of CRLF endings and skipping blank lines), and [`parse_line`] turns one line into JSON with
//! a located error. Line problems never stop reading; only I/O failures do.
//!
//! Reading (`read`: readers, gzip, batches of lines in `batch`) is separate from line location
//! (`locate`: line, column, snippet) and from error text (`error`).

mod batch;
mod error;
mod locate;
mod read;

use std::path::Path;

use serde_json::Value;

pub use batch::{LineBatch, RawLine};
pub use error::{JsonlError, LineError};
pub use locate::{Text, check_line, duplicate_key, parse_line};
use read::READ_BUFFER;
pub use read::{JsonlReader, MAX_LINE_BYTES};

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

    /// Every event parsed, for the uses that need them all as values at once (a run's end, the
    /// `--state` check); costs what holding `serde_json::Value`s costs.
    #[must_use]
    pub fn values(&self) -> Vec<Value> {
        (0..self.len())
            .filter_map(|index| self.get(index))
            // Every line was checked to be JSON when the log was read.
            .filter_map(|text| serde_json::from_str(text).ok())
            .collect()
    }

    fn push(&mut self, text: &str, line: u64) {
        self.text.push_str(text);
        self.ends.push(self.text.len());
        self.lines.push(line);
    }
}

/// Reads a whole log into memory, every line an event (for `twinflow compare`, which needs the
/// complete run); blank lines are skipped. Each line is checked to be JSON and kept as text.
///
/// # Errors
/// [`JsonlError`] for an unreadable log or the first line that is not JSON.
pub fn read_events(path: &Path) -> Result<LogEvents, JsonlError> {
    let mut reader = JsonlReader::open(path)?;
    let mut batch = LineBatch::new();
    let mut log = LogEvents::default();
    loop {
        batch.clear();
        let more = reader.read_batch(&mut batch, READ_BUFFER, usize::MAX)?;
        for (line, bytes) in batch.iter() {
            let text = line.check(bytes).map_err(|source| JsonlError::Line {
                name: reader.name().to_owned(),
                source,
            })?;
            log.push(text, line.number);
        }
        if !more {
            log.text.shrink_to_fit();
            return Ok(log);
        }
    }
}

#[cfg(test)]
mod tests;
