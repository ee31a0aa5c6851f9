//! The floor for `twinflow validate` (issue 5 benchmark, `scripts/bench-validate`): read a JSON
//! Lines file and parse every line into a `serde_json::Value` on one thread, nothing else.
//!
//! Usage: `cargo run --release --example parse_only -- LOG.jsonl`

use std::io::BufRead;

fn main() -> anyhow::Result<()> {
    let path = std::env::args_os()
        .nth(1)
        .ok_or_else(|| anyhow::anyhow!("usage: parse_only LOG.jsonl"))?;
    let file = std::fs::File::open(&path)?;
    let mut reader = std::io::BufReader::with_capacity(1 << 20, file);
    let mut line = Vec::new();
    let (mut events, mut bad) = (0u64, 0u64);
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        match serde_json::from_slice::<serde_json::Value>(&line) {
            Ok(_) => events += 1,
            Err(_) => bad += 1,
        }
    }
    println!("{events} events, {bad} unparsable lines");
    Ok(())
}
