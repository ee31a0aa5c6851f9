//! `twinflow check` end to end (issue 4 §1, §3, §6): filters, reports, a hung fixture, and proof
//! that a changed message in one engine fails exactly the fixtures that show it.

use std::path::{Path, PathBuf};

use super::{Outcome, twinflow};

pub(super) fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A checkout in a temporary folder: the given fixtures, and `python/` and `.venv/` linked to (or
/// copied from) this one.
pub(super) struct Checkout {
    dir: tempfile::TempDir,
}

impl Checkout {
    pub(super) fn new(copy_python: bool) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let repo = repo().canonicalize().unwrap();
        std::fs::create_dir(dir.path().join("fixtures")).unwrap();
        std::os::unix::fs::symlink(repo.join(".venv"), dir.path().join(".venv")).unwrap();
        if copy_python {
            copy_tree(
                &repo.join("python/yamlflow"),
                &dir.path().join("python/yamlflow"),
            );
        } else {
            std::os::unix::fs::symlink(repo.join("python"), dir.path().join("python")).unwrap();
        }
        Self { dir }
    }

    pub(super) fn root(&self) -> &Path {
        self.dir.path()
    }

    /// Replaces `from` by `to` in the copied Python twin (`Checkout::new(true)`): a divergence
    /// planted in one engine. Returns how many files changed.
    pub(super) fn plant(&self, from: &str, to: &str) -> usize {
        let mut changed = 0;
        for file in walk_py(&self.root().join("python")) {
            let text = std::fs::read_to_string(&file).unwrap();
            if text.contains(from) {
                std::fs::write(&file, text.replace(from, to)).unwrap();
                changed += 1;
            }
        }
        changed
    }

    pub(super) fn add_fixture(&self, name: &str, text: &str) {
        std::fs::write(
            self.root().join("fixtures").join(format!("{name}.yaml")),
            text,
        )
        .unwrap();
    }
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            if entry.file_name() != "__pycache__" {
                copy_tree(&entry.path(), &target);
            }
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

pub(super) fn check(args: &[&str]) -> Outcome {
    Outcome::of(
        twinflow()
            .arg("check")
            .args(["--color", "never"])
            .args(args),
    )
}

#[test]
fn help_explains_the_command() {
    let out = check(&["--help"]);
    assert_eq!(out.code, 0);
    for flag in [
        "--junit",
        "--json",
        "--timeout",
        "--root",
        "--jobs",
        "FILTER",
    ] {
        assert!(out.stdout.contains(flag), "{flag}: {}", out.stdout);
    }
}

#[test]
fn a_filter_matching_nothing_is_unusable_input() {
    let out = check(&["no_such_fixture_anywhere"]);
    assert_eq!(out.code, 2, "{}", out.render());
    assert!(
        out.stderr
            .contains("no fixture matches 'no_such_fixture_anywhere'"),
        "{}",
        out.stderr
    );
    // A typo gets suggestions.
    let out = check(&["linear_thre_nodes"]);
    assert_eq!(out.code, 2, "{}", out.render());
    assert!(
        out.stderr.contains("did you mean linear_three_nodes"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_root_without_fixtures_is_unusable_input() {
    let dir = tempfile::tempdir().unwrap();
    let out = check(&["--root", dir.path().to_str().unwrap()]);
    assert_eq!(out.code, 2, "{}", out.render());
}

#[test]
fn filtered_fixtures_pass_with_table_and_reports() {
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("report.xml");
    let json = dir.path().join("report.json");
    let out = check(&[
        "linear_three",
        "branch_first",
        "branch_default",
        "--junit",
        junit.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
    ]);
    assert_eq!(out.code, 0, "{}", out.render());
    assert!(out.stdout.contains("linear_three_nodes"), "{}", out.stdout);
    assert!(out.stdout.contains("branch_first_match"), "{}", out.stdout);
    assert!(!out.stdout.contains("fanout_fanin"), "{}", out.stdout);
    assert!(
        out.stdout.contains("3 fixtures: 3 passed"),
        "{}",
        out.stdout
    );

    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.starts_with("<?xml version=\"1.0\""), "{xml}");
    assert_eq!(xml.matches("<testcase ").count(), 3, "{xml}");
    assert!(
        xml.contains("tests=\"3\" failures=\"0\" errors=\"0\""),
        "{xml}"
    );
    assert!(xml.contains("name=\"linear_three_nodes\""), "{xml}");

    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_report_schema(&doc);
    assert_eq!(doc["totals"]["passed"], 3);
    let names: Vec<&str> = doc["fixtures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "branch_default_edge",
            "branch_first_match",
            "linear_three_nodes"
        ]
    );
    assert_eq!(doc["fixtures"][2]["checks"]["parity"], "ok");
    assert_eq!(
        doc["fixtures"][2]["engines"]["python"]["ended"],
        "completed"
    );
}

#[test]
fn a_hung_fixture_times_out_and_the_rest_still_runs() {
    let checkout = Checkout::new(false);
    checkout.add_fixture(
        "sleepy",
        "name: sleepy\nnodes:\n  - {name: nap, uses: sleep, with: {ms: 20000}}\nedges:\n  - {from: __start__, to: nap}\n  - {from: nap, to: __end__}\nparity: {expect: completed}\n",
    );
    checkout.add_fixture(
        "quick",
        "name: quick\nnodes:\n  - {name: one, uses: state.set, with: {a: 1}}\nedges:\n  - {from: __start__, to: one}\n  - {from: one, to: __end__}\nparity: {expect: completed}\n",
    );
    let out = check(&[
        "--root",
        checkout.root().to_str().unwrap(),
        "--timeout",
        "0.5",
        "--no-snapshots",
        "--jobs",
        "1",
    ]);
    assert_eq!(out.code, 1, "{}", out.render());
    assert!(
        out.stdout
            .contains("error[run.timeout]: sleepy [rust]: no result after 0.5 s (timeout)"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("error[run.timeout]: sleepy [python]: no result after 0.5 s (timeout)"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("1 passed"), "{}", out.stdout);
    assert!(out.stdout.contains("1 errored"), "{}", out.stdout);
    // `sleep` waits inside C in the Python engine, where `TimeoutError` cannot reach it, and an
    // in-process Rust run can only be abandoned: with worker processes (the default) both are
    // killed at the limit, and no process of the checkout outlives `check`.
    assert!(
        out.stdout
            .contains("(timeout); its worker process was killed"),
        "{}",
        out.stdout
    );
    let python = checkout.root().join("python");
    let left = std::process::Command::new("pgrep")
        .args(["-f", python.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        left.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&left.stdout)
    );
}

#[test]
fn a_snapshot_without_fixture_fails_the_run() {
    let checkout = Checkout::new(false);
    checkout.add_fixture(
        "quick",
        "name: quick\nnodes:\n  - {name: one, uses: state.set, with: {a: 1}}\nedges:\n  - {from: __start__, to: one}\n  - {from: one, to: __end__}\nparity: {expect: completed}\n",
    );
    let expected = checkout.root().join("expected");
    std::fs::create_dir(&expected).unwrap();
    std::fs::write(expected.join("gone.snap"), "---\n---\nflow#1: {}\n").unwrap();
    let out = check(&["--root", checkout.root().to_str().unwrap()]);
    assert_eq!(out.code, 1, "{}", out.render());
    assert!(
        out.stderr.contains("snapshots without a fixture"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("gone.snap"), "{}", out.stderr);
}

#[test]
fn a_changed_message_fails_exactly_the_fixtures_that_show_it() {
    // The Python twin, copied, with one engine-generated message changed; every fixture whose
    // expected snapshot holds that message must fail parity with a readable diff, and no other.
    let checkout = Checkout::new(true);
    let mut affected = Vec::new();
    for entry in std::fs::read_dir(repo().join("fixtures")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|ext| ext != "yaml") {
            continue;
        }
        let name = path.file_stem().unwrap().to_str().unwrap().to_owned();
        std::fs::copy(
            &path,
            checkout
                .root()
                .join("fixtures")
                .join(path.file_name().unwrap()),
        )
        .unwrap();
        let snapshot =
            std::fs::read_to_string(repo().join("expected").join(format!("{name}.snap")))
                .unwrap_or_default();
        if snapshot.contains("message: step completed") {
            affected.push(name);
        }
    }
    affected.sort();
    assert!(!affected.is_empty(), "some fixture shows a step exit");
    let changed = checkout.plant("\"step completed\"", "\"step finished\"");
    assert_eq!(changed, 1, "the message is written once in the Python twin");
    let json = checkout.root().join("report.json");
    let out = check(&[
        "--root",
        checkout.root().to_str().unwrap(),
        "--no-snapshots",
        "--json",
        json.to_str().unwrap(),
    ]);
    assert_eq!(out.code, 1, "{}", out.render());
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let mut failing: Vec<String> = doc["fixtures"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["verdict"] == "FAIL")
        .map(|f| f["name"].as_str().unwrap().to_owned())
        .collect();
    failing.sort();
    assert_eq!(failing, affected);
    let diff_line = |sign: char, text: &str| {
        out.stdout
            .lines()
            .any(|line| line.trim_start().starts_with(sign) && line.contains(text))
    };
    assert!(diff_line('-', "message: step completed"), "{}", out.stdout);
    assert!(diff_line('+', "message: step finished"), "{}", out.stdout);
}

fn walk_py(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(dir) {
        let entry = entry.unwrap();
        if entry.path().extension().is_some_and(|e| e == "py") {
            files.push(entry.into_path());
        }
    }
    files
}

/// The JSON report validates against `schema/check-report.schema.json`.
fn assert_report_schema(doc: &serde_json::Value) {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../schema/check-report.schema.json"
    );
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn a_failing_run_reports_findings_that_fit_the_report_schema() {
    let checkout = Checkout::new(false);
    checkout.add_fixture(
        "broken",
        "name: broken\nnodes:\n  - {name: one, uses: state.set, with: {a: 1}}\nedges:\n  - {from: __start__, to: one}\n  - {from: one, to: __end__}\nparity: {expect: failed}\n",
    );
    let out = check(&[
        "--root",
        checkout.root().to_str().unwrap(),
        "--no-snapshots",
        "--json",
        "-",
    ]);
    assert_eq!(out.code, 1, "{}", out.render());
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_report_schema(&doc);
    let finding = &doc["fixtures"][0]["findings"][0];
    assert_eq!(finding["code"], "outcome.mismatch", "{doc:#}");
    assert_eq!(finding["fixture"], "broken");
    assert!(out.stderr.contains("failed fixtures (1)"), "{}", out.stderr);
}

#[test]
fn github_format_annotates_fixture_files_and_fills_the_step_summary() {
    let checkout = Checkout::new(false);
    checkout.add_fixture(
        "broken",
        "name: broken\nnodes:\n  - {name: one, uses: state.set, with: {a: 1}}\nedges:\n  - {from: __start__, to: one}\n  - {from: one, to: __end__}\nparity: {expect: failed}\n",
    );
    let summary = checkout.root().join("summary.md");
    let out = assert_cmd::Command::cargo_bin("twinflow")
        .unwrap()
        .args(["check", "--format", "github", "--no-snapshots", "--root"])
        .arg(checkout.root())
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("::error file=fixtures/broken.yaml,title=twinflow outcome.mismatch::"),
        "{stdout}"
    );
    let summary = std::fs::read_to_string(summary).unwrap();
    assert!(summary.contains("| `broken` |"), "{summary}");
    assert!(summary.contains("rust: outcome.mismatch"), "{summary}");
}

#[test]
fn a_missing_venv_is_one_error_naming_the_set_up_script() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("fixtures")).unwrap();
    std::fs::write(
        dir.path().join("fixtures/one.yaml"),
        "name: one\nnodes:\n  - {name: a, uses: state.set, with: {x: 1}}\nedges:\n  - {from: __start__, to: a}\n  - {from: a, to: __end__}\n",
    )
    .unwrap();
    let out = check(&["--root", dir.path().to_str().unwrap()]);
    assert_eq!(out.code, 2, "{}", out.render());
    assert!(out.stderr.contains("scripts/setup"), "{}", out.stderr);
    assert_eq!(out.stderr.matches("error:").count(), 1, "{}", out.stderr);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
}

#[test]
fn an_installed_binary_checks_the_project_it_is_run_in() {
    // The binary, copied away from its build checkout, run from a folder inside another project.
    let bin = tempfile::tempdir().unwrap();
    let installed = bin.path().join("twinflow");
    std::fs::copy(assert_cmd::cargo::cargo_bin("twinflow"), &installed).unwrap();
    let checkout = Checkout::new(false);
    std::fs::write(checkout.root().join("twinflow.toml"), "").unwrap();
    checkout.add_fixture(
        "only_in_this_project",
        "name: only\nnodes:\n  - {name: a, uses: state.set, with: {x: 1}}\nedges:\n  - {from: __start__, to: a}\n  - {from: a, to: __end__}\nparity: {expect: completed}\n",
    );
    let out = std::process::Command::new(&installed)
        .args(["check", "--no-snapshots", "--color", "never"])
        .current_dir(checkout.root().join("fixtures"))
        .env_remove("TWINFLOW_ROOT")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("only_in_this_project"), "{stdout}");
    assert!(stdout.contains("1 fixtures: 1 passed"), "{stdout}");
    // Outside any project, it says so instead of checking the checkout it was built from.
    let out = std::process::Command::new(&installed)
        .arg("check")
        .current_dir(bin.path())
        .env_remove("TWINFLOW_ROOT")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not inside a twinflow project"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_project_whose_engine_differs_from_the_built_one_gets_a_warning() {
    let checkout = Checkout::new(false);
    checkout.add_fixture(
        "one",
        "name: one\nnodes:\n  - {name: a, uses: state.set, with: {x: 1}}\nedges:\n  - {from: __start__, to: a}\n  - {from: a, to: __end__}\n",
    );
    let engine = checkout.root().join("engine/src");
    std::fs::create_dir_all(&engine).unwrap();
    std::fs::write(
        checkout.root().join("engine/Cargo.toml"),
        "[package]\nname = \"yamlflow\"\n",
    )
    .unwrap();
    std::fs::write(engine.join("lib.rs"), "// another engine\n").unwrap();
    let out = check(&[
        "--root",
        checkout.root().to_str().unwrap(),
        "--no-snapshots",
    ]);
    assert!(
        out.stderr
            .contains("warning: the Rust engine built into this twinflow differs"),
        "{}",
        out.render()
    );
    // This checkout's own engine is the one built in: no warning.
    let out = check(&["-q", "linear_three_nodes"]);
    assert!(!out.stderr.contains("warning:"), "{}", out.render());
}

