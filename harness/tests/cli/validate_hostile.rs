//! `twinflow validate` on logs written to mislead: repeated keys, terminal escapes, units that look
//! wrong, more unfinished runs than the memory cap holds.

use std::io::Write;

use super::{Outcome, data_path, twinflow};

fn validate(args: &[&str]) -> Outcome {
    Outcome::of(twinflow().arg("validate").args(args))
}

/// `valid.jsonl` with `change` applied to its lines, written to a temporary file.
fn altered(change: impl Fn(usize, &str) -> String) -> (tempfile::TempDir, String) {
    let text = std::fs::read_to_string(data_path("valid.jsonl")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.jsonl");
    let mut file = std::fs::File::create(&path).unwrap();
    for (index, line) in text.lines().enumerate() {
        writeln!(file, "{}", change(index, line)).unwrap();
    }
    (dir, path.to_str().unwrap().to_owned())
}

#[test]
fn a_repeated_key_is_named_with_its_line_and_column() {
    let (_dir, log) = altered(|index, line| {
        if index == 1 {
            line.replacen('{', "{\"message\":\"first\",", 1)
        } else {
            line.to_owned()
        }
    });
    let out = validate(&[&log]);
    assert_eq!(out.code, 1, "{}", out.render());
    // One finding: the event is still checked, with the key's last value, and is valid.
    assert_eq!(out.stdout.lines().count(), 1, "{}", out.stdout);
    let text = std::fs::read_to_string(&log).unwrap();
    let second = text.lines().nth(1).unwrap();
    let column = 1 + second.find("\"message\":\"flow").unwrap();
    assert!(
        out.stdout.contains(&format!(":2:{column}: "))
            && out.stdout.contains(
                "parse.duplicate_key: duplicate key \"message\" in one object (the event is \
                 checked with its last value)"
            ),
        "{}",
        out.stdout
    );
}

#[test]
fn control_and_bidi_characters_of_a_log_never_reach_the_terminal() {
    let (_dir, log) = altered(|index, line| {
        if index == 2 {
            line.replace(
                "\"node\":\"prepare\"",
                "\"node\":\"pre\\u001b[2J\\u001b[1;1Hok\\u202epare\\n\"",
            )
        } else {
            line.to_owned()
        }
    });
    for format in ["text", "github"] {
        let out = validate(&["--format", format, &log]);
        assert_eq!(out.code, 1, "{}", out.render());
        assert!(
            !out.stdout.contains(['\u{1b}', '\u{202e}']),
            "{format}: {:?}",
            out.stdout
        );
        assert!(
            out.stdout.contains("\\u{1b}[2J"),
            "{format}: {}",
            out.stdout
        );
        assert!(out.stdout.contains("\\u{202e}"), "{format}: {}", out.stdout);
    }
}

#[test]
fn millisecond_timestamps_warn_unless_units_are_strict() {
    let (_dir, log) = altered(|_, line| {
        let event: serde_json::Value = serde_json::from_str(line).unwrap();
        let ts = event["timestamp"].as_f64().unwrap();
        line.replace(
            &format!("\"timestamp\":{ts}"),
            &format!("\"timestamp\":{}", ts * 1000.0),
        )
    });
    let out = validate(&[&log]);
    assert_eq!(out.code, 0, "a warning does not fail: {}", out.render());
    assert_eq!(
        out.stdout.matches("structure.implausible_units").count(),
        2,
        "one per run: {}",
        out.stdout
    );
    assert!(
        out.stdout.contains("looks like milliseconds"),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr.ends_with("valid (2 warnings)\n"),
        "{}",
        out.stderr
    );
    let strict = validate(&["--strict-units", &log]);
    assert_eq!(strict.code, 1, "{}", strict.render());
    assert!(
        strict.stderr.contains("invalid: 2 errors"),
        "{}",
        strict.stderr
    );
}

#[test]
fn more_unfinished_runs_than_max_open_is_one_finding() {
    // 60 copies of the two runs, all open before any ends.
    let text = std::fs::read_to_string(data_path("valid.jsonl")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("open.jsonl");
    let mut file = std::fs::File::create(&path).unwrap();
    for half in [&lines[..12], &lines[12..]] {
        for copy in 0..60 {
            for line in half {
                let line = line
                    .replace(
                        "0000000a-0000-4000-8000-000000000000",
                        &format!("{copy:08x}-0000-4000-8000-00000000000a"),
                    )
                    .replace(
                        "0000000b-0000-4000-8000-000000000000",
                        &format!("{copy:08x}-0000-4000-8000-00000000000b"),
                    );
                writeln!(file, "{line}").unwrap();
            }
        }
    }
    drop(file);
    let path = path.to_str().unwrap();
    let out = validate(&[path]);
    assert_eq!(out.code, 0, "{}", out.render());
    let out = validate(&["--max-open", "50", path]);
    assert_eq!(out.code, 1, "{}", out.render());
    assert_eq!(out.stdout.lines().count(), 1, "{}", out.stdout);
    assert!(
        out.stdout
            .contains("structure.too_many_open: more than 50 flows and spans"),
        "{}",
        out.stdout
    );
    let out = validate(&["--max-open", "0", path]);
    assert_eq!(out.code, 2, "{}", out.render());
}
