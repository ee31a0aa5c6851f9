//! `twinflow coverage --fail-under 100` passes on the project and fails, naming what is lost, when
//! the one fixture that covers something is removed.

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
    let copy = tempfile::tempdir().unwrap();
    let repo = repo();
    std::fs::create_dir(copy.path().join("fixtures")).unwrap();
    for entry in walkdir::WalkDir::new(repo.join("fixtures")) {
        let entry = entry.unwrap();
        let target = copy.path().join(entry.path().strip_prefix(&repo).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else if entry.file_name() != "action_error_paths.yaml" {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
    std::os::unix::fs::symlink(repo.join("python"), copy.path().join("python")).unwrap();
    std::os::unix::fs::symlink(repo.join(".venv"), copy.path().join(".venv")).unwrap();
    let out = super::twinflow()
        .args(["coverage", "--fail-under", "100", "--root"])
        .arg(copy.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("memory.store error (rust)"), "{stdout}");
    assert!(stdout.contains("memory.store error (python)"), "{stdout}");
}
