//! `twinflow fixture show NAME [--input | --flow | --sandbox DIR]`: a fixture's parts, for authors
//! who script their own loop instead of `twinflow conform` (contract §5.3: the flow text unchanged,
//! `parity.input` as JSON, a fresh empty sandbox).
//!
//! Exit status: 0 shown; 2 no checkout, a name that selects no fixture or several, a sandbox
//! directory that exists and is not empty.

use std::io::Write;
use std::path::PathBuf;

use super::ExitStatus;
use super::check::select;
use crate::conform::section_of;
use crate::fixture::Fixture;
use crate::layout::Layout;
use crate::snapshot;

/// Arguments of `twinflow fixture`.
#[derive(Debug, clap::Args)]
pub struct FixtureArgs {
    #[command(subcommand)]
    command: FixtureCommand,
}

#[derive(Debug, clap::Subcommand)]
enum FixtureCommand {
    /// Print a fixture's summary, its flow, its input, or make its sandbox.
    Show(ShowArgs),
}

/// Arguments of `twinflow fixture show`.
#[derive(Debug, clap::Args)]
pub struct ShowArgs {
    /// The fixture: its name (or a filter that selects exactly one).
    #[arg(value_name = "NAME")]
    pub name: String,
    /// Print its input (`parity.input`) as one line of JSON: what a runtime gets as `--input`.
    #[arg(long, group = "part")]
    pub input: bool,
    /// Print the flow document, unchanged.
    #[arg(long, group = "part")]
    pub flow: bool,
    /// Create DIR as the fixture's sandbox: a fresh, empty directory (contract §5.3).
    #[arg(long, value_name = "DIR", group = "part")]
    pub sandbox: Option<PathBuf>,
    /// The project (default: found from the current directory, or `$TWINFLOW_ROOT`).
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
}

/// Runs `twinflow fixture`.
///
/// # Errors
/// Only for failures writing to standard output.
pub fn run(args: &FixtureArgs) -> anyhow::Result<ExitStatus> {
    let FixtureCommand::Show(args) = &args.command;
    let (layout, fixture) = match find(args) {
        Ok(found) => found,
        Err(message) => {
            eprintln!("error: {message}");
            return Ok(ExitStatus::Error);
        }
    };
    let text = if args.input {
        format!("{}\n", fixture.input_json())
    } else if args.flow {
        fixture.text.clone()
    } else if let Some(dir) = &args.sandbox {
        if let Err(message) = make_sandbox(dir) {
            eprintln!("error: {}: {message}", dir.display());
            return Ok(ExitStatus::Error);
        }
        return Ok(ExitStatus::Success);
    } else {
        summary(&layout, &fixture)
    };
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(err) if err.kind() != std::io::ErrorKind::BrokenPipe => Err(err.into()),
        _ => Ok(ExitStatus::Success),
    }
}

fn find(args: &ShowArgs) -> Result<(Layout, Fixture), String> {
    let layout = Layout::discover(args.root.as_deref()).map_err(|err| err.to_string())?;
    let mut found = select(&layout, std::slice::from_ref(&args.name))?;
    if found.len() > 1 {
        let names: Vec<&str> = found.iter().map(|f| f.name.as_str()).collect();
        return Err(format!(
            "'{}' selects {} fixtures ({}); name one",
            args.name,
            found.len(),
            names.join(", ")
        ));
    }
    let fixture = found.pop().ok_or("no fixture selected")?;
    Ok((layout, fixture))
}

fn make_sandbox(dir: &std::path::Path) -> Result<(), String> {
    if let Ok(mut entries) = std::fs::read_dir(dir) {
        if entries.next().is_some() {
            return Err("exists and is not empty".to_owned());
        }
        return Ok(());
    }
    std::fs::create_dir_all(dir).map_err(|err| err.to_string())
}

fn summary(layout: &Layout, fixture: &Fixture) -> String {
    let relative = |path: &std::path::Path| {
        path.strip_prefix(layout.root())
            .unwrap_or(path)
            .display()
            .to_string()
    };
    let snapshot = snapshot::path_for(&layout.expected(), &fixture.name);
    let expect = fixture.parity.expect.map_or("(not checked)", |e| e.name());
    format!(
        "name: {}\nfile: {}\nsection: {}\nexpect: {expect}\ninput: {}\nsnapshot: {}\n\n{}\n",
        fixture.name,
        relative(&fixture.path),
        section_of(&fixture.name),
        fixture.input_json(),
        relative(&snapshot),
        fixture.description
    )
}
