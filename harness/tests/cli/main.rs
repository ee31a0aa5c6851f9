//! Command-line tests of `twinflow check` (issue 4), `validate` and `compare` (issue 5), `conform` and
//! `fixture show` (issue 12), run against the built binary with `assert_cmd`, on the small logs and
//! fake runtimes in `harness/tests/data/`.

mod check;
mod compare;
mod conform;
mod coverage;
mod export;
mod fuzz;
mod validate;
mod validate_hostile;
mod xfail;

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// `twinflow` run from the crate directory, so that paths in its output read `tests/data/...`.
fn twinflow() -> Command {
    let mut command = assert_cmd::cargo::cargo_bin_cmd!("twinflow");
    command.current_dir(env!("CARGO_MANIFEST_DIR"));
    command
}

/// A file under `harness/tests/data/`, as the path given to the command.
fn data(name: &str) -> String {
    format!("tests/data/{name}")
}

/// The same file as an absolute path, for reading it from the test.
fn data_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

/// What a command printed and returned, with timings replaced so it can be snapshotted.
struct Outcome {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Outcome {
    fn of(command: &mut Command) -> Self {
        let output = command.output().expect("twinflow runs");
        Self {
            code: output.status.code().expect("twinflow exits normally"),
            stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
            stderr: sanitize(&String::from_utf8(output.stderr).expect("stderr is UTF-8")),
        }
    }

    /// The whole outcome as one text, for snapshots.
    fn render(&self) -> String {
        format!(
            "exit: {}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// Replaces the elapsed time and rate of the validate summary (`in 0.01s (2400 events/s)`), the
/// only parts of the output that change from run to run.
fn sanitize(text: &str) -> String {
    text.lines()
        .map(
            |line| match (line.find(" blank lines in "), line.rfind(" events/s)")) {
                (Some(start), Some(_)) => {
                    format!(
                        "{} blank lines in [ELAPSED] ([RATE] events/s)",
                        &line[..start]
                    )
                }
                _ => line.to_owned(),
            },
        )
        .map(|line| line + "\n")
        .collect()
}
