//! `twinflow conform`: fake misbehaving runtimes (`tests/data/fake_runtimes/`, each wrapping the
//! checkout's `python -m yamlflow` and corrupting one thing) are each caught with the right
//! finding; both reference CLIs pass.

use std::path::PathBuf;

use serde_json::Value;

use super::check::{assert_junit_10, repo};
use super::{Outcome, twinflow};

/// The Python reference CLI of this checkout (not the one the venv's editable install names).
fn python_cli() -> String {
    let root = repo();
    format!(
        "PYTHONPATH='{}' '{}' -m yamlflow",
        root.join("python").display(),
        root.join(".venv/bin/python").display()
    )
}

const RUN_ARGS: &str = "run {flow} --input @{input} --events {events} --sandbox {sandbox}";

/// `twinflow conform` with `runtime` (then `RUN_ARGS`) and `args`, as JSON.
fn conform_json(runtime: &str, args: &[&str]) -> (Outcome, Value) {
    let template = format!("{runtime} {RUN_ARGS}");
    let outcome = Outcome::of(
        twinflow()
            .args(["conform", "--format", "json", "--runtime", &template])
            .args(args),
    );
    let json = serde_json::from_str(&outcome.stdout).unwrap_or(Value::Null);
    (outcome, json)
}

/// The finding codes of `fixture` in a JSON report.
fn codes(report: &Value, fixture: &str) -> Vec<String> {
    let fixtures = report["fixtures"].as_array().expect("fixtures");
    let entry = fixtures
        .iter()
        .find(|f| f["name"] == fixture)
        .expect("fixture in report");
    entry["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_owned())
        .collect()
}

/// Runs the fake `name` on `fixture` and asserts conform fails it with `code`.
fn caught(name: &str, fixture: &str, code: &str) {
    let fake = repo().join(format!("harness/tests/data/fake_runtimes/{name}.py"));
    let runtime = format!(
        "{} '{}'",
        python_cli().replace(" -m yamlflow", ""),
        fake.display()
    );
    let (outcome, report) = conform_json(&runtime, &["--timeout", "3", fixture]);
    assert_eq!(outcome.code, 1, "{}", outcome.render());
    let found = codes(&report, fixture);
    assert!(
        found.iter().any(|c| c == code),
        "{name}: wanted {code}, got {found:?}"
    );
}

#[test]
fn a_runtime_that_writes_nothing_is_caught() {
    caught("writes_nothing", "linear_three_nodes", "conform.no_events");
}

#[test]
fn a_runtime_that_crashes_is_caught() {
    caught("crashes", "linear_three_nodes", "conform.crash");
}

#[test]
fn a_runtime_that_hangs_is_killed_with_its_children() {
    let started = std::time::Instant::now();
    caught("hangs", "linear_three_nodes", "conform.timeout");
    assert!(started.elapsed().as_secs() < 20, "{:?}", started.elapsed());
}

#[test]
fn a_log_with_invalid_json_is_caught() {
    caught("invalid_json", "linear_three_nodes", "parse.invalid_json");
}

#[test]
fn a_dropped_exit_is_caught() {
    caught("drops_exit", "linear_three_nodes", "structure.missing_exit");
}

#[test]
fn a_wrong_id_is_caught() {
    caught(
        "wrong_id",
        "linear_three_nodes",
        "structure.exit_before_entry",
    );
}

#[test]
fn reordered_siblings_are_caught() {
    caught(
        "reorders_siblings",
        "linear_three_nodes",
        "snapshot.differs",
    );
}

#[test]
fn a_wrong_final_state_is_caught() {
    caught("wrong_state", "linear_three_nodes", "conform.state");
}

#[test]
fn a_wrong_exit_status_is_caught() {
    caught("wrong_exit", "err_fail_default_type", "conform.exit_status");
}

#[test]
fn a_wrong_load_error_is_caught() {
    caught(
        "wrong_load_error",
        "load_duplicate_key",
        "conform.load_error",
    );
}

/// The Rust reference CLI, built by cargo next to this test binary.
fn rust_cli() -> PathBuf {
    let status = std::process::Command::new(env!("CARGO"))
        .args(["build", "--quiet", "-p", "yamlflow", "--bin", "yamlflow"])
        .current_dir(repo())
        .status()
        .expect("cargo runs");
    assert!(status.success());
    // target/<profile>/deps/cli-<hash> → target/<profile>/yamlflow
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().parent().unwrap().join("yamlflow")
}

#[test]
fn the_rust_cli_passes_every_fixture_with_an_empty_manifest() {
    let cli = rust_cli();
    let manifest = repo().join("harness/tests/data/conform/rust-cli.expect.yaml");
    let junit = tempfile::NamedTempFile::new().unwrap();
    let (outcome, report) = conform_json(
        &format!("'{}'", cli.display()),
        &[
            "--expect",
            manifest.to_str().unwrap(),
            "--junit",
            junit.path().to_str().unwrap(),
        ],
    );
    assert_eq!(outcome.code, 0, "{}", outcome.render());
    let total = report["scores"].as_array().unwrap().last().unwrap().clone();
    let fixtures = report["fixtures"].as_array().unwrap().len() as u64;
    assert_eq!(total["section"], "total");
    assert_eq!(total["total"].as_u64(), Some(fixtures));
    assert_eq!(total["passed"].as_u64(), Some(fixtures), "{total}");
    assert_eq!(total["expected"], 0);
    assert_junit_10(junit.path());
}

/// One fixture or more per contract section (the whole suite runs in scripts/test: about 25 s in
/// a debug build, mostly Python's start-up).
const PYTHON_SAMPLE: [&str; 12] = [
    "yaml_number_forms",
    "linear_three_nodes",
    "template_tilde_concat",
    "err_template_syntax",
    "load_duplicate_key",
    "load_yaml_syntax",
    "action_file_write_read",
    "err_fail_custom_type",
    "redact_default_keys",
    "obs_disabled",
    "fanout_fanin",
    "recover_action_error",
];

#[test]
fn the_python_cli_passes_a_fixture_of_every_section() {
    let (outcome, report) = conform_json(&python_cli(), &PYTHON_SAMPLE);
    assert_eq!(outcome.code, 0, "{}", outcome.render());
    let total = report["scores"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        total["passed"].as_u64(),
        Some(PYTHON_SAMPLE.len() as u64),
        "{total}"
    );
}

#[test]
fn the_text_report_is_a_table_and_scores_per_section() {
    let template = format!("{} {RUN_ARGS}", python_cli());
    let keep = tempfile::tempdir().unwrap();
    let out = Outcome::of(twinflow().args([
        "conform",
        "--color",
        "never",
        "--keep",
        keep.path().to_str().unwrap(),
        "--runtime",
        &template,
        "linear_three_nodes",
        "load_no_path",
    ]));
    assert_eq!(out.code, 0, "{}", out.render());
    let kept = keep.path().join("linear_three_nodes");
    for file in [
        "linear_three_nodes.yaml",
        "input.json",
        "events.jsonl",
        "command.sh",
        "stdout.txt",
    ] {
        assert!(kept.join(file).is_file(), "{file} kept");
    }
    assert!(
        std::fs::read_to_string(keep.path().join("load_no_path/stderr.txt"))
            .unwrap()
            .contains(": NoPath: ")
    );
    assert!(out.stdout.starts_with("fixture "), "{}", out.stdout);
    assert!(out.stdout.contains("load_no_path "), "{}", out.stdout);
    assert!(out.stdout.contains("§1.4 Load errors"), "{}", out.stdout);
    assert!(out.stdout.contains("total "), "{}", out.stdout);
}

#[test]
fn unusable_input_exits_2() {
    for args in [
        vec!["--runtime", "rt {flow} {out}"],
        vec!["--runtime", "rt {flow}"],
        vec!["--runtime", "rt {flow} {events}", "no_such_fixture_zz"],
        vec!["--runtime", "rt {flow} {events}", "--state-from", "file"],
    ] {
        let out = Outcome::of(twinflow().arg("conform").args(&args));
        assert_eq!(out.code, 2, "{args:?}: {}", out.render());
        assert!(out.stderr.starts_with("error: "), "{}", out.stderr);
    }
}

#[test]
fn an_unexpected_pass_says_to_remove_the_entry() {
    let manifest = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(manifest.path(), "linear_three_nodes: \"thought broken\"\n").unwrap();
    let (outcome, report) = conform_json(
        &python_cli(),
        &[
            "--expect",
            manifest.path().to_str().unwrap(),
            "linear_three_nodes",
        ],
    );
    assert_eq!(outcome.code, 1, "{}", outcome.render());
    assert_eq!(
        codes(&report, "linear_three_nodes"),
        ["conform.unexpected_pass"]
    );
    let finding = &report["fixtures"][0]["findings"][0];
    assert!(
        finding["help"]
            .as_str()
            .unwrap()
            .contains("remove this entry")
    );
}

#[test]
fn fixture_show_gives_each_part() {
    let show = |args: &[&str]| Outcome::of(twinflow().args(["fixture", "show"]).args(args));
    let out = show(&["linear_three_nodes", "--input"]);
    assert_eq!((out.code, out.stdout.as_str()), (0, "{\"count\":5}\n"));
    let out = show(&["load_no_path", "--flow"]);
    let text =
        std::fs::read_to_string(repo().join("fixtures/load_errors/load_no_path.yaml")).unwrap();
    assert_eq!((out.code, out.stdout), (0, text));
    let out = show(&["linear_three_nodes"]);
    assert!(
        out.stdout
            .contains("section: §1.2 Running a flow\nexpect: completed\n"),
        "{}",
        out.stdout
    );
    let dir = tempfile::tempdir().unwrap();
    let sandbox = dir.path().join("sb");
    let out = show(&["linear_three_nodes", "--sandbox", sandbox.to_str().unwrap()]);
    assert_eq!(out.code, 0, "{}", out.render());
    assert!(sandbox.is_dir() && std::fs::read_dir(&sandbox).unwrap().next().is_none());
    std::fs::write(sandbox.join("left"), "").unwrap();
    assert_eq!(
        show(&["linear_three_nodes", "--sandbox", sandbox.to_str().unwrap()]).code,
        2
    );
    let out = show(&["fanout"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("'fanout' selects ") && out.stderr.contains("name one"),
        "{}",
        out.stderr
    );
}

#[test]
fn github_format_annotates_the_fixture_and_summarizes_the_scores() {
    let fake = repo().join("harness/tests/data/fake_runtimes/wrong_state.py");
    let template = format!(
        "{} '{}' {RUN_ARGS}",
        python_cli().replace(" -m yamlflow", ""),
        fake.display()
    );
    let summary = tempfile::NamedTempFile::new().unwrap();
    let out = Outcome::of(
        twinflow()
            .env("GITHUB_STEP_SUMMARY", summary.path())
            .args(["conform", "--format", "github", "--runtime", &template])
            .arg("linear_three_nodes"),
    );
    assert_eq!(out.code, 1, "{}", out.render());
    assert!(
        out.stdout.starts_with(
            "::error file=fixtures/linear_three_nodes.yaml,title=twinflow conform.state::"
        ),
        "{}",
        out.stdout
    );
    let summary = std::fs::read_to_string(summary.path()).unwrap();
    assert!(summary.contains("| total | 0/1 | 0.0 % |"), "{summary}");
    assert!(
        summary.contains("| `linear_three_nodes` | ok | ok | ok | ok | ok | FAIL | - |"),
        "{summary}"
    );
}
