//! `twinflow validate`: every input problem, flag, format and exit status of issue 5.

use std::io::Write;

use serde_json::Value;

use super::{Outcome, data, data_path, twinflow};

fn validate(args: &[&str]) -> Outcome {
    Outcome::of(twinflow().arg("validate").args(args))
}

/// A copy of `valid.jsonl` whose two flows get ids of their own (`copy` 0..): logs of any size
/// made of well-formed runs.
fn renamed_runs(copy: usize) -> String {
    std::fs::read_to_string(data_path("valid.jsonl"))
        .unwrap()
        .replace(
            "\"flow_id\":\"0000000a-0000-4000-8000-000000000000\"",
            &format!("\"flow_id\":\"{copy:08x}-0000-4000-8000-00000000000a\""),
        )
        .replace(
            "\"flow_id\":\"0000000b-0000-4000-8000-000000000000\"",
            &format!("\"flow_id\":\"{copy:08x}-0000-4000-8000-00000000000b\""),
        )
}

#[test]
fn valid_log() {
    let out = validate(&[&data("valid.jsonl")]);
    assert_eq!(out.code, 0, "{}", out.render());
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        "checked 1 log: 24 events, 2 flows, 0 blank lines in [ELAPSED] ([RATE] events/s)\nvalid\n"
    );
}

#[test]
fn each_kind_of_invalid_log_is_reported_with_its_location() {
    // One snapshot per bad log: the exact findings, exit status and summary.
    for name in [
        "schema_error",
        "parse_error",
        "seq_gap",
        "missing_exit",
        "orphan_parent",
        "exit_before_entry",
        "child_outside_parent",
        "negative_duration",
        "invalid_utf8",
        "truncated",
        "mixed_versions",
        "redaction_miss",
    ] {
        let out = validate(&[&data(&format!("{name}.jsonl"))]);
        assert_eq!(out.code, 1, "{name}: {}", out.render());
        insta::assert_snapshot!(name, out.render());
    }
}

#[test]
fn the_kind_named_by_each_bad_log_is_found() {
    for (name, code) in [
        ("schema_error", "schema.enum"),
        ("parse_error", "parse.invalid_json"),
        ("seq_gap", "structure.seq_gap"),
        ("missing_exit", "structure.missing_exit"),
        ("orphan_parent", "structure.orphan_parent"),
        ("exit_before_entry", "structure.exit_before_entry"),
        ("child_outside_parent", "structure.child_outside_parent"),
        ("negative_duration", "structure.negative_duration"),
        ("invalid_utf8", "parse.invalid_utf8"),
        ("truncated", "parse.invalid_json"),
        ("redaction_miss", "structure.redaction_miss"),
    ] {
        let out = validate(&["--format", "json", &data(&format!("{name}.jsonl"))]);
        let doc: Value = serde_json::from_str(&out.stdout).unwrap();
        let codes: Vec<&str> = doc["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["code"].as_str().unwrap())
            .collect();
        assert!(codes.contains(&code), "{name}: {codes:?}");
    }
}

#[test]
fn empty_log_is_valid() {
    let out = validate(&[&data("empty.jsonl")]);
    assert_eq!(out.code, 0, "{}", out.render());
    assert!(
        out.stderr
            .starts_with("checked 1 log: 0 events, 0 flows, 0 blank lines"),
        "{}",
        out.stderr
    );
}

#[test]
fn blank_lines_crlf_and_bom_are_accepted() {
    let out = validate(&[&data("blank_lines.jsonl")]);
    assert_eq!(out.code, 0, "{}", out.render());
    assert!(
        out.stderr
            .starts_with("checked 1 log: 24 events, 2 flows, 8 blank lines"),
        "{}",
        out.stderr
    );
    for name in ["crlf.jsonl", "bom.jsonl"] {
        let out = validate(&[&data(name)]);
        assert_eq!(out.code, 0, "{name}: {}", out.render());
        assert!(
            out.stderr
                .starts_with("checked 1 log: 24 events, 2 flows, 0 blank lines"),
            "{}",
            out.stderr
        );
    }
}

#[test]
fn invalid_utf8_is_located_by_line_and_byte_column() {
    let out = validate(&[&data("invalid_utf8.jsonl")]);
    assert!(
        out.stdout.starts_with(
            "tests/data/invalid_utf8.jsonl:9:297: parse.invalid_utf8: invalid UTF-8: byte 0xff\n"
        ),
        "{}",
        out.stdout
    );
}

#[test]
fn truncated_last_line_is_called_out() {
    let out = validate(&[&data("truncated.jsonl")]);
    assert_eq!(out.code, 1);
    assert!(
        out.stdout.contains(
            "tests/data/truncated.jsonl:24:60: parse.invalid_json: invalid JSON: EOF while parsing"
        ),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("(the last line has no newline: the log looks truncated)"),
        "{}",
        out.stdout
    );
}

#[test]
fn ten_megabyte_single_line() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(data_path("valid.jsonl")).unwrap();
    let mut events: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    events[0]["data"]["input"]["blob"] = Value::String("x".repeat(10 << 20));
    let lines: Vec<String> = events.iter().map(Value::to_string).collect();
    let path = dir.path().join("big.jsonl");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    assert!(std::fs::metadata(&path).unwrap().len() > 10 << 20);
    let out = validate(&[path.to_str().unwrap()]);
    assert_eq!(out.code, 0, "{}", out.render());
    // The same line broken at its very end: one located error with a short snippet.
    let broken = lines[0].replacen("\"level\":\"info\"", "\"level\":info", 1);
    std::fs::write(&path, format!("{broken}\n{}\n", lines[1..].join("\n"))).unwrap();
    let out = validate(&[path.to_str().unwrap()]);
    assert_eq!(out.code, 1);
    let first = out.stdout.lines().next().unwrap();
    assert!(first.contains("big.jsonl:1:"), "{first}");
    assert!(
        first.contains("parse.invalid_json: invalid JSON: expected value near `"),
        "{first}"
    );
    assert!(
        first.len() < 300,
        "the snippet stays short: {} bytes",
        first.len()
    );
}

