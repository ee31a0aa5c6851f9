//! A divergence declared at paths (`parity.xfail.<engine>.path`, contract §5.2, issue 11 §4): only
//! those paths are excused, the rest of the run is still compared, and a path that no longer
//! differs is stale. The divergence is planted: a copy of the Python twin says "node done" where
//! both engines say "node completed", which changes one value of a one-node run.

use super::check::{Checkout, check};

/// Where the planted divergence shows: the message of the node's `exit` event.
const NODE_EXIT: &str = "/flow#1/span#1/timeline/1/span#2/timeline/1/exit/message";
/// A value both engines agree on: the message of the flow's `exit` event.
const FLOW_EXIT: &str = "/flow#1/span#1/timeline/2/exit/message";

/// A checkout whose Python twin is planted, holding one fixture whose `xfail.python` names `paths`.
fn checkout_with(paths: &[&str]) -> Checkout {
    let checkout = Checkout::new(true);
    let planted = checkout.plant("completed=\"node completed\"", "completed=\"node done\"");
    assert_eq!(planted, 1, "the plant still fits");
    let list: Vec<String> = paths.iter().map(|path| format!("\"{path}\"")).collect();
    checkout.add_fixture(
        "one",
        &format!(
            "name: one\nnodes:\n  - {{name: set, uses: state.set, with: {{a: 1}}}}\nedges:\n  - {{from: __start__, to: set}}\n  - {{from: set, to: __end__}}\nparity:\n  expect: completed\n  xfail:\n    python: {{reason: planted, path: [{}]}}\n",
            list.join(", ")
        ),
    );
    checkout
}

fn run(checkout: &Checkout) -> super::Outcome {
    check(&[
        "--root",
        checkout.root().to_str().unwrap(),
        "--no-snapshots",
        "-v",
    ])
}

#[test]
fn the_declared_path_excuses_exactly_the_divergence() {
    let out = run(&checkout_with(&[NODE_EXIT]));
    assert_eq!(out.code, 0, "{}", out.render());
    assert!(
        out.stdout.contains("1 failed as declared (xfail)"),
        "{}",
        out.render()
    );
}

#[test]
fn a_divergence_beyond_the_declared_paths_fails_and_an_agreeing_path_is_stale() {
    let out = run(&checkout_with(&[FLOW_EXIT]));
    assert_eq!(out.code, 1, "{}", out.render());
    let all = out.render();
    assert!(all.contains("[parity.beyond_xfail]"), "{all}");
    // The diff shows the undeclared difference.
    assert!(
        all.contains("+") && all.contains("message: node done"),
        "{all}"
    );
    assert!(
        all.contains("[parity.stale_xfail]") && all.contains(&format!("declares {FLOW_EXIT}")),
        "{all}"
    );
}

#[test]
fn a_declared_path_that_no_longer_differs_is_stale_alone() {
    let out = run(&checkout_with(&[NODE_EXIT, FLOW_EXIT]));
    assert_eq!(out.code, 1, "{}", out.render());
    let all = out.render();
    assert!(all.contains("[parity.stale_xfail]"), "{all}");
    assert!(!all.contains("beyond_xfail"), "{all}");
}
