//! Reading: a log file, standard input or a gzip stream, split into whole lines in batches
//! with bounded memory.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use flate2::bufread::MultiGzDecoder;

use super::batch::{LineBatch, RawLine};
use super::error::JsonlError;

/// Lines longer than this are reported and skipped instead of being held in memory: a log line
/// is one event, and no sane event is this big.
pub const MAX_LINE_BYTES: usize = 64 << 20;

/// Capacity of the read buffers; large reads keep the per-call overhead out of the profile.
pub(super) const READ_BUFFER: usize = 1 << 20;

/// The first bytes of every gzip stream (RFC 1952 §2.3.1).
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Counts the bytes read from the underlying source, for progress reporting; with gzip this is
/// the compressed position, which is what the file size measures.
struct CountingReader<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// A log being read line by line.
pub struct JsonlReader {
    inner: Box<dyn BufRead + Send>,
    name: String,
    gzip: bool,
    total_bytes: Option<u64>,
    position: Arc<AtomicU64>,
    lines: u64,
    blank_lines: u64,
    eof: bool,
    /// A read failure to report once the lines before it have been handed out.
    failed: Option<JsonlError>,
    max_line_bytes: usize,
}

impl std::fmt::Debug for JsonlReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsonlReader")
            .field("name", &self.name)
            .field("gzip", &self.gzip)
            .field("lines", &self.lines)
            .finish_non_exhaustive()
    }
}

impl JsonlReader {
    /// Opens a log file, or standard input for `-`. Gzip is recognised by its magic bytes,
    /// whatever the file is called.
    ///
    /// # Errors
    /// [`JsonlError::Open`] when the file cannot be opened or is a directory, or its first bytes
    /// cannot be read.
    pub fn open(path: &Path) -> Result<Self, JsonlError> {
        let name = path.display().to_string();
        if name == "-" {
            return Self::from_reader(io::stdin(), name, None);
        }
        let open_error = |source| JsonlError::Open {
            name: name.clone(),
            source,
        };
        let file = File::open(path).map_err(open_error)?;
        let metadata = file.metadata().map_err(open_error)?;
        if metadata.is_dir() {
            return Err(open_error(io::Error::new(
                io::ErrorKind::IsADirectory,
                "is a directory",
            )));
        }
        let size = metadata.is_file().then_some(metadata.len());
        Self::from_reader(file, name, size)
    }

    /// Reads a log from any byte source; `name` names it in errors, `total_bytes` is its size
    /// when known (for progress).
    ///
    /// # Errors
    /// [`JsonlError::Open`] when the first bytes cannot be read.
    pub fn from_reader(
        reader: impl Read + Send + 'static,
        name: String,
        total_bytes: Option<u64>,
    ) -> Result<Self, JsonlError> {
        let position = Arc::new(AtomicU64::new(0));
        let counting = CountingReader {
            inner: reader,
            count: Arc::clone(&position),
        };
        let mut raw = BufReader::with_capacity(READ_BUFFER, counting);
        let head = loop {
            match raw.fill_buf() {
                Ok(head) => break head,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(source) => return Err(JsonlError::Open { name, source }),
            }
        };
        let gzip = head.starts_with(&GZIP_MAGIC);
        let inner: Box<dyn BufRead + Send> = if gzip {
            // Multi-member: `cat a.gz b.gz` and rotated logs are valid gzip streams.
            Box::new(BufReader::with_capacity(
                READ_BUFFER,
                MultiGzDecoder::new(raw),
            ))
        } else {
            Box::new(raw)
        };
        Ok(Self {
            inner,
            name,
            gzip,
            total_bytes,
            position,
            lines: 0,
            blank_lines: 0,
            eof: false,
            failed: None,
            max_line_bytes: MAX_LINE_BYTES,
        })
    }

    /// Changes the longest line kept (default [`MAX_LINE_BYTES`]); longer lines are reported as
    /// `LineError::TooLong` and skipped.
    #[must_use]
    pub fn with_max_line_bytes(mut self, max_line_bytes: usize) -> Self {
        self.max_line_bytes = max_line_bytes;
        self
    }

    /// The log's name as given.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether the log is gzip-compressed.
    #[must_use]
    pub fn is_gzip(&self) -> bool {
        self.gzip
    }

    /// The size of the underlying file, when it is a regular file.
    #[must_use]
    pub fn total_bytes(&self) -> Option<u64> {
        self.total_bytes
    }

