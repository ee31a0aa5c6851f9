//! The Rust twin in a fresh process (`--isolate`, from the `twinflow` command line): the harness
//! starts its own executable as `twinflow rust-child`, hands it the fixture on standard input and
//! reads the outcome `fork.rs` would have piped (the same encoding), with the same memory cap and
//! time limit.
//!
//! Why not `fork` alone: the harness has many threads, and a forked child inherits every lock
//! another thread held at that instant, with no thread left to release it. Rust's standard
//! library takes a process-wide lock while a thread starts or ends (its stack-overflow
//! bookkeeping); the harness starts and ends threads all the time (a reader per run, the Python
//! side of each run), so now and then a child was forked while that lock was held, and the first
//! branch thread of a fan-out in the child waited for it for ever: an intermittent `run.timeout`
//! of the Rust engine under `twinflow fuzz --jobs 2`. The same holds for the engine's own statics
//! (its parked branch threads exist only in the process that parked them). A fresh executable
//! starts from a clean process; `fork.rs` remains for a library caller without one.

use std::io::{Read, Seek, Write};
use std::os::unix::process::ExitStatusExt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::fork::{decode, encode, limit_child};
use super::model::{Engine, Outcome, RunFailure, RunResult};
use super::process::{crashed, read_tail, timed_out};
use super::rust::execute_json;
use super::worker::panic_message;
use crate::fixture::Fixture;

/// The subcommand of the `twinflow` executable that runs one fixture (`serve_rust_child`).
pub const RUST_CHILD: &str = "rust-child";

/// The executable started for isolated Rust runs, once set.
static PROGRAM: OnceLock<PathBuf> = OnceLock::new();

/// Isolated Rust runs start `program rust-child` from now on (the `twinflow` command line sets
/// its own executable at start-up); without it they fork (`fork.rs`).
pub fn use_rust_child(program: PathBuf) {
    let _ = PROGRAM.set(program);
}

/// The executable set by [`use_rust_child`].
pub(super) fn program() -> Option<&'static Path> {
    PROGRAM.get().map(PathBuf::as_path)
}

/// Runs `fixture` through the Rust engine in `program rust-child`, at most `timeout`.
pub(super) fn run(program: &Path, fixture: &Fixture, timeout: Duration) -> RunResult {
    let started = Instant::now();
    let result = |outcome| RunResult {
        engine: Engine::Rust,
        outcome,
        elapsed: started.elapsed(),
    };
    let setup = |message: String| result(Outcome::Errored(RunFailure::Setup { message }));
    let Ok(mut stderr) = tempfile::tempfile() else {
        return setup("cannot create a file for the worker's standard error".into());
    };
    let spawned = stderr.try_clone().and_then(|sink| {
        Command::new(program)
            .arg(RUST_CHILD)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(sink)
            .spawn()
    });
    let mut child = match spawned {
        Ok(child) => child,
        Err(err) => return setup(format!("cannot start {}: {err}", program.display())),
    };
    let (Some(mut stdin), Some(mut stdout)) = (child.stdin.take(), child.stdout.take()) else {
        return setup("a Rust worker without pipes".into());
    };
    // The input as text: it may nest deeper than a JSON reader follows (`load_input_too_deep`).
    let request = json!({"text": fixture.text, "input": fixture.input_json()});
    // A child that died before reading is seen below, as a crash.
    let _ = writeln!(stdin, "{request}");
    drop(stdin);
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = stdout.read_to_end(&mut bytes);
        let _ = sender.send(bytes);
    });
    let mut tail = || {
        let _ = stderr.rewind();
        read_tail(&mut stderr)
    };
    let Ok(bytes) = receiver.recv_timeout(timeout) else {
        let _ = child.kill();
        let _ = child.wait();
        return RunResult {
            engine: Engine::Rust,
            outcome: Outcome::Errored(timed_out(timeout, tail())),
            elapsed: timeout,
        };
    };
    let status = child.wait().map_or(0, ExitStatusExt::into_raw);
    match decode(bytes) {
        Some(outcome) if libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0 => {
            result(outcome)
        }
        _ => result(Outcome::Errored(crashed(status, tail()))),
    }
}

/// `twinflow rust-child`: the memory cap, one request (`{"text", "input"}`, the input as JSON text)
/// from standard input,
/// its outcome to standard output; the exit code is 0 once the outcome is written.
#[must_use]
pub fn serve_rust_child() -> u8 {
    limit_child();
    let mut line = String::new();
    let request = std::io::stdin()
        .read_line(&mut line)
        .ok()
        .and_then(|_| serde_json::from_str::<Value>(&line).ok());
    let Some(request) = request else {
        eprintln!("error: {RUST_CHILD} reads one JSON request on standard input");
        return 2;
    };
    let text = request.get("text").and_then(Value::as_str).unwrap_or("");
    let input = request.get("input").and_then(Value::as_str).unwrap_or("{}");
    let outcome =
        catch_unwind(AssertUnwindSafe(|| execute_json(text, input))).unwrap_or_else(|payload| {
            Outcome::Errored(RunFailure::Panic {
                message: panic_message(payload.as_ref()),
            })
        });
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match encode(&outcome, &mut out).and_then(|()| out.flush()) {
        Ok(()) => 0,
        Err(_) => 3,
    }
}
