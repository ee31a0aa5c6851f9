//! Reading JSON Lines event logs (contract §3: one event per line) from files, standard input
//! (`-`) and gzip streams, in batches of whole lines with bounded memory.
//!
//! Reading and parsing are split so that `twinflow validate` can read on one thread and parse on
//! others: [`JsonlReader::read_batch`] only splits bytes into lines (stripping a leading BOM, the
//! `\r` of CRLF endings and skipping blank lines), and [`parse_line`] turns one line into JSON with
//! a located error. Line problems never stop reading; only I/O failures do.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use flate2::bufread::MultiGzDecoder;
use serde_json::Value;

/// Lines longer than this are reported and skipped instead of being held in memory: a log line
/// is one event, and no sane event is this big.
pub const MAX_LINE_BYTES: usize = 64 << 20;

/// Capacity of the read buffers; large reads keep the per-call overhead out of the profile.
const READ_BUFFER: usize = 1 << 20;

/// Bytes shown on each side of a JSON error's position.
const SNIPPET_BEFORE: usize = 24;
const SNIPPET_AFTER: usize = 16;

/// The first bytes of every gzip stream (RFC 1952 §2.3.1).
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

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
    /// A line is not a JSON value (only from [`read_events`], which needs every line).
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
    /// The line exceeds the reader's limit ([`MAX_LINE_BYTES`] by default) and was skipped.
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
            | Self::TooLong { line, .. } => *line,
        }
    }

    /// The 1-based byte column, when the problem has one.
    #[must_use]
    pub fn column(&self) -> Option<u64> {
        match self {
            Self::InvalidUtf8 { column, .. } | Self::Json { column, .. } => Some(*column),
            Self::TooLong { .. } => None,
        }
    }

    /// The stable snake_case name of the problem (`invalid_json`…), for reports.
    #[must_use]
    pub fn kind_name(&self) -> &'static str {
        match self {
            Self::InvalidUtf8 { .. } => "invalid_utf8",
            Self::Json { .. } => "invalid_json",
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

/// One line of a batch: its number, where its bytes are, and what the reader noticed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawLine {
    /// 1-based line number in the log (blank lines count).
    pub number: u64,
    range: Range<usize>,
    /// The log's last line, without a trailing newline.
    pub unterminated: bool,
    /// Set when the line was too long to keep: its length and the limit, in bytes.
    pub too_long: Option<(u64, u64)>,
}

/// Whole non-blank lines read from a log, their bytes in one buffer.
#[derive(Debug, Default)]
pub struct LineBatch {
    data: Vec<u8>,
    lines: Vec<RawLine>,
}

impl LineBatch {
    /// An empty batch.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Empties the batch, keeping its buffers for reuse.
    pub fn clear(&mut self) {
        self.data.clear();
        self.lines.clear();
    }

    /// The number of lines.
    #[must_use]
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// Whether the batch holds no line.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Bytes of line content held.
    #[must_use]
    pub fn bytes(&self) -> usize {
        self.data.len()
    }

    /// The lines with their bytes (BOM, `\r` and newline already removed).
    pub fn iter(&self) -> impl Iterator<Item = (&RawLine, &[u8])> {
        self.lines
            .iter()
            .map(|line| (line, &self.data[line.range.clone()]))
    }

    /// Parses every line, in order.
    pub fn parse(&self) -> impl Iterator<Item = (u64, Result<Value, LineError>)> + '_ {
        self.iter()
            .map(|(line, bytes)| (line.number, line.parse(bytes)))
    }
}

impl RawLine {
    /// Parses this line's `bytes` (as given by [`LineBatch::iter`]).
    ///
    /// # Errors
    /// The line's [`LineError`].
    pub fn parse(&self, bytes: &[u8]) -> Result<Value, LineError> {
        if let Some((length, limit)) = self.too_long {
            return Err(LineError::TooLong {
                line: self.number,
                length,
                limit,
            });
        }
        parse_line(bytes, self.number, self.unterminated)
    }
}

/// Parses one line of a log into JSON; `unterminated` marks the last line of a log that has no
/// newline, so that an incomplete value is reported as a likely truncation.
///
/// # Errors
/// [`LineError::InvalidUtf8`] or [`LineError::Json`], located by line and byte column.
pub fn parse_line(bytes: &[u8], line: u64, unterminated: bool) -> Result<Value, LineError> {
    let text = std::str::from_utf8(bytes).map_err(|err| {
        let at = err.valid_up_to();
        LineError::InvalidUtf8 {
            line,
            column: column_of(at),
            byte: bytes[at],
        }
    })?;
    serde_json::from_str(text).map_err(|err| {
        // The line holds no newline, so serde_json's column is a byte offset into this line.
        let column = err.column() as u64;
        let full = err.to_string();
        let message = match full.rfind(" at line ") {
            Some(cut) => full[..cut].to_owned(),
            None => full,
        };
        LineError::Json {
            line,
            column,
            message,
            snippet: snippet(
                text,
                usize::try_from(column)
                    .unwrap_or(usize::MAX)
                    .saturating_sub(1),
            ),
            truncated: unterminated && err.is_eof(),
        }
    })
}

