//! `expected/<fixture>.snap`: the reviewed normalized run of each fixture (contract §4 step 5), in
//! insta's file format so that `cargo insta review` and `INSTA_UPDATE` work on it.
//!
//! A file is insta's YAML header between two `---` lines (source, description, info, input file)
//! and then the body, [`crate::normalize::Normalized::to_yaml`]'s text. The harness's
//! `fixtures` test writes them through insta; `twinflow check` only reads them, comparing bodies the
//! way insta does (trailing whitespace and CRLF ignored).

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::fixture::Fixture;

/// The file extension of a snapshot.
pub const EXTENSION: &str = "snap";

/// Why a snapshot cannot be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SnapshotError {
    /// The file or folder cannot be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The failure.
        source: std::io::Error,
    },
    /// The file has an opening `---` but no closing one.
    #[error("{}: the insta header is not closed by a `---` line", path.display())]
    UnclosedHeader {
        /// The file.
        path: PathBuf,
    },
}

/// `expected/<name>.snap`.
#[must_use]
pub fn path_for(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}.{EXTENSION}"))
}

/// The body of `dir/<name>.snap` (the text after insta's header), or `None` when there is no such
/// file.
///
/// # Errors
/// [`SnapshotError`] when the file exists but cannot be read or its header is not closed.
pub fn read_expected(dir: &Path, name: &str) -> Result<Option<String>, SnapshotError> {
    let path = path_for(dir, name);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(SnapshotError::Io { path, source }),
    };
    let Some(header) = body(&text).map(|body| text.len() - body.len()) else {
        return Err(SnapshotError::UnclosedHeader { path });
    };
    // In place: a big log's snapshot is big, and a copy would hold it twice.
    let mut text = text;
    text.drain(..header);
    Ok(Some(text))
}

/// The part of a snapshot file after its header, as insta reads it; `None` for an unclosed header.
#[must_use]
pub fn body(text: &str) -> Option<&str> {
    let Some(rest) = text
        .strip_prefix("---\n")
        .or_else(|| text.strip_prefix("---\r\n"))
    else {
        // insta's legacy format has no header block; the whole text is the body.
        return Some(text);
    };
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        offset += line.len();
        if line.trim_end() == "---" {
            return Some(&rest[offset..]);
        }
    }
    None
}

/// Whether a stored body and a freshly rendered one are the same snapshot, compared as insta
/// compares file snapshots: trailing whitespace at the end and CRLF line ends do not count.
#[must_use]
pub fn same_body(stored: &str, rendered: &str) -> bool {
    let (stored_end, rendered_end) = (stored.trim_end(), rendered.trim_end());
    if !stored_end.contains('\r') && !rendered_end.contains('\r') {
        // No line end to rewrite: compared in place, without copying either body.
        return stored_end == rendered_end;
    }
    canonical_body(stored) == canonical_body(rendered)
}

/// [`same_body`] for a rendered body that arrives in chunks ([`feed`](Self::feed)), read against
/// a stored body that is read as it is needed (a file: [`open_body`]), so that neither is held
/// whole. The rendered text must hold no `\r`, as a normalized log's does (strings with control
/// characters are quoted, contract §4 step 5). It answers `true` only when the bodies certainly
/// are the same: when it cannot tell (a read error, text that is not UTF-8, trailing non-ASCII
/// whitespace), it answers `false`, and [`same_body`] on the whole texts decides.
#[derive(Debug)]
pub struct BodyMatcher<R> {
    stored: R,
    /// Whitespace just rendered: trailing (ignored) unless more text follows.
    pending: Vec<u8>,
    same: bool,
}

impl<R: BufRead> BodyMatcher<R> {
    /// A matcher against the `stored` body.
    #[must_use]
    pub fn new(stored: R) -> Self {
        Self {
            stored,
            pending: Vec::new(),
            same: true,
        }
    }

    /// The next chunk of the rendered body.
    pub fn feed(&mut self, chunk: &str) {
        for &byte in chunk.as_bytes() {
            if !self.same {
                return;
            }
            if byte.is_ascii_whitespace() {
                self.pending.push(byte);
                continue;
            }
            let pending = std::mem::take(&mut self.pending);
            self.same = pending.iter().all(|&b| self.expect(b)) && self.expect(byte);
            self.pending = pending;
            self.pending.clear();
        }
    }

