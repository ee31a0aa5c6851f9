//! `file.write` and `file.read` (contract §2, §2.2); paths follow the sandbox rule
//! of [`crate::sandbox`], and inside a fan-out a branch's turn (contract §1.2, "Files").

use std::io::{ErrorKind, Read, Write};

use serde_json::{Map, Value};

use super::context::{ActionCtx, ActionError, io_reason};
use super::params::Params;
use crate::sandbox::{self, Access, OpenError};

pub(crate) fn write(params: &Params<'_>, ctx: &ActionCtx<'_>) -> Result<Value, ActionError> {
    let path = params.str("path")?;
    let content = params.str("content")?;
    let io = |err: std::io::Error| {
        ActionError::action(format!(
            "file.write: cannot write {path}: {}",
            io_reason(&err)
        ))
    };
    ctx.files.wait(ctx.span);
    sandbox::open("file.write", ctx.sandbox, path, Access::Write)
        .map_err(|e| e.into_action(io))?
        .write_all(content.as_bytes())
        .map_err(io)?;
    let mut out = Map::with_capacity(2);
    out.insert("path".into(), Value::String(path.to_owned()));
    out.insert("bytes".into(), Value::from(content.len()));
    Ok(Value::Object(out))
}

pub(crate) fn read(params: &Params<'_>, ctx: &ActionCtx<'_>) -> Result<Value, ActionError> {
    let path = params.str("path")?;
    let io = |err: std::io::Error| {
        ActionError::action(if err.kind() == ErrorKind::NotFound {
            format!("file.read: no such file: {path}")
        } else {
            format!("file.read: cannot read {path}: {}", io_reason(&err))
        })
    };
    let mut bytes = Vec::new();
    ctx.files.wait(ctx.span);
    sandbox::open("file.read", ctx.sandbox, path, Access::Read)
        .map_err(|e: OpenError| e.into_action(io))?
        .read_to_end(&mut bytes)
        .map_err(io)?;
    String::from_utf8(bytes)
        .map(Value::String)
        .map_err(|_| ActionError::action(format!("file.read: not UTF-8 text: {path}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::tests::run_action;
    use serde_json::json;

    #[test]
    fn io_failures() {
        // contract §6: the OS reason without the errno; a directory, non-UTF-8, a NUL.
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("bin"), [0xff, 0xfe]).unwrap();
        std::fs::write(dir.path().join("plain"), "x").unwrap();
        let message = |uses: &str, params: Value| {
            let e = run_action(uses, params, dir.path(), 1).unwrap_err();
            format!("{}: {}", e.kind, e.message)
        };
        assert_eq!(
            message("file.read", json!({"path": "sub"})),
            "ActionError: file.read: cannot read sub: Is a directory"
        );
        assert_eq!(
            message("file.write", json!({"path": "sub", "content": "x"})),
            "ActionError: file.write: cannot write sub: Is a directory"
        );
        assert_eq!(
            message("file.write", json!({"path": "plain/x/y", "content": "x"})),
            "ActionError: file.write: cannot write plain/x/y: Not a directory"
        );
        assert_eq!(
            message("file.read", json!({"path": "bin"})),
            "ActionError: file.read: not UTF-8 text: bin"
        );
        assert_eq!(
            message("file.read", json!({"path": "a\0b"})),
            "PermissionDenied: file.read: path escapes the sandbox: a\0b"
        );
        assert_eq!(
            message("file.read", json!({"path": ""})),
            "ActionError: file.read: cannot read : Is a directory"
        );
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
