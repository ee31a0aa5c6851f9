//! The Rust twin in a forked child process (`--isolate`): the child runs the fixture exactly as
//! the in-process run does (`rust::execute`) and writes its outcome to a pipe; an abort, a
//! segfault or an out-of-memory kill of the child is a `run.crashed` finding, and a child still
//! running at the time limit is killed (no abandoned thread keeps a core busy).
//!
//! Only this thread exists in the child; it runs Rust engine code and never the embedded Python.
//! Locks other threads of the harness held at the fork stay held in the child, so the command line
//! starts a fresh executable instead (`spawn.rs`); forking remains for a library caller.

use std::fs::File;
use std::io::{Read, Seek, Write};
use std::os::fd::{AsRawFd, FromRawFd};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::model::{Engine, LoadError, Outcome, Ran, RunFailure, RunResult, RunStatus};
use super::output::parse_jsonl;
use super::process::{MEMORY_LIMIT, crashed, kill_and_reap, read_tail, timed_out};
use super::rust::execute;
use super::worker::panic_message;
use crate::fixture::Fixture;

/// Runs `fixture` through the Rust engine in a forked child process.
pub(super) fn run(fixture: &Fixture, timeout: Duration) -> RunResult {
    let text = fixture.text.clone();
    let input = fixture.parity.input.clone();
    in_child(Engine::Rust, timeout, move || execute(&text, input))
}

/// Runs `work` in a forked child with the memory cap and waits at most `timeout` for its outcome.
pub(crate) fn in_child(
    engine: Engine,
    timeout: Duration,
    work: impl FnOnce() -> Outcome,
) -> RunResult {
    let started = Instant::now();
    let result = |outcome| RunResult {
        engine,
        outcome,
        elapsed: started.elapsed(),
    };
    let setup = |message: String| result(Outcome::Errored(RunFailure::Setup { message }));
    let Ok(mut stderr) = tempfile::tempfile() else {
        return setup("cannot create a file for the worker's standard error".into());
    };
    let mut fds = [0; 2];
    // SAFETY: pipe2 fills the two descriptors it is given.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return setup(format!(
            "cannot create a pipe: {}",
            std::io::Error::last_os_error()
        ));
    }
    let [read_fd, write_fd] = fds;
    // SAFETY: the child only runs `child`, which ends with `_exit`.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        child(read_fd, write_fd, stderr.as_raw_fd(), work);
    }
    // SAFETY: the parent's copy of the write end is closed so that the pipe ends with the child.
    unsafe { libc::close(write_fd) };
    // SAFETY: read_fd is an open descriptor owned from here on.
    let mut reader = unsafe { File::from_raw_fd(read_fd) };
    if pid < 0 {
        return setup(format!("cannot fork: {}", std::io::Error::last_os_error()));
    }
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = reader.read_to_end(&mut bytes);
        let _ = sender.send(bytes);
    });
    let tail = |stderr: &mut File| {
        let _ = stderr.rewind();
        read_tail(stderr)
    };
    let Ok(bytes) = receiver.recv_timeout(timeout) else {
        kill_and_reap(pid);
        return RunResult {
            engine,
            outcome: Outcome::Errored(timed_out(timeout, tail(&mut stderr))),
            elapsed: timeout,
        };
    };
    let mut status = 0;
    // SAFETY: reaps the child, which has closed its end of the pipe.
    unsafe { libc::waitpid(pid, &raw mut status, 0) };
    match decode(bytes) {
        Some(outcome) if libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0 => {
            result(outcome)
        }
        _ => result(Outcome::Errored(crashed(status, tail(&mut stderr)))),
    }
}

/// The child: standard error to `stderr_fd`, the memory cap, the work, its outcome to the pipe.
fn child(read_fd: i32, write_fd: i32, stderr_fd: i32, work: impl FnOnce() -> Outcome) -> ! {
    // SAFETY: plain syscalls on this process's own descriptors and limits.
    unsafe {
        libc::close(read_fd);
        libc::dup2(stderr_fd, 2);
    }
    limit_child();
    let outcome = catch_unwind(AssertUnwindSafe(work)).unwrap_or_else(|payload| {
        Outcome::Errored(RunFailure::Panic {
            message: panic_message(payload.as_ref()),
        })
    });
    // SAFETY: write_fd is this process's write end of the pipe.
    let mut out = std::io::BufWriter::new(unsafe { File::from_raw_fd(write_fd) });
    let code = match encode(&outcome, &mut out).and_then(|()| out.flush()) {
        Ok(()) => 0,
        Err(_) => 3,
    };
    // SAFETY: ends the child without running the parent's exit handlers or destructors.
    unsafe { libc::_exit(code) }
}

/// The memory cap, and no core file (dumping gigabytes would outlast the time limit).
pub(super) fn limit_child() {
    let memory = libc::rlimit {
        rlim_cur: MEMORY_LIMIT,
        rlim_max: MEMORY_LIMIT,
    };
    let no_core = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: setrlimit reads the limits it is given.
    unsafe {
        libc::setrlimit(libc::RLIMIT_AS, &raw const memory);
        libc::setrlimit(libc::RLIMIT_CORE, &raw const no_core);
    }
}

/// An outcome as it crosses the pipe: one line of JSON, then, for a run, its events as the JSON
/// Lines the engine wrote (never built into values).
pub(super) fn encode(outcome: &Outcome, out: &mut impl Write) -> std::io::Result<()> {
    let value = match outcome {
        Outcome::Events(ran) => json!({"ran": {
            "status": ran.status.name(), "state": ran.state,
            "console": ran.console, "flow_id": ran.flow_id, "error": ran.error,
        }}),
        Outcome::Load(error) => json!({"load": {
            "kind": error.kind.name(), "message": error.message, "file": error.file,
            "line": error.line, "column": error.column, "key": error.key,
        }}),
        Outcome::Errored(RunFailure::Panic { message }) => json!({"panic": message}),
        Outcome::Errored(failure) => json!({"setup": failure.to_string()}),
    };
    serde_json::to_writer(&mut *out, &value)?;
    out.write_all(b"\n")?;
    match outcome {
        Outcome::Events(ran) => ran.events.write_jsonl(out),
        _ => Ok(()),
    }
}

