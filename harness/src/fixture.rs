//! Fixtures: the shared flow documents in `fixtures/` and the harness instructions in their
//! `parity` key (contract §5).
//!
//! A fixture is `fixtures/<name>.yaml`; both engines receive its text unchanged. The harness reads
//! only the `parity` block (with saphyr, YAML 1.2 like the engines) and the leading comment, which
//! describes the fixture and goes into its snapshot's header.

use std::fmt;
use std::path::{Path, PathBuf};

use saphyr::{LoadableYamlNode, MarkedYaml, Scalar, YamlData};
use serde_json::{Map, Value};

/// Why a fixture cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FixtureError {
    /// The fixtures folder cannot be walked.
    #[error("{}: {source}", path.display())]
    Walk {
        /// The folder.
        path: PathBuf,
        /// The failure.
        source: walkdir::Error,
    },
    /// The fixture file cannot be read (or is not UTF-8).
    #[error("{}: {source}", path.display())]
    Read {
        /// The fixture file.
        path: PathBuf,
        /// The failure.
        source: std::io::Error,
    },
    /// The `parity` block does not say what contract §5 allows.
    #[error("{}:{line}:{column}: parity.{key}: {message}", path.display())]
    Parity {
        /// The fixture file.
        path: PathBuf,
        /// 1-based line of the offending value.
        line: usize,
        /// 1-based column of the offending value.
        column: usize,
        /// The key path inside `parity` (`input`, `xfail.go`…).
        key: String,
        /// What is wrong.
        message: String,
    },
    /// A fixture named on the command line does not exist.
    #[error("no fixture named {name:?} in {}", dir.display())]
    NotFound {
        /// The name asked for.
        name: String,
        /// The fixtures folder.
        dir: PathBuf,
    },
}

/// How a fixture's run must end (`parity.expect`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// The flow span ends with `exit`.
    Completed,
    /// The flow span ends with `error`.
    Failed,
}

impl Expect {
    /// The spelling used in fixtures and reports.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Completed => "completed",
            Self::Failed => "failed",
        }
    }
}

impl fmt::Display for Expect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A known divergence: the engines expected to fail this fixture, each with its reason
/// (`parity.xfail`, contract §5.2).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Xfail {
    /// Why, and where, the Rust engine is expected to differ.
    pub rust: Option<Declared>,
    /// Why, and where, the Python engine is expected to differ.
    pub python: Option<Declared>,
}

impl Xfail {
    /// Whether any engine is expected to fail.
    #[must_use]
    pub fn any(&self) -> bool {
        self.rust.is_some() || self.python.is_some()
    }
}

/// One engine's declared divergence (contract §5.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declared {
    /// Why the engine differs.
    pub reason: String,
    /// Where: JSON pointers into the compared document (the snapshot tree, plus `/status`,
    /// `/final_state` and `/error`). Empty when the whole run is excused.
    pub paths: Vec<String>,
}

impl Declared {
    /// A divergence excused over the whole run.
    #[must_use]
    pub fn whole(reason: &str) -> Self {
        Self {
            reason: reason.to_owned(),
            paths: Vec::new(),
        }
    }
}

/// The harness instructions of a fixture (contract §5).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Parity {
    /// Merged over the flow's `state` (`parity.input`); empty when absent.
    pub input: Map<String, Value>,
    /// How the run must end, when the fixture says.
    pub expect: Option<Expect>,
    /// Known divergences.
    pub xfail: Xfail,
    /// The contract sections the fixture claims to exercise (`§1.2`…), checked by
    /// `twinflow coverage` against what its runs show.
    pub covers: Vec<String>,
}

/// One fixture, read.
#[derive(Debug, Clone)]
pub struct Fixture {
    /// The file stem: the fixture's name and its snapshot's name.
    pub name: String,
    /// The file.
    pub path: PathBuf,
    /// The whole text, handed to both engines unchanged.
    pub text: String,
    /// The leading comment (what the fixture exercises), without the `# ` markers.
    pub description: String,
    /// The `parity` block.
    pub parity: Parity,
    /// How many `console` handlers the flow declares: each writes one line per event.
    pub console_handlers: usize,
}

/// Every `*.yaml` file under `dir`, sorted by path.
///
/// # Errors
/// [`FixtureError::Walk`] when the folder cannot be walked.
pub fn discover(dir: &Path) -> Result<Vec<PathBuf>, FixtureError> {
    let mut paths = Vec::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.map_err(|source| FixtureError::Walk {
            path: dir.to_owned(),
            source,
        })?;
        let is_yaml = entry.path().extension().is_some_and(|ext| ext == "yaml");
        if entry.file_type().is_file() && is_yaml {
            paths.push(entry.into_path());
        }
    }
    paths.sort();
    Ok(paths)
}

