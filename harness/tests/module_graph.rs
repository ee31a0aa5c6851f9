//! No module cycles (issue 10): the files of `engine/src` and of `harness/src` each form a DAG.
//!
//! The graph is drawn at file granularity from the sources' text: an edge A -> B when file A uses
//! an item defined in file B, through a `use` declaration or an inline `crate::`, `super::`,
//! `self::` or child-module path. `mod child;` is not an edge; a parent's `pub use child::X` is an
//! edge parent -> child, so a child that reaches back into its parent's `mod.rs` closes a circle.
//! Test code is no part of the graph: `#[cfg(test)]` items and files named `tests.rs` are skipped.
//! `main.rs` is its own crate and uses the library by name, so it has no edges here.
//!
//! The checker is plain `std` Rust on purpose: it reads text, not the compiler's view, so it
//! stays fast and can be compiled on its own.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// One source file: its path relative to the crate's `src` directory, its module path and text.
struct Source {
    path: String,
    module: Vec<String>,
    text: String,
}

/// The module path of a file under `src`: `lib.rs` is the root, `a/mod.rs` and `a.rs` are `a`.
fn module_of(path: &str) -> Vec<String> {
    let mut parts: Vec<String> = path.split('/').map(str::to_owned).collect();
    let last = parts.pop().unwrap_or_default();
    match last.as_str() {
        "lib.rs" | "mod.rs" => {}
        other => parts.push(other.trim_end_matches(".rs").to_owned()),
    }
    parts
}

