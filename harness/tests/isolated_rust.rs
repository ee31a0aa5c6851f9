//! An isolated Rust run starts from a clean process (`run/spawn.rs`), never from a fork of the
//! harness: a fork inherits the state of the harness's other threads, and the Rust engine's
//! fan-out threads then wait for threads or locks that do not exist in the child. Here the harness
//! first runs a fan-out in-process, which leaves the engine's branch threads parked in this
//! process; a forked child would hand its branches to those parked threads, absent in the child,
//! and hang until its time limit (`run.timeout`, as `twinflow fuzz --jobs 2` saw now and then when
//! a std lock was held at the fork).

use std::path::{Path, PathBuf};
use std::time::Duration;

use twinflow::fixture::Fixture;
use twinflow::layout::Layout;
use twinflow::run::{Engine, Outcome, RunConfig, RunStatus, run_fixture, use_rust_child};

const FAN_OUT: &str = "name: fan
nodes:
  - {name: a, uses: state.set, with: {a: 1}}
  - {name: b, uses: state.set, with: {b: 2}}
  - {name: c, uses: state.set, with: {c: 3}}
edges:
  - {from: __start__, to: [a, b, c]}
  - {from: [a, b, c], to: __end__}
";

fn completed(engine: Engine, fixture: &Fixture, config: &RunConfig) {
    let result = run_fixture(engine, fixture, config);
    assert!(
        matches!(&result.outcome, Outcome::Events(ran) if ran.status == RunStatus::Completed),
        "isolate {}: {:?}",
        config.isolate,
        result.outcome
    );
}

#[test]
fn an_isolated_fan_out_after_an_in_process_one_completes() {
    use_rust_child(PathBuf::from(env!("CARGO_BIN_EXE_twinflow")));
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let fixture = Fixture::from_text(Path::new("fan.yaml"), FAN_OUT.to_owned()).expect("fixture");
    let in_process = RunConfig {
        layout: Layout::at(&root).expect("checkout"),
        timeout: Duration::from_secs(20),
        isolate: false,
    };
    let isolated = RunConfig {
        isolate: true,
        ..in_process.clone()
    };
    for _ in 0..3 {
        completed(Engine::Rust, &fixture, &in_process);
        completed(Engine::Rust, &fixture, &isolated);
    }
}