/// Loads every fixture under `dir`, or only those named in `names` (file stems), in path order.
///
/// # Errors
/// [`FixtureError`] for a folder that cannot be walked, a fixture that cannot be read or has an
/// invalid `parity` block, or a name that matches no fixture.
pub fn load_all(dir: &Path, names: &[String]) -> Result<Vec<Fixture>, FixtureError> {
    let paths = discover(dir)?;
    for name in names {
        if !paths.iter().any(|path| stem(path) == name.as_str()) {
            return Err(FixtureError::NotFound {
                name: name.clone(),
                dir: dir.to_owned(),
            });
        }
    }
    paths
        .iter()
        .filter(|path| names.is_empty() || names.iter().any(|n| n.as_str() == stem(path)))
        .map(|path| Fixture::load(path))
        .collect()
}

fn stem(path: &Path) -> &str {
    path.file_stem().and_then(|s| s.to_str()).unwrap_or("")
}

impl Fixture {
    /// Reads a fixture file and its `parity` block.
    ///
    /// A document that is not valid YAML keeps the default `parity` (no input, no expectation):
    /// both engines then report their load error, and those are compared.
    ///
    /// # Errors
    /// [`FixtureError::Read`] or [`FixtureError::Parity`].
    pub fn load(path: &Path) -> Result<Self, FixtureError> {
        let text = std::fs::read_to_string(path).map_err(|source| FixtureError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::from_text(path, text)
    }

    /// A fixture from its text; `path` names it (its stem is the fixture's name).
    ///
    /// # Errors
    /// [`FixtureError::Parity`] for an invalid `parity` block.
    pub fn from_text(path: &Path, text: String) -> Result<Self, FixtureError> {
        let parity = read_parity(path, &text)?;
        Ok(Self {
            name: stem(path).to_owned(),
            path: path.to_owned(),
            description: leading_comment(&text),
            console_handlers: console_handlers(&text),
            text,
            parity,
        })
    }

    /// `parity.input` as compact JSON text, for the engines' `input` argument.
    #[must_use]
    pub fn input_json(&self) -> String {
        Value::Object(self.parity.input.clone()).to_string()
    }
}

/// The comment lines that open the file, markers removed.
fn leading_comment(text: &str) -> String {
    let mut lines = Vec::new();
    for line in text.lines() {
        let Some(comment) = line.strip_prefix('#') else {
            break;
        };
        lines.push(comment.strip_prefix(' ').unwrap_or(comment).trim_end());
    }
    lines.join("\n")
}

/// Reads `parity` out of the document, checking every key contract §5 defines.
fn read_parity(path: &Path, text: &str) -> Result<Parity, FixtureError> {
    let Ok(documents) = MarkedYaml::load_from_str(text) else {
        return Ok(Parity::default());
    };
    let Some(YamlData::Mapping(top)) = documents.first().map(|doc| &doc.data) else {
        return Ok(Parity::default());
    };
    let Some(block) = lookup(top, "parity") else {
        return Ok(Parity::default());
    };
    let at = |node: &MarkedYaml<'_>, key: &str, message: String| FixtureError::Parity {
        path: path.to_owned(),
        line: node.span.start.line(),
        column: node.span.start.col() + 1,
        key: key.to_owned(),
        message,
    };
    let mut parity = Parity::default();
    let entries = match &block.data {
        YamlData::Mapping(entries) => entries,
        YamlData::Value(Scalar::Null) => return Ok(parity),
        _ => return Err(at(block, "", "must be a mapping".to_owned())),
    };
    for (key, value) in entries {
        match key.data.as_str() {
            Some("input") => match to_json(value).map_err(|(node, msg)| at(node, "input", msg))? {
                Value::Object(map) => parity.input = map,
                Value::Null => {}
                _ => return Err(at(value, "input", "must be a mapping".to_owned())),
            },
            Some("expect") => {
                parity.expect = Some(match value.data.as_str() {
                    Some("completed") => Expect::Completed,
                    Some("failed") => Expect::Failed,
                    _ => {
                        let message = "must be `completed` or `failed`".to_owned();
                        return Err(at(value, "expect", message));
                    }
                });
            }
            Some("xfail") => parity.xfail = read_xfail(value, &at)?,
            Some("covers") => parity.covers = read_covers(value, &at)?,
            _ => {
                let name = key.data.as_str().unwrap_or("?");
                let message = "unknown key (input, expect, xfail, covers)".to_owned();
                return Err(at(key, name, message));
            }
        }
    }
    Ok(parity)
}

