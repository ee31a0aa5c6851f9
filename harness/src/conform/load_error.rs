//! Load errors as a runtime reports them and as a fixture pins them (contract §1.4, §5.4): the
//! runtime prints `{file}:{line}:{column}: {kind}: {message}` on standard error; the snapshot holds
//! `load_error: {kind, message, line, column, key}`. Kind, line and column are compared, and the
//! message unless the kind is `YamlSyntax` (the parser's own text). The key path is not printed,
//! so it is not compared.

use saphyr::{LoadableYamlNode, Yaml};

use crate::finding::{Check, Code, Finding};

/// A load error: what the runtime printed, or what the snapshot pins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadErrorSeen {
    /// The kind (`DuplicateKey`…).
    pub kind: String,
    /// The message.
    pub message: String,
    /// 1-based line, when known.
    pub line: Option<u64>,
    /// 1-based column, when known.
    pub column: Option<u64>,
}

impl LoadErrorSeen {
    /// `line:column: Kind: message` (the file left out), as contract §1.4 spells it.
    #[must_use]
    pub fn spelled(&self) -> String {
        let place = match (self.line, self.column) {
            (Some(line), Some(column)) => format!("{line}:{column}: "),
            (Some(line), None) => format!("{line}: "),
            _ => String::new(),
        };
        format!("{place}{}: {}", self.kind, self.message)
    }
}

/// The load error a runtime printed on standard error about `file` (any file when `None`): the
/// last line that reads `{file}:{line}:{column}: {kind}: {message}` or one of its shorter forms.
#[must_use]
pub fn parse_reported(stderr: &str, file: Option<&str>) -> Option<LoadErrorSeen> {
    stderr.lines().rev().find_map(|line| match file {
        Some(file) => line
            .strip_prefix(file)
            .and_then(|rest| rest.strip_prefix(':'))
            .and_then(parse_after_file),
        None => line
            .match_indices(':')
            .find_map(|(at, _)| parse_after_file(&line[at + 1..])),
    })
}

/// `line:column: Kind: message`, `line: Kind: message` or ` Kind: message`.
fn parse_after_file(rest: &str) -> Option<LoadErrorSeen> {
    let mut numbers = Vec::new();
    let mut rest = rest;
    while numbers.len() < 2 {
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits == 0 || !rest[digits..].starts_with(':') {
            break;
        }
        numbers.push(rest[..digits].parse::<u64>().ok()?);
        rest = &rest[digits + 1..];
    }
    let (kind, message) = rest.strip_prefix(' ')?.split_once(": ")?;
    if kind.is_empty() || !kind.chars().all(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    Some(LoadErrorSeen {
        kind: kind.to_owned(),
        message: message.to_owned(),
        line: numbers.first().copied(),
        column: numbers.get(1).copied(),
    })
}

/// The load error a snapshot body pins (`load_error:` at its top), if it pins one.
#[must_use]
pub fn pinned(body: &str) -> Option<LoadErrorSeen> {
    let documents = Yaml::load_from_str(body).ok()?;
    let error = get(documents.first()?, "load_error")?;
    let number = |key: &str| {
        get(error, key)
            .and_then(Yaml::as_integer)
            .and_then(|n| u64::try_from(n).ok())
    };
    Some(LoadErrorSeen {
        kind: get(error, "kind")?.as_str()?.to_owned(),
        message: get(error, "message")
            .and_then(Yaml::as_str)
            .unwrap_or_default()
            .to_owned(),
        line: number("line"),
        column: number("column"),
    })
}

/// The value under `key` when `node` is a mapping that has it.
fn get<'y>(node: &'y Yaml<'y>, key: &str) -> Option<&'y Yaml<'y>> {
    node.as_mapping()?
        .iter()
        .find(|(k, _)| k.as_str() == Some(key))
        .map(|(_, value)| value)
}

