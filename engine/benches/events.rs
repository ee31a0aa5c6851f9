//! Event-path throughput: a 1,000-node linear flow of `state.set` nodes and a 64-branch fan-out,
//! each run with a callback handler counting events. Criterion reports elements (events) per
//! second; a short manual pass also prints events/s and ns per event.

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use yamlflow::{Flow, RunOptions};

fn linear(n: usize) -> String {
    let mut text = String::from("name: bench_linear\nstate: {total: 0}\nnodes:\n");
    for i in 0..n {
        text.push_str(&format!("  - {{name: n{i}, uses: state.set, with: {{total: \"{{{{ state.total + 1 }}}}\", last: n{i}}}}}\n"));
    }
    text.push_str("edges:\n  - {from: __start__, to: n0}\n");
    for i in 1..n {
        text.push_str(&format!("  - {{from: n{}, to: n{i}}}\n", i - 1));
    }
    text.push_str(&format!("  - {{from: n{}, to: __end__}}\n", n - 1));
    text
}

fn fan_out(branches: usize) -> String {
    let names: Vec<String> = (0..branches).map(|i| format!("b{i}")).collect();
    let mut text = String::from("name: bench_fanout\nstate: {seed: 1}\nnodes:\n");
    for name in &names {
        text.push_str(&format!("  - {{name: {name}, uses: state.set, with: {{{name}: \"{{{{ state.seed + 1 }}}}\"}}}}\n"));
    }
    text.push_str("  - {name: join, uses: state.set, with: {joined: true}}\n");
    let list = names.join(", ");
    text.push_str(&format!("edges:\n  - {{from: __start__, to: [{list}]}}\n  - {{from: [{list}], to: join}}\n  - {{from: join, to: __end__}}\n"));
    text
}

/// Runs `flow` once with a counting callback; returns the number of events.
fn run_counting(flow: &Flow, sandbox: &std::path::Path) -> u64 {
    let count = Arc::new(AtomicU64::new(0));
    let sink = Arc::clone(&count);
    let mut options = RunOptions::new(sandbox);
    options
        .callbacks
        .push(Arc::new(move |_event: &yamlflow::Event| {
            sink.fetch_add(1, Ordering::Relaxed);
        }));
    black_box(yamlflow::run(flow, options).expect("runs"));
    count.load(Ordering::Relaxed)
}

fn report(label: &str, flow: &Flow, sandbox: &std::path::Path) -> u64 {
    let events = run_counting(flow, sandbox);
    let runs = 20;
    let start = Instant::now();
    for _ in 0..runs {
        run_counting(flow, sandbox);
    }
    let elapsed = start.elapsed().as_secs_f64();
    let total = (events * runs) as f64;
    println!(
        "{label}: {events} events/run, {:.0} events/s, {:.2} µs/event",
        total / elapsed,
        elapsed / total * 1e6
    );
    events
}

fn benches(c: &mut Criterion) {
    let sandbox = tempfile::tempdir().expect("tempdir");
    let linear = yamlflow::load_str(&linear(1000), "<bench>").expect("linear flow loads");
    let fan = yamlflow::load_str(&fan_out(64), "<bench>").expect("fan-out flow loads");

    let events = report("linear_1000_state_set", &linear, sandbox.path());
    let mut group = c.benchmark_group("events");
    group.sample_size(20);
    group.throughput(Throughput::Elements(events));
    group.bench_function("linear_1000_state_set", |b| {
        b.iter(|| run_counting(&linear, sandbox.path()))
    });
    let events = report("fanout_64_branches", &fan, sandbox.path());
    group.throughput(Throughput::Elements(events));
    group.bench_function("fanout_64_branches", |b| {
        b.iter(|| run_counting(&fan, sandbox.path()))
    });
    group.finish();
}

criterion_group!(event_benches, benches);
criterion_main!(event_benches);
