//! `twinflow fuzz`: random flows through both engines (issue 13); every class of divergence is
//! shrunk to a small flow and, with `--out DIR`, written there as a fixture.
//!
//! Exit status: 0 no divergence, 1 divergences found, 2 the run could not start.

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::{Color, ExitStatus};
use crate::finding::Check;
use crate::fuzz::{Budget, Divergence, Outcome, fuzz};
use crate::layout::Layout;
use crate::report::text;
use crate::suite::{Suite, SuiteOptions};

/// Arguments of `twinflow fuzz`.
#[derive(Debug, clap::Args)]
pub struct FuzzArgs {
    /// The seed (printed at the start; the same seed generates the same flows). Default: the clock.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Stop after N flows.
    #[arg(long, value_name = "N", conflicts_with = "time")]
    pub count: Option<u64>,
    /// Stop after this long: `90s`, `10m`, `1h` (default: 1000 flows when neither is given).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub time: Option<Duration>,
    /// Flows checked at once (default: the number of cores).
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
    /// Write each divergence's shrunk flow here as a fixture (`fuzz_<class>.yaml`).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Candidate flows tried while shrinking one divergence.
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub shrink_steps: usize,
    /// Each engine's time limit per flow, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 5.0)]
    pub timeout: f64,
    /// The project (default: found from the current directory).
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Color the findings.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    pub color: Color,
}

/// `90s`, `10m`, `1h`, or plain seconds.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let (number, unit) = text
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .map_or((text, "s"), |at| text.split_at(at));
    let value: f64 = number
        .parse()
        .map_err(|_| format!("'{text}' is not a duration such as 90s, 10m or 1h"))?;
    let seconds = match unit {
        "s" => value,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        _ => return Err(format!("'{text}': the unit is s, m or h")),
    };
    Duration::try_from_secs_f64(seconds).map_err(|err| format!("'{text}': {err}"))
}

/// Runs `twinflow fuzz`.
///
/// # Errors
/// Only for failures of the tool itself (writing the output).
pub fn run(args: &FuzzArgs) -> anyhow::Result<ExitStatus> {
    let layout = match Layout::discover(args.root.as_deref()) {
        Ok(layout) => layout,
        Err(err) => {
            eprintln!("error: {err}");
            return Ok(ExitStatus::Error);
        }
    };
    if let Err(err) = crate::python::Interpreter::get(&layout) {
        eprintln!("error: the Python twin cannot be set up: {err} (run scripts/setup)");
        return Ok(ExitStatus::Error);
    }
    let seed = args.seed.unwrap_or_else(|| {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(1, |since| since.as_secs())
    });
    let jobs = args.jobs.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    });
    let budget = Budget {
        seed,
        count: args.count.or(args.time.is_none().then_some(1000)),
        time: args.time,
        jobs,
        shrink_steps: args.shrink_steps,
    };
    let suite = Suite::new(
        layout,
        SuiteOptions {
            checks: vec![Check::Schema, Check::Structure, Check::Parity],
            timeout: Duration::from_secs_f64(args.timeout.max(0.1)),
            // A random flow may crash or hang an engine: that is a finding, not the end of the run.
            isolate: true,
        },
    );
    eprintln!("twinflow fuzz --seed {seed} ({jobs} jobs)");
    let visible = io::stderr().is_terminal();
    let outcome = fuzz(&suite, &budget, &|so_far| {
        if visible {
            eprint!(
                "\r\x1b[2K{} flows, {:.0} flows/s, {} divergence classes",
                so_far.flows,
                so_far.rate(),
                so_far.divergences.len()
            );
        }
    });
    if visible {
        eprint!("\r\x1b[2K");
    }
    let color = args.color.enabled(&io::stdout());
    report(&outcome, seed, args.out.as_deref(), color)
}

/// Prints each class with its shrunk flow and findings, writes the fixtures, and the summary.
fn report(
    outcome: &Outcome,
    seed: u64,
    out: Option<&Path>,
    color: bool,
) -> anyhow::Result<ExitStatus> {
    let mut stdout = io::stdout().lock();
    let style = text::Style {
        color,
        max_same: 3,
        max_detail_lines: 30,
    };
    let mut status = ExitStatus::Success;
    for divergence in outcome.divergences.values() {
        writeln!(
            stdout,
            "divergence {} ({} flows; first: case {})\n{}\n{}",
            divergence.class,
            divergence.seen,
            divergence.case,
            divergence.flow.trim_end(),
            text::blocks(&divergence.findings, style)
        )?;
        if let Some(dir) = out {
            status = status.max(write_fixture(dir, divergence, seed));
        }
    }
    writeln!(
        stdout,
        "{} flows in {:.1} s ({:.0} flows/s), seed {seed}: {} divergence classes, {} divergent flows",
        outcome.flows,
        outcome.elapsed.as_secs_f64(),
        outcome.rate(),
        outcome.divergences.len(),
        outcome.divergences.values().map(|d| d.seen).sum::<u64>()
    )?;
    if outcome.divergences.is_empty() {
        Ok(status)
    } else {
        Ok(status.max(ExitStatus::Failure))
    }
}

/// Writes a divergence's shrunk flow as `DIR/fuzz_<class>.yaml`, with a comment saying where it
/// came from.
fn write_fixture(dir: &Path, divergence: &Divergence, seed: u64) -> ExitStatus {
    let slug: String = divergence
        .class
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    let slug: String = slug
        .split('_')
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("_");
    let path = dir.join(format!("fuzz_{}.yaml", &slug[..slug.len().min(60)]));
    let text = format!(
        "# Found by `twinflow fuzz --seed {seed}` (case {}): {}\n{}",
        divergence.case, divergence.class, divergence.flow
    );
    match std::fs::create_dir_all(dir).and_then(|()| std::fs::write(&path, text)) {
        Ok(()) => ExitStatus::Success,
        Err(err) => {
            eprintln!("error: cannot write {}: {err}", path.display());
            ExitStatus::Error
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse_duration;
    use std::time::Duration;

    #[test]
    fn durations_read_with_their_units() {
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_duration("2"), Ok(Duration::from_secs(2)));
        assert!(parse_duration("5 days").is_err());
    }
}
