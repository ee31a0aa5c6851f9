//! The parallel part of `twinflow validate`: one thread reads batches of lines, worker threads
//! parse and schema-validate them, and the calling thread receives the results in line order.
//!
//! Memory stays bounded whatever the log's size: at most [`IN_FLIGHT_PER_WORKER`] batches per
//! worker (plus two) exist at any time, counting those read, being parsed and waiting to be put
//! back in order, and each batch holds about [`BATCH_BYTES`] of text. Parsed JSON trees are dropped
//! on the worker as soon as the schema and the structural facts have been taken from them.

use std::collections::BTreeMap;
use std::num::NonZeroUsize;
use std::ops::ControlFlow;
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;

use crate::check_log::LogChecker;
use crate::finding::Finding;
use crate::jsonl::{JsonlError, JsonlReader, LineBatch, LineError, RawLine, duplicate_key};
use crate::schema::{EventValidator, SchemaViolation, fast_facts};
use crate::structure::EventFacts;

/// Bytes of line text per batch: big enough that channel traffic is negligible, small enough
/// that every worker always has work.
const BATCH_BYTES: usize = 256 << 10;
/// Lines per batch at most.
const BATCH_LINES: usize = 4096;
/// Batches allowed in flight per worker.
const IN_FLIGHT_PER_WORKER: usize = 2;

/// What one non-blank line turned out to be.
#[derive(Debug)]
// Nearly every line is an event: boxing its facts would cost an allocation per line.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Outcome {
    /// A JSON value: its schema violations (empty when valid), its structural facts, and its
    /// first repeated key if it has one.
    Event {
        line: u64,
        facts: EventFacts,
        schema: Vec<SchemaViolation>,
        duplicate: Option<Box<LineError>>,
    },
    /// Not a JSON value.
    Bad(LineError),
}

impl Outcome {
    /// Feeds the line to the chain (its facts, or its place when it is not an event) and adds
    /// its findings; `true` when it is an event the schema accepts.
    pub(crate) fn feed(self, checker: &mut LogChecker<'_>, findings: &mut Vec<Finding>) -> bool {
        match self {
            Self::Event {
                line,
                facts,
                schema,
                duplicate,
            } => {
                findings.extend(duplicate.map(|dup| Finding::from_line_error(&dup)));
                checker.push_checked(facts, &schema, line, findings);
                schema.is_empty()
            }
            Self::Bad(error) => {
                checker.unreadable(error.line());
                findings.push(Finding::from_line_error(&error));
                false
            }
        }
    }
}

/// What the reader counted.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ReadStats {
    /// Blank lines skipped.
    pub(crate) blank_lines: u64,
}