fn read_xfail<'y>(
    value: &'y MarkedYaml<'y>,
    at: &dyn Fn(&MarkedYaml<'_>, &str, String) -> FixtureError,
) -> Result<Xfail, FixtureError> {
    let YamlData::Mapping(entries) = &value.data else {
        return Err(at(
            value,
            "xfail",
            "must map `rust` and/or `python` to a reason".to_owned(),
        ));
    };
    let mut xfail = Xfail::default();
    for (key, declared) in entries {
        let engine = key.data.as_str().unwrap_or("?");
        let slot = match engine {
            "rust" => &mut xfail.rust,
            "python" => &mut xfail.python,
            _ => {
                let message = "unknown engine (rust, python)".to_owned();
                return Err(at(key, &format!("xfail.{engine}"), message));
            }
        };
        *slot = Some(read_declared(declared, &format!("xfail.{engine}"), at)?);
    }
    // Paths are checked against the other engine's run, which must itself be held to its snapshot.
    let scoped = [&xfail.rust, &xfail.python]
        .into_iter()
        .flatten()
        .any(|declared| !declared.paths.is_empty());
    if scoped && xfail.rust.is_some() && xfail.python.is_some() {
        let message = "a divergence confined to paths is declared for one engine only".to_owned();
        return Err(at(value, "xfail", message));
    }
    Ok(xfail)
}

/// A list of section numbers, `§` and digits separated by dots.
fn read_covers<'y>(
    value: &'y MarkedYaml<'y>,
    at: &dyn Fn(&MarkedYaml<'_>, &str, String) -> FixtureError,
) -> Result<Vec<String>, FixtureError> {
    let YamlData::Sequence(items) = &value.data else {
        return Err(at(
            value,
            "covers",
            "must be a list of sections (`§1.2`)".to_owned(),
        ));
    };
    items
        .iter()
        .map(|item| {
            let text = item.data.as_str().unwrap_or("");
            let digits = text.strip_prefix('§').unwrap_or("");
            let numbered = !digits.is_empty()
                && digits
                    .split('.')
                    .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()));
            if numbered {
                Ok(text.to_owned())
            } else {
                Err(at(
                    item,
                    "covers",
                    "must name a section as `§N` or `§N.M`".to_owned(),
                ))
            }
        })
        .collect()
}

/// `reason`, or `{reason, path}` where `path` is one JSON pointer or a list of them.
fn read_declared<'y>(
    value: &'y MarkedYaml<'y>,
    key: &str,
    at: &dyn Fn(&MarkedYaml<'_>, &str, String) -> FixtureError,
) -> Result<Declared, FixtureError> {
    let reason = |node: &MarkedYaml<'_>, key: &str| match node.data.as_str() {
        Some(text) if !text.trim().is_empty() => Ok(text.to_owned()),
        _ => Err(at(node, key, "must be a non-empty reason".to_owned())),
    };
    let YamlData::Mapping(entries) = &value.data else {
        return reason(value, key).map(|reason| Declared::whole(&reason));
    };
    let (mut found, mut paths) = (None, Vec::new());
    for (name, item) in entries {
        match name.data.as_str() {
            Some("reason") => found = Some(reason(item, &format!("{key}.reason"))?),
            Some("path") => paths = read_pointers(item, &format!("{key}.path"), at)?,
            other => {
                let message = "unknown key (reason, path)".to_owned();
                return Err(at(
                    name,
                    &format!("{key}.{}", other.unwrap_or("?")),
                    message,
                ));
            }
        }
    }
    let Some(reason) = found else {
        return Err(at(value, key, "must have a `reason`".to_owned()));
    };
    Ok(Declared { reason, paths })
}