fn column_of(offset: usize) -> u64 {
    u64::try_from(offset).map_or(u64::MAX, |offset| offset + 1)
}

/// The text around byte `at`, cut at character boundaries, control characters escaped.
fn snippet(text: &str, at: usize) -> String {
    let at = at.min(text.len());
    let mut start = at.saturating_sub(SNIPPET_BEFORE);
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = (at + SNIPPET_AFTER).min(text.len());
    while !text.is_char_boundary(end) {
        end += 1;
    }
    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    for c in text[start..end].chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    if end < text.len() {
        out.push('…');
    }
    out
}

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
    /// [`LineError::TooLong`] and skipped.
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
        let read_error = |lines: u64, name: &str, source| JsonlError::Read {
            name: name.to_owned(),
            line: lines,
            source,
        };
        // Room for the longest allowed line plus its newline; `read_until` finds the newline
        // with the standard library's vectorised search.
        let limit = self.max_line_bytes as u64 + 1;
        let read = (&mut self.inner)
            .take(limit)
            .read_until(b'\n', &mut batch.data)
            .map_err(|source| read_error(self.lines, &self.name, source))?;
        let terminated = batch.data.last() == Some(&b'\n') && batch.data.len() > start;
        if read == 0 {
            self.eof = true;
            return Ok(());
        }
        let mut length = read as u64;
        let mut too_long = false;
        if !terminated && length == limit {
            // Over the limit: drop what was kept and skip to the end of the line.
            too_long = true;
            batch.data.truncate(start);
            loop {
                let chunk = self
                    .inner
                    .fill_buf()
                    .map_err(|source| read_error(self.lines, &self.name, source))?;
                if chunk.is_empty() {
                    break;
                }
                let (used, found) = match chunk.iter().position(|&b| b == b'\n') {
                    Some(i) => (i + 1, true),
                    None => (chunk.len(), false),
                };
                length += (used - usize::from(found)) as u64;
                self.inner.consume(used);
                if found {
                    break;
                }
            }
        } else if !terminated {
            self.eof = true;
        }
        if terminated {
            batch.data.pop();
            length -= 1;
        }
        self.lines += 1;
        let number = self.lines;
        if too_long {
            batch.lines.push(RawLine {
                number,
                range: start..start,
                unterminated: false,
                too_long: Some((length, self.max_line_bytes as u64)),
            });
            return Ok(());
        }
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
            return Ok(());
        }
        batch.lines.push(RawLine {
            number,
            range: content,
            unterminated: !terminated,
            too_long: None,
        });
        Ok(())
    }
}

/// A whole log in memory: its events and the line each came from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LogEvents {
    /// The events, in log order.
    pub events: Vec<Value>,
    /// The 1-based line of each event (blank lines are skipped but counted).
    pub lines: Vec<u64>,
}