#[test]
fn gzip_logs_and_standard_input() {
    let out = validate(&[&data("valid.jsonl.gz")]);
    assert_eq!(out.code, 0, "{}", out.render());
    assert!(
        out.stderr.starts_with("checked 1 log: 24 events"),
        "{}",
        out.stderr
    );
    let text = std::fs::read(data_path("seq_gap.jsonl")).unwrap();
    let out = Outcome::of(twinflow().args(["validate", "-"]).write_stdin(text));
    assert_eq!(out.code, 1);
    assert!(
        out.stdout
            .starts_with("-:10: structure.seq_gap: seq jumps from 4 to 6"),
        "{}",
        out.stdout
    );
    let gz = std::fs::read(data_path("valid.jsonl.gz")).unwrap();
    let out = Outcome::of(twinflow().args(["validate", "-"]).write_stdin(gz));
    assert_eq!(out.code, 0, "gzip on standard input: {}", out.render());
}

#[test]
fn corrupt_gzip_is_unusable() {
    let dir = tempfile::tempdir().unwrap();
    let mut gz = std::fs::read(data_path("valid.jsonl.gz")).unwrap();
    let half = gz.len() / 2;
    gz[half..].iter_mut().for_each(|b| *b = !*b);
    let path = dir.path().join("corrupt.jsonl.gz");
    std::fs::write(&path, &gz).unwrap();
    let out = validate(&[path.to_str().unwrap()]);
    assert_eq!(out.code, 2, "{}", out.render());
    assert!(
        out.stderr
            .contains("corrupt.jsonl.gz: read error after line"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("1 log unusable"), "{}", out.stderr);
}

#[test]
fn missing_log_and_directory_are_unusable_but_other_logs_are_checked() {
    let out = validate(&[&data("nope.jsonl"), &data("seq_gap.jsonl"), "tests/data"]);
    assert_eq!(out.code, 2, "{}", out.render());
    assert!(
        out.stdout
            .starts_with("tests/data/seq_gap.jsonl:10: structure.seq_gap:"),
        "{}",
        out.stdout
    );
    insta::assert_snapshot!("unusable_logs_stderr", out.stderr);
    let out = validate(&[&data("nope.jsonl")]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.ends_with("unusable input; 1 log unusable\n"),
        "{}",
        out.stderr
    );
}

#[test]
fn several_logs_are_checked_separately() {
    // The same flow ids in two logs are two different runs, not events after the end.
    let out = validate(&[
        &data("valid.jsonl"),
        &data("crlf.jsonl"),
        &data("valid.jsonl.gz"),
    ]);
    assert_eq!(out.code, 0, "{}", out.render());
    assert!(
        out.stderr.starts_with("checked 3 logs: 72 events, 6 flows"),
        "{}",
        out.stderr
    );
}

#[test]
fn schema_option_selects_another_schema_version() {
    // v1 rejects the `schema_version` field; the v2 schema accepts it, and only the mix remains.
    let out = validate(&[
        "--schema",
        &data("event.v2.schema.json"),
        &data("mixed_versions.jsonl"),
    ]);
    assert_eq!(out.code, 1, "{}", out.render());
    assert_eq!(
        out.stdout,
        "tests/data/mixed_versions.jsonl:2: structure.mixed_schema_versions: schema version marker none (v1) \
         differs from '2' on the log's first event (line 1) (flow \
         0000000b-0000-4000-8000-000000000000, seq 0)\n"
    );
    let out = validate(&[
        "--schema",
        &data("event.v2.schema.json"),
        &data("valid.jsonl"),
    ]);
    assert_eq!(out.code, 0, "{}", out.render());
}

#[test]
fn unusable_schema_exits_2() {
    let out = validate(&[
        "--schema",
        &data("missing.schema.json"),
        &data("valid.jsonl"),
    ]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .starts_with("error: cannot read schema tests/data/missing.schema.json:"),
        "{}",
        out.stderr
    );
    let out = validate(&["--schema", &data("not_a_schema.json"), &data("valid.jsonl")]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .starts_with("error: schema tests/data/not_a_schema.json: not a valid JSON Schema:"),
        "{}",
        out.stderr
    );
    let out = validate(&["--schema", &data("valid.jsonl"), &data("valid.jsonl")]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .starts_with("error: schema tests/data/valid.jsonl:2:1: invalid JSON"),
        "{}",
        out.stderr
    );
}

#[test]
fn json_format_is_one_document() {
    let out = validate(&[
        "--format",
        "json",
        &data("schema_error.jsonl"),
        &data("seq_gap.jsonl"),
    ]);
    assert_eq!(out.code, 1);
    assert_eq!(out.stderr, "", "json goes to standard output only");
    let mut doc: Value = serde_json::from_str(&out.stdout).unwrap();
    let summary = doc["summary"].as_object_mut().unwrap();
    assert!(summary.remove("seconds").unwrap().is_f64());
    assert!(summary.remove("events_per_second").unwrap().is_number());
    insta::assert_snapshot!("json_format", serde_json::to_string_pretty(&doc).unwrap());
}

#[test]
fn json_format_of_a_valid_log() {
    let out = validate(&["--format", "json", &data("valid.jsonl")]);
    assert_eq!(out.code, 0);
    let doc: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(doc["diagnostics"], Value::Array(Vec::new()));
    assert_eq!(doc["summary"]["valid"], true);
    assert_eq!(doc["summary"]["events"], 24);
    assert_eq!(doc["files"][0]["unusable"], Value::Null);
}

#[test]
fn github_format_prints_annotations() {
    let out = validate(&["--format", "github", &data("parse_error.jsonl")]);
    assert_eq!(out.code, 1);
    insta::assert_snapshot!("github_format", out.stdout);
    assert!(
        out.stderr
            .ends_with("invalid: 1 error (parse.invalid_json 1)\n"),
        "{}",
        out.stderr
    );
}

#[test]
fn max_errors_stops_early() {
    let out = validate(&[
        "--max-errors",
        "1",
        &data("schema_error.jsonl"),
        &data("seq_gap.jsonl"),
    ]);
    assert_eq!(out.code, 1);
    assert_eq!(out.stdout.lines().count(), 1, "{}", out.stdout);
    assert!(
        out.stderr
            .ends_with("invalid: 1 error (schema.enum 1); stopped at --max-errors 1\n"),
        "{}",
        out.stderr
    );
    let out = validate(&["--max-errors", "0", &data("valid.jsonl")]);
    assert_eq!(out.code, 2, "clap rejects 0: {}", out.render());
    let out = validate(&["--max-errors", "100", &data("schema_error.jsonl")]);
    assert_eq!(out.stdout.lines().count(), 3);
    assert!(!out.stderr.contains("stopped"), "{}", out.stderr);
}

#[test]
fn findings_are_in_line_order_whatever_the_number_of_workers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("many.jsonl");
    let mut file = std::fs::File::create(&path).unwrap();
    for copy in 0..400 {
        let mut lines: Vec<String> = renamed_runs(copy).lines().map(str::to_owned).collect();
        if copy % 37 == 0 {
            lines.remove(8); // a seq gap
        }
        if copy % 53 == 0 {
            lines[3].insert(0, '#'); // a parse error
        }
        if copy % 61 == 0 {
            lines[5] = lines[5].replace("\"level\":\"info\"", "\"level\":\"loud\"");
        }
        writeln!(file, "{}", lines.join("\n")).unwrap();
    }
    drop(file);
    let path = path.to_str().unwrap();
    let one = validate(&["--jobs", "1", path]);
    let many = validate(&["--jobs", "3", path]);
    assert_eq!(one.code, 1);
    assert!(one.stdout.lines().count() > 15, "{}", one.stdout);
    assert_eq!(one.stdout, many.stdout);
    assert_eq!(one.stderr, many.stderr);
    // Every finding, structural ones included, comes in line order.
    let lines: Vec<u64> = one
        .stdout
        .lines()
        .map(|l| l.split(':').nth(1).unwrap().parse().unwrap())
        .collect();
    assert!(
        lines.windows(2).all(|w| w[0] <= w[1]),
        "line order: {lines:?}"
    );
}

#[test]
fn no_progress_bar_when_not_a_terminal() {
    let out = validate(&[&data("valid.jsonl")]);
    assert!(
        !out.stderr.contains('\u{1b}'),
        "no terminal escapes: {:?}",
        out.stderr
    );
    assert_eq!(out.stderr.lines().count(), 2);
}

#[test]
fn usage_errors_exit_2() {
    let out = validate(&[]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("<LOG>..."), "{}", out.stderr);
    let out = validate(&["--format", "xml", &data("valid.jsonl")]);
    assert_eq!(out.code, 2);
}

#[test]
fn help() {
    let out = validate(&["--help"]);
    assert_eq!(out.code, 0);
    insta::assert_snapshot!("help", out.stdout);
}
