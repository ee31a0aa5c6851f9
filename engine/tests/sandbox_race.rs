//! The sandbox cannot be raced (contract §6.11): a thread swaps a symlink between a directory
//! inside the sandbox and one outside while flows read through it; no read ever returns the
//! outside file. The Python twin's test is `python/tests/test_sandbox.py`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::json;
use yamlflow::{RunOptions, RunStatus};

#[path = "support/swap.rs"]
mod swap;
use swap::swap_loop;

#[test]
fn a_flow_reading_through_a_swapped_symlink_never_escapes() {
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    std::fs::create_dir(root.join("in")).unwrap();
    std::fs::write(root.join("in/data"), "inside").unwrap();
    std::fs::write(outside.path().join("data"), "outside").unwrap();
    let flow = yamlflow::load_str(
        "name: race\nnodes: [{name: a, uses: file.read, with: {path: link/data}, output: got}]\nedges: [{from: __start__, to: a}, {from: a, to: __end__}]\n",
        "<test>",
    )
    .unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let swapper = {
        let (root, out, stop) = (root.clone(), outside.path().to_path_buf(), stop.clone());
        std::thread::spawn(move || swap_loop(&root, &out, &stop))
    };
    let (mut inside, mut refused, mut escapes) = (0, 0, 0);
    for _ in 0..2000 {
        let outcome = yamlflow::run(&flow, RunOptions::new(&root)).unwrap();
        match (outcome.status, outcome.state.get("got")) {
            (RunStatus::Completed, Some(got)) if *got == json!("inside") => inside += 1,
            (RunStatus::Completed, _) => escapes += 1,
            (RunStatus::Failed, _) => refused += 1,
        }
    }
    stop.store(true, Ordering::Relaxed);
    let swaps = swapper.join().unwrap();
    assert_eq!(escapes, 0);
    assert!(
        inside > 0 && refused > 0 && swaps > 100,
        "{inside} {refused} {swaps}"
    );
}
