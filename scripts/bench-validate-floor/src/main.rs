//! `bench-validate-floor MODE THREADS LOG`: the floors of `scripts/bench-validate`. The log is read
//! whole, cut into THREADS runs of whole lines, and each thread handles its lines:
//!
//! - `ignored`: syntax only (`serde::de::IgnoredAny`), the limit of any JSON validator;
//! - `value`: a plain `serde_json::Value` per line (no `preserve_order`), the floor of any
//!   validator that builds a tree;
//! - `jsonschema SCHEMA`: `Value` plus the `jsonschema` crate's `is_valid`, the program a user
//!   would write in a few minutes (no structure checks, no located findings).
//!
//! Prints the lines handled and those that failed.

use std::sync::atomic::{AtomicU64, Ordering};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: bench-validate-floor ignored|value|jsonschema THREADS LOG [SCHEMA]";
    let (mode, threads, log) = match args.as_slice() {
        [_, mode, threads, log, ..] => (mode.as_str(), threads.parse::<usize>().expect(usage), log),
        _ => panic!("{usage}"),
    };
    let validator = (mode == "jsonschema").then(|| {
        let schema: serde_json::Value =
            serde_json::from_slice(&std::fs::read(args.get(4).expect(usage)).unwrap()).unwrap();
        jsonschema::validator_for(&schema).unwrap()
    });
    let text = std::fs::read(log).unwrap();
    let (lines, bad) = (AtomicU64::new(0), AtomicU64::new(0));
    let chunk = text.len() / threads + 1;
    std::thread::scope(|scope| {
        let mut start = 0;
        while start < text.len() {
            let mut end = (start + chunk).min(text.len());
            while end < text.len() && text[end - 1] != b'\n' {
                end += 1;
            }
            let part = &text[start..end];
            let (lines, bad, validator) = (&lines, &bad, validator.as_ref());
            scope.spawn(move || {
                let (mut n, mut failed) = (0, 0);
                for line in part.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
                    n += 1;
                    let ok = match mode {
                        "ignored" => serde_json::from_slice::<serde::de::IgnoredAny>(line).is_ok(),
                        "value" => serde_json::from_slice::<serde_json::Value>(line).is_ok(),
                        _ => serde_json::from_slice::<serde_json::Value>(line)
                            .is_ok_and(|value| validator.unwrap().is_valid(&value)),
                    };
                    failed += u64::from(!ok);
                }
                lines.fetch_add(n, Ordering::Relaxed);
                bad.fetch_add(failed, Ordering::Relaxed);
            });
            start = end;
        }
    });
    println!("{} lines, {} failed", lines.into_inner(), bad.into_inner());
}
