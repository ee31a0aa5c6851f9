//! One runtime process: `sh -c COMMAND` in its own process group, standard output kept, standard
//! error's tail kept, a time limit after which the whole group is killed (a runtime's children
//! included), and the group killed after the runtime exits too, so nothing it started outlives
//! its fixture.

use std::io::Read;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// The last bytes of standard error kept for a report.
pub(super) const STDERR_TAIL: usize = 4096;

/// How the process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// It exited with this status.
    Exited(i32),
    /// A signal killed it.
    Signaled(i32),
    /// It was still running at the time limit; its group was killed.
    TimedOut,
}

/// What one process did.
#[derive(Debug, Clone)]
pub struct ProcessOutput {
    /// How it ended.
    pub ended: Ended,
    /// All of its standard output.
    pub stdout: Vec<u8>,
    /// The last [`STDERR_TAIL`] bytes of its standard error (from a line start when possible).
    pub stderr_tail: String,
    /// Wall time.
    pub elapsed: Duration,
}

/// Runs `command` with `sh -c` in `cwd`, for at most `timeout`.
///
/// # Errors
/// The process cannot be started.
pub fn run_command(command: &str, cwd: &Path, timeout: Duration) -> std::io::Result<ProcessOutput> {
    let start = Instant::now();
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(command)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()?;
    let group = child.id();
    let stdout = child
        .stdout
        .take()
        .map(|out| thread::spawn(move || read_all(out)));
    let stderr = child
        .stderr
        .take()
        .map(|err| thread::spawn(move || read_all(err)));
    let ended = loop {
        if let Some(status) = child.try_wait()? {
            break match (status.code(), status.signal()) {
                (Some(code), _) => Ended::Exited(code),
                (None, Some(signal)) => Ended::Signaled(signal),
                (None, None) => Ended::Signaled(0),
            };
        }
        if start.elapsed() >= timeout {
            kill_group(group);
            child.wait()?;
            break Ended::TimedOut;
        }
        thread::sleep(Duration::from_millis(5));
    };
    // Whatever the runtime left running (and holding the pipes open) goes with it.
    kill_group(group);
    let joined = |reader: Option<thread::JoinHandle<Vec<u8>>>| {
        reader.and_then(|r| r.join().ok()).unwrap_or_default()
    };
    let stdout = joined(stdout);
    let stderr = joined(stderr);
    Ok(ProcessOutput {
        ended,
        stdout,
        stderr_tail: tail(&String::from_utf8_lossy(&stderr), STDERR_TAIL),
        elapsed: start.elapsed(),
    })
}

fn read_all(mut from: impl Read) -> Vec<u8> {
    let mut bytes = Vec::new();
    let _ = from.read_to_end(&mut bytes);
    bytes
}

/// SIGKILL to every process of the group `group` (a group that is gone already is fine).
fn kill_group(group: u32) {
    let Ok(group) = libc::pid_t::try_from(group) else {
        return;
    };
    // SAFETY: kill(2) has no memory effects; a negative pid names the process group we created
    // with process_group(0), whose id is the child's pid.
    unsafe {
        libc::kill(-group, libc::SIGKILL);
    }
}

/// The end of `text`, at most `max` bytes, starting at a line when one starts in the window.
#[must_use]
pub(super) fn tail(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut start = text.len() - max;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    let window = &text[start..];
    match window.find('\n') {
        Some(newline) if newline + 1 < window.len() => window[newline + 1..].to_owned(),
        _ => window.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_status_and_stderr_are_kept() {
        let out = run_command(
            "echo out; echo err >&2; exit 3",
            Path::new("."),
            Duration::from_secs(10),
        )
        .unwrap();
        assert_eq!(out.ended, Ended::Exited(3));
        assert_eq!(out.stdout, b"out\n");
        assert_eq!(out.stderr_tail, "err\n");
    }

    #[test]
    fn a_hung_group_is_killed_at_the_limit() {
        // The grandchild holds standard output open: only killing the group ends the read.
        let out = run_command(
            "sleep 30 & sleep 30",
            Path::new("."),
            Duration::from_millis(200),
        )
        .unwrap();
        assert_eq!(out.ended, Ended::TimedOut);
        assert!(out.elapsed < Duration::from_secs(5), "{:?}", out.elapsed);
    }

    #[test]
    fn tails_start_at_a_line() {
        assert_eq!(tail("abc\ndef\nghi\n", 7), "ghi\n");
        assert_eq!(tail("short", 70), "short");
    }
}