/// `xml` validates against Jenkins xunit's `junit-10.xsd` (vendored), checked with the set-up
/// venv's lxml.
pub(super) fn assert_junit_10(xml: &Path) {
    let xsd = repo().join("harness/tests/data/junit-10.xsd");
    let script = "import sys\nfrom lxml import etree\n\
                  schema = etree.XMLSchema(etree.parse(sys.argv[1]))\n\
                  ok = schema.validate(etree.parse(sys.argv[2]))\n\
                  print(schema.error_log)\nsys.exit(0 if ok else 1)\n";
    let out = std::process::Command::new(repo().join(".venv/bin/python"))
        .args(["-c", script])
        .arg(&xsd)
        .arg(xml)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A checkout with two one-node fixtures: `passes`, and `fails_its_expectation`, which sets `x`
/// to `value` (YAML) and completes where `failed` is expected.
fn passing_and_failing(value: &str) -> Checkout {
    let checkout = Checkout::new(false);
    let flow = |name: &str, value: &str, expect: &str| {
        format!(
            "name: {name}\nnodes:\n  - {{name: a, uses: state.set, with: {{x: {value}}}}}\nedges:\n  \
             - {{from: __start__, to: a}}\n  - {{from: a, to: __end__}}\nparity: {{expect: {expect}}}\n"
        )
    };
    checkout.add_fixture("passes", &flow("passes", "1", "completed"));
    checkout.add_fixture("fails_its_expectation", &flow("fails", value, "failed"));
    checkout
}

#[test]
fn junit_reports_validate_against_junit_10_xsd_with_relative_files() {
    let checkout = passing_and_failing(r#""<&>\u001b""#);
    let junit = checkout.root().join("junit.xml");
    let out = check(&[
        "--root",
        checkout.root().to_str().unwrap(),
        "--no-snapshots",
        "--junit",
        junit.to_str().unwrap(),
    ]);
    assert_eq!(out.code, 1, "{}", out.render());
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains("file=\"fixtures/passes.yaml\""), "{xml}");
    assert!(xml.contains("<failure message="), "{xml}");
    assert_junit_10(&junit);
    // A declared divergence is a skipped test: here a Python twin that says "node finished".
    let planted = Checkout::new(true);
    assert_eq!(planted.plant("\"node completed\"", "\"node finished\""), 1);
    planted.add_fixture(
        "declared",
        "name: declared\nnodes:\n  - {name: a, uses: state.set, with: {x: 1}}\nedges:\n  - {from: __start__, to: a}\n  - {from: a, to: __end__}\nparity: {expect: completed, xfail: {python: planted message}}\n",
    );
    let junit = planted.root().join("own.xml");
    let out = check(&[
        "--root",
        planted.root().to_str().unwrap(),
        "--no-snapshots",
        "-q",
        "--junit",
        junit.to_str().unwrap(),
    ]);
    assert_eq!(out.code, 0, "{}", out.render());
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains("<skipped message=\"expected failure: "),
        "{xml}"
    );
    assert_junit_10(&junit);
}

