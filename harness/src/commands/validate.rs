//! `twinflow validate LOG...`: checks JSON Lines event logs from any runtime against the event
//! schema (contract §3, `schema/event.schema.json`) and the structural rules of contract §3/§4.
//!
//! Every line is parsed and schema-validated on worker threads (`pipeline`); the structural
//! checker runs on the calling thread in line order, so findings come out in line order
//! (structural findings that can only be known later, such as a missing exit, come when they are
//! known). Exit status: 0 valid, 1 invalid, 2 unusable input (a log or the schema cannot be read).

pub(crate) mod pipeline;
pub(crate) mod report;

use std::io::{self, IsTerminal, Write};
use std::num::NonZeroUsize;
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;

pub use report::Format;

use self::pipeline::Outcome;
use self::report::{FileSummary, Reporter};
use super::ExitStatus;
use crate::check_log::LogChecker;
use crate::finding::Severity;
use crate::jsonl::JsonlReader;
use crate::schema::EventValidator;

/// Arguments of `twinflow validate`.
#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    /// JSON Lines logs, one event per line; `-` reads standard input. Gzip-compressed logs
    /// (`.gz`) are decompressed.
    #[arg(required = true, value_name = "LOG")]
    pub logs: Vec<PathBuf>,
    /// Validate events against this JSON Schema (another schema version) instead of the bundled
    /// `schema/event.schema.json`.
    #[arg(long, value_name = "FILE")]
    pub schema: Option<PathBuf>,
    /// Output format: `text` for people, `json` for programs, `github` for GitHub Actions
    /// annotations.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Stop after reporting N errors.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_errors: Option<u64>,
    /// Threads that parse and validate (default: the number of available cores).
    #[arg(long, value_name = "N")]
    pub jobs: Option<NonZeroUsize>,
    /// Hold at most N flows and spans of unfinished runs at once (memory stays bounded: about
    /// 650 bytes each with what is remembered alongside); beyond, the least recently active run is dropped unchecked and
    /// `structure.too_many_open` says so.
    #[arg(long, value_name = "N", default_value_t = crate::structure::DEFAULT_MAX_OPEN,
          value_parser = parse_max_open)]
    pub max_open: usize,
    /// Draw a progress bar on standard error (bytes, events/s, ETA): the default when standard
    /// error is a terminal (nothing is drawn on anything else).
    #[arg(long, overrides_with = "no_progress")]
    pub progress: bool,
    /// Make unit plausibility warnings (`structure.implausible_units`: a timestamp in
    /// milliseconds, an absurd `duration_ms`) errors.
    #[arg(long)]
    pub strict_units: bool,
    /// Never draw the progress bar.
    #[arg(long, overrides_with = "progress")]
    pub no_progress: bool,
}

fn parse_max_open(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(0) => Err("must be at least 1".to_owned()),
        Ok(n) => Ok(n),
        Err(err) => Err(err.to_string()),
    }
}

/// Runs `twinflow validate`.
///
/// # Errors
/// Only for failures of the tool itself (writing the report); unusable input is reported and
/// gives [`ExitStatus::Error`].
pub fn run(args: &ValidateArgs) -> anyhow::Result<ExitStatus> {
    let validator = match &args.schema {
        Some(path) => match EventValidator::from_file(path) {
            Ok(validator) => validator,
            Err(err) => {
                eprintln!("error: {err}");
                return Ok(ExitStatus::Error);
            }
        },
        None => EventValidator::bundled(),
    };
    let workers = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().unwrap_or(NonZeroUsize::MIN));
    let stdout = io::stdout();
    let show_progress = args.progress || (!args.no_progress && io::stderr().is_terminal());
    let mut reporter = Reporter::new(
        io::BufWriter::new(stdout.lock()),
        args.format,
        args.max_errors,
    )
    .context("cannot write to standard output")?;
    let started = Instant::now();
    let mut unusable = false;
    let mut ended = Ended::Finished;
    for path in &args.logs {
        let file = Log {
            path,
            validator: &validator,
            workers,
            show_progress,
            max_open: args.max_open,
            strict_units: args.strict_units,
        };
        match file.validate(&mut reporter) {
            Ended::Unusable => unusable = true,
            Ended::Finished => {}
            other => {
                ended = other;
                break;
            }
        }
    }
    let errors = reporter.errors();
    let finished = match ended {
        Ended::OutputFailed(err) => Err(err),
        _ => reporter.finish(started.elapsed(), matches!(ended, Ended::Stopped)),
    };
    match finished {
        Ok(()) => {}
        // A closed pipe (`twinflow validate big.jsonl | head`) is the reader's choice, not a
        // failure (STYLE §5).
        Err(err) if err.kind() == io::ErrorKind::BrokenPipe => {}
        Err(err) => return Err(err).context("cannot write the report"),
    }
    Ok(if unusable {
        ExitStatus::Error
    } else if errors > 0 {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    })
}