/// `conform.load_error` when `reported` is not the `pinned` error (or there is none).
#[must_use]
pub fn check(reported: Option<&LoadErrorSeen>, pinned: &LoadErrorSeen) -> Option<Finding> {
    let message = match reported {
        None => "no load error on standard error (`{file}:{line}:{column}: {kind}: {message}`, contract §1.4)".to_owned(),
        Some(seen) if same(seen, pinned) => return None,
        Some(_) => "the load error differs from the one the fixture pins (contract §5.4)".to_owned(),
    };
    let reported = reported.map_or_else(|| "(none)".to_owned(), LoadErrorSeen::spelled);
    let mut pinned_text = pinned.spelled();
    if pinned.kind == "YamlSyntax" {
        pinned_text = pinned_text.replace(&pinned.message, "<any parser message>");
    }
    Some(
        Finding::new(Code::new(Check::Conform, "load_error"), message)
            .with_detail(format!("expected: {pinned_text}\nreported: {reported}")),
    )
}

fn same(seen: &LoadErrorSeen, pinned: &LoadErrorSeen) -> bool {
    seen.kind == pinned.kind
        && seen.line == pinned.line
        && seen.column == pinned.column
        // A pinned `<parser message>` (a YAML syntax error, or a refused input's reader detail,
        // contract §6.12) is not compared.
        && (pinned.kind == "YamlSyntax"
            || pinned.message == "<parser message>"
            || seen.message == pinned.message)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = "load_error:\n  column: 5\n  key: nodes[0].with\n  kind: DuplicateKey\n  line: 8\n  message: \"duplicate key 'with'\"\n";

    #[test]
    fn the_printed_error_is_read_after_its_file() {
        let stderr = "warming up\n/t/x.yaml:8:5: DuplicateKey: duplicate key 'with'\n";
        let seen = parse_reported(stderr, Some("/t/x.yaml")).unwrap();
        assert_eq!(seen, pinned(BODY).unwrap());
        assert_eq!(check(Some(&seen), &pinned(BODY).unwrap()), None);
        let no_place = parse_reported("/t/x.yaml: NoPath: no path", Some("/t/x.yaml")).unwrap();
        assert_eq!((no_place.line, no_place.column), (None, None));
        assert_eq!(no_place.spelled(), "NoPath: no path");
        assert_eq!(
            parse_reported("other: 1:2: Kind: m", Some("/t/x.yaml")),
            None
        );
        let anywhere =
            parse_reported("C:/t/x.yaml:3:4: UnknownKey: unknown key 'z'", None).unwrap();
        assert_eq!(anywhere.spelled(), "3:4: UnknownKey: unknown key 'z'");
    }

    #[test]
    fn a_pinned_parser_message_leaves_the_message_uncompared_but_not_the_kind() {
        let pinned = pinned(
            "load_error:\n  column: null\n  key: null\n  kind: Io\n  line: null\n  message: <parser message>\n",
        )
        .unwrap();
        let seen = parse_reported(
            "/t/input.json: Io: input is not valid JSON: nesting deeper than 127",
            Some("/t/input.json"),
        )
        .unwrap();
        assert_eq!(check(Some(&seen), &pinned), None);
        let other_kind = LoadErrorSeen {
            kind: "InvalidValue".into(),
            ..seen
        };
        assert!(check(Some(&other_kind), &pinned).is_some());
    }

    #[test]
    fn a_different_place_or_kind_is_a_finding() {
        let pinned = pinned(BODY).unwrap();
        let moved = parse_reported("f:9:5: DuplicateKey: duplicate key 'with'", Some("f")).unwrap();
        let finding = check(Some(&moved), &pinned).unwrap();
        assert_eq!(finding.code.to_string(), "conform.load_error");
        assert!(
            finding
                .detail
                .unwrap()
                .contains("reported: 9:5: DuplicateKey")
        );
        assert!(check(None, &pinned).is_some());
        let syntax = LoadErrorSeen {
            kind: "YamlSyntax".into(),
            message: "<parser message>".into(),
            line: Some(1),
            column: Some(2),
        };
        let other_words = LoadErrorSeen {
            message: "mapping values are not allowed".into(),
            ..syntax.clone()
        };
        assert_eq!(check(Some(&other_words), &syntax), None);
    }
}
