//! Every fixture filter the README shows selects at least one fixture, so that no example can
//! silently match nothing again (`twinflow check NAME`, `cargo test --test fixtures -- NAME`,
//! `cargo nextest run -E 'test(=NAME)'`, `scripts/regen-expected NAME`, also inline in the prose).

use std::path::Path;

use twinflow::select::select;

/// Options of `twinflow check` that take a value (the value is not a filter).
const VALUED: [&str; 11] = [
    "--junit",
    "--json",
    "--root",
    "--timeout",
    "--jobs",
    "-j",
    "--color",
    "--max-diff-lines",
    "--max-fail",
    "--format",
    "--export-dir",
];

/// The fixture filters in one command line of the README, if it is one that takes them.
fn filters(command: &str) -> Vec<String> {
    let command = command.split(" #").next().unwrap_or("").trim();
    let words: Vec<String> = command
        .split_whitespace()
        .map(|word| word.trim_matches(['\'', '"', '`']).to_owned())
        .collect();
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    match words.as_slice() {
        ["twinflow", "check", rest @ ..] | ["scripts/regen-expected", rest @ ..] => {
            let mut found = Vec::new();
            let mut skip = false;
            for word in rest {
                if skip {
                    skip = false;
                } else if VALUED.contains(word) {
                    skip = true;
                } else if !word.starts_with('-') && !is_placeholder(word) {
                    found.push((*word).to_owned());
                }
            }
            found
        }
        ["cargo", "test", .., "--", filter] => vec![(*filter).to_owned()],
        ["cargo", "nextest", "run", "-E", expression] => expression
            .strip_prefix("test(=")
            .and_then(|rest| rest.strip_suffix(')'))
            .map(|name| vec![name.to_owned()])
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// `NAME`, `FILTER...`: a word the reader replaces.
fn is_placeholder(word: &str) -> bool {
    word.chars()
        .all(|c| c.is_ascii_uppercase() || matches!(c, '_' | '.' | '[' | ']'))
}

/// Every command line in the README: code block lines, and `inline code` in prose.
fn commands(readme: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut in_block = false;
    for line in readme.lines() {
        if line.trim_start().starts_with("```") {
            in_block = !in_block;
        } else if in_block {
            found.push(line.trim().to_owned());
        } else {
            let pieces = line.split('`').skip(1).step_by(2);
            found.extend(pieces.map(str::to_owned));
        }
    }
    found
}

#[test]
fn every_filter_in_the_readme_selects_a_fixture() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let paths = twinflow::fixture::discover(&root.join("fixtures")).unwrap();
    let names: Vec<String> = paths
        .iter()
        .map(|path| path.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut checked = 0;
    let mut unmatched = Vec::new();
    for command in commands(&readme) {
        for filter in filters(&command) {
            checked += 1;
            if let Err(err) = select(&names, std::slice::from_ref(&filter)) {
                unmatched.push(format!("{command}: {err}"));
            }
        }
    }
    assert!(unmatched.is_empty(), "{unmatched:#?}");
    assert!(checked >= 3, "the README shows filters: {checked} found");
}

#[test]
fn filters_are_read_from_the_commands_that_take_them() {
    assert_eq!(
        filters("twinflow check --junit r.xml fanout -j 2 linear"),
        ["fanout", "linear"]
    );
    assert_eq!(
        filters("cargo test --test fixtures -- 'fan*'  # a glob"),
        ["fan*"]
    );
    assert_eq!(filters("cargo nextest run -E 'test(=x)'"), ["x"]);
    assert!(filters("twinflow validate run.jsonl").is_empty());
    assert!(filters("scripts/regen-expected NAME").is_empty());
    // A filter that matches nothing is what the test reports.
    assert!(select(&["a"], &["zzz".to_owned()]).is_err());
}
