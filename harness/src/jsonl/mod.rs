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
mod events;
mod locate;
mod read;

use std::path::Path;

pub use batch::{LineBatch, RawLine};
pub use error::{JsonlError, LineError};
pub use events::LogEvents;
pub use locate::{Text, check_line, duplicate_key, parse_line};
use read::READ_BUFFER;
pub use read::{JsonlReader, MAX_LINE_BYTES};

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
            log.shrink_to_fit();
            return Ok(log);
        }
    }
}

#[cfg(test)]
mod tests;
