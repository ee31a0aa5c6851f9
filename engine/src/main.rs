//! The `yamlflow` command line (brief, CLIs): `run`, `validate` and `yaml`.

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex, PoisonError};

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use serde_json::{Map, Value};
use yamlflow::{Event, RunOptions, RunStatus};

/// Runs and validates yamlflow flow documents (YAML graphs of builtin actions).
#[derive(Parser)]
#[command(
    name = "yamlflow",
    version,
    after_help = "Exit codes:\n  0  run: the flow completed; validate: the flow is valid\n  1  run: the flow failed (stderr: `flow failed: {type}: {message}`)\n  2  load error (stderr: `{file}:{line}:{column}: {kind}: {message}`) or unusable input"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a flow and print its final state as pretty JSON on stdout.
    Run {
        /// The flow document.
        flow: PathBuf,
        /// The run's input, merged over the flow's `state`: a JSON object, or @FILE to read it.
        #[arg(long)]
        input: Option<String>,
        /// Write the events as JSON Lines to PATH; `-` writes them to stdout instead of the state.
        #[arg(long)]
        events: Option<String>,
        /// Root of file paths (file.*, obs.export, file handlers); defaults to the current directory.
        #[arg(long, default_value = ".")]
        sandbox: PathBuf,
    },
    /// Check a flow document and print `FILE: ok (N nodes, M edges)`.
    Validate {
        /// The flow document.
        flow: PathBuf,
    },
    /// Print each YAML file's JSON value, one line per file: `{"value": V}` or `{"error": {kind,
    /// message, line, column, key}}` (the loader's YAML layer, contract §1.4 phase 1).
    Yaml {
        /// The YAML documents.
        files: Vec<PathBuf>,
    },
}

/// Writes `text` and a newline to the locked stdout (contract §6: never `println!`, which
/// panics when stdout is a closed pipe). A closed pipe is not an error: the reader has gone.
fn print_line(text: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{text}").and_then(|()| out.flush()) {
        Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// The most a flow or input file may hold: `--input @/dev/zero` or a gigabyte of input is
/// refused, not read (contract §6.8).
const READ_LIMIT: u64 = 64 * 1024 * 1024;

/// A flow or input file as UTF-8 text, at most `READ_LIMIT` bytes, or the load error `Io`
/// `cannot read {what}: {reason}` (contract §6.8).
fn read_text(path: &str, what: &str) -> Result<String, yamlflow::LoadError> {
    let error = |reason: String| yamlflow::LoadError {
        kind: yamlflow::LoadErrorKind::Io,
        message: format!("cannot read {what}: {reason}"),
        file: path.to_owned(),
        line: None,
        column: None,
        key: None,
    };
    let mut bytes = Vec::new();
    File::open(path)
        .and_then(|file| file.take(READ_LIMIT + 1).read_to_end(&mut bytes))
        .map_err(|err| error(os_reason(&err)))?;
    if bytes.len() as u64 > READ_LIMIT {
        return Err(error(format!("larger than {READ_LIMIT} bytes")));
    }
    String::from_utf8(bytes).map_err(|_| error("not UTF-8 text".into()))
}

/// The operating system's description of an I/O failure without the error number.
fn os_reason(err: &std::io::Error) -> String {
    let text = err.to_string();
    match err.raw_os_error() {
        Some(code) => text
            .strip_suffix(&format!(" (os error {code})"))
            .map_or_else(|| text.clone(), str::to_owned),
        None => text,
    }
}

/// The flow at `path`, read by `read_text` and loaded with its path as origin.
fn load(path: &std::path::Path) -> Result<yamlflow::Flow, yamlflow::LoadError> {
    let origin = path.display().to_string();
    yamlflow::load_str(&read_text(&origin, "flow")?, &origin)
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Validate { flow } => match load(&flow) {
            Ok(loaded) => {
                let line = format!(
                    "{}: ok ({} nodes, {} edges)",
                    flow.display(),
                    loaded.nodes.len(),
                    loaded.edges.len()
                );
                match print_line(&line) {
                    Ok(()) => ExitCode::SUCCESS,
                    Err(err) => {
                        eprintln!("cannot write to stdout: {err}");
                        ExitCode::from(2)
                    }
                }
            }
            Err(err) => {
                eprintln!("{err}");
                ExitCode::from(2)
            }
        },
        Command::Yaml { files } => match files
            .iter()
            .try_for_each(|file| print_line(&yaml_line(file)))
        {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("cannot write to stdout: {err}");
                ExitCode::from(2)
            }
        },
        Command::Run {
            flow,
            input,
            events,
            sandbox,
        } => match run(flow, input, events, sandbox) {
            Ok(code) => code,
            Err(err) => {
                eprintln!("{err:#}");
                ExitCode::from(2)
            }
        },
    }
}

