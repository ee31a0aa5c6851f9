//! The Python twin in worker processes (`--isolate`): a pool of warm interpreters (the venv's
//! `python`, `sys.path` set up as for the embedded one, `yamlflow` imported once), each taking one
//! fixture at a time over a pipe (`worker.py`). A worker that dies without answering is that
//! fixture's `run.crashed`; one still running at the time limit (even inside C code, where
//! `TimeoutError` cannot reach it) is killed. Idle workers wait for the next fixture; they end when
//! the harness does (their standard input closes).

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::fork::load_error;
use super::model::{Engine, Outcome, RunConfig, RunFailure, RunResult};
use super::process::{MEMORY_LIMIT, STDERR_TAIL, crashed, tail, timed_out};
use super::python::ran;
use super::worker::sandbox;
use crate::fixture::Fixture;
use crate::layout::Layout;
use crate::python::{PyException, SET_UP_SYS_PATH, TextRun};

const WORKER: &str = include_str!("worker.py");

/// How long a new worker may take to start (its interpreter and `import yamlflow`), outside the
/// fixture's own time limit.
const STARTUP: Duration = Duration::from_secs(60);

/// Idle workers, with the checkout they serve.
static IDLE: Mutex<Vec<Worker>> = Mutex::new(Vec::new());

/// One worker process and its pipes.
struct Worker {
    root: PathBuf,
    child: Child,
    stdin: ChildStdin,
    replies: Receiver<Reply>,
    stderr: Arc<Mutex<Vec<u8>>>,
}

impl Worker {
    fn spawn(layout: &Layout) -> Result<Self, String> {
        let site = layout.site_packages().map_err(|err| err.to_string())?;
        let prelude = "import sys\nvenv_site, repo_python, memory_limit = sys.argv[1:4]\n";
        let set_up = SET_UP_SYS_PATH.to_str().map_err(|err| err.to_string())?;
        let mut child = Command::new(layout.venv().join("bin/python"))
            .arg("-c")
            .arg(format!("{prelude}{set_up}{WORKER}"))
            .arg(&site)
            .arg(layout.python())
            .arg(MEMORY_LIMIT.to_string())
            .env("PYTHONNOUSERSITE", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|err| format!("cannot start a Python worker: {err}"))?;
        let (Some(stdin), Some(stdout), Some(mut stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            return Err("a Python worker without pipes".to_owned());
        };
        let (sender, replies) = mpsc::channel();
        std::thread::spawn(move || read_replies(BufReader::new(stdout), &sender));
        let kept = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&kept);
        std::thread::spawn(move || {
            let mut chunk = [0u8; 4096];
            while let Ok(n @ 1..) = stderr.read(&mut chunk) {
                let mut kept = sink.lock().unwrap_or_else(PoisonError::into_inner);
                kept.extend_from_slice(&chunk[..n]);
                let excess = kept.len().saturating_sub(2 * STDERR_TAIL);
                kept.drain(..excess);
            }
        });
        let worker = Self {
            root: layout.root().to_owned(),
            child,
            stdin,
            replies,
            stderr: kept,
        };
        match worker.replies.recv_timeout(STARTUP) {
            Ok((line, None)) if line == r#"{"ready": true}"# => Ok(worker),
            _ => Err(format!(
                "a Python worker did not start: {}",
                worker.kill().trim_end()
            )),
        }
    }