/// How the validation of one log ended.
enum Ended {
    /// Read to the end.
    Finished,
    /// The log could not be opened or read to the end.
    Unusable,
    /// `--max-errors` was reached: stop everything.
    Stopped,
    /// The report could not be written: stop everything.
    OutputFailed(io::Error),
}

/// One log to validate, and how.
struct Log<'a> {
    path: &'a std::path::Path,
    validator: &'a EventValidator,
    workers: NonZeroUsize,
    show_progress: bool,
    max_open: usize,
    strict_units: bool,
}

impl Log<'_> {
    /// Streams the log through the chain's schema and structure links, reporting as it goes.
    fn validate<W: Write>(&self, reporter: &mut Reporter<W>) -> Ended {
        let name = self.path.display().to_string();
        let mut summary = FileSummary {
            file: name.clone(),
            ..FileSummary::default()
        };
        let reader = match JsonlReader::open(self.path) {
            Ok(reader) => reader,
            Err(err) => {
                reporter.unusable(summary, &err);
                return Ended::Unusable;
            }
        };
        let progress = if self.show_progress {
            progress_bar(&reader)
        } else {
            None
        };
        reporter.set_progress(progress.as_ref().map(|(bar, _)| bar.clone()));
        let errors_before = reporter.errors();
        let mut checker = LogChecker::with_max_open(self.validator, self.max_open);
        let mut ended = Ended::Finished;
        let result = pipeline::run(reader, self.validator, self.workers, |outcome| {
            let written = handle(reporter, &mut checker, &name, self.strict_units, outcome);
            if let Some((bar, position)) = &progress {
                if checker.events().is_multiple_of(1024) {
                    bar.set_position(position.load(Ordering::Relaxed));
                }
            }
            match written {
                Err(err) => {
                    ended = Ended::OutputFailed(err);
                    ControlFlow::Break(())
                }
                Ok(()) if reporter.limit_reached() => {
                    ended = Ended::Stopped;
                    ControlFlow::Break(())
                }
                Ok(()) => ControlFlow::Continue(()),
            }
        });
        if let Some((bar, _)) = &progress {
            bar.finish_and_clear();
        }
        reporter.set_progress(None);
        summary.events = checker.events();
        summary.flows = checker.flows();
        match result {
            Ok(stats) => summary.blank_lines = stats.blank_lines,
            Err(err) => {
                summary.errors = reporter.errors() - errors_before;
                reporter.unusable(summary, &err);
                return Ended::Unusable;
            }
        }
        if matches!(ended, Ended::Finished) {
            ended = finish(reporter, checker, &name);
        }
        summary.errors = reporter.errors() - errors_before;
        reporter.file_done(summary);
        ended
    }
}

/// Reports what only the end of a log shows (spans that never ended).
fn finish<W: Write>(reporter: &mut Reporter<W>, checker: LogChecker<'_>, name: &str) -> Ended {
    let mut findings = Vec::new();
    checker.finish(&mut findings);
    for finding in findings {
        if let Err(err) = reporter.report(&finding.in_file(name)) {
            return Ended::OutputFailed(err);
        }
    }
    if reporter.limit_reached() {
        Ended::Stopped
    } else {
        Ended::Finished
    }
}

/// A progress bar on standard error (indicatif draws nothing when it is not a terminal).
fn progress_bar(reader: &JsonlReader) -> Option<(indicatif::ProgressBar, Arc<AtomicU64>)> {
    let bar = match reader.total_bytes() {
        Some(total) => indicatif::ProgressBar::new(total).with_style(
            indicatif::ProgressStyle::with_template(
                "{msg} [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
            )
            .ok()?
            .progress_chars("=> "),
        ),
        None => indicatif::ProgressBar::new_spinner().with_style(
            indicatif::ProgressStyle::with_template("{spinner} {msg} {bytes} ({bytes_per_sec})")
                .ok()?,
        ),
    };
    bar.set_message(crate::report::text::escape(reader.name()).into_owned());
    bar.enable_steady_tick(Duration::from_millis(200));
    Some((bar, reader.position()))
}

/// Reports one line's findings and feeds its facts to the chain.
fn handle<W: Write>(
    reporter: &mut Reporter<W>,
    checker: &mut LogChecker<'_>,
    file: &str,
    strict_units: bool,
    outcome: Outcome,
) -> io::Result<()> {
    let mut findings = Vec::new();
    outcome.feed(checker, &mut findings);
    for mut finding in findings {
        if strict_units && finding.severity == Severity::Warning {
            finding.severity = Severity::Error;
        }
        reporter.report(&finding.in_file(file))?;
    }
    Ok(())
}