/// Reads a whole log into memory, every line an event (for `twinflow compare`, which needs the
/// complete run); blank lines are skipped.
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
        for (line, parsed) in batch.parse() {
            log.events.push(parsed.map_err(|source| JsonlError::Line {
                name: reader.name().to_owned(),
                source,
            })?);
            log.lines.push(line);
        }
        if !more {
            return Ok(log);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    type Parsed = Vec<(u64, Result<Value, LineError>)>;

    fn read_all(bytes: &[u8]) -> (Parsed, JsonlReader) {
        let mut reader =
            JsonlReader::from_reader(io::Cursor::new(bytes.to_vec()), "t".into(), None).unwrap();
        let mut out = Vec::new();
        let mut batch = LineBatch::new();
        loop {
            batch.clear();
            let more = reader.read_batch(&mut batch, 16, 2).unwrap();
            out.extend(batch.parse());
            if !more {
                return (out, reader);
            }
        }
    }

    #[test]
    fn bom_crlf_and_blank_lines() {
        let (lines, reader) = read_all(b"\xEF\xBB\xBF{\"a\":1}\r\n\r\n  \n{\"b\":2}\n\n");
        let numbers: Vec<u64> = lines.iter().map(|(n, _)| *n).collect();
        assert_eq!(numbers, [1, 4]);
        assert_eq!(lines[0].1, Ok(serde_json::json!({"a": 1})));
        assert_eq!(lines[1].1, Ok(serde_json::json!({"b": 2})));
        assert_eq!(reader.blank_lines(), 3);
        assert_eq!(reader.lines(), 5);
        assert!(!reader.is_gzip());
    }

    #[test]
    fn empty_log_has_no_line() {
        let (lines, reader) = read_all(b"");
        assert!(lines.is_empty());
        assert_eq!(reader.lines(), 0);
    }

    #[test]
    fn invalid_utf8_is_located() {
        let (lines, _) = read_all(b"{\"a\":1}\n{\"a\":\"\xff\"}\n");
        let err = lines[1].1.clone().unwrap_err();
        assert_eq!(
            err,
            LineError::InvalidUtf8 {
                line: 2,
                column: 7,
                byte: 0xff
            }
        );
        assert_eq!(err.kind_name(), "invalid_utf8");
        assert_eq!(err.to_string(), "invalid UTF-8: byte 0xff");
        assert_eq!(err.location(), "2:7");
    }

    #[test]
    fn json_errors_have_column_and_snippet() {
        let (lines, _) = read_all(b"{\"seq\": 1, \"level\" \"info\"}\n");
        let LineError::Json {
            line,
            column,
            message,
            snippet,
            truncated,
        } = lines[0].1.clone().unwrap_err()
        else {
            panic!("not a JSON error");
        };
        assert_eq!((line, column, truncated), (1, 20, false));
        assert_eq!(message, "expected `:`");
        assert_eq!(snippet, "{\"seq\": 1, \"level\" \"info\"}");
    }

    #[test]
    fn truncated_last_line_is_flagged() {
        let (lines, _) = read_all(b"{\"a\":1}\n{\"a\":[1,2");
        let err = lines[1].1.clone().unwrap_err();
        assert!(
            matches!(
                err,
                LineError::Json {
                    line: 2,
                    truncated: true,
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(err.to_string().contains("looks truncated"), "{err}");
        // A complete last line without newline is fine.
        let (lines, _) = read_all(b"{\"a\":1}");
        assert!(lines[0].1.is_ok());
    }

    #[test]
    fn too_long_lines_are_skipped_not_kept() {
        let text = format!(
            "{{\"a\":1}}\n\"{}\"\n{{\"b\":2}}\n\"{}\"",
            "x".repeat(100),
            "y".repeat(50)
        );
        let mut reader =
            JsonlReader::from_reader(io::Cursor::new(text.into_bytes()), "t".into(), None)
                .unwrap()
                .with_max_line_bytes(40);
        let mut batch = LineBatch::new();
        assert!(!reader.read_batch(&mut batch, 1 << 20, 100).unwrap());
        let parsed: Vec<_> = batch.parse().collect();
        assert_eq!(parsed.len(), 4);
        assert!(parsed[0].1.is_ok() && parsed[2].1.is_ok());
        assert_eq!(
            parsed[1].1,
            Err(LineError::TooLong {
                line: 2,
                length: 102,
                limit: 40
            })
        );
        assert_eq!(
            parsed[3].1,
            Err(LineError::TooLong {
                line: 4,
                length: 52,
                limit: 40
            })
        );
        assert!(batch.bytes() < 40, "the long lines are not held");
        // The exact limit still fits.
        let mut reader =
            JsonlReader::from_reader(io::Cursor::new(b"[1,2]\n".to_vec()), "t".into(), None)
                .unwrap()
                .with_max_line_bytes(5);
        let mut batch = LineBatch::new();
        reader.read_batch(&mut batch, 1 << 20, 100).unwrap();
        assert!(batch.parse().all(|(_, parsed)| parsed.is_ok()));
    }

    #[test]
    fn gzip_is_detected_by_magic() {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(b"{\"a\":1}\n{\"b\":2}\n").unwrap();
        let mut bytes = encoder.finish().unwrap();
        let mut second = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        second.write_all(b"{\"c\":3}\n").unwrap();
        bytes.extend(second.finish().unwrap());
        let (lines, reader) = read_all(&bytes);
        assert!(reader.is_gzip());
        assert_eq!(lines.len(), 3, "both gzip members are read");
    }

    #[test]
    fn snippet_cuts_at_char_boundaries_and_escapes_controls() {
        let text = format!("{}é\t{}", "x".repeat(30), "y".repeat(30));
        let cut = snippet(&text, 31);
        assert!(cut.starts_with('…') && cut.ends_with('…'), "{cut}");
        assert!(cut.contains("é\\t"), "{cut}");
    }

    #[test]
    fn read_events_stops_at_the_first_bad_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.jsonl");
        std::fs::write(&path, "{\"a\":1}\n\n{oops}\n").unwrap();
        let err = read_events(&path).unwrap_err();
        assert!(
            err.to_string()
                .starts_with(&format!("{}:3:2: invalid JSON", path.display())),
            "{err}"
        );
        std::fs::write(&path, "{\"a\":1}\n\n{\"b\":2}").unwrap();
        let log = read_events(&path).unwrap();
        assert_eq!(
            log.events,
            [serde_json::json!({"a": 1}), serde_json::json!({"b": 2})]
        );
        assert_eq!(log.lines, [1, 3]);
        let err = read_events(&dir.path().join("missing.jsonl")).unwrap_err();
        assert!(matches!(err, JsonlError::Open { .. }), "{err:?}");
        let err = read_events(dir.path()).unwrap_err();
        assert!(err.to_string().contains("is a directory"), "{err}");
    }
}