    /// Whether the rendered body equals the stored one, once every chunk was fed: what is left of
    /// the stored body must be ASCII whitespace (trailing whitespace does not count).
    #[must_use]
    pub fn finish(mut self) -> bool {
        while self.same {
            match self.stored.fill_buf() {
                Ok([]) => return true,
                Ok(rest) => {
                    self.same = rest.iter().all(u8::is_ascii_whitespace);
                    let used = rest.len();
                    self.stored.consume(used);
                }
                Err(_) => return false,
            }
        }
        false
    }

    /// Consumes the stored body's next byte (`\r\n` read as `\n`) if it is `byte`.
    fn expect(&mut self, byte: u8) -> bool {
        let next = match self.next_byte() {
            Some(b'\r') if self.peek_byte() == Some(b'\n') => self.next_byte(),
            next => next,
        };
        next == Some(byte)
    }

    fn next_byte(&mut self) -> Option<u8> {
        let byte = self.peek_byte()?;
        self.stored.consume(1);
        Some(byte)
    }

    fn peek_byte(&mut self) -> Option<u8> {
        self.stored.fill_buf().ok()?.first().copied()
    }
}

/// The body of `dir/<name>.snap` (after insta's header, as [`body`] finds it), to be read in
/// chunks; `None` when the file cannot be opened or its header read ([`read_expected`] says why).
#[must_use]
pub fn open_body(dir: &Path, name: &str) -> Option<impl BufRead> {
    let mut file = BufReader::new(File::open(path_for(dir, name)).ok()?);
    let mut first = Vec::new();
    file.read_until(b'\n', &mut first).ok()?;
    if first != b"---\n" && first != b"---\r\n" {
        // insta's legacy format has no header block; the whole text is the body.
        return Some(io::Cursor::new(first).chain(file));
    }
    let mut line = String::new();
    loop {
        line.clear();
        if file.read_line(&mut line).ok()? == 0 {
            return None;
        }
        if line.trim_end() == "---" {
            return Some(io::Cursor::new(Vec::new()).chain(file));
        }
    }
}

/// A body with CRLF turned into LF and the trailing whitespace removed.
#[must_use]
pub fn canonical_body(body: &str) -> String {
    body.trim_end().replace("\r\n", "\n")
}

/// The names (file stems) of every `*.snap` in `dir`, sorted; empty when `dir` does not exist.
///
/// # Errors
/// [`SnapshotError::Io`] when the folder cannot be listed.
pub fn list(dir: &Path) -> Result<Vec<String>, SnapshotError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(SnapshotError::Io {
                path: dir.to_owned(),
                source,
            });
        }
    };
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| SnapshotError::Io {
            path: dir.to_owned(),
            source,
        })?;
        let path = entry.path();
        if path.extension().is_some_and(|ext| ext == EXTENSION) {
            if let Some(stem) = path.file_stem().and_then(|s| s.to_str()) {
                names.push(stem.to_owned());
            }
        }
    }
    names.sort();
    Ok(names)
}

/// Snapshots in `dir` that belong to no fixture in `fixtures` (names): orphans left behind by a
/// renamed or deleted fixture.
///
/// # Errors
/// [`SnapshotError::Io`] when the folder cannot be listed.
pub fn orphans(dir: &Path, fixtures: &[&str]) -> Result<Vec<PathBuf>, SnapshotError> {
    Ok(list(dir)?
        .into_iter()
        .filter(|name| !fixtures.contains(&name.as_str()))
        .map(|name| path_for(dir, &name))
        .collect())
}

/// The header insta writes above a fixture's snapshot (STYLE §4: a reviewer reads the snapshot
/// without opening the fixture): the fixture's leading comment as `description`, its `parity`
/// block as `info`.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    /// The fixture's leading comment.
    pub description: String,
    /// `{input, expect, xfail}` from the fixture's `parity` block.
    pub info: Value,
}