    fn stderr_tail(&self) -> String {
        tail(&self.stderr.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Kills the worker and reaps it.
    fn kill(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.stderr_tail()
    }
}

/// An idle worker for `layout`'s checkout, or a new one.
fn take(layout: &Layout) -> Result<Worker, String> {
    let idle = {
        let mut idle = IDLE.lock().unwrap_or_else(PoisonError::into_inner);
        let found = idle.iter().position(|w| w.root == layout.root());
        found.map(|i| idle.swap_remove(i))
    };
    idle.map_or_else(|| Worker::spawn(layout), Ok)
}

/// Runs `fixture` through the Python engine in a worker process.
pub(super) fn run(fixture: &Fixture, config: &RunConfig) -> RunResult {
    let worker = match take(&config.layout) {
        Ok(worker) => worker,
        Err(message) => {
            return RunResult {
                engine: Engine::Python,
                outcome: Outcome::Errored(RunFailure::Setup { message }),
                elapsed: Duration::ZERO,
            };
        }
    };
    let (result, idle) = run_on(worker, fixture, config.timeout);
    if let Some(worker) = idle {
        IDLE.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(worker);
    }
    result
}

/// Runs `fixture` on `worker`; gives the worker back when it answered (a worker that timed out
/// is killed, one that died is reaped).
fn run_on(mut worker: Worker, fixture: &Fixture, timeout: Duration) -> (RunResult, Option<Worker>) {
    let started = Instant::now();
    let result = |outcome, elapsed| RunResult {
        engine: Engine::Python,
        outcome,
        elapsed,
    };
    let sandbox = match sandbox() {
        Ok(dir) => dir,
        Err(failure) => {
            return (
                result(Outcome::Errored(failure), Duration::ZERO),
                Some(worker),
            );
        }
    };
    worker
        .stderr
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clear();
    let request = json!({
        "text": fixture.text,
        "input": fixture.input_json(),
        "sandbox": sandbox.path().to_string_lossy(),
    });
    let sent = writeln!(worker.stdin, "{request}").and_then(|()| worker.stdin.flush());
    let reply = match sent {
        Ok(()) => worker.replies.recv_timeout(timeout),
        Err(_) => Err(RecvTimeoutError::Disconnected),
    };
    match reply {
        Ok((line, events)) => (
            result(decode(&line, events), started.elapsed()),
            Some(worker),
        ),
        Err(RecvTimeoutError::Timeout) => {
            let tail = worker.kill();
            (
                result(Outcome::Errored(timed_out(timeout, tail)), timeout),
                None,
            )
        }
        Err(RecvTimeoutError::Disconnected) => {
            let status = worker.child.wait().map_or(0, ExitStatusExt::into_raw);
            let tail = worker.kill();
            (
                result(Outcome::Errored(crashed(status, tail)), started.elapsed()),
                None,
            )
        }
    }
}

/// A worker's reply: its line, and the bytes of events that follow a run's line.
type Reply = (String, Option<Vec<u8>>);

/// Reads the worker's replies until its output ends: each line, and after a run's line the
/// number of bytes of events it announces (`events_bytes`), read as they are, never escaped.
fn read_replies(mut stdout: impl BufRead, sender: &mpsc::Sender<Reply>) {
    loop {
        let mut line = String::new();
        if !matches!(stdout.read_line(&mut line), Ok(1..)) {
            return;
        }
        let line = line.trim_end_matches(['\n', '\r']).to_owned();
        let length = serde_json::from_str::<Value>(&line)
            .ok()
            .and_then(|reply| reply.get("ran")?.get("events_bytes")?.as_u64())
            .and_then(|n| usize::try_from(n).ok());
        let events = match length {
            Some(n) => {
                let mut bytes = vec![0; n];
                if stdout.read_exact(&mut bytes).is_err() {
                    return;
                }
                Some(bytes)
            }
            None => None,
        };
        if sender.send((line, events)).is_err() {
            return;
        }
    }
}

/// A worker's reply (`worker.py`).
fn decode(line: &str, events: Option<Vec<u8>>) -> Outcome {
    let events = match events.map(String::from_utf8) {
        Some(Err(err)) => {
            return Outcome::Errored(RunFailure::BadJsonl {
                line: 0,
                message: format!("a Python worker's events are not UTF-8: {err}"),
            });
        }
        events => events.and_then(Result::ok),
    };
    let Ok(mut value) = serde_json::from_str::<Value>(line) else {
        return Outcome::Errored(RunFailure::BadJsonl {
            line: 1,
            message: format!("a Python worker's reply is not JSON: {line}"),
        });
    };
    let text = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).map(str::to_owned);
    if let Some(run) = value.get_mut("ran") {
        // The events arrive after the line, as bytes; the other fields are taken out of it.
        let mut take = |key: &str| match run.get_mut(key).map(Value::take) {
            Some(Value::String(text)) => Some(text),
            _ => None,
        };
        let fields = (
            events,
            take("status"),
            take("state"),
            take("console"),
            take("flow_id"),
            take("error"),
        );
        if let (
            Some(events),
            Some(status),
            Some(state),
            Some(console),
            Some(flow_id),
            Some(error),
        ) = fields
        {
            return ran(TextRun {
                events,
                status,
                state,
                console,
                flow_id,
                error,
            });
        }
    }
    if let Some(error) = value.get("load").and_then(load_error) {
        return Outcome::Load(error);
    }
    if let Some(e) = value.get("exception") {
        return Outcome::Errored(RunFailure::Exception(PyException {
            type_name: text(e, "type").unwrap_or_default(),
            message: text(e, "message").unwrap_or_default(),
            traceback: text(e, "traceback").unwrap_or_default(),
        }));
    }
    Outcome::Errored(RunFailure::Setup {
        message: format!("a Python worker's reply has no result: {line}"),
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn layout() -> Layout {
        Layout::at(&Path::new(env!("CARGO_MANIFEST_DIR")).join("..")).expect("checkout")
    }

    fn sleeper(ms: u64) -> Fixture {
        let text = format!(
            "name: nap\nnodes: [{{name: a, uses: sleep, with: {{ms: {ms}}}}}]\nedges: [{{from: __start__, to: a}}, {{from: a, to: __end__}}]\n"
        );
        Fixture::from_text(Path::new("nap.yaml"), text).expect("fixture")
    }

    fn gone(pid: u32) -> bool {
        let pid = i32::try_from(pid).expect("pid");
        // SAFETY: signal 0 only asks whether the process exists (a reaped child does not).
        unsafe { libc::kill(pid, 0) != 0 }
    }

    #[test]
    fn a_worker_answers_then_is_killed_at_the_limit() {
        let worker = Worker::spawn(&layout()).expect("worker");
        let pid = worker.child.id();
        let (ran, worker) = run_on(worker, &sleeper(1), Duration::from_secs(30));
        assert!(
            matches!(ran.outcome, Outcome::Events(_)),
            "{:?}",
            ran.outcome
        );
        // The same warm worker, past its limit: killed, not left running.
        let (late, worker) = run_on(
            worker.expect("idle"),
            &sleeper(60_000),
            Duration::from_millis(500),
        );
        assert!(
            matches!(
                late.outcome,
                Outcome::Errored(RunFailure::Timeout { killed: true, .. })
            ),
            "{:?}",
            late.outcome
        );
        assert!(worker.is_none() && gone(pid));
    }

    #[test]
    fn a_worker_that_dies_is_a_crash_with_its_signal() {
        let worker = Worker::spawn(&layout()).expect("worker");
        let pid = i32::try_from(worker.child.id()).expect("pid");
        // Killed from outside while it sleeps (an out-of-memory kill looks the same).
        let killer = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(700));
            // SAFETY: sends a signal to a child of this process.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        });
        let (result, worker) = run_on(worker, &sleeper(20_000), Duration::from_secs(30));
        killer.join().expect("killer");
        assert!(worker.is_none());
        assert!(
            matches!(
                result.outcome,
                Outcome::Errored(RunFailure::Crashed {
                    signal: Some(libc::SIGKILL),
                    ..
                })
            ),
            "{:?}",
            result.outcome
        );
    }

    #[test]
    fn a_run_reply_carries_its_events_as_bytes_after_its_line() {
        let events = "{\"m\":\"été 😀\",\"n\":9223372036854775807}\n{\"m\":\"\\n\"}\n";
        let head = format!(
            r#"{{"ran": {{"events_bytes": {}, "status": "completed", "state": "{{}}", "console": "", "flow_id": "f", "error": "null"}}}}"#,
            events.len()
        );
        let stream = format!("{{\"ready\": true}}\n{head}\n{events}{{\"load\": {{}}}}\n");
        let (sender, replies) = mpsc::channel();
        read_replies(stream.as_bytes(), &sender);
        drop(sender);
        let replies: Vec<Reply> = replies.iter().collect();
        assert_eq!(replies.len(), 3, "{replies:?}");
        assert_eq!(replies[0], (r#"{"ready": true}"#.to_owned(), None));
        assert_eq!(replies[1], (head.clone(), Some(events.as_bytes().to_vec())));
        assert_eq!(replies[2].1, None);
        let Outcome::Events(ran) = decode(&replies[1].0, replies[1].1.clone()) else {
            panic!("not a run")
        };
        assert_eq!(ran.events.len(), 2);
        assert_eq!(ran.events.get(0), events.lines().next());
        let bad = decode(&head, Some(vec![0xff; 3]));
        assert!(
            matches!(bad, Outcome::Errored(RunFailure::BadJsonl { .. })),
            "{bad:?}"
        );
    }
}
