//! Event handlers (contract §3.5): console lines on stderr, JSON Lines files in the
//! sandbox, and API callbacks. A handler that fails is skipped for that event; the run goes on.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::event::Event;
use crate::flow::HandlerSpec;

/// A callback handler: receives every emitted event, in `seq` order.
pub type Callback = Arc<dyn Fn(&Event) + Send + Sync>;

/// Where console handlers write instead of standard error (an embedding harness captures them).
pub type ConsoleSink = Arc<Mutex<dyn std::io::Write + Send>>;

/// One handler of a run.
pub(crate) enum Handler {
    /// `[{level}] {node} {event_type}: {message}` on stderr, or on the run's console sink.
    Console(Option<ConsoleSink>),
    /// JSON Lines appended to a sandbox file.
    File(FileSink),
    /// A callback registered through the API.
    Callback(Callback),
}

impl Handler {
    /// Builds the declared handlers; `{flow_id}` in file paths is replaced by the run's id.
    /// A declared `callback` only documents that one is registered from code.
    pub(crate) fn declared(
        specs: &[HandlerSpec],
        sandbox: &Path,
        flow_id: &str,
        console: Option<&ConsoleSink>,
    ) -> Vec<Handler> {
        specs
            .iter()
            .filter_map(|spec| match spec {
                HandlerSpec::Console => Some(Handler::Console(console.cloned())),
                HandlerSpec::File { path } => Some(Handler::File(FileSink {
                    sandbox: sandbox.to_path_buf(),
                    path: path.replace("{flow_id}", flow_id),
                    file: None,
                    line: Vec::new(),
                })),
                HandlerSpec::Callback => None,
            })
            .collect()
    }

    /// Delivers one event; failures are swallowed (the handler is skipped for this event).
    pub(crate) fn handle(&mut self, event: &Event) {
        match self {
            Handler::Console(None) => {
                // Straight to the locked stderr, no intermediate String (the per-event path).
                let _ = console_line(&mut std::io::stderr().lock(), event);
            }
            Handler::Console(Some(sink)) => {
                let mut sink = sink
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                let _ = console_line(&mut *sink, event);
            }
            Handler::File(sink) => sink.write(event),
            Handler::Callback(callback) => {
                // Called through the borrowed Arc: no refcount traffic per event (the per-event path).
                let callback: &(dyn Fn(&Event) + Send + Sync) = callback.as_ref();
                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| callback(event)));
            }
        }
    }
}

/// One console line (contract §3.5): `[{level}] {node} {event_type}`, then `: {message}`
/// when there is one.
fn console_line(out: &mut dyn Write, event: &Event) -> std::io::Result<()> {
    write!(
        out,
        "[{}] {} {}",
        event.level.as_str(),
        event.node,
        event.event_type.as_str()
    )?;
    if let Some(message) = &event.message {
        write!(out, ": {message}")?;
    }
    out.write_all(b"\n")
}

/// A file handler's file (contract §6): created, parent directories too, when the first event
/// is written, so a run that emits nothing creates nothing; every line reaches the file before
/// `emit` returns (one unbuffered write per event), so `file.read` of the log mid-run sees every
/// event so far. A path the sandbox rule refuses, or a file that cannot be opened, skips the
/// handler for that event; the next event tries again.
pub(crate) struct FileSink {
    sandbox: PathBuf,
    path: String,
    file: Option<File>,
    /// The line being written, reused between events.
    line: Vec<u8>,
}

impl FileSink {
    fn write(&mut self, event: &Event) {
        if self.file.is_none() {
            self.file = open(&self.sandbox, &self.path);
        }
        let Some(file) = &mut self.file else { return };
        self.line.clear();
        if serde_json::to_writer(&mut self.line, event).is_ok() {
            self.line.push(b'\n');
            let _ = file.write_all(&self.line);
        }
    }
}

fn open(sandbox: &Path, path: &str) -> Option<File> {
    crate::sandbox::open(
        "file handler",
        sandbox,
        path,
        crate::sandbox::Access::Append,
    )
    .ok()
}
