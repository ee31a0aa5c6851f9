//! `twinflow fuzz` finds a divergence planted in one engine and shrinks it to a small fixture.
//! The plant is made in a copy of the Python twin (one engine-generated message changed), so no
//! test hook lives in the engines; without the plant, the planted message is never found.

use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A project whose Python twin says "node finished" where the contract says "node completed".
fn planted_project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let repo = repo().canonicalize().unwrap();
    std::fs::create_dir(dir.path().join("fixtures")).unwrap();
    std::fs::write(dir.path().join("twinflow.toml"), "").unwrap();
    std::os::unix::fs::symlink(repo.join(".venv"), dir.path().join(".venv")).unwrap();
    for entry in walkdir::WalkDir::new(repo.join("python/yamlflow")) {
        let entry = entry.unwrap();
        let relative = entry.path().strip_prefix(&repo).unwrap();
        let target = dir.path().join(relative);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else if entry.path().extension().is_some_and(|ext| ext == "py") {
            let text = std::fs::read_to_string(entry.path()).unwrap();
            std::fs::write(
                &target,
                text.replace("\"node completed\"", "\"node finished\""),
            )
            .unwrap();
        }
    }
    dir
}

#[test]
fn a_planted_divergence_is_found_and_shrunk_to_a_few_lines() {
    let project = planted_project();
    let out_dir = project.path().join("found");
    let out = super::twinflow()
        .args([
            "fuzz",
            "--seed",
            "5",
            "--count",
            "12",
            "--shrink-steps",
            "60",
            "--color",
            "never",
        ])
        .arg("--root")
        .arg(project.path())
        .arg("--out")
        .arg(&out_dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("+                message: node finished")
            || stdout.contains("node finished"),
        "{stdout}"
    );
    // The class that shows the plant is written as a fixture of a few lines.
    let shrunk: Vec<String> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|entry| std::fs::read_to_string(entry.unwrap().path()).unwrap())
        .filter(|text| text.contains("parity.events:message"))
        .collect();
    assert!(!shrunk.is_empty(), "{stdout}");
    let lines = shrunk
        .iter()
        .map(|text| text.lines().count())
        .min()
        .unwrap();
    assert!(lines <= 16, "shrunk to {lines} lines:\n{}", shrunk[0]);
}

/// The smoke run of `cargo test`: a few hundred random flows with a fixed seed, through both real
/// engines, and no divergence (issue 13). Without the plant above, its message never shows.
#[test]
fn the_engines_agree_on_a_few_hundred_random_flows() {
    let outcome = super::Outcome::of(
        super::twinflow()
            .args(["fuzz", "--seed", "1", "--count", "300", "--color", "never"])
            .arg("--root")
            .arg(repo()),
    );
    assert_eq!(outcome.code, 0, "{}", outcome.render());
    assert!(
        outcome
            .stdout
            .contains("seed 1: 0 divergence classes, 0 divergent flows"),
        "{}",
        outcome.render()
    );
    assert!(
        !outcome.stdout.contains("node finished"),
        "{}",
        outcome.render()
    );
}
