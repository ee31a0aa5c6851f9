//! `twinflow compare`: normalizing a third-party log and diffing it against a snapshot.

use std::path::Path;

use super::{Outcome, data, twinflow};

fn compare(args: &[&str]) -> Outcome {
    Outcome::of(twinflow().arg("compare").args(args))
}

/// Writes `<dir>/<name>.snap` holding `body` behind an insta header, as `expected/` files are.
fn write_snapshot(dir: &Path, name: &str, body: &str) {
    let header = format!("---\nsource: harness/tests/fixtures.rs\nexpression: {name}\n---\n");
    std::fs::write(dir.join(format!("{name}.snap")), header + body).unwrap();
}

/// `DIR/demo.snap`: the normalized form of `tests/data/valid.jsonl`, the snapshot most tests compare with.
fn demo_snapshot(dir: &std::path::Path) {
    write_snapshot(dir, "demo", &normalized(&data("valid.jsonl"), dir));
}

/// The normalized form of a log, through `--write` (the snapshot is missing, so exit 2).
fn normalized(log: &str, dir: &Path) -> String {
    let out = dir.join("normalized.yaml");
    let outcome = compare(&[
        log,
        "--fixture",
        "absent",
        "--expected",
        dir.to_str().unwrap(),
        "--write",
        out.to_str().unwrap(),
    ]);
    assert_eq!(outcome.code, 2, "{}", outcome.render());
    std::fs::read_to_string(out).unwrap()
}

#[test]
fn same_log_same_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let body = normalized(&data("valid.jsonl"), dir.path());
    assert!(!body.is_empty());
    write_snapshot(dir.path(), "demo", &body);
    let expected = dir.path().to_str().unwrap();
    for log in [
        "valid.jsonl",
        "crlf.jsonl",
        "bom.jsonl",
        "blank_lines.jsonl",
        "valid.jsonl.gz",
    ] {
        let out = compare(&[&data(log), "--fixture", "demo", "--expected", expected]);
        assert_eq!(out.code, 0, "{log}: {}", out.render());
        assert_eq!(out.stdout, "");
        assert!(
            out.stderr.contains(": 24 events, same as "),
            "{}",
            out.stderr
        );
    }
}

