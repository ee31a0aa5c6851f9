//! Template filters and tests as coverage items: the ones contract §1.3 requires ("Filters and
//! tests a runtime provides"), and the ones a run reached. A name counts for a runtime when a
//! template holding it belongs to a node whose span that runtime completed (`exit`), or is the
//! condition of an edge leaving such a node: the node ran, not only was written. (A condition after
//! the one taken, or a branch of an `{% if %}` not taken, still counts: the check is per template.)

use std::collections::BTreeSet;

use serde_json::Value;

use crate::run::Outcome;

/// The comparison tests, spelled as operators (`select('>', 2)`).
const OPERATORS: [&str; 6] = ["==", "!=", ">=", "<=", ">", "<"];

/// The filters and the tests contract §1.3 lists under "- Filters:" and "- Tests:".
#[must_use]
pub fn required(contract: &str) -> (Vec<String>, Vec<String>) {
    (listed(contract, "- Filters:"), listed(contract, "- Tests:"))
}

/// The names in backquotes of the bullet starting with `head` and its continuation lines; only
/// names a template can use (words and the comparison operators), not the examples beside them.
fn listed(contract: &str, head: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut inside = false;
    for line in contract.lines() {
        if line.starts_with(head) {
            inside = true;
        } else if !line.starts_with("  ") {
            inside = false;
        }
        if !inside {
            continue;
        }
        for (index, quoted) in line.split('`').enumerate() {
            let word =
                !quoted.is_empty() && quoted.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
            if index % 2 == 1
                && (word || OPERATORS.contains(&quoted))
                && !names.iter().any(|n| n == quoted)
            {
                names.push(quoted.to_owned());
            }
        }
    }
    names
}

/// One token of a template's code.
#[derive(Debug, Clone, PartialEq)]
enum Token<'t> {
    Name(&'t str),
    Text(String),
    Symbol(&'t str),
}

/// The filters and tests `template` names: `x | f`, `{% filter f %}`, `map('f')` for filters;
/// `x is t`, `x is not t`, `select('t')`, `reject('t')`, `selectattr('a', 't')`,
/// `rejectattr('a', 't')` for tests.
#[must_use]
pub(crate) fn used(template: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let (mut filters, mut tests) = (BTreeSet::new(), BTreeSet::new());
    for (code, block) in regions(template) {
        let tokens = tokenize(code);
        if block {
            if let [Token::Name("filter"), Token::Name(name), ..] = tokens.as_slice() {
                filters.insert((*name).to_owned());
            }
        }
        for (i, token) in tokens.iter().enumerate() {
            let next = |k: usize| tokens.get(i + k);
            match token {
                Token::Symbol("|") => {
                    if let Some(Token::Name(name)) = next(1) {
                        filters.insert((*name).to_owned());
                    }
                }
                Token::Name("is") => {
                    let skip = usize::from(next(1) == Some(&Token::Name("not")));
                    if let Some(Token::Name(name) | Token::Symbol(name)) = next(1 + skip) {
                        tests.insert((*name).to_owned());
                    }
                }
                Token::Name(call @ ("select" | "reject" | "map"))
                    if next(1) == Some(&Token::Symbol("(")) =>
                {
                    if let Some(Token::Text(name)) = next(2) {
                        let into = if *call == "map" {
                            &mut filters
                        } else {
                            &mut tests
                        };
                        into.insert(name.clone());
                    }
                }
                Token::Name("selectattr" | "rejectattr")
                    if next(1) == Some(&Token::Symbol("(")) =>
                {
                    if let (
                        Some(Token::Text(_)),
                        Some(Token::Symbol(",")),
                        Some(Token::Text(name)),
                    ) = (next(2), next(3), next(4))
                    {
                        tests.insert(name.clone());
                    }
                }
                _ => {}
            }
        }
    }
    (filters, tests)
}

/// The code parts of a template: each `{{ … }}` (false) and `{% … %}` (true), without the braces;
/// comments and plain text are left out.
fn regions(template: &str) -> Vec<(&str, bool)> {
    let mut found = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        let after = &rest[start + 1..];
        let (close, block) = match after.as_bytes().first() {
            Some(b'{') => ("}}", false),
            Some(b'%') => ("%}", true),
            Some(b'#') => ("#}", false),
            _ => {
                rest = after;
                continue;
            }
        };
        let body = &after[1..];
        let end = body.find(close).unwrap_or(body.len());
        if close != "#}" {
            found.push((body[..end].trim_matches('-'), block));
        }
        rest = body.get(end + close.len()..).unwrap_or("");
    }
    found
}