/// Removes comments, string and character literals (lifetimes stay), keeping everything else.
fn strip(text: &str) -> String {
    let b: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        let next = b.get(i + 1).copied();
        if b[i] == '/' && next == Some('/') {
            while i < b.len() && b[i] != '\n' {
                i += 1;
            }
        } else if b[i] == '/' && next == Some('*') {
            let mut depth = 0;
            while i < b.len() {
                if b[i] == '/' && b.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if b[i] == '*' && b.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push(' ');
        } else if let Some(end) = raw_string_end(&b, i) {
            out.push_str("\"\"");
            i = end;
        } else if b[i] == '"' {
            i += 1;
            while i < b.len() && b[i] != '"' {
                i += if b[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
        } else if b[i] == '\'' && next == Some('\\') {
            i += 2;
            while i < b.len() && b[i] != '\'' {
                i += 1;
            }
            i += 1;
            out.push_str("' '");
        } else if b[i] == '\'' && b.get(i + 2) == Some(&'\'') {
            i += 3;
            out.push_str("' '");
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    out
}

/// The end (exclusive) of a raw string literal `r"..."`, `r#"..."#`, `br"..."` starting at `i`.
fn raw_string_end(b: &[char], i: usize) -> Option<usize> {
    let ident_before = i > 0 && (b[i - 1].is_alphanumeric() || b[i - 1] == '_');
    let start = if b[i] == 'b' && b.get(i + 1) == Some(&'r') {
        i + 1
    } else {
        i
    };
    if ident_before || b[start] != 'r' {
        return None;
    }
    let mut j = start + 1;
    while b.get(j) == Some(&'#') {
        j += 1;
    }
    if b.get(j) != Some(&'"') {
        return None;
    }
    let hashes = j - start - 1;
    j += 1;
    while j < b.len() {
        if b[j] == '"' && (1..=hashes).all(|k| b.get(j + k) == Some(&'#')) {
            return Some(j + 1 + hashes);
        }
        j += 1;
    }
    Some(b.len())
}

/// Removes every item marked `#[cfg(test)]`: up to its `;`, or through its `{ ... }` block.
fn drop_test_items(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let item = &rest[at + "#[cfg(test)]".len()..];
        let semi = item.find(';').unwrap_or(item.len());
        let open = item.find('{').unwrap_or(item.len());
        let end = if semi < open {
            semi + 1
        } else {
            let mut depth = 0usize;
            let mut end = item.len();
            for (k, c) in item.char_indices().skip(open) {
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            end = k + 1;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            end
        };
        rest = &item[end..];
    }
    out.push_str(rest);
    out
}

/// Identifier characters.
fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Splits `text` into identifiers and single punctuation characters (`::` is one token).
fn tokens(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if is_ident(c) {
            let start = i;
            while i < chars.len() && is_ident(chars[i]) {
                i += 1;
            }
            out.push(chars[start..i].iter().collect());
        } else if c == ':' && chars.get(i + 1) == Some(&':') {
            out.push("::".to_owned());
            i += 2;
        } else {
            out.push(c.to_string());
            i += 1;
        }
    }
    out
}

/// Expands a `use` tree starting at `tokens[*i]` into full paths, appended to `out`.
fn use_tree(tokens: &[String], i: &mut usize, prefix: &[String], out: &mut Vec<Vec<String>>) {
    let mut path = prefix.to_vec();
    while *i < tokens.len() {
        let token = tokens[*i].as_str();
        match token {
            "{" => {
                *i += 1;
                while *i < tokens.len() && tokens[*i] != "}" {
                    use_tree(tokens, i, &path, out);
                    if tokens.get(*i).map(String::as_str) == Some(",") {
                        *i += 1;
                    }
                }
                *i += 1;
                return;
            }
            "::" => *i += 1,
            "*" => {
                *i += 1;
                out.push(path);
                return;
            }
            "as" => *i += 2,
            "," | "}" | ";" => {
                out.push(path);
                return;
            }
            "self" if !path.is_empty() => *i += 1,
            _ => {
                path.push(token.to_owned());
                *i += 1;
            }
        }
    }
    out.push(path);
}

/// Every path a file names: its `use` declarations and its inline paths that start with
/// `crate`, `super`, `self` or the name of a child module.
fn paths_of(text: &str, children: &BTreeSet<String>) -> Vec<Vec<String>> {
    let tokens = tokens(text);
    let mut out = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let token = tokens[i].as_str();
        let before = i.checked_sub(1).map(|k| tokens[k].as_str());
        if token == "use" {
            i += 1;
            use_tree(&tokens, &mut i, &[], &mut out);
            continue;
        }
        let starts_path = matches!(token, "crate" | "super" | "self") || children.contains(token);
        if starts_path
            && before != Some("::")
            && tokens.get(i + 1).map(String::as_str) == Some("::")
        {
            let mut path = vec![token.to_owned()];
            i += 1;
            while tokens.get(i).map(String::as_str) == Some("::")
                && tokens.get(i + 1).is_some_and(|t| t.chars().all(is_ident))
            {
                path.push(tokens[i + 1].clone());
                i += 2;
            }
            out.push(path);
            continue;
        }
        i += 1;
    }
    out
}

/// The file graph of one crate's sources, as `path -> {paths it uses}`.
fn graph(sources: &[Source]) -> BTreeMap<String, BTreeSet<String>> {
    let files: BTreeMap<&[String], &str> = sources
        .iter()
        .map(|s| (s.module.as_slice(), s.path.as_str()))
        .collect();
    let mut edges = BTreeMap::new();
    for source in sources {
        let children: BTreeSet<String> = files
            .keys()
            .filter(|m| m.len() == source.module.len() + 1 && m.starts_with(&source.module))
            .map(|m| m[m.len() - 1].clone())
            .collect();
        let text = drop_test_items(&strip(&source.text));
        let targets: &mut BTreeSet<String> = edges.entry(source.path.clone()).or_default();
        for path in paths_of(&text, &children) {
            if let Some(target) = resolve(&files, &source.module, &children, &path) {
                if target != source.path {
                    targets.insert(target.to_owned());
                }
            }
        }
    }
    edges
}

/// The file that defines the deepest module named by `path`, seen from module `current`.
fn resolve<'f>(
    files: &BTreeMap<&[String], &'f str>,
    current: &[String],
    children: &BTreeSet<String>,
    path: &[String],
) -> Option<&'f str> {
    let mut module: Vec<String> = Vec::new();
    let mut rest = path;
    match path.first().map(String::as_str) {
        Some("crate") => rest = &path[1..],
        Some("self") => {
            module = current.to_vec();
            rest = &path[1..];
        }
        Some("super") => {
            module = current.to_vec();
            while rest.first().map(String::as_str) == Some("super") {
                module.pop()?;
                rest = &rest[1..];
            }
        }
        Some(first) if children.contains(first) => module = current.to_vec(),
        _ => return None,
    }
    for segment in rest {
        module.push(segment.clone());
        if !files.contains_key(module.as_slice()) {
            module.pop();
            break;
        }
    }
    files.get(module.as_slice()).copied()
}

/// Every cycle of the graph, one per edge inside a strongly connected set of files: the edge
/// followed by the shortest way back, as `a.rs -> b.rs -> a.rs`, without repeats.
fn cycles(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
    let mut found = BTreeSet::new();
    for (from, targets) in edges {
        for to in targets {
            if let Some(back) = shortest_path(edges, to, from) {
                let mut cycle: Vec<&str> = vec![from.as_str()];
                cycle.extend(back.iter().map(String::as_str));
                // Start each cycle at its smallest file so a cycle is listed once.
                cycle.pop();
                let start = (0..cycle.len()).min_by_key(|&k| cycle[k]).unwrap_or(0);
                cycle.rotate_left(start);
                cycle.push(cycle[0]);
                found.insert(cycle.join(" -> "));
            }
        }
    }
    found.into_iter().collect()
}