    /// A shared counter of the bytes read from the underlying source so far.
    #[must_use]
    pub fn position(&self) -> Arc<AtomicU64> {
        Arc::clone(&self.position)
    }

    /// Lines read so far, blank ones included.
    #[must_use]
    pub fn lines(&self) -> u64 {
        self.lines
    }

    /// Blank (empty or whitespace-only) lines skipped so far.
    #[must_use]
    pub fn blank_lines(&self) -> u64 {
        self.blank_lines
    }

    /// Appends whole non-blank lines to `batch` until it holds at least `max_bytes` bytes or
    /// `max_lines` lines, or the log ends; returns `false` once the log has ended (the batch may
    /// still hold its last lines).
    ///
    /// # Errors
    /// [`JsonlError::Read`] when reading or decompressing fails (after the lines read before the
    /// failure have been returned).
    pub fn read_batch(
        &mut self,
        batch: &mut LineBatch,
        max_bytes: usize,
        max_lines: usize,
    ) -> Result<bool, JsonlError> {
        if let Some(err) = self.failed.take() {
            return Err(err);
        }
        while !self.eof && batch.data.len() < max_bytes && batch.lines.len() < max_lines {
            if let Err(err) = self.read_line(batch) {
                if batch.is_empty() {
                    return Err(err);
                }
                // Hand out the lines read before the failure first; fail on the next call.
                self.failed = Some(err);
                return Ok(true);
            }
        }
        Ok(!self.eof)
    }

    /// Reads one line into `batch` (or skips it if blank); sets `eof` at the end of the log.
    fn read_line(&mut self, batch: &mut LineBatch) -> Result<(), JsonlError> {
        let start = batch.data.len();
        // Room for the longest allowed line plus its newline; `read_until` finds the newline
        // with the standard library's vectorised search.
        let limit = self.max_line_bytes as u64 + 1;
        let read = (&mut self.inner)
            .take(limit)
            .read_until(b'\n', &mut batch.data);
        let read = read.map_err(|source| self.read_error(source))?;
        if read == 0 {
            self.eof = true;
            return Ok(());
        }
        let terminated = batch.data.last() == Some(&b'\n');
        if !terminated && read as u64 == limit {
            // Over the limit: drop what was kept and skip to the end of the line.
            batch.data.truncate(start);
            let length = limit + self.skip_rest_of_line()?;
            self.lines += 1;
            batch.lines.push(RawLine {
                number: self.lines,
                range: start..start,
                unterminated: false,
                too_long: Some((length, self.max_line_bytes as u64)),
            });
            return Ok(());
        }
        if terminated {
            batch.data.pop();
        } else {
            self.eof = true;
        }
        self.lines += 1;
        self.keep_line(batch, start, !terminated);
        Ok(())
    }

    /// Skips the rest of a line that is too long to keep; returns how many bytes it had (its
    /// newline not counted).
    fn skip_rest_of_line(&mut self) -> Result<u64, JsonlError> {
        let mut skipped = 0;
        loop {
            let chunk = match self.inner.fill_buf() {
                Ok(chunk) => chunk,
                Err(source) => return Err(self.read_error(source)),
            };
            if chunk.is_empty() {
                return Ok(skipped);
            }
            let (used, found) = match chunk.iter().position(|&b| b == b'\n') {
                Some(i) => (i + 1, true),
                None => (chunk.len(), false),
            };
            skipped += (used - usize::from(found)) as u64;
            self.inner.consume(used);
            if found {
                return Ok(skipped);
            }
        }
    }

    /// Adds the line just read (its bytes from `start` on, newline removed) to `batch`, without
    /// a leading BOM or a trailing `\r`; a blank line is counted and dropped.
    fn keep_line(&mut self, batch: &mut LineBatch, start: usize, unterminated: bool) {
        let number = self.lines;
        let mut content = start..batch.data.len();
        if number == 1 && batch.data[content.clone()].starts_with(b"\xEF\xBB\xBF") {
            content.start += 3;
        }
        if batch.data[content.clone()].ends_with(b"\r") {
            content.end -= 1;
        }
        if batch.data[content.clone()]
            .iter()
            .all(|b| matches!(b, b' ' | b'\t' | b'\r'))
        {
            self.blank_lines += 1;
            batch.data.truncate(start);
            return;
        }
        batch.lines.push(RawLine {
            number,
            range: content,
            unterminated,
            too_long: None,
        });
    }

    fn read_error(&self, source: io::Error) -> JsonlError {
        JsonlError::Read {
            name: self.name.clone(),
            line: self.lines,
            source,
        }
    }
}
