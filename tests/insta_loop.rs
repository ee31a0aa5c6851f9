//! The review loop users of insta expect, tried on a copy of the project: after an intended change
//! to one fixture, a run of the suite leaves exactly that snapshot pending, and `cargo insta
//! pending-snapshots` (cargo-insta's own discovery) lists exactly it.

use std::fs;
use std::path::Path;
use std::process::Command;

/// Copies what a cargo workspace of this project needs (manifests, sources, data), not build
/// output, the venv (linked instead) or caches.
fn copy_project(from: &Path, to: &Path) -> std::io::Result<()> {
    let skip = |name: &str| {
        matches!(
            name,
            "target" | ".git" | ".venv" | "__pycache__" | ".pytest_cache" | ".ruff_cache"
        ) || name.ends_with(".egg-info")
    };
    for entry in walkdir::WalkDir::new(from)
        .into_iter()
        .filter_entry(|entry| !skip(&entry.file_name().to_string_lossy()))
    {
        let entry = entry.map_err(std::io::Error::other)?;
        let relative = entry
            .path()
            .strip_prefix(from)
            .map_err(std::io::Error::other)?;
        let target = to.join(relative);
        if entry.file_type().is_dir() {
            fs::create_dir_all(&target)?;
        } else if entry.file_type().is_file() {
            fs::copy(entry.path(), &target)?;
        }
    }
    std::os::unix::fs::symlink(from.join(".venv"), to.join(".venv"))
}

/// The test: `root` is the project, the suite binary is this process's own executable.
pub(crate) fn pending_snapshots_list_exactly_the_changed_fixture(
    root: &Path,
) -> Result<(), String> {
    let copy = tempfile::tempdir().map_err(|err| err.to_string())?;
    copy_project(root, copy.path()).map_err(|err| format!("copying the project: {err}"))?;
    let fixture = copy.path().join("fixtures/linear_three_nodes.yaml");
    let text = fs::read_to_string(&fixture).map_err(|err| err.to_string())?;
    let changed = text.replace("input: {count: 5}", "input: {count: 6}");
    if changed == text {
        return Err("linear_three_nodes.yaml no longer has `input: {count: 5}`".into());
    }
    fs::write(&fixture, changed).map_err(|err| err.to_string())?;

    let suite = std::env::current_exe().map_err(|err| err.to_string())?;
    let run = Command::new(suite)
        .args(["--test-threads", "1", "linear"])
        .env("TWINFLOW_ROOT", copy.path())
        .env("INSTA_WORKSPACE_ROOT", copy.path())
        .env("INSTA_UPDATE", "new")
        .env_remove("NEXTEST_RUN_ID")
        .env_remove("CI")
        .output()
        .map_err(|err| err.to_string())?;
    let pending: Vec<String> = fs::read_dir(copy.path().join("expected"))
        .map_err(|err| err.to_string())?
        .flatten()
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".snap.new"))
        .collect();
    if pending != ["linear_three_nodes.snap.new"] {
        return Err(format!(
            "pending after the run: {pending:?}\n{}",
            String::from_utf8_lossy(&run.stdout)
        ));
    }

    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let listed = Command::new(cargo)
        .args(["insta", "pending-snapshots", "--workspace-root"])
        .arg(copy.path())
        .output()
        .map_err(|err| format!("cargo insta: {err}"))?;
    let stdout = String::from_utf8_lossy(&listed.stdout);
    let lines: Vec<&str> = stdout
        .lines()
        .map(str::trim)
        .filter(|line| line.ends_with(".snap"))
        .collect();
    if lines == ["expected/linear_three_nodes.snap"] {
        Ok(())
    } else {
        Err(format!(
            "cargo insta pending-snapshots listed {lines:?} (install it with `cargo install \
             cargo-insta --locked`; scripts/setup does)\n{stdout}{}",
            String::from_utf8_lossy(&listed.stderr)
        ))
    }
}
