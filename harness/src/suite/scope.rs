//! A divergence declared at paths (`parity.xfail.<engine>.path`, contract §5.2). The compared
//! document of a run is its snapshot tree with the reported `status` and `final_state` beside it.
//! The engines pass as declared when their documents are equal once the declared paths are taken
//! out of both; every declared path must still differ, or it is stale.

use saphyr::{LoadableYamlNode, Scalar, Yaml};
use serde_json::{Map, Value};

use crate::normalize::Canon;

/// What comparing two documents under declared paths finds.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Scoped {
    /// Whether the documents differ at all.
    pub differs: bool,
    /// The two documents without the declared paths, rendered, when they still differ: the
    /// divergence reaches beyond what was declared.
    pub beyond: Option<(String, String)>,
    /// The declared paths at which both documents hold the same value.
    pub stale: Vec<String>,
}

/// The compared document of one run: its snapshot body (YAML) as a tree, with `end` (the
/// reported `{status, final_state}`, YAML) merged in when the run produced events.
pub(crate) fn document(body: &str, end: Option<&str>) -> Value {
    let mut tree = match yaml_value(body) {
        Value::Object(map) => map,
        other => Map::from_iter([("body".to_owned(), other)]),
    };
    if let Some(Value::Object(end)) = end.map(yaml_value) {
        tree.extend(end);
    }
    Value::Object(tree)
}

/// Compares `a` and `b` with `paths` (JSON pointers) excused.
pub(crate) fn compare(mut a: Value, mut b: Value, paths: &[String]) -> Scoped {
    let stale = paths
        .iter()
        .filter(|path| a.pointer(path) == b.pointer(path))
        .cloned()
        .collect();
    let differs = a != b;
    for path in paths {
        remove(&mut a, path);
        remove(&mut b, path);
    }
    let beyond = (a != b).then(|| {
        let render = |value: &Value| Canon::from_json(value).to_yaml();
        (render(&a), render(&b))
    });
    Scoped {
        differs,
        beyond,
        stale,
    }
}

/// Takes the value at `pointer` out of `root`: a key is removed, a list item becomes null so that
/// the items after it keep their indices.
fn remove(root: &mut Value, pointer: &str) {
    let Some((parent, last)) = pointer.rsplit_once('/') else {
        return;
    };
    let last = last.replace("~1", "/").replace("~0", "~");
    match root.pointer_mut(parent) {
        Some(Value::Object(map)) => {
            map.remove(&last);
        }
        Some(Value::Array(items)) => {
            if let Some(item) = last.parse::<usize>().ok().and_then(|i| items.get_mut(i)) {
                *item = Value::Null;
            }
        }
        _ => {}
    }
}

/// A YAML text (a snapshot body the harness rendered) as a JSON tree; what has no JSON form
/// (non-finite floats, non-string keys) is spelled as a string, the same way for both engines.
fn yaml_value(text: &str) -> Value {
    match Yaml::load_from_str(text) {
        Ok(documents) => documents.first().map_or(Value::Null, to_value),
        Err(_) => Value::String(text.to_owned()),
    }
}

fn to_value(node: &Yaml<'_>) -> Value {
    match node {
        Yaml::Value(scalar) => scalar_value(scalar),
        Yaml::Sequence(items) => Value::Array(items.iter().map(to_value).collect()),
        Yaml::Mapping(entries) => Value::Object(
            entries
                .iter()
                .map(|(key, value)| (key_text(key), to_value(value)))
                .collect(),
        ),
        other => Value::String(format!("{other:?}")),
    }
}

fn scalar_value(scalar: &Scalar<'_>) -> Value {
    match scalar {
        Scalar::Null => Value::Null,
        Scalar::Boolean(b) => Value::Bool(*b),
        Scalar::Integer(i) => Value::from(*i),
        Scalar::FloatingPoint(f) => serde_json::Number::from_f64(f.into_inner())
            .map_or_else(|| Value::String(f.to_string()), Value::Number),
        Scalar::String(s) => Value::String(s.to_string()),
    }
}

fn key_text(key: &Yaml<'_>) -> String {
    match to_value(key) {
        Value::String(text) => text,
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const RUST: &str = "flow#1:\n  timeline:\n    - entry:\n        message: x1e+16\n    - exit:\n        message: done\n";
    const PYTHON: &str = "flow#1:\n  timeline:\n    - entry:\n        message: x1e16\n    - exit:\n        message: done\n";

    #[test]
    fn the_end_sits_beside_the_snapshot_tree() {
        let doc = document(
            "flow#1: {a: 1}\n",
            Some("status: completed\nfinal_state: {n: 2}\n"),
        );
        assert_eq!(
            doc,
            json!({"flow#1": {"a": 1}, "status": "completed", "final_state": {"n": 2}})
        );
    }

    #[test]
    fn a_divergence_inside_the_declared_path_is_excused() {
        let path = "/flow#1/timeline/0/entry/message".to_owned();
        let scoped = compare(document(RUST, None), document(PYTHON, None), &[path]);
        assert_eq!(
            scoped,
            Scoped {
                differs: true,
                ..Scoped::default()
            }
        );
    }

    #[test]
    fn a_divergence_outside_it_is_not_and_an_equal_path_is_stale() {
        let path = "/flow#1/timeline/1/exit/message".to_owned();
        let scoped = compare(
            document(RUST, None),
            document(PYTHON, None),
            std::slice::from_ref(&path),
        );
        let (rust, python) = scoped.beyond.expect("differs beyond the path");
        assert!(
            rust.contains("x1e+16") && python.contains("x1e16"),
            "{rust}"
        );
        assert!(
            !rust.contains("done"),
            "the excused value is left out: {rust}"
        );
        assert_eq!(scoped.stale, [path]);
    }

    #[test]
    fn list_items_keep_their_indices_and_escapes_are_read() {
        let mut value = json!({"a/b": [1, 2, 3], "c": {"d": 1}});
        remove(&mut value, "/a~1b/1");
        remove(&mut value, "/c/d");
        remove(&mut value, "/missing/x");
        assert_eq!(value, json!({"a/b": [1, null, 3], "c": {}}));
    }
}