impl Header {
    /// The header of `fixture`'s snapshot.
    #[must_use]
    pub fn for_fixture(fixture: &Fixture) -> Self {
        let parity = &fixture.parity;
        let mut info = Map::new();
        info.insert("input".to_owned(), Value::Object(parity.input.clone()));
        info.insert(
            "expect".to_owned(),
            parity
                .expect
                .map_or(Value::Null, |e| Value::String(e.name().to_owned())),
        );
        if parity.xfail.any() {
            let mut xfail = Map::new();
            for (engine, declared) in [
                ("rust", &parity.xfail.rust),
                ("python", &parity.xfail.python),
            ] {
                let Some(declared) = declared else { continue };
                let reason = Value::String(declared.reason.clone());
                let value = if declared.paths.is_empty() {
                    reason
                } else {
                    serde_json::json!({"reason": reason, "path": declared.paths})
                };
                xfail.insert(engine.to_owned(), value);
            }
            info.insert("xfail".to_owned(), Value::Object(xfail));
        }
        Self {
            description: fixture.description.clone(),
            info: Value::Object(info),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_follows_the_header() {
        let text =
            "---\nsource: harness/tests/fixtures.rs\ndescription: \"a\"\n---\nflow#1:\n  x: 1\n";
        assert_eq!(body(text), Some("flow#1:\n  x: 1\n"));
        assert_eq!(body("---\nsource: x\n"), None);
        assert_eq!(body("legacy body\n"), Some("legacy body\n"));
    }

    #[test]
    fn bodies_compare_like_insta() {
        assert!(same_body("a: 1\nb: 2", "a: 1\r\nb: 2\n\n"));
        assert!(!same_body("a: 1", "a: 2"));
        assert!(same_body("a: 1\n", "a: 1  \n\t"));
        assert!(!same_body("a: 1\r\nb", "a: 1\nc"));
    }

    /// Feeds `rendered` to a matcher against `stored` in chunks of `size` bytes.
    fn matches_in_chunks(stored: &str, rendered: &str, size: usize) -> bool {
        // A one-byte buffer: the stored body's CRLFs are split across reads too.
        let mut matcher = BodyMatcher::new(BufReader::with_capacity(1, stored.as_bytes()));
        for chunk in rendered.as_bytes().chunks(size) {
            matcher.feed(std::str::from_utf8(chunk).expect("ASCII test bodies"));
        }
        matcher.finish()
    }

    #[test]
    fn the_matcher_agrees_with_same_body_in_any_chunking() {
        let cases = [
            ("a: 1\r\nb: 2\r\n", "a: 1\nb: 2\n"),
            ("a: 1\nb: 2", "a: 1\nb: 2\n\n"),
            ("a: 1\nb: 2\n  \n", "a: 1\nb: 2\n"),
            ("a: 1\nb: 2\n", "a: 1\nb: 3\n"),
            ("a: 1\nb: 2\n", "a: 1\n"),
            ("a: 1\n", "a: 1\nb: 2\n"),
            ("a: 1\n", "a:  1\n"),
            ("a: 1\r\r\n", "a: 1\r\n"),
            ("", "{}\n"),
            ("{}\n", "{}\n"),
        ];
        for (stored, rendered) in cases {
            for size in [1, 2, 3, 64] {
                assert_eq!(
                    matches_in_chunks(stored, rendered, size),
                    same_body(stored, rendered),
                    "{stored:?} against {rendered:?} in chunks of {size}"
                );
            }
        }
        // Unsure (trailing non-ASCII whitespace): not the same, and `same_body` decides.
        assert!(same_body("a: 1\u{3000}", "a: 1\n"));
        assert!(!matches_in_chunks("a: 1\u{3000}", "a: 1\n", 1));
    }

    #[test]
    fn a_body_is_opened_after_its_header() {
        let dir = tempfile::tempdir().expect("temp dir");
        let read = |text: &str| {
            std::fs::write(dir.path().join("x.snap"), text).expect("write");
            open_body(dir.path(), "x").map(|mut body| {
                let mut rest = String::new();
                body.read_to_string(&mut rest).expect("UTF-8");
                rest
            })
        };
        for text in [
            "---\nsource: x\n---\nflow#1:\n  a: 1\n",
            "---\r\nsource: x\r\n--- \r\nflow#1:\r\n",
            "legacy: body\n",
            "---",
            "---\nsource: x\n",
        ] {
            assert_eq!(read(text).as_deref(), body(text), "{text:?}");
        }
        assert!(open_body(dir.path(), "absent").is_none());
    }

    #[test]
    fn snapshots_are_listed_and_orphans_found() {
        let dir = tempfile::tempdir().expect("temp dir");
        for name in ["b.snap", "a.snap", "a.snap.new", "notes.txt"] {
            std::fs::write(dir.path().join(name), "---\n---\nx\n").expect("write");
        }
        assert_eq!(list(dir.path()).expect("list"), ["a", "b"]);
        assert_eq!(
            orphans(dir.path(), &["a"]).expect("orphans"),
            [dir.path().join("b.snap")]
        );
        assert_eq!(
            read_expected(dir.path(), "a").expect("read").as_deref(),
            Some("x\n")
        );
        assert_eq!(read_expected(dir.path(), "zzz").expect("read"), None);
        assert!(list(&dir.path().join("missing")).expect("list").is_empty());
    }
}
