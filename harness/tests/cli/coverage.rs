//! `twinflow coverage --fail-under 100` passes on the project and fails, naming what is lost, when
//! the one fixture that covers something is removed, or its claim of a contract section is; a
//! claim its runs do not back fails too.

use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .unwrap()
}

#[test]
fn the_fixtures_cover_everything_and_losing_the_only_cover_fails_the_gate() {
    let out = super::twinflow()
        .args(["coverage", "--fail-under", "100"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("action"), "{stdout}");

    // A copy of the project without action_error_paths, the only fixture where memory.store fails.
    let copy = project_copy(|name, text| (name != "action_error_paths.yaml").then_some(text));
    let out = coverage(copy.path());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("memory.store error (rust)"), "{stdout}");
    assert!(stdout.contains("memory.store error (python)"), "{stdout}");
}

#[test]
fn a_section_loses_its_cover_with_its_only_claim_and_claims_are_checked() {
    // err_fanout_merge_conflict is the one fixture that claims §6.4 (merge conflicts); the claim
    // of §3.4 (redaction) added to linear_three_nodes is not backed by its runs; §9.9 is no section.
    let copy = project_copy(|name, text| {
        Some(match name {
            "err_fanout_merge_conflict.yaml" => text.replace("\"§6.4\"", "\"§2.3\""),
            "linear_three_nodes.yaml" => text.replace("covers: [", "covers: [\"§3.4\", \"§9.9\", "),
            _ => text,
        })
    });
    let out = coverage(copy.path());
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(stdout.contains("§6.4 (rust), §6.4 (python)"), "{stdout}");
    for engine in ["rust", "python"] {
        let unbacked = format!(
            "linear_three_nodes: claims §3.4 (parity.covers), but its {engine} run shows no sign of it"
        );
        assert!(stderr.contains(&unbacked), "{stderr}");
    }
    assert!(
        stderr.contains("linear_three_nodes: claims §9.9 (parity.covers), which is no section"),
        "{stderr}"
    );
}

/// A copy of the project's fixtures and contract, each fixture file passed through `edit` (by file
/// name; `None` leaves it out), with `python/` and `.venv/` linked.
fn project_copy(edit: impl Fn(&str, String) -> Option<String>) -> tempfile::TempDir {
    let copy = tempfile::tempdir().unwrap();
    let repo = repo();
    std::fs::create_dir_all(copy.path().join("docs")).unwrap();
    std::fs::copy(
        repo.join("docs/contract.md"),
        copy.path().join("docs/contract.md"),
    )
    .unwrap();
    for entry in walkdir::WalkDir::new(repo.join("fixtures")) {
        let entry = entry.unwrap();
        let target = copy.path().join(entry.path().strip_prefix(&repo).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            continue;
        }
        let text = std::fs::read_to_string(entry.path()).unwrap();
        if let Some(text) = edit(&entry.file_name().to_string_lossy(), text) {
            std::fs::write(&target, text).unwrap();
        }
    }
    std::os::unix::fs::symlink(repo.join("python"), copy.path().join("python")).unwrap();
    std::os::unix::fs::symlink(repo.join(".venv"), copy.path().join(".venv")).unwrap();
    copy
}

fn coverage(root: &Path) -> std::process::Output {
    super::twinflow()
        .args(["coverage", "--fail-under", "100", "--root"])
        .arg(root)
        .output()
        .unwrap()
}
