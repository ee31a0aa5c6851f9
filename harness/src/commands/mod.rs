//! One module per `twinflow` subcommand, each with `run(args) -> anyhow::Result<ExitStatus>`.

pub mod check;
pub mod compare;
mod compare_end;
pub mod conform;
pub mod coverage;
pub mod export;
pub mod fixture;
pub mod fuzz;
pub mod validate;

/// What a command's outcome means for the process exit code (0, 1, 2); ordered by gravity, so
/// the worst of several outcomes is their `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ExitStatus {
    /// Everything checked out: parity, valid logs.
    Success,
    /// Problems were found: mismatches, violations, failed fixtures.
    Failure,
    /// The tool could not do its job: unusable input, I/O failure.
    Error,
}

impl From<ExitStatus> for std::process::ExitCode {
    fn from(status: ExitStatus) -> Self {
        match status {
            ExitStatus::Success => Self::from(0),
            ExitStatus::Failure => Self::from(1),
            ExitStatus::Error => Self::from(2),
        }
    }
}

/// When to color output (`--color`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Color {
    /// On a terminal that supports colour, unless `NO_COLOR` is set or `CLICOLOR=0`; anywhere
    /// when `CLICOLOR_FORCE` is set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

impl Color {
    /// Whether to color output written to `stream`. `Auto` follows anstream's reading of
    /// <https://no-color.org> and <https://bixense.com/clicolors> (`NO_COLOR` wins over
    /// `CLICOLOR_FORCE`), the rules cargo and clap apply.
    #[must_use]
    pub fn enabled<S: anstream::stream::RawStream>(self, stream: &S) -> bool {
        match self {
            Self::Always => true,
            Self::Never => false,
            Self::Auto => !matches!(
                anstream::AutoStream::choice(stream),
                anstream::ColorChoice::Never
            ),
        }
    }
}

/// Machine-readable reports written besides the text output.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ReportFiles {
    /// Write a JUnit XML report (one test case per fixture) to this file; `-` is standard output.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<std::path::PathBuf>,
    /// Write the JSON report to this file; `-` is standard output.
    #[arg(long, value_name = "FILE")]
    pub json: Option<std::path::PathBuf>,
}

impl ReportFiles {
    /// Whether a report takes standard output (the text then goes to standard error).
    #[must_use]
    pub fn to_stdout(&self) -> bool {
        [&self.junit, &self.json]
            .into_iter()
            .flatten()
            .any(|path| path.as_os_str() == "-")
    }
}