#[test]
fn ids_timestamps_and_durations_do_not_matter() {
    let dir = tempfile::tempdir().unwrap();
    demo_snapshot(dir.path());
    let text = std::fs::read_to_string(super::data_path("valid.jsonl"))
        .unwrap()
        .replace("0000000a-0000-4000-8000-", "1234abcd-0000-4000-8000-")
        .replace("1700000000.", "1800000000.")
        .replace("\"duration_ms\":0.21", "\"duration_ms\":9.5");
    let log = dir.path().join("other.jsonl");
    std::fs::write(&log, text).unwrap();
    let out = compare(&[
        log.to_str().unwrap(),
        "--fixture",
        "demo",
        "--expected",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(out.code, 0, "{}", out.render());
}

#[test]
fn a_different_value_is_a_diff() {
    let dir = tempfile::tempdir().unwrap();
    demo_snapshot(dir.path());
    let text = std::fs::read_to_string(super::data_path("valid.jsonl"))
        .unwrap()
        .replace("\"count\":4", "\"count\":5");
    let log = dir.path().join("changed.jsonl");
    std::fs::write(&log, text).unwrap();
    let expected = dir.path().to_str().unwrap();
    let out = compare(&[
        log.to_str().unwrap(),
        "--fixture",
        "demo",
        "--expected",
        expected,
    ]);
    assert_eq!(out.code, 1, "{}", out.render());
    assert!(
        out.stdout.contains('4') && out.stdout.contains('5'),
        "{}",
        out.stdout
    );
    assert!(
        !out.stdout.contains('\u{1b}'),
        "no color when not a terminal"
    );
    assert!(
        out.stderr.contains("24 events, differs from") && out.stderr.contains("demo.snap"),
        "{}",
        out.stderr
    );
    let colored = compare(&[
        log.to_str().unwrap(),
        "--fixture",
        "demo",
        "--expected",
        expected,
        "--color",
        "always",
    ]);
    assert_eq!(colored.code, 1);
    assert!(colored.stdout.contains('\u{1b}'), "{}", colored.stdout);
    // `auto` off a terminal: CLICOLOR_FORCE turns colour on, NO_COLOR wins over it.
    let args = [
        log.to_str().unwrap(),
        "--fixture",
        "demo",
        "--expected",
        expected,
    ];
    let with_env = |env: &[(&str, &str)]| {
        let mut command = twinflow();
        command.arg("compare").args(args).env_remove("NO_COLOR");
        command.env_remove("CLICOLOR_FORCE").env_remove("CLICOLOR");
        for (key, value) in env {
            command.env(key, value);
        }
        Outcome::of(&mut command).stdout.contains('\u{1b}')
    };
    assert!(with_env(&[("CLICOLOR_FORCE", "1")]));
    assert!(!with_env(&[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]));
    assert!(!with_env(&[]));
}

#[test]
fn broken_logs_fail_with_their_findings() {
    let dir = tempfile::tempdir().unwrap();
    demo_snapshot(dir.path());
    let expected = dir.path().to_str().unwrap();
    // The contract's step-3 checks come first, as in `twinflow check`; the diff follows.
    let out = compare(&[
        &data("seq_gap.jsonl"),
        "--fixture",
        "demo",
        "--expected",
        expected,
    ]);
    assert_eq!(out.code, 1, "{}", out.render());
    assert!(
        out.stdout
            .starts_with("tests/data/seq_gap.jsonl:10: structure.seq_gap: seq jumps from 4 to 6"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("--- expected\n  +++ actual\n"),
        "{}",
        out.stdout
    );
    assert!(out.stderr.ends_with("; 1 other error\n"), "{}", out.stderr);
    // A schema error alone fails even when the normalized forms agree.
    let text = std::fs::read_to_string(super::data_path("valid.jsonl"))
        .unwrap()
        .replacen("\"metrics\":{}", "\"metrics\":{\"note\":\"text\"}", 1);
    let log = dir.path().join("schema.jsonl");
    std::fs::write(&log, text).unwrap();
    let out = compare(&[
        log.to_str().unwrap(),
        "--fixture",
        "demo",
        "--expected",
        expected,
    ]);
    assert_eq!(out.code, 1, "{}", out.render());
    assert!(
        out.stdout.contains(":1: schema.oneOf: /metrics/note:"),
        "{}",
        out.stdout
    );
}

#[test]
fn unusable_inputs_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    demo_snapshot(dir.path());
    let expected = dir.path().to_str().unwrap();
    let out = compare(&[
        &data("nope.jsonl"),
        "--fixture",
        "demo",
        "--expected",
        expected,
    ]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .starts_with("error: tests/data/nope.jsonl: cannot open"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_line_that_is_not_json_fails_as_in_validate() {
    let dir = tempfile::tempdir().unwrap();
    demo_snapshot(dir.path());
    let out = compare(&[
        &data("parse_error.jsonl"),
        "--fixture",
        "demo",
        "--expected",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(out.code, 1, "{}", out.render());
    assert_eq!(
        out.stdout,
        "tests/data/parse_error.jsonl:4:183: parse.invalid_json: invalid JSON: expected `:` near \
         `…prepare.step[0]\",\"kind\" \"step\",\"action\":…`\n"
    );
}

#[test]
fn a_log_without_a_span_tree_or_a_snapshot_is_unusable() {
    let dir = tempfile::tempdir().unwrap();
    demo_snapshot(dir.path());
    let expected = dir.path().to_str().unwrap();
    // An event without span_id has no place in the span tree.
    let text = std::fs::read_to_string(super::data_path("valid.jsonl"))
        .unwrap()
        .replacen(
            "\"span_id\":\"0000000a-0000-4000-8000-000000000002\",",
            "",
            1,
        );
    let log = dir.path().join("no_span.jsonl");
    std::fs::write(&log, text).unwrap();
    let out = compare(&[
        log.to_str().unwrap(),
        "--fixture",
        "demo",
        "--expected",
        expected,
    ]);
    assert_eq!(out.code, 2, "{}", out.render());
    assert!(
        out.stderr
            .contains("cannot normalize the log: event 3: field `span_id` is missing"),
        "{}",
        out.stderr
    );
    let out = compare(&[
        &data("valid.jsonl"),
        "--fixture",
        "nothing",
        "--expected",
        expected,
    ]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains("no expected snapshot for fixture 'nothing'"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_missing_snapshot_folder_or_output_is_unusable() {
    let dir = tempfile::tempdir().unwrap();
    demo_snapshot(dir.path());
    let expected = dir.path().to_str().unwrap();
    // Without --expected, the checkout's expected/ folder is used.
    let out = compare(&[&data("valid.jsonl"), "--fixture", "no_such_fixture"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains("expected/no_such_fixture.snap does not exist"),
        "{}",
        out.stderr
    );
    // The snapshot folder being unreadable, or --write failing, is unusable too.
    let out = compare(&[
        &data("valid.jsonl"),
        "--fixture",
        "demo",
        "--expected",
        expected,
        "--write",
        "/nonexistent/dir/out.yaml",
    ]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains("cannot write the normalized log to /nonexistent/dir/out.yaml"),
        "{}",
        out.stderr
    );
}

#[test]
fn standard_input() {
    let dir = tempfile::tempdir().unwrap();
    demo_snapshot(dir.path());
    let gz = std::fs::read(super::data_path("valid.jsonl.gz")).unwrap();
    let out = Outcome::of(
        twinflow()
            .args(["compare", "-", "--fixture", "demo", "--expected"])
            .arg(dir.path())
            .write_stdin(gz),
    );
    assert_eq!(out.code, 0, "{}", out.render());
    assert!(
        out.stderr.starts_with("-: 24 events, same as "),
        "{}",
        out.stderr
    );
}

#[test]
fn write_saves_the_normalized_form() {
    let dir = tempfile::tempdir().unwrap();
    let first = normalized(&data("valid.jsonl"), dir.path());
    let second = normalized(&data("crlf.jsonl"), dir.path());
    assert_eq!(first, second);
    assert!(
        !first.contains("0000000a-0000-4000-8000"),
        "ids are replaced by labels"
    );
}

#[test]
fn help() {
    let out = compare(&["--help"]);
    assert_eq!(out.code, 0);
    insta::assert_snapshot!("compare_help", out.stdout);
}

#[test]
fn an_empty_log_is_checked_against_status_and_state() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("empty.jsonl");
    std::fs::write(&log, "").unwrap();
    let log = log.to_str().unwrap();
    let out = compare(&[log, "--fixture", "obs_disabled"]);
    assert_eq!(out.code, 1, "{}", out.render());
    assert!(
        out.stdout.contains("conform.state: the log is empty"),
        "{}",
        out.stdout
    );
    let path = dir.path().join("state.json");
    let state = path.to_str().unwrap();
    let ended = |status: &str, json: &str| {
        std::fs::write(&path, json).unwrap();
        let args = ["--fixture", "obs_disabled", "--status", status, "--state"];
        compare(&[&[log][..], &args, &[state]].concat())
    };
    assert_eq!(ended("completed", "{\"b\": 2, \"a\": 1.0}").code, 0);
    let wrong = [
        ("failed", "{\"a\": 1, \"b\": 2}", "conform.exit_status"),
        (
            "completed",
            "{\"a\": 1}",
            "conform.state: the status or final state differs",
        ),
    ];
    for (status, json, wanted) in wrong {
        let out = ended(status, json);
        assert_eq!(out.code, 1, "{}", out.render());
        assert!(out.stdout.contains(wanted), "{}", out.stdout);
    }
}

#[test]
fn a_load_error_is_checked_against_the_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let stderr = dir.path().join("stderr.txt");
    let check = |text: &str, fixture: &str| {
        std::fs::write(&stderr, text).unwrap();
        compare(&[
            "--load-error",
            stderr.to_str().unwrap(),
            "--fixture",
            fixture,
        ])
    };
    let right = "flows/x.yaml:8:5: DuplicateKey: duplicate key 'with'\n";
    assert_eq!(check(right, "load_duplicate_key").code, 0);
    let out = check(
        "flows/x.yaml:9:5: DuplicateKey: duplicate key 'with'\n",
        "load_duplicate_key",
    );
    assert_eq!(out.code, 1, "{}", out.render());
    assert!(out.stdout.contains("conform.load_error"), "{}", out.stdout);
    let out = check(right, "linear_three_nodes");
    assert_eq!(out.code, 2, "{}", out.render());
    assert!(out.stderr.contains("pins no load error"), "{}", out.stderr);
}

/// A log held as text by `compare` comes out byte for byte as the library normalizes the same
/// events parsed as values: integers beyond 2^53, escapes, non-ASCII text and repeated keys
/// included; and a snapshot differing only in 2^53 + 1 against 2^53 differs.
#[test]
fn compact_reading_keeps_every_byte() {
    let flow = "0000000a-0000-4000-8000-000000000000";
    let span = "0000000a-0000-4000-8000-000000000001";
    let head = format!(
        r#""flow_id":"{flow}","span_id":"{span}","parent_id":null,"node":"demo","kind":"flow","action":null,"level":"info""#
    );
    let lines = [
        format!(
            r#"{{{head},"timestamp":1.5,"seq":0,"event_type":"entry","message":"caf\u00e9 \"q\" \ud83d\ude00 {span}","data":{{"input":{{"big":9007199254740993,"max":18446744073709551615,"dup":1,"dup":2,"t\u0061b":"a\tb"}}}},"metrics":{{}}}}"#
        ),
        format!(
            r#"{{"seq":1,"event_type":"exit","timestamp":1.6,"message":"flow completed","data":{{"output":{{"z":1,"a":2}}}},"metrics":{{"duration_ms":3}},{head}}}"#
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("tricky.jsonl");
    std::fs::write(&log, lines.join("\n") + "\n").unwrap();
    let values: Vec<serde_json::Value> = lines
        .iter()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let expected = twinflow::normalize::normalize(&values).unwrap().to_yaml();
    let body = normalized(log.to_str().unwrap(), dir.path());
    assert_eq!(body, expected);
    for kept in [
        "big: 9007199254740993\n",
        "max: 18446744073709551615\n",
        "dup: 2\n",
        "tab: \"a\\tb\"\n",
        "message: \"café \\\"q\\\" 😀 span#1\"\n",
    ] {
        assert!(body.contains(kept), "{kept:?} not in:\n{body}");
    }
    let snapshots = dir.path().to_str().unwrap();
    write_snapshot(dir.path(), "tricky", &body);
    let same = compare(&[
        log.to_str().unwrap(),
        "--fixture",
        "tricky",
        "--expected",
        snapshots,
    ]);
    assert_eq!(same.code, 0, "{}", same.render());
    let neighbour = body.replace("9007199254740993", "9007199254740992");
    write_snapshot(dir.path(), "tricky", &neighbour);
    let differs = compare(&[
        log.to_str().unwrap(),
        "--fixture",
        "tricky",
        "--expected",
        snapshots,
    ]);
    assert_eq!(differs.code, 1, "{}", differs.render());
    assert!(
        differs
            .stdout
            .contains("+              big: 9007199254740993"),
        "{}",
        differs.stdout
    );
}
