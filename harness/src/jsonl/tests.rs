//! Reading, locating and reporting, on small logs.

use std::io::{self, Write};

use serde_json::Value;

use super::locate::snippet;
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
    let mut reader = JsonlReader::from_reader(io::Cursor::new(text.into_bytes()), "t".into(), None)
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
    assert_eq!(log.get(1), Some("{\"b\":2}"));
    assert_eq!(
        log.values(),
        [serde_json::json!({"a": 1}), serde_json::json!({"b": 2})]
    );
    assert_eq!(log.lines, [1, 3]);
    let err = read_events(&dir.path().join("missing.jsonl")).unwrap_err();
    assert!(matches!(err, JsonlError::Open { .. }), "{err:?}");
    let err = read_events(dir.path()).unwrap_err();
    assert!(err.to_string().contains("is a directory"), "{err}");
}