fn tokenize(code: &str) -> Vec<Token<'_>> {
    let mut tokens = Vec::new();
    let mut chars = code.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        if c.is_whitespace() {
            continue;
        }
        if c == '\'' || c == '"' {
            let mut text = String::new();
            while let Some((_, d)) = chars.next() {
                match d {
                    '\\' => text.extend(chars.next().map(|(_, e)| e)),
                    d if d == c => break,
                    d => text.push(d),
                }
            }
            tokens.push(Token::Text(text));
        } else if c.is_ascii_alphabetic() || c == '_' {
            let mut end = start + c.len_utf8();
            while let Some(&(i, d)) = chars.peek() {
                if !(d.is_ascii_alphanumeric() || d == '_') {
                    break;
                }
                end = i + d.len_utf8();
                chars.next();
            }
            tokens.push(Token::Name(&code[start..end]));
        } else {
            let two = code.get(start..start + 2).filter(|s| OPERATORS.contains(s));
            let symbol = two.unwrap_or(&code[start..start + c.len_utf8()]);
            if two.is_some() {
                chars.next();
            }
            tokens.push(Token::Symbol(symbol));
        }
    }
    tokens
}

/// The filters and tests `outcome` rendered: those of the templates of every node whose span it
/// completed, and of the `when` of every edge leaving one (the flow text is read by the Rust
/// engine's loader; a flow that did not load used none).
#[must_use]
pub fn rendered(text: &str, outcome: &Outcome) -> (BTreeSet<String>, BTreeSet<String>) {
    let (mut filters, mut tests) = (BTreeSet::new(), BTreeSet::new());
    let (Outcome::Events(ran), Ok(flow)) = (outcome, yamlflow::load_str(text, "<fixture>")) else {
        return (filters, tests);
    };
    let completed: BTreeSet<String> = ran
        .events
        .iter_values()
        .filter(|event| {
            event.get("event_type").and_then(Value::as_str) == Some("exit")
                && event.get("kind").and_then(Value::as_str) == Some("node")
        })
        .filter_map(|event| event.get("node").and_then(Value::as_str).map(str::to_owned))
        .collect();
    let mut templates: Vec<&str> = Vec::new();
    for node in flow
        .nodes
        .iter()
        .filter(|n| completed.contains(n.name.as_str()))
    {
        let calls = match &node.body {
            yamlflow::NodeBody::Action(call) => std::slice::from_ref(call),
            yamlflow::NodeBody::Steps(steps) => steps.as_slice(),
        };
        for call in calls {
            call.with
                .values()
                .for_each(|value| strings(value, &mut templates));
        }
    }
    let from_completed = |from: &yamlflow::Endpoint| match from {
        yamlflow::Endpoint::One(name) => name == "__start__" || completed.contains(name.as_str()),
        yamlflow::Endpoint::Many(names) => names.iter().all(|n| completed.contains(n.as_str())),
    };
    for edge in flow.edges.iter().filter(|edge| from_completed(&edge.from)) {
        templates.extend(edge.when.as_deref());
    }
    for template in templates {
        let (f, t) = used(template);
        filters.extend(f);
        tests.extend(t);
    }
    (filters, tests)
}

fn strings<'v>(value: &'v Value, out: &mut Vec<&'v str>) {
    match value {
        Value::String(text) => out.push(text),
        Value::Array(items) => items.iter().for_each(|item| strings(item, out)),
        Value::Object(map) => map.values().for_each(|item| strings(item, out)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(set: &BTreeSet<String>) -> Vec<&str> {
        set.iter().map(String::as_str).collect()
    }

    #[test]
    fn filters_and_tests_are_found_in_every_form() {
        let (filters, tests) = used(
            "x {{ a | upper | replace('|', 'is') }}{% if b is not divisibleby(3) and c is == 1 %}\
             {{ l | select('odd') | map('lower') | selectattr('k', 'gt', 1) | list }}{% endif %}\
             {# a | hidden #}{% filter title %}t{% endfilter %}{{ m | reject(\"even\") }}",
        );
        assert_eq!(
            names(&filters),
            [
                "list",
                "lower",
                "map",
                "reject",
                "replace",
                "select",
                "selectattr",
                "title",
                "upper"
            ]
        );
        assert_eq!(names(&tests), ["==", "divisibleby", "even", "gt", "odd"]);
    }

    #[test]
    fn the_contract_lists_are_read_without_their_examples() {
        let contract = "- Filters: `abs`, `format` (`%`-style), `round` (Python's `round`: `2.5|round` is `2.0`),\n  `upper`.\n- Tests: `eq`, `==`, `none`.\n- Not part of the contract: `center`.\n";
        let (filters, tests) = required(contract);
        assert_eq!(filters, ["abs", "format", "round", "upper"]);
        assert_eq!(tests, ["eq", "==", "none"]);
    }
}
