//! What the worker processes of isolated runs share (issue 14): the memory cap, how an ended
//! process is described (exit code or signal) and the tail of its standard error.

use std::io::Read;
use std::time::Duration;

use super::model::RunFailure;

/// The address space a worker process may use: beyond it allocations fail, and an engine that
/// cannot recover aborts, which is that fixture's `run.crashed` instead of the machine's OOM
/// killer taking the suite down.
pub(crate) const MEMORY_LIMIT: u64 = 4 << 30;

/// Bytes of a worker's standard error kept for a finding.
pub(crate) const STDERR_TAIL: usize = 2000;

/// The last `STDERR_TAIL` bytes of `bytes`, as text.
pub(crate) fn tail(bytes: &[u8]) -> String {
    let start = bytes.len().saturating_sub(STDERR_TAIL);
    String::from_utf8_lossy(&bytes[start..]).into_owned()
}

/// Reads what is left of `file` (a worker's standard error) and keeps its tail.
pub(crate) fn read_tail(mut file: impl Read) -> String {
    let mut bytes = Vec::new();
    let _ = file.read_to_end(&mut bytes);
    tail(&bytes)
}

/// A worker that ended without answering: its exit code or the signal that killed it.
pub(crate) fn crashed(status: i32, stderr_tail: String) -> RunFailure {
    if libc::WIFSIGNALED(status) {
        RunFailure::Crashed {
            signal: Some(libc::WTERMSIG(status)),
            code: None,
            stderr_tail,
        }
    } else {
        RunFailure::Crashed {
            signal: None,
            code: libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status)),
            stderr_tail,
        }
    }
}

/// A worker killed at its time limit.
pub(crate) fn timed_out(after: Duration, stderr_tail: String) -> RunFailure {
    RunFailure::Timeout {
        after,
        killed: true,
        stderr_tail,
    }
}

/// Kills `pid` (SIGKILL) and reaps it, so that nothing of an abandoned run keeps running.
pub(crate) fn kill_and_reap(pid: libc::pid_t) {
    // SAFETY: plain syscalls on a child of this process.
    unsafe {
        libc::kill(pid, libc::SIGKILL);
        let mut status = 0;
        libc::waitpid(pid, &raw mut status, 0);
    }
}
