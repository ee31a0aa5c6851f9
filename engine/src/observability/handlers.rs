//! Event handlers (schema/README.md §9): console lines on stderr, JSON Lines files in the
//! sandbox, and API callbacks. A handler that fails is skipped for that event; the run goes on.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::Path;

use crate::actions::file::sandbox_path;
use crate::event::Event;
use crate::flow::HandlerSpec;
use crate::runner::Callback;

/// One handler of a run.
pub(crate) enum Handler {
    /// `[{level}] {node} {event_type}: {message}` on stderr.
    Console,
    /// JSON Lines appended to a sandbox file; `None` when the file could not be opened.
    File(Option<BufWriter<File>>),
    /// A callback registered through the API.
    Callback(Callback),
}

impl Handler {
    /// Builds the declared handlers; `{flow_id}` in file paths is replaced by the run's id.
    /// A declared `callback` only documents that one is registered from code.
    pub(crate) fn declared(specs: &[HandlerSpec], sandbox: &Path, flow_id: &str) -> Vec<Handler> {
        specs
            .iter()
            .filter_map(|spec| match spec {
                HandlerSpec::Console => Some(Handler::Console),
                HandlerSpec::File { path } => Some(Handler::File(open(
                    sandbox,
                    &path.replace("{flow_id}", flow_id),
                ))),
                HandlerSpec::Callback => None,
            })
            .collect()
    }

    /// Delivers one event; failures are swallowed (the handler is skipped for this event).
    pub(crate) fn handle(&mut self, event: &Event) {
        match self {
            Handler::Console => {
                let mut line = format!(
                    "[{}] {} {}",
                    event.level.as_str(),
                    event.node,
                    event.event_type.as_str()
                );
                if let Some(message) = &event.message {
                    line.push_str(": ");
                    line.push_str(message);
                }
                let _ = writeln!(std::io::stderr().lock(), "{line}");
            }
            Handler::File(Some(writer)) => {
                if serde_json::to_writer(&mut *writer, event).is_ok() {
                    let _ = writer.write_all(b"\n");
                }
            }
            Handler::File(None) => {}
            Handler::Callback(callback) => {
                let callback = callback.clone();
                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| callback(event)));
            }
        }
    }

    /// Flushes buffered output (end of run).
    pub(crate) fn flush(&mut self) {
        if let Handler::File(Some(writer)) = self {
            let _ = writer.flush();
        }
    }
}

fn open(sandbox: &Path, path: &str) -> Option<BufWriter<File>> {
    let full = sandbox_path(sandbox, path)?;
    if let Some(parent) = full.parent() {
        fs::create_dir_all(parent).ok()?;
    }
    let file = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(full)
        .ok()?;
    Some(BufWriter::new(file))
}