/// One line of `yamlflow yaml`: the file's JSON value or its load error, as JSON.
fn yaml_line(file: &std::path::Path) -> String {
    let origin = file.display().to_string();
    // Read as `run` and `validate` read a flow: the same limit and the same `Io` messages.
    let result = read_text(&origin, "flow").and_then(|text| yamlflow::parse_yaml(&text, &origin));
    let line = match result {
        Ok(value) => serde_json::json!({ "value": value }),
        Err(err) => serde_json::json!({ "error": {
            "kind": err.kind.name(), "message": err.message, "line": err.line,
            "column": err.column, "key": err.key,
        }}),
    };
    line.to_string()
}

/// The run input (contract §6): `yamlflow::parse_input`'s LoadError of kind `Io`, named by the
/// input file or `<input>`.
fn parse_input(input: Option<String>) -> Result<Map<String, Value>, yamlflow::LoadError> {
    let Some(input) = input else {
        return Ok(Map::new());
    };
    match input.strip_prefix('@') {
        Some(path) => yamlflow::parse_input(&read_text(path, "input")?, path),
        None => yamlflow::parse_input(&input, "<input>"),
    }
}

type Sink = Arc<Mutex<Box<dyn Write + Send>>>;

fn run(
    flow: PathBuf,
    input: Option<String>,
    events: Option<String>,
    sandbox: PathBuf,
) -> anyhow::Result<ExitCode> {
    let loaded = match load(&flow) {
        Ok(loaded) => loaded,
        Err(err) => {
            eprintln!("{err}");
            return Ok(ExitCode::from(2));
        }
    };
    let mut options = RunOptions::new(sandbox.clone());
    options.input = match parse_input(input) {
        Ok(input) => input,
        Err(err) => {
            eprintln!("{err}");
            return Ok(ExitCode::from(2));
        }
    };
    // Before the events file is created: a refused run leaves nothing behind.
    if let Err(err) = yamlflow::check_sandbox(&loaded, &sandbox) {
        eprintln!("{err}");
        return Ok(ExitCode::from(2));
    }
    let events_to_stdout = events.as_deref() == Some("-");
    let sink: Option<Sink> = match events.as_deref() {
        None => None,
        Some("-") => Some(Arc::new(Mutex::new(Box::new(BufWriter::new(
            std::io::stdout(),
        ))))),
        Some(path) => {
            let file =
                File::create(path).with_context(|| format!("cannot create events file {path}"))?;
            Some(Arc::new(Mutex::new(Box::new(BufWriter::new(file)))))
        }
    };
    if let Some(sink) = &sink {
        let sink = Arc::clone(sink);
        options.callbacks.push(Arc::new(move |event: &Event| {
            let mut out = sink.lock().unwrap_or_else(PoisonError::into_inner);
            if serde_json::to_writer(&mut *out, event).is_ok() {
                let _ = out.write_all(b"\n");
            }
        }));
    }
    let outcome = match yamlflow::run(&loaded, options) {
        Ok(outcome) => outcome,
        Err(err) => {
            eprintln!("{err}");
            return Ok(ExitCode::from(2));
        }
    };
    if let Some(sink) = &sink {
        let flushed = sink.lock().unwrap_or_else(PoisonError::into_inner).flush();
        match flushed {
            Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => {}
            other => other.context("cannot write events")?,
        }
    }
    if !events_to_stdout {
        print_line(&serde_json::to_string_pretty(&Value::Object(
            outcome.state,
        ))?)
        .context("cannot write the final state")?;
    }
    Ok(match (outcome.status, outcome.error) {
        (RunStatus::Completed, _) => ExitCode::SUCCESS,
        (RunStatus::Failed, error) => {
            let (kind, message) = error.unwrap_or_default();
            eprintln!("flow failed: {kind}: {message}");
            ExitCode::from(1)
        }
    })
}
