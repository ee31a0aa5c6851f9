//! The command line (brief, CLIs): exit codes 0/1/2, `--events -`, `--input @file`, `validate`.

use assert_cmd::Command;
use predicates::prelude::*;

fn fixture(name: &str) -> String {
    format!("{}/../fixtures/{name}.yaml", env!("CARGO_MANIFEST_DIR"))
}

fn yamlflow() -> Command {
    Command::new(assert_cmd::cargo::cargo_bin!("yamlflow"))
}

#[test]
fn run_prints_the_final_state_and_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    yamlflow()
        .args([
            "run",
            &fixture("linear_three_nodes"),
            "--input",
            r#"{"count": 5}"#,
            "--sandbox",
        ])
        .arg(dir.path())
        .assert()
        .code(0)
        .stdout(
            predicate::str::contains("\"summary\": \"total=6 doubled=12\"")
                .and(predicate::str::starts_with("{\n  \"count\": 5,")),
        );
}

#[test]
fn input_from_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("input.json");
    std::fs::write(&input, r#"{"count": 1}"#).unwrap();
    yamlflow()
        .args([
            "run",
            &fixture("linear_three_nodes"),
            "--input",
            &format!("@{}", input.display()),
        ])
        .arg("--sandbox")
        .arg(dir.path())
        .assert()
        .code(0)
        .stdout(predicate::str::contains("\"total\": 2"));
}

#[test]
fn failed_run_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    yamlflow()
        .args(["run", &fixture("err_fail_custom_type"), "--sandbox"])
        .arg(dir.path())
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "flow failed: QuotaExceeded: quota of 3 calls exceeded",
        ));
}

#[test]
fn events_to_stdout_are_jsonl_only() {
    let dir = tempfile::tempdir().unwrap();
    let out = yamlflow()
        .args([
            "run",
            &fixture("linear_three_nodes"),
            "--events",
            "-",
            "--sandbox",
        ])
        .arg(dir.path())
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 8);
    for (i, line) in lines.iter().enumerate() {
        let event: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(event["seq"], i);
    }
}

#[test]
fn a_sandbox_that_is_no_directory_is_named_by_the_flow() {
    // contract §1.2: the Io error of an unusable sandbox names the flow's file, as in the Python CLI,
    // and the refused run creates no events file.
    let dir = tempfile::tempdir().unwrap();
    let not_dir = dir.path().join("file");
    std::fs::write(&not_dir, "x").unwrap();
    let events = dir.path().join("events.jsonl");
    let flow = fixture("linear_three_nodes");
    yamlflow()
        .args(["run", &flow, "--events"])
        .arg(&events)
        .arg("--sandbox")
        .arg(&not_dir)
        .assert()
        .code(2)
        .stdout("")
        .stderr(format!(
            "{flow}: Io: sandbox is not a directory: {}\n",
            not_dir.display()
        ));
    assert!(!events.exists(), "a refused run created its events file");
}

#[test]
fn load_errors_and_bad_input_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, "name: x\nname: y\n").unwrap();
    yamlflow()
        .arg("run")
        .arg(&bad)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "bad.yaml:2:1: DuplicateKey: duplicate key 'name'",
        ));
    yamlflow()
        .args(["run", &fixture("linear_three_nodes"), "--input", "[1]"])
        .assert()
        .code(2)
        .stderr("<input>: Io: input must be a JSON object\n");
    let sandbox = tempfile::tempdir().unwrap();
    yamlflow()
        .args([
            "run",
            &fixture("linear_three_nodes"),
            "--input",
            r#"{"tenant": 5}"#,
        ])
        .arg("--sandbox")
        .arg(sandbox.path())
        .assert()
        .code(2)
        .stdout("")
        .stderr("<input>: Io: input 'tenant' must be a non-empty string\n");
    yamlflow()
        .args(["run", &fixture("linear_three_nodes"), "--input", "{nope"])
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with(
            "<input>: Io: input is not valid JSON: ",
        ));
    // contract §6: numbers JSON cannot hold in i64/f64 are refused, not rounded.
    for input in [r#"{"n": 18446744073709551616}"#, r#"{"n": NaN}"#] {
        yamlflow()
            .args(["run", &fixture("linear_three_nodes"), "--input", input])
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicate::str::starts_with(
                "<input>: Io: input is not valid JSON: ",
            ));
    }
}

#[test]
fn validate() {
    let path = fixture("linear_three_nodes");
    yamlflow()
        .args(["validate", &path])
        .assert()
        .code(0)
        .stdout(format!("{path}: ok (3 nodes, 4 edges)\n"));
    yamlflow()
        .args(["validate", "/nonexistent/flow.yaml"])
        .assert()
        .code(2);
}

#[test]
fn help_documents_commands_and_exit_codes() {
    yamlflow().arg("--help").assert().code(0).stdout(
        predicate::str::contains("run")
            .and(predicate::str::contains("validate"))
            .and(predicate::str::contains("Exit codes")),
    );
}

#[test]
fn a_closed_stdout_is_not_a_panic() {
    // contract §6: the reader of stdout goes away before the final state (or the events) are
    // written; the CLI exits with the run's code, without a panic message.
    let dir = tempfile::tempdir().unwrap();
    let flow = dir.path().join("slow.yaml");
    std::fs::write(
        &flow,
        "name: slow\nnodes:\n  - {name: nap, uses: sleep, with: {ms: 300}}\nedges:\n  - {from: __start__, to: nap}\n  - {from: nap, to: __end__}\n",
    )
    .unwrap();
    for extra in [&[][..], &["--events", "-"][..]] {
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin!("yamlflow"))
            .arg("run")
            .arg(&flow)
            .args(extra)
            .arg("--sandbox")
            .arg(dir.path())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert_eq!(output.status.code(), Some(0), "{extra:?}: {stderr}");
    }
}

#[test]
fn yaml_prints_a_line_per_file_and_reads_files_as_run_does() {
    // contract §6.8: one JSON line per file; a file that cannot be read is the `Io` error `run`
    // and `validate` give (the same words as the Python CLI).
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.yaml");
    let latin1 = dir.path().join("latin1.yaml");
    std::fs::write(&good, "a: [1, x]\n").unwrap();
    std::fs::write(&latin1, b"a: \xff\n").unwrap();
    let io = |message: &str| {
        format!(
            r#"{{"error":{{"kind":"Io","message":"{message}","line":null,"column":null,"key":null}}}}"#
        )
    };
    yamlflow()
        .arg("yaml")
        .args([&good, &latin1, &dir.path().join("missing.yaml")])
        .assert()
        .code(0)
        .stdout(format!(
            "{}\n{}\n{}\n",
            r#"{"value":{"a":[1,"x"]}}"#,
            io("cannot read flow: not UTF-8 text"),
            io("cannot read flow: No such file or directory"),
        ));
}