/// The outcome `encode` wrote, or `None` for anything else (a child that died mid-write).
pub(super) fn decode(mut bytes: Vec<u8>) -> Option<Outcome> {
    let at = bytes.iter().position(|&byte| byte == b'\n')?;
    let value: Value = serde_json::from_slice(&bytes[..at]).ok()?;
    if let Some(ran) = value.get("ran") {
        let status = match ran.get("status")?.as_str()? {
            "completed" => RunStatus::Completed,
            _ => RunStatus::Failed,
        };
        // The events follow the first line; moved to the front, the buffer becomes their text.
        bytes.drain(..=at);
        let events = match String::from_utf8(bytes).map(parse_jsonl) {
            Ok(Ok(events)) => events,
            Ok(Err(failure)) => return Some(Outcome::Errored(failure)),
            Err(_) => return None,
        };
        return Some(Outcome::Events(Ran {
            events,
            status,
            state: ran.get("state")?.clone(),
            console: ran.get("console")?.as_str()?.to_owned(),
            flow_id: ran.get("flow_id")?.as_str().map(str::to_owned),
            error: ran.get("error").filter(|e| !e.is_null()).cloned(),
        }));
    }
    if let Some(load) = value.get("load") {
        return load_error(load).map(Outcome::Load);
    }
    if let Some(message) = value.get("panic").and_then(Value::as_str) {
        return Some(Outcome::Errored(RunFailure::Panic {
            message: message.to_owned(),
        }));
    }
    let message = value.get("setup")?.as_str()?.to_owned();
    Some(Outcome::Errored(RunFailure::Setup { message }))
}

/// A load error from its JSON fields (`kind, message, file, line, column, key`).
pub(crate) fn load_error(value: &Value) -> Option<LoadError> {
    let text = |key: &str| value.get(key).and_then(Value::as_str).map(str::to_owned);
    let number = |key: &str| {
        value
            .get(key)
            .and_then(Value::as_u64)
            .and_then(|n| usize::try_from(n).ok())
    };
    Some(LoadError {
        kind: yamlflow::LoadErrorKind::parse(value.get("kind")?.as_str()?)?,
        message: text("message")?,
        file: text("file")?,
        line: number("line"),
        column: number("column"),
        key: text("key"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn running(pid_file: &std::path::Path) -> bool {
        let pid: i32 = std::fs::read_to_string(pid_file).unwrap().parse().unwrap();
        // SAFETY: signal 0 only asks whether the process exists.
        unsafe { libc::kill(pid, 0) == 0 }
    }

    #[test]
    fn an_abort_is_a_crash_with_its_signal_and_stderr() {
        let result = in_child(Engine::Rust, Duration::from_secs(10), || {
            // Straight to descriptor 2: the test harness captures `eprintln!`.
            let text = b"about to abort\n";
            // SAFETY: writes a buffer of its own length.
            unsafe { libc::write(2, text.as_ptr().cast(), text.len()) };
            std::process::abort()
        });
        match result.outcome {
            Outcome::Errored(RunFailure::Crashed {
                signal,
                stderr_tail,
                ..
            }) => {
                assert_eq!(signal, Some(libc::SIGABRT));
                assert!(stderr_tail.contains("about to abort"), "{stderr_tail}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_hang_is_killed_at_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let pid_file = dir.path().join("pid");
        let target = pid_file.clone();
        let result = in_child(Engine::Rust, Duration::from_millis(300), move || {
            std::fs::write(&target, std::process::id().to_string()).unwrap();
            loop {
                std::hint::spin_loop();
            }
        });
        assert!(matches!(
            result.outcome,
            Outcome::Errored(RunFailure::Timeout { killed: true, .. })
        ));
        assert!(!running(&pid_file), "the worker is still running");
    }

    #[test]
    fn memory_beyond_the_cap_is_a_crash() {
        let result = in_child(Engine::Rust, Duration::from_secs(30), || {
            let big: Vec<u8> = vec![1; usize::try_from(MEMORY_LIMIT).unwrap()];
            Outcome::Errored(RunFailure::Setup {
                message: big.len().to_string(),
            })
        });
        assert!(
            matches!(
                result.outcome,
                Outcome::Errored(RunFailure::Crashed {
                    signal: Some(libc::SIGABRT),
                    ..
                })
            ),
            "{:?}",
            result.outcome
        );
    }

    #[test]
    fn outcomes_cross_the_pipe() {
        let result = in_child(Engine::Rust, Duration::from_secs(10), || {
            execute(
                "name: t\nnodes: [{name: a, uses: state.set, with: {x: 1}}]\nedges: [{from: __start__, to: a}, {from: a, to: __end__}]\n",
                serde_json::Map::new(),
            )
        });
        let Outcome::Events(ran) = result.outcome else {
            panic!("{:?}", result.outcome)
        };
        assert_eq!(ran.status, RunStatus::Completed);
        assert_eq!(ran.state, json!({"x": 1}));
        assert_eq!(ran.events.len(), 4);
        let load = in_child(Engine::Rust, Duration::from_secs(10), || {
            execute("name: t\n", serde_json::Map::new())
        });
        assert!(
            matches!(load.outcome, Outcome::Load(_)),
            "{:?}",
            load.outcome
        );
    }
}
