//! Every citation of the contract in the repository names a section of `docs/contract.md`.
//!
//! A citation is the word `contract` (any case) followed, within a few characters that are not
//! `§`, by `§N` or `§N.M` (`contract §1.2`). A line holding such a citation may cite further
//! sections by number alone (`contract §3.2, §6`): every `§<number>` on it counts, except the
//! ones that belong to another document (`RFC 8785 §3`, `ECMA-262 §6.1`, `STYLE §5`,
//! `issue 4 §6`). A section exists when a `#` heading of `docs/contract.md` starts with it
//! (`### §1.2 Running a flow`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// How many characters may separate `contract` from its `§`.
const WINDOW: usize = 12;

/// Directories that hold no citations of ours: build output, VCS data, the venv, snapshots,
/// bytecode caches and packaging metadata.
const SKIPPED: [&str; 5] = ["target", ".git", ".venv", "expected", "__pycache__"];

/// Words that introduce another document's sections.
const FOREIGN: [&str; 4] = ["RFC", "ECMA", "STYLE", "ISSUE"];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The section numbers of the contract's headings: `## §1 Flows` gives `1`.
fn headings(contract: &str) -> BTreeSet<String> {
    contract
        .lines()
        .filter_map(|line| {
            let rest = line.trim_start_matches('#');
            if rest.len() == line.len() {
                return None;
            }
            let after = rest.trim_start().strip_prefix('§')?;
            section(after).map(str::to_owned)
        })
        .collect()
}

/// The section number at the start of `text` (digits, then `.digits` groups), if any.
fn section(text: &str) -> Option<&str> {
    let bytes = text.as_bytes();
    let digits = |from: usize| {
        bytes[from..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count()
    };
    let mut end = digits(0);
    if end == 0 {
        return None;
    }
    while bytes.get(end) == Some(&b'.') && bytes.get(end + 1).is_some_and(u8::is_ascii_digit) {
        end += 1 + digits(end + 1);
    }
    Some(&text[..end])
}

/// Whether the `§` at byte `at` of `line` belongs to another document (`RFC 8785 §3`).
fn foreign(line: &str, at: usize) -> bool {
    let mut words = line[..at].split_whitespace().rev();
    let mut word = words.next().unwrap_or("");
    if word.chars().all(|c| c.is_ascii_digit() || c == '.') {
        word = words.next().unwrap_or("");
    }
    let word = word
        .trim_start_matches(|c: char| !c.is_alphanumeric())
        .to_ascii_uppercase();
    FOREIGN.iter().any(|prefix| word.starts_with(prefix))
}

/// The 0-based numbers of the lines of `text` that hold a citation (the line of its `§`).
fn citing_lines(text: &str) -> BTreeSet<usize> {
    let lower = text.to_ascii_lowercase();
    let mut lines = BTreeSet::new();
    for (start, _) in lower.match_indices("contract") {
        let after = start + "contract".len();
        let sign = text[after..]
            .char_indices()
            .take(WINDOW + 1)
            .find(|&(_, c)| c == '§')
            .map(|(offset, _)| after + offset);
        if let Some(sign) = sign {
            if section(&text[sign + '§'.len_utf8()..]).is_some() {
                lines.insert(text[..sign].matches('\n').count());
            }
        }
    }
    lines
}

/// Every cited section of `text`, with its 1-based line.
fn citations(text: &str) -> Vec<(usize, String)> {
    let citing = citing_lines(text);
    let mut found = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if !citing.contains(&index) {
            continue;
        }
        for (at, _) in line.match_indices('§') {
            if foreign(line, at) {
                continue;
            }
            if let Some(number) = section(&line[at + '§'.len_utf8()..]) {
                found.push((index + 1, number.to_owned()));
            }
        }
    }
    found
}

/// `path:line: §X` for each citation in `text` that names no section of `sections`.
fn unresolved(path: &str, text: &str, sections: &BTreeSet<String>) -> Vec<String> {
    citations(text)
        .into_iter()
        .filter(|(_, number)| !sections.contains(number))
        .map(|(line, number)| format!("{path}:{line}: §{number}"))
        .collect()
}

/// Every file of the repository that can hold a citation (UTF-8 text outside [`SKIPPED`]).
fn repository_files(root: &Path) -> Vec<(String, String)> {
    let walk = walkdir::WalkDir::new(root)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|entry| {
            let name = entry.file_name().to_string_lossy();
            !(entry.file_type().is_dir()
                && (SKIPPED.contains(&name.as_ref()) || name.ends_with(".egg-info")))
        });
    let mut files = Vec::new();
    for entry in walk {
        let entry = entry.expect("the repository can be walked");
        if !entry.file_type().is_file() {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(entry.path()) else {
            continue; // binary or not UTF-8: no citations
        };
        let relative = entry.path().strip_prefix(root).unwrap_or(entry.path());
        files.push((relative.display().to_string(), text));
    }
    files
}

#[test]
fn every_citation_names_a_section_of_the_contract() {
    let root = root();
    let contract = std::fs::read_to_string(root.join("docs/contract.md"))
        .expect("docs/contract.md is readable");
    let sections = headings(&contract);
    assert!(
        sections.contains("1.2") && sections.contains("6"),
        "no numbered headings found in docs/contract.md: {sections:?}"
    );
    let files = repository_files(&root);
    let cited: usize = files.iter().map(|(_, text)| citations(text).len()).sum();
    assert!(
        cited > 50,
        "only {cited} citations found: is the walk broken?"
    );
    let bad: Vec<String> = files
        .iter()
        .flat_map(|(path, text)| unresolved(path, text, &sections))
        .collect();
    assert!(
        bad.is_empty(),
        "{} citation(s) name no heading of docs/contract.md:\n{}",
        bad.len(),
        bad.join("\n")
    );
}

#[test]
fn the_checker_reports_a_missing_section() {
    // Built with escapes so that this file itself cites nothing missing.
    let contract = "# Title\n## \u{a7}1 Flows\n### \u{a7}1.2 Running\n## \u{a7}6 Pinned\n";
    let sections = headings(contract);
    assert_eq!(
        sections.iter().map(String::as_str).collect::<Vec<_>>(),
        ["1", "1.2", "6"]
    );
    let text = concat!(
        "fn main() {}\n",
        "// see contract \u{a7}9.9 and \u{a7}1.2.\n",
        "// (Contract \u{a7}1.2, \u{a7}7; RFC 8785 \u{a7}3, ECMA-262 \u{a7}6.1, STYLE \u{a7}5)\n",
        "// a lone \u{a7}8 without the word is no citation\n",
        "/// the rule of the contract\n/// \u{a7}4 across a line break\n",
        "# the contract is long, far too long \u{a7}5\n",
    );
    assert_eq!(
        unresolved("src/x.rs", text, &sections),
        [
            "src/x.rs:2: \u{a7}9.9",
            "src/x.rs:3: \u{a7}7",
            "src/x.rs:6: \u{a7}4"
        ]
    );
}