fn read_pointers<'y>(
    value: &'y MarkedYaml<'y>,
    key: &str,
    at: &dyn Fn(&MarkedYaml<'_>, &str, String) -> FixtureError,
) -> Result<Vec<String>, FixtureError> {
    let items: Vec<&MarkedYaml<'y>> = match &value.data {
        YamlData::Sequence(items) if !items.is_empty() => items.iter().collect(),
        _ => vec![value],
    };
    let mut paths: Vec<String> = Vec::new();
    let found: Vec<String> = items
        .into_iter()
        .map(|item| match item.data.as_str() {
            Some(pointer) if pointer.starts_with('/') => Ok(pointer.to_owned()),
            _ => {
                let message = "must be a JSON pointer (`/…`) or a non-empty list of them";
                Err(at(item, key, message.to_owned()))
            }
        })
        .collect::<Result<_, _>>()?;
    // A path named twice is one path.
    for path in found {
        if !paths.contains(&path) {
            paths.push(path);
        }
    }
    Ok(paths)
}

/// The number of `{type: console}` entries under `settings.observability.handlers` (0 when the
/// text is not a flow document).
fn console_handlers(text: &str) -> usize {
    let Ok(documents) = MarkedYaml::load_from_str(text) else {
        return 0;
    };
    let Some(YamlData::Mapping(top)) = documents.first().map(|doc| &doc.data) else {
        return 0;
    };
    let handlers = lookup(top, "settings")
        .and_then(|settings| match &settings.data {
            YamlData::Mapping(map) => lookup(map, "observability"),
            _ => None,
        })
        .and_then(|observability| match &observability.data {
            YamlData::Mapping(map) => lookup(map, "handlers"),
            _ => None,
        });
    let Some(YamlData::Sequence(handlers)) = handlers.map(|h| &h.data) else {
        return 0;
    };
    handlers
        .iter()
        .filter(|handler| match &handler.data {
            YamlData::Mapping(map) => {
                lookup(map, "type").and_then(|t| t.data.as_str()) == Some("console")
            }
            _ => false,
        })
        .count()
}

fn lookup<'a, 'y>(
    map: &'a saphyr::AnnotatedMapping<'y, MarkedYaml<'y>>,
    key: &str,
) -> Option<&'a MarkedYaml<'y>> {
    map.iter()
        .find(|(k, _)| k.data.as_str() == Some(key))
        .map(|(_, v)| v)
}

