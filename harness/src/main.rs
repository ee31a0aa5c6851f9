//! The `twinflow` command line: parses arguments, calls the library, maps the outcome to an exit code.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use twinflow::commands::{self, ExitStatus};

/// twinflow: prove that yamlflow runtimes behave identically.
#[derive(Debug, Parser)]
#[command(
    name = "twinflow",
    version,
    about,
    long_about = None,
    after_help = "Exit status (every command): 0 all good, 1 problems found (a failing fixture, an \
invalid log, a diff), 2 unusable input (no checkout, unreadable file, bad option).

Examples:
  twinflow check                          every fixture through both engines
  twinflow check 'fanout_*' --junit r.xml the fan-out fixtures, with a JUnit report
  twinflow validate run.jsonl.gz -        a log file and standard input
  twinflow compare run.jsonl --fixture linear_three_nodes
  twinflow fuzz --seed 1 --count 1000 --out target/fuzz
  twinflow export --to chrome-trace rust.jsonl python.jsonl -o timeline.json
  twinflow conform --runtime 'target/release/yamlflow run {flow} --input @{input} --events {events} --sandbox {sandbox}'"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run every fixture (or those matching FILTER) through both engines: schema, structure,
    /// parity between the engines and the expected snapshots, with a summary table.
    Check(commands::check::CheckArgs),
    /// Validate JSON Lines event logs from any runtime against the event schema and the contract's
    /// structural rules.
    Validate(commands::validate::ValidateArgs),
    /// Normalize an event log and diff it against a fixture's expected snapshot.
    Compare(commands::compare::CompareArgs),
    /// What the fixtures exercise of the contract, per runtime (events, actions and their error
    /// paths, error types, load errors, schema properties, settings, and the contract sections
    /// fixtures claim in `parity.covers`, checked against their runs); a gate with --fail-under.
    Coverage(commands::coverage::CoverageArgs),
    /// Generate random flows, run them through both engines and shrink every divergence to a
    /// small fixture.
    Fuzz(commands::fuzz::FuzzArgs),
    /// Export event logs as OTLP/JSON traces and metrics, a Chrome trace (Perfetto) or
    /// Prometheus metrics.
    Export(commands::export::ExportArgs),
    /// Run every fixture (or those matching FILTER) through an external runtime's command line
    /// and score it: exit status, events, final state, load errors, per contract section.
    Conform(commands::conform::ConformArgs),
    /// A fixture's parts for scripts: its summary, flow, input, or a fresh sandbox.
    Fixture(commands::fixture::FixtureArgs),
    /// Internal: runs one fixture through the Rust engine for an isolated run (`run/spawn.rs`).
    #[command(name = twinflow::run::RUST_CHILD, hide = true)]
    RustChild,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Ok(program) = std::env::current_exe() {
        // Isolated Rust runs start this executable afresh rather than forking this process.
        twinflow::run::use_rust_child(program);
    }
    let result = match &cli.command {
        Command::RustChild => return ExitCode::from(twinflow::run::serve_rust_child()),
        Command::Check(args) => commands::check::run(args),
        Command::Validate(args) => commands::validate::run(args),
        Command::Compare(args) => commands::compare::run(args),
        Command::Fuzz(args) => commands::fuzz::run(args),
        Command::Export(args) => commands::export::run(args),
        Command::Coverage(args) => commands::coverage::run(args),
        Command::Conform(args) => commands::conform::run(args),
        Command::Fixture(args) => commands::fixture::run(args),
    };
    match result {
        Ok(status) => status.into(),
        Err(err) => {
            eprintln!("error: {err:?}");
            ExitStatus::Error.into()
        }
    }
}
