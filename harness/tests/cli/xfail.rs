//! A divergence declared at paths (`parity.xfail.<engine>.path`, contract §5.2, issue 11 §4): only
//! those paths are excused, the rest of the run is still compared, and a path that no longer
//! differs is stale. Shown on a copy of `template_tilde_concat`, whose engines differ at four paths.

use super::check::{Checkout, check, repo};

const PATHS: [&str; 4] = [
    "/flow#1/span#1/timeline/1/span#2/timeline/0/entry/data/input/concat",
    "/flow#1/span#1/timeline/1/span#2/timeline/1/exit/data/output/concat",
    "/flow#1/span#1/timeline/2/exit/data/output/concat",
    "/final_state/concat",
];

/// The fixture with its `xfail.rust` scoped to `paths`, alone in a checkout with its snapshot.
fn checkout_with(paths: &[&str]) -> Checkout {
    let original = std::fs::read_to_string(repo().join("fixtures/template_tilde_concat.yaml"))
        .expect("the fixture");
    let flow = &original[..original.find("parity:").expect("a parity block")];
    let list: Vec<String> = paths.iter().map(|path| format!("\"{path}\"")).collect();
    let text = format!(
        "{flow}parity:\n  expect: completed\n  xfail:\n    rust: {{reason: spelled its own way, path: [{}]}}\n",
        list.join(", ")
    );
    let checkout = Checkout::new(false);
    checkout.add_fixture("template_tilde_concat", &text);
    let expected = checkout.root().join("expected");
    std::fs::create_dir(&expected).unwrap();
    std::fs::copy(
        repo().join("expected/template_tilde_concat.snap"),
        expected.join("template_tilde_concat.snap"),
    )
    .unwrap();
    checkout
}

fn run(checkout: &Checkout) -> super::Outcome {
    check(&["--root", checkout.root().to_str().unwrap(), "-v"])
}

#[test]
fn the_declared_paths_excuse_exactly_the_divergence() {
    let out = run(&checkout_with(&PATHS));
    assert_eq!(out.code, 0, "{}", out.render());
    assert!(
        out.stdout.contains("1 failed as declared (xfail)"),
        "{}",
        out.render()
    );
}

#[test]
fn a_divergence_beyond_the_declared_paths_fails() {
    let out = run(&checkout_with(&PATHS[..3]));
    assert_eq!(out.code, 1, "{}", out.render());
    let all = out.render();
    assert!(all.contains("[parity.beyond_xfail]"), "{all}");
    // The diff shows the undeclared value, the final state's, and nothing of what was declared.
    assert!(
        all.contains("+  concat: \"x1e+16|xTrue|xNone|x3.0|n7\""),
        "{all}"
    );
}

#[test]
fn a_declared_path_that_no_longer_differs_is_stale() {
    let mut paths = PATHS.to_vec();
    paths.push("/flow#1/span#1/node");
    let out = run(&checkout_with(&paths));
    assert_eq!(out.code, 1, "{}", out.render());
    let all = out.render();
    assert!(
        all.contains("[parity.stale_xfail]") && all.contains("declares /flow#1/span#1/node"),
        "{all}"
    );
    assert!(!all.contains("beyond_xfail"), "{all}");
}