/// The shortest path `from .. to` (both included), by breadth-first search.
fn shortest_path(
    edges: &BTreeMap<String, BTreeSet<String>>,
    from: &str,
    to: &str,
) -> Option<Vec<String>> {
    let mut previous: BTreeMap<&str, &str> = BTreeMap::new();
    let mut queue = VecDeque::from([from]);
    while let Some(current) = queue.pop_front() {
        if current == to {
            let mut path = vec![to.to_owned()];
            let mut at = to;
            while at != from {
                at = previous[at];
                path.push(at.to_owned());
            }
            path.reverse();
            return Some(path);
        }
        for next in edges.get(current).into_iter().flatten() {
            if next != from && !previous.contains_key(next.as_str()) {
                previous.insert(next, current);
                queue.push_back(next);
            }
        }
    }
    None
}

/// The sources of `<workspace>/<krate>/src`, test files and the binary's `main.rs` left out.
fn read_crate(krate: &str) -> Vec<Source> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(krate)
        .join("src");
    let mut files = Vec::new();
    collect(&root, &mut files);
    files
        .into_iter()
        .filter_map(|file| {
            let relative = file.strip_prefix(&root).ok()?.to_str()?.replace('\\', "/");
            let name = relative.rsplit('/').next().unwrap_or_default();
            if name == "tests.rs" || relative == "main.rs" || relative.starts_with("bin/") {
                return None;
            }
            Some(Source {
                module: module_of(&relative),
                text: std::fs::read_to_string(&file).ok()?,
                path: format!("{krate}/src/{relative}"),
            })
        })
        .collect()
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn assert_dag(krate: &str) {
    let sources = read_crate(krate);
    assert!(!sources.is_empty(), "no sources found for {krate}");
    let found = cycles(&graph(&sources));
    let mut report = String::new();
    for cycle in &found {
        let _ = writeln!(report, "  {cycle}");
    }
    assert!(
        found.is_empty(),
        "module cycles in {krate}/src ({}): a file must not use a file that uses it\n{report}",
        found.len()
    );
}

#[test]
fn engine_modules_form_a_dag() {
    assert_dag("engine");
}

#[test]
fn harness_modules_form_a_dag() {
    assert_dag("harness");
}

/// A crate made of `(path, text)` pairs.
fn synthetic(files: &[(&str, &str)]) -> Vec<String> {
    let sources: Vec<Source> = files
        .iter()
        .map(|(path, text)| Source {
            path: (*path).to_owned(),
            module: module_of(path),
            text: (*text).to_owned(),
        })
        .collect();
    cycles(&graph(&sources))
}

#[test]
fn a_two_file_cycle_is_reported() {
    let found = synthetic(&[
        ("lib.rs", "mod a;\nmod b;\n"),
        ("a.rs", "use crate::b::B;\npub(crate) struct A(B);\n"),
        (
            "b.rs",
            "pub(crate) struct B;\nfn f() -> super::a::A { super::a::A }\n",
        ),
    ]);
    assert_eq!(found, ["a.rs -> b.rs -> a.rs"]);
}

#[test]
fn a_child_reaching_into_its_parent_is_a_cycle() {
    let found = synthetic(&[
        ("lib.rs", "mod actions;\n"),
        (
            "actions/mod.rs",
            "mod file;\npub(crate) use self::file::write;\npub(crate) struct Params;\n",
        ),
        (
            "actions/file.rs",
            "use super::{Params};\npub(crate) fn write(_: &Params) {}\n",
        ),
    ]);
    assert_eq!(
        found,
        ["actions/file.rs -> actions/mod.rs -> actions/file.rs"]
    );
}

#[test]
fn declarations_tests_comments_and_strings_are_no_edges() {
    let found = synthetic(&[
        ("lib.rs", "mod a;\nmod b;\n"),
        (
            "a.rs",
            "use crate::b;\npub(crate) fn f() { b::g() }\n#[cfg(test)]\nmod tests { use crate::b; }\n",
        ),
        (
            "b.rs",
            "// crate::a::f\n/// [`crate::a`]\npub(crate) fn g() { let _ = \"crate::a::f\"; let _c = '{'; }\n#[cfg(test)]\nmod tests { use super::super::a::f; }\n",
        ),
        ("a/tests.rs", "use crate::b::g;\n"),
    ]);
    assert!(found.is_empty(), "{found:?}");
}

#[test]
fn a_longer_cycle_is_listed_from_its_smallest_file() {
    let found = synthetic(&[
        ("lib.rs", "mod x;\nmod y;\nmod z;\n"),
        ("x.rs", "use crate::y::Y;\npub(crate) struct X;\n"),
        ("y.rs", "use crate::z::{self, Z};\npub(crate) struct Y;\n"),
        ("z.rs", "pub(crate) struct Z(crate::x::X);\n"),
    ]);
    assert_eq!(found, ["x.rs -> y.rs -> z.rs -> x.rs"]);
}
