//! `file.write` and `file.read`, and the sandbox rule shared with `obs.export` and file handlers:
//! paths are relative to the run's sandbox; absolute paths and `..` components are refused
//! (CONTRACT §2, schema/README.md §4).

use std::io::ErrorKind;
use std::path::{Component, Path, PathBuf};

use serde_json::{Map, Value};

use super::{ActionCtx, ActionError, Params};

/// The sandboxed location of `path`, or `None` when it is absolute or has a `..` component.
pub(crate) fn sandbox_path(sandbox: &Path, path: &str) -> Option<PathBuf> {
    let relative = Path::new(path);
    let escapes = relative.components().any(|c| {
        matches!(
            c,
            Component::ParentDir | Component::RootDir | Component::Prefix(_)
        )
    });
    (!escapes).then(|| sandbox.join(relative))
}

/// [`sandbox_path`] with the contract's `PermissionDenied`.
pub(crate) fn checked_path(
    action: &str,
    sandbox: &Path,
    path: &str,
) -> Result<PathBuf, ActionError> {
    sandbox_path(sandbox, path).ok_or_else(|| {
        ActionError::new(
            "PermissionDenied",
            format!("{action}: path escapes the sandbox: {path}"),
        )
    })
}

pub(crate) fn write(params: &Params<'_>, ctx: &ActionCtx<'_>) -> Result<Value, ActionError> {
    let path = params.str("path")?;
    let content = params.str("content")?;
    let full = checked_path("file.write", ctx.sandbox, path)?;
    let io = |err: std::io::Error| ActionError::action(format!("file.write: {err}: {path}"));
    if let Some(parent) = full.parent() {
        std::fs::create_dir_all(parent).map_err(io)?;
    }
    std::fs::write(&full, content).map_err(io)?;
    let mut out = Map::with_capacity(2);
    out.insert("path".into(), Value::String(path.to_owned()));
    out.insert("bytes".into(), Value::from(content.len()));
    Ok(Value::Object(out))
}

pub(crate) fn read(params: &Params<'_>, ctx: &ActionCtx<'_>) -> Result<Value, ActionError> {
    let path = params.str("path")?;
    let full = checked_path("file.read", ctx.sandbox, path)?;
    match std::fs::read_to_string(&full) {
        Ok(text) => Ok(Value::String(text)),
        Err(err) if err.kind() == ErrorKind::NotFound => Err(ActionError::action(format!(
            "file.read: no such file: {path}"
        ))),
        Err(err) => Err(ActionError::action(format!("file.read: {err}: {path}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::tests::run_action;
    use serde_json::json;

    #[test]
    fn sandbox_rule() {
        let root = Path::new("/sb");
        assert_eq!(
            sandbox_path(root, "a/b.txt"),
            Some(PathBuf::from("/sb/a/b.txt"))
        );
        assert_eq!(sandbox_path(root, "/etc/hostname"), None);
        assert_eq!(sandbox_path(root, "logs/../../etc/passwd"), None);
        assert_eq!(sandbox_path(root, "a/../b"), None);
    }

    #[test]
    fn write_then_read() {
        let dir = tempfile::tempdir().unwrap();
        let out = run_action(
            "file.write",
            json!({"path": "out/deep/note.txt", "content": "héllo ✓\n"}),
            dir.path(),
            1,
        )
        .unwrap();
        assert_eq!(out, json!({"path": "out/deep/note.txt", "bytes": 11}));
        let text = run_action(
            "file.read",
            json!({"path": "out/deep/note.txt"}),
            dir.path(),
            1,
        )
        .unwrap();
        assert_eq!(text, json!("héllo ✓\n"));
        let e = run_action("file.read", json!({"path": "missing/x"}), dir.path(), 1).unwrap_err();
        assert_eq!(e.message, "file.read: no such file: missing/x");
        let e = run_action(
            "file.write",
            json!({"path": "logs/../../etc/passwd", "content": "x"}),
            dir.path(),
            1,
        )
        .unwrap_err();
        assert_eq!(
            (e.kind.as_str(), e.message.as_str()),
            (
                "PermissionDenied",
                "file.write: path escapes the sandbox: logs/../../etc/passwd"
            )
        );
    }
}
