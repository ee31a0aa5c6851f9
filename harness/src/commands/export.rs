//! `twinflow export --to FORMAT LOG...`: valid event logs (contract §3) as OTLP/JSON, a Chrome
//! trace (Perfetto) or Prometheus metrics (`crate::export`).
//!
//! Each log is streamed: read in batches of lines, every event through the check chain's
//! streaming half (schema and structure, [`LogChecker`]) and on to the exporter, so memory holds
//! the open spans and the metric series, never the log. Problems are reported on standard error as
//! `validate --format text` reports them; an event that breaks the schema is left out of the
//! export. Exit status: 0 exported, 1 a log is invalid (findings on standard error; the export of
//! what was valid is still written), 2 unusable input (a log that cannot be read, an unwritable
//! output).

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;

use super::ExitStatus;
use super::validate::pipeline::check_line;
use crate::check_log::LogChecker;
use crate::export::{Exporter, Target};
use crate::finding::Finding;
use crate::jsonl::{JsonlReader, LineBatch};
use crate::report::text;
use crate::schema::EventValidator;

/// Bytes of log text read at once.
const BATCH_BYTES: usize = 1 << 20;

/// Arguments of `twinflow export`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Formats:
  otlp-json     an OTLP/JSON ExportTraceServiceRequest: one span per flow, node, step and
                parallel span (parent links, status, data as attributes, log/metric/retry
                events as span events); trace id = the flow_id's 128 bits, span id = a hash
                of flow_id and span_id. --metrics FILE also writes the metrics as an
                ExportMetricsServiceRequest.
  chrome-trace  Chrome trace event JSON for https://ui.perfetto.dev and chrome://tracing:
                one process per log (named after it, time 0 when its first run starts), spans as
                complete events, log events as instants, metric.emit numbers as counters.
  prometheus    text exposition format: yamlflow_tokens_total, yamlflow_cost_usd_total
                (counters), yamlflow_span_duration_seconds (histogram), yamlflow_metric_<name>
                (a gauge per other metric.emit number; invalid characters become _, a name
                collision is a warning).

Every event is checked as `twinflow validate` checks it; findings go to standard error.
Exit status: 0 exported, 1 a log is invalid (what was valid is still exported; an event
that breaks the schema is left out), 2 a log cannot be read or the output not written.

Examples:
  twinflow export --to chrome-trace rust.jsonl python.jsonl -o timeline.json
  twinflow export --to otlp-json run.jsonl -o traces.json --metrics metrics.json
  twinflow export --to prometheus run.jsonl.gz")]
pub struct ExportArgs {
    /// JSON Lines logs, one event per line; `-` reads standard input. Gzip-compressed logs are
    /// decompressed.
    #[arg(required = true, value_name = "LOG")]
    pub logs: Vec<PathBuf>,
    /// The output format.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub to: Target,
    /// Write the export to this file; `-` (the default) is standard output.
    #[arg(long, short = 'o', value_name = "FILE", default_value = "-")]
    pub output: PathBuf,
    /// With `--to otlp-json`: also write the metrics, as an OTLP/JSON
    /// `ExportMetricsServiceRequest`, to this file (`-` is standard output).
    #[arg(long, value_name = "FILE")]
    pub metrics: Option<PathBuf>,
}

/// Opens `path` for writing; `-` is standard output.
fn create(path: &Path) -> io::Result<Box<dyn Write>> {
    if path.as_os_str() == "-" {
        return Ok(Box::new(io::BufWriter::new(io::stdout().lock())));
    }
    Ok(Box::new(io::BufWriter::new(File::create(path)?)))
}

/// Runs `twinflow export`.
///
/// # Errors
/// When the output cannot be written (a closed pipe is not an error).
pub fn run(args: &ExportArgs) -> anyhow::Result<ExitStatus> {
    if args.metrics.is_some() && args.to != Target::OtlpJson {
        eprintln!("error: --metrics goes with --to otlp-json");
        return Ok(ExitStatus::Error);
    }
    let opened = create(&args.output).and_then(|out| {
        let metrics = args.metrics.as_deref().map(create).transpose()?;
        Ok((out, metrics))
    });
    let (out, metrics) = match opened {
        Ok(opened) => opened,
        Err(err) => {
            eprintln!("error: cannot write {}: {err}", args.output.display());
            return Ok(ExitStatus::Error);
        }
    };
    match export(args, out, metrics) {
        Ok(status) => Ok(status),
        Err(err) if err.kind() == io::ErrorKind::BrokenPipe => Ok(ExitStatus::Success),
        Err(err) => Err(err).context("cannot write the export"),
    }
}

fn export(
    args: &ExportArgs,
    out: Box<dyn Write>,
    metrics: Option<Box<dyn Write>>,
) -> io::Result<ExitStatus> {
    let validator = EventValidator::bundled();
    let mut exporter = Exporter::new(args.to, out, metrics)?;
    let mut status = ExitStatus::Success;
    for path in &args.logs {
        status = status.max(export_log(path, &validator, &mut exporter)?);
    }
    for finding in exporter.finish()? {
        eprintln!("{}", text::line(&finding));
    }
    Ok(status)
}

/// Streams one log through the checker into `exporter`; reports its findings.
fn export_log(
    path: &Path,
    validator: &EventValidator,
    exporter: &mut Exporter<'_>,
) -> io::Result<ExitStatus> {
    let name = path.display().to_string();
    let mut reader = match JsonlReader::open(path) {
        Ok(reader) => reader,
        Err(err) => {
            eprintln!("error: {err}");
            return Ok(ExitStatus::Error);
        }
    };
    exporter.begin_log(&name)?;
    let mut checker = LogChecker::new(validator);
    let mut findings = Vec::new();
    let mut errors = false;
    let mut report = |findings: &mut Vec<Finding>| {
        for finding in findings.drain(..) {
            errors |= finding.is_error();
            eprintln!("{}", text::line(&finding.in_file(name.as_str())));
        }
    };
    let mut batch = LineBatch::new();
    let read = loop {
        batch.clear();
        let more = match reader.read_batch(&mut batch, BATCH_BYTES, usize::MAX) {
            Ok(more) => more,
            Err(err) => break Err(err),
        };
        for (raw, bytes) in batch.iter() {
            // As `validate` checks a line: the typed fast path, else the generic one.
            let valid = check_line(validator, raw, bytes).feed(&mut checker, &mut findings);
            if let (true, Ok(event)) = (valid, raw.parse(bytes)) {
                exporter.push(&event)?;
            }
            report(&mut findings);
        }
        if !more {
            break Ok(());
        }
    };
    checker.finish(&mut findings);
    report(&mut findings);
    exporter.end_log()?;
    Ok(match read {
        Err(err) => {
            eprintln!("error: {err}");
            ExitStatus::Error
        }
        Ok(()) if errors => ExitStatus::Failure,
        Ok(()) => ExitStatus::Success,
    })
}