#[test]
fn export_dir_holds_each_failing_fixtures_logs_and_timeline() {
    let checkout = passing_and_failing("1");
    let dir = checkout.root().join("out");
    let out = check(&[
        "--root",
        checkout.root().to_str().unwrap(),
        "--no-snapshots",
        "--export-dir",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(out.code, 1, "{}", out.render());
    let listing = |path: &Path| -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(path)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    assert_eq!(listing(&dir), ["fails_its_expectation"]);
    let folder = dir.join("fails_its_expectation");
    assert_eq!(
        listing(&folder),
        [
            "python.jsonl",
            "python.normalized.yaml",
            "rust.jsonl",
            "rust.normalized.yaml",
            "timeline.json"
        ]
    );
    for engine in ["rust", "python"] {
        let log = std::fs::read_to_string(folder.join(format!("{engine}.jsonl"))).unwrap();
        assert_eq!(log.lines().count(), 4, "{engine}: {log}");
        let normalized =
            std::fs::read_to_string(folder.join(format!("{engine}.normalized.yaml"))).unwrap();
        assert!(normalized.contains("flow completed"), "{normalized}");
    }
    let timeline = std::fs::read_to_string(folder.join("timeline.json")).unwrap();
    let trace: serde_json::Value = serde_json::from_str(&timeline).unwrap();
    let events = trace["traceEvents"].as_array().unwrap();
    let processes: Vec<&serde_json::Value> = events
        .iter()
        .filter(|event| event["name"] == "process_name")
        .map(|event| &event["args"]["name"])
        .collect();
    assert_eq!(processes, ["rust", "python"]);
    let spans = events.iter().filter(|event| event["ph"] == "X").count();
    assert_eq!(spans, 4, "{timeline}");
}