/// Reads `reader` to the end (or until `sink` breaks), parsing and validating on `workers`
/// threads, and hands every outcome to `sink` in line order.
///
/// # Errors
/// The reader's [`JsonlError`] when the log cannot be read to the end; the outcomes of the lines
/// read before the failure have been handed to `sink`.
pub(crate) fn run(
    mut reader: JsonlReader,
    validator: &EventValidator,
    workers: NonZeroUsize,
    mut sink: impl FnMut(Outcome) -> ControlFlow<()>,
) -> Result<ReadStats, JsonlError> {
    let in_flight = workers.get() * IN_FLIGHT_PER_WORKER + 2;
    let (token_tx, token_rx) = mpsc::sync_channel::<()>(in_flight);
    for _ in 0..in_flight {
        // Cannot fail: the receiver is alive and the channel has room for every token.
        let _ = token_tx.send(());
    }
    let (work_tx, work_rx) = mpsc::sync_channel::<(u64, LineBatch)>(in_flight);
    let work_rx = Arc::new(Mutex::new(work_rx));
    let (result_tx, result_rx) = mpsc::sync_channel::<(u64, Vec<Outcome>)>(in_flight);
    let (recycle_tx, recycle_rx) = mpsc::channel::<LineBatch>();

    thread::scope(|scope| {
        let read = scope.spawn(move || read_batches(&mut reader, &token_rx, &work_tx, &recycle_rx));
        for _ in 0..workers.get() {
            let work_rx = Arc::clone(&work_rx);
            let result_tx = result_tx.clone();
            let recycle_tx = recycle_tx.clone();
            scope.spawn(move || work(validator, &work_rx, &result_tx, &recycle_tx));
        }
        drop((result_tx, recycle_tx, work_rx));
        reorder(result_rx, token_tx, &mut sink);
        read.join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// The reader thread: one batch per token, until the log ends or the consumer goes away.
fn read_batches(
    reader: &mut JsonlReader,
    tokens: &Receiver<()>,
    work: &SyncSender<(u64, LineBatch)>,
    recycled: &Receiver<LineBatch>,
) -> Result<ReadStats, JsonlError> {
    let mut index = 0;
    loop {
        if tokens.recv().is_err() {
            break; // the consumer stopped (--max-errors)
        }
        let mut batch = recycled.try_recv().unwrap_or_default();
        batch.clear();
        let more = reader.read_batch(&mut batch, BATCH_BYTES, BATCH_LINES)?;
        if !batch.is_empty() {
            if work.send((index, batch)).is_err() {
                break;
            }
            index += 1;
        }
        if !more {
            break;
        }
    }
    Ok(ReadStats {
        blank_lines: reader.blank_lines(),
    })
}

/// A worker thread: parse, validate and extract facts for each line of each batch it gets.
fn work(
    validator: &EventValidator,
    batches: &Mutex<Receiver<(u64, LineBatch)>>,
    results: &SyncSender<(u64, Vec<Outcome>)>,
    recycle: &mpsc::Sender<LineBatch>,
) {
    loop {
        let next = batches
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .recv();
        let Ok((index, batch)) = next else {
            return; // the reader is done
        };
        let outcomes = batch
            .iter()
            .map(|(line, bytes)| check_line(validator, line, bytes))
            .collect();
        // The reader may have finished; a batch nobody reuses is simply dropped.
        let _ = recycle.send(batch);
        if results.send((index, outcomes)).is_err() {
            return; // the consumer stopped
        }
    }
}

/// One line: the typed fast path when the bundled schema is in use and the line passes it,
/// else the generic path (a `serde_json::Value`, the `jsonschema` validator, a search for
/// repeated keys), which finds whatever is wrong.
pub(crate) fn check_line(validator: &EventValidator, line: &RawLine, bytes: &[u8]) -> Outcome {
    if validator.is_bundled() && line.too_long.is_none() {
        if let Some(facts) = std::str::from_utf8(bytes).ok().and_then(fast_facts) {
            return Outcome::Event {
                line: line.number,
                facts,
                schema: Vec::new(),
                duplicate: None,
            };
        }
    }
    match line.parse(bytes) {
        Ok(value) => Outcome::Event {
            line: line.number,
            schema: validator.validate(&value),
            facts: EventFacts::from_value(&value),
            // `parse` succeeded, so the line is UTF-8.
            duplicate: std::str::from_utf8(bytes)
                .ok()
                .and_then(|text| duplicate_key(text, line.number))
                .map(Box::new),
        },
        Err(err) => Outcome::Bad(err),
    }
}

/// The calling thread: puts batches back in order, hands their outcomes to `sink` and returns a
/// token per batch consumed so the reader may read another.
fn reorder(
    results: Receiver<(u64, Vec<Outcome>)>,
    tokens: SyncSender<()>,
    sink: &mut impl FnMut(Outcome) -> ControlFlow<()>,
) {
    let mut waiting: BTreeMap<u64, Vec<Outcome>> = BTreeMap::new();
    let mut next = 0;
    for (index, outcomes) in &results {
        waiting.insert(index, outcomes);
        while let Some(outcomes) = waiting.remove(&next) {
            next += 1;
            for outcome in outcomes {
                if sink(outcome).is_break() {
                    // Dropping `results` and `tokens` here stops the reader and the workers.
                    return;
                }
            }
            // The reader may have finished already: then no more tokens are needed.
            let _ = tokens.send(());
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use super::*;

    fn reader(text: String) -> JsonlReader {
        JsonlReader::from_reader(Cursor::new(text.into_bytes()), "t".into(), None).unwrap()
    }

    fn log(lines: usize) -> String {
        (0..lines)
            .map(|i| {
                if i % 97 == 5 {
                    format!("{{bad {i}\n")
                } else {
                    format!("{{\"n\":{i}}}\n")
                }
            })
            .collect()
    }

    #[test]
    fn outcomes_come_back_in_line_order() {
        let validator = EventValidator::bundled();
        for workers in [1, 2, 4] {
            let mut lines = Vec::new();
            let stats = run(
                reader(log(20_000)),
                &validator,
                NonZeroUsize::new(workers).unwrap(),
                |outcome| {
                    lines.push(match outcome {
                        Outcome::Event { line, schema, .. } => {
                            assert!(!schema.is_empty(), "{{\"n\":..}} is not an event");
                            line
                        }
                        Outcome::Bad(err) => {
                            assert_eq!(err.line() % 97, 6);
                            err.line()
                        }
                    });
                    ControlFlow::Continue(())
                },
            )
            .unwrap();
            assert_eq!(
                lines,
                (1..=20_000).collect::<Vec<u64>>(),
                "{workers} workers"
            );
            assert_eq!(stats.blank_lines, 0);
        }
    }

    #[test]
    fn breaking_stops_every_thread() {
        let validator = EventValidator::bundled();
        let mut seen = 0;
        run(
            reader(log(50_000)),
            &validator,
            NonZeroUsize::new(2).unwrap(),
            |_| {
                seen += 1;
                if seen == 10 {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            },
        )
        .unwrap();
        assert_eq!(seen, 10);
    }

    #[test]
    fn read_errors_surface_after_the_lines_before_them() {
        struct Failing(Cursor<Vec<u8>>);
        impl std::io::Read for Failing {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                match self.0.read(buf)? {
                    0 => Err(std::io::Error::other("disk on fire")),
                    n => Ok(n),
                }
            }
        }
        let reader =
            JsonlReader::from_reader(Failing(Cursor::new(b"{}\n{}\n".to_vec())), "t".into(), None)
                .unwrap();
        let mut seen = 0;
        let err = run(
            reader,
            &EventValidator::bundled(),
            NonZeroUsize::new(2).unwrap(),
            |_| {
                seen += 1;
                ControlFlow::Continue(())
            },
        )
        .unwrap_err();
        assert!(err.to_string().contains("disk on fire"), "{err}");
        assert_eq!(seen, 2);
    }
}
