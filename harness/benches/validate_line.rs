//! The per-event cost of `twinflow validate`'s hot path, so that a regression shows in review
//! (`cargo bench -p twinflow --bench validate_line`): the typed fast path on each line of a
//! realistic log, the generic path it falls back to (`serde_json::Value` + `jsonschema` + facts),
//! and the structural checker per event. Criterion reports events per second.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use twinflow::jsonl::parse_line;
use twinflow::schema::{EventValidator, fast_facts};
use twinflow::structure::{EventFacts, StructureChecker};

/// `harness/tests/data/valid.jsonl` (two interleaved runs with nodes, steps, a fan-out, logs,
/// metrics and a retried error), its runs renamed `copies` times.
fn log(copies: usize) -> Vec<String> {
    let text = include_str!("../tests/data/valid.jsonl");
    (0..copies)
        .flat_map(|copy| {
            text.lines().map(move |line| {
                line.replace(
                    "0000000a-0000-4000-8000-000000000000",
                    &format!("{copy:08x}-0000-4000-8000-00000000000a"),
                )
                .replace(
                    "0000000b-0000-4000-8000-000000000000",
                    &format!("{copy:08x}-0000-4000-8000-00000000000b"),
                )
            })
        })
        .collect()
}

fn per_event(c: &mut Criterion) {
    let lines = log(40);
    let validator = EventValidator::bundled();
    assert!(lines.iter().all(|line| fast_facts(line).is_some()));
    let mut group = c.benchmark_group("validate_line");
    group.throughput(Throughput::Elements(lines.len() as u64));
    group.bench_function("fast_path", |b| {
        b.iter(|| {
            for line in &lines {
                black_box(fast_facts(black_box(line)));
            }
        });
    });
    group.bench_function("generic_path", |b| {
        b.iter(|| {
            for (number, line) in (1..).zip(&lines) {
                let value = parse_line(black_box(line.as_bytes()), number, false).unwrap();
                black_box(validator.validate(&value));
                black_box(EventFacts::from_value(&value));
            }
        });
    });
    let facts: Vec<EventFacts> = lines.iter().filter_map(|line| fast_facts(line)).collect();
    group.bench_function("structure", |b| {
        b.iter(|| {
            let mut checker = StructureChecker::new();
            for (line, facts) in (1..).zip(&facts) {
                checker.push_facts(facts.clone(), line);
            }
            black_box(checker.finish())
        });
    });
    group.finish();
}

criterion_group!(benches, per_event);
criterion_main!(benches);