/// A YAML value as JSON, or the node that has no JSON form and why.
fn to_json<'a, 'y>(node: &'a MarkedYaml<'y>) -> Result<Value, (&'a MarkedYaml<'y>, String)> {
    match &node.data {
        YamlData::Value(scalar) => match scalar {
            Scalar::Null => Ok(Value::Null),
            Scalar::Boolean(b) => Ok(Value::Bool(*b)),
            Scalar::Integer(i) => Ok(Value::from(*i)),
            Scalar::FloatingPoint(f) => serde_json::Number::from_f64(f.into_inner())
                .map(Value::Number)
                .ok_or((node, "a non-finite float has no JSON form".to_owned())),
            Scalar::String(s) => Ok(Value::String(s.to_string())),
        },
        YamlData::Sequence(items) => items
            .iter()
            .map(to_json)
            .collect::<Result<_, _>>()
            .map(Value::Array),
        YamlData::Mapping(entries) => {
            let mut map = Map::new();
            for (key, value) in entries {
                let Some(name) = key.data.as_str() else {
                    return Err((key, "keys must be strings".to_owned()));
                };
                map.insert(name.to_owned(), to_json(value)?);
            }
            Ok(Value::Object(map))
        }
        _ => Err((
            node,
            "tags, aliases and unparsable scalars are not JSON".to_owned(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fixture(text: &str) -> Result<Fixture, FixtureError> {
        Fixture::from_text(Path::new("fixtures/demo.yaml"), text.to_owned())
    }

    #[test]
    fn the_parity_block_is_read() {
        let f = fixture(
            "# Demo fixture.\n# Second line.\nname: demo\nparity:\n  input: {count: 4, ratio: 1.5, tag: yes, n: null}\n  expect: failed\n  xfail: {rust: \"minijinja ~\"}\n",
        )
        .expect("valid");
        assert_eq!(f.name, "demo");
        assert_eq!(f.description, "Demo fixture.\nSecond line.");
        assert_eq!(
            Value::Object(f.parity.input.clone()),
            json!({"count": 4, "ratio": 1.5, "tag": "yes", "n": null})
        );
        assert_eq!(
            f.input_json(),
            r#"{"count":4,"ratio":1.5,"tag":"yes","n":null}"#
        );
        assert_eq!(f.parity.expect, Some(Expect::Failed));
        assert_eq!(f.parity.xfail.rust, Some(Declared::whole("minijinja ~")));
        assert_eq!(f.parity.xfail.python, None);
    }

    #[test]
    fn a_fixture_without_parity_has_the_defaults() {
        let f = fixture("name: demo\n").expect("valid");
        assert_eq!(f.parity, Parity::default());
        let f = fixture("name: [unclosed\n").expect("unparsable documents keep the defaults");
        assert_eq!(f.parity, Parity::default());
    }

    #[test]
    fn an_xfail_may_be_scoped_to_paths() {
        let text = "name: demo\nparity:\n  xfail:\n    python: {reason: spelled, path: [/flow#1/x, /a~1b, /flow#1/x]}\n";
        let f = fixture(text).expect("valid");
        assert_eq!(
            f.parity.xfail.python,
            Some(Declared {
                reason: "spelled".into(),
                paths: vec!["/flow#1/x".into(), "/a~1b".into()]
            })
        );
        let both =
            "name: demo\nparity:\n  xfail:\n    python: {reason: a, path: /x}\n    rust: b\n";
        let err = fixture(both).expect_err("one engine only");
        assert!(
            err.to_string().contains(
                ":4:5: parity.xfail: a divergence confined to paths is declared for one engine only"
            ),
            "{err}"
        );
    }

    #[test]
    fn invalid_parity_blocks_are_located() {
        let err = fixture("name: demo\nparity:\n  expect: maybe\n").expect_err("invalid");
        assert_eq!(
            err.to_string(),
            "fixtures/demo.yaml:3:11: parity.expect: must be `completed` or `failed`"
        );
        let err = fixture("name: demo\nparity:\n  xfail: {go: x}\n").expect_err("invalid");
        assert!(
            err.to_string()
                .contains(":3:11: parity.xfail.go: unknown engine"),
            "{err}"
        );
        let err = fixture("name: demo\nparity:\n  xfail: {rust: \"\"}\n").expect_err("invalid");
        assert!(err.to_string().contains("non-empty reason"), "{err}");
        let err =
            fixture("name: demo\nparity:\n  xfail: {rust: {path: /a}}\n").expect_err("invalid");
        assert!(
            err.to_string()
                .contains(":3:17: parity.xfail.rust: must have a `reason`"),
            "{err}"
        );
        let err = fixture("name: demo\nparity:\n  xfail: {rust: {reason: r, path: [/a, b]}}\n")
            .expect_err("invalid");
        assert!(
            err.to_string()
                .contains(":3:40: parity.xfail.rust.path: must be a JSON pointer"),
            "{err}"
        );
        let err = fixture("name: demo\nparity:\n  xfail: {rust: {reason: r, at: /a}}\n")
            .expect_err("invalid");
        assert!(
            err.to_string()
                .contains("parity.xfail.rust.at: unknown key (reason, path)"),
            "{err}"
        );
        let err = fixture("name: demo\nparity:\n  covers: [§1.2, 1.3]\n").expect_err("invalid");
        assert!(
            err.to_string()
                .contains(":3:18: parity.covers: must name a section as `§N` or `§N.M`"),
            "{err}"
        );
        let err = fixture("name: demo\nparity:\n  covers: §1\n").expect_err("invalid");
        assert!(
            err.to_string().contains("must be a list of sections"),
            "{err}"
        );
        let f = fixture("name: demo\nparity:\n  covers: [§4, §1.2]\n").expect("valid");
        assert_eq!(f.parity.covers, ["§4", "§1.2"]);
        let err = fixture("name: demo\nparity:\n  inputs: {}\n").expect_err("invalid");
        assert!(
            err.to_string().contains(":3:3: parity.inputs: unknown key"),
            "{err}"
        );
        let err = fixture("name: demo\nparity:\n  input: [1]\n").expect_err("invalid");
        assert!(
            err.to_string().contains("parity.input: must be a mapping"),
            "{err}"
        );
        let err = fixture("name: demo\nparity:\n  input: {x: .inf}\n").expect_err("invalid");
        assert!(err.to_string().contains("non-finite"), "{err}");
    }

    #[test]
    fn every_fixture_of_the_repository_loads() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures");
        let fixtures = load_all(&dir, &[]).expect("fixtures load");
        assert!(fixtures.len() >= 25, "only {} fixtures", fixtures.len());
        let names: Vec<&str> = fixtures.iter().map(|f| f.name.as_str()).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(names, sorted);
    }

    #[test]
    fn unknown_names_are_refused() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures");
        let err = load_all(&dir, &["no_such_fixture".to_owned()]).expect_err("unknown");
        assert!(matches!(err, FixtureError::NotFound { .. }));
    }
}
