//! The `yamlflow` command line (brief, CLIs): `run`, `validate` and `yaml`.

use std::fs::File;
use std::io::{BufWriter, Write};
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
    /// Check a flow document and print `{file}: ok ({n} nodes, {m} edges)`.
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

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Validate { flow } => match yamlflow::load_file(&flow) {
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
    let result = std::fs::read_to_string(file)
        .map_err(|err| err.to_string())
        .map(|text| yamlflow::parse_yaml(&text, &origin));
    let line = match result {
        Ok(Ok(value)) => serde_json::json!({ "value": value }),
        Ok(Err(err)) => serde_json::json!({ "error": {
            "kind": err.kind.name(), "message": err.message, "line": err.line,
            "column": err.column, "key": err.key,
        }}),
        Err(reason) => serde_json::json!({ "error": {
            "kind": "Io", "message": reason, "line": null, "column": null, "key": null,
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
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|err| yamlflow::LoadError {
                kind: yamlflow::LoadErrorKind::Io,
                message: format!("cannot read input: {err}"),
                file: path.to_owned(),
                line: None,
                column: None,
                key: None,
            })?;
            yamlflow::parse_input(&text, path)
        }
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
    let loaded = match yamlflow::load_file(&flow) {
        Ok(loaded) => loaded,
        Err(err) => {
            eprintln!("{err}");
            return Ok(ExitCode::from(2));
        }
    };
    let mut options = RunOptions::new(sandbox);
    options.input = match parse_input(input) {
        Ok(input) => input,
        Err(err) => {
            eprintln!("{err}");
            return Ok(ExitCode::from(2));
        }
    };
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
