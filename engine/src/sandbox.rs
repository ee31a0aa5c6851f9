//! The sandbox rule (contract §2, §2.3, §6), shared by `file.*`,
//! `obs.export` and the file handler: a path is relative to the run's sandbox and must stay inside
//! it, lexically and after following symlinks.

use std::path::{Path, PathBuf};

/// A path that would leave the sandbox: `{action}: path escapes the sandbox: {path}`. Actions
/// fail with it as the error type `PermissionDenied` (contract §2.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SandboxEscape {
    /// The contract message.
    pub(crate) message: String,
}

impl SandboxEscape {
    fn new(action: &str, path: &str) -> Self {
        Self {
            message: format!("{action}: path escapes the sandbox: {path}"),
        }
    }
}

/// The location of `path` inside `sandbox`, or SandboxEscape.
///
/// Refused without touching the disk: an absolute path, a backslash or NUL anywhere, a drive
/// letter prefix (`C:`), a `..` component. Then the deepest existing ancestor of the joined path,
/// canonicalized, must lie inside the canonicalized sandbox (a symlink cannot lead out). An empty
/// path is the sandbox directory itself: the I/O that follows fails as an ActionError.
pub(crate) fn resolve(action: &str, sandbox: &Path, path: &str) -> Result<PathBuf, SandboxEscape> {
    let escapes = || SandboxEscape::new(action, path);
    if lexically_escapes(path) {
        return Err(escapes());
    }
    let joined = sandbox.join(path);
    let root = sandbox.canonicalize().map_err(|_| escapes())?;
    let mut existing: &Path = &joined;
    loop {
        // Not found, or not a directory on the way: look further up (the I/O that follows
        // reports what is wrong with the path itself).
        if std::fs::symlink_metadata(existing).is_ok() {
            break;
        }
        existing = existing.parent().ok_or_else(escapes)?;
    }
    // A dangling symlink cannot be canonicalized: refused, since writing through it could
    // create its target anywhere.
    let real = existing.canonicalize().map_err(|_| escapes())?;
    if real.starts_with(&root) {
        Ok(joined)
    } else {
        Err(escapes())
    }
}

/// The checks that need no disk: absolute, `\`, NUL, `C:`, `..`.
fn lexically_escapes(path: &str) -> bool {
    let bytes = path.as_bytes();
    path.starts_with('/')
        || path.contains(['\\', '\0'])
        || (bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':')
        || path.split('/').any(|part| part == "..")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn denied(sandbox: &Path, path: &str) -> bool {
        match resolve("file.write", sandbox, path) {
            Err(e) => {
                assert_eq!(
                    e.message,
                    format!("file.write: path escapes the sandbox: {path}")
                );
                true
            }
            Ok(_) => false,
        }
    }

    #[test]
    fn lexical_rules() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for bad in [
            "/etc/hostname",
            "logs/../../etc/passwd",
            "a/../b",
            "..",
            "a\\b",
            "..\\x",
            "a\0b",
            "C:x",
            "c:/x",
        ] {
            assert!(denied(root, bad), "{bad:?}");
        }
        for good in ["a/b.txt", "a..b", "./a", "a/./b", "", "...", "ab:c"] {
            assert!(!denied(root, good), "{good:?}");
        }
        assert_eq!(resolve("x", root, "a/b.txt").unwrap(), root.join("a/b.txt"));
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_cannot_lead_out() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::os::unix::fs::symlink(outside.path(), root.join("out")).unwrap();
        std::fs::create_dir(root.join("in")).unwrap();
        std::os::unix::fs::symlink(root.join("in"), root.join("alias")).unwrap();
        std::os::unix::fs::symlink(root.join("nowhere"), root.join("dangling")).unwrap();
        assert!(denied(root, "out"));
        assert!(denied(root, "out/new/file.txt"));
        assert!(denied(root, "dangling"));
        assert!(!denied(root, "alias/file.txt"));
        assert!(!denied(root, "in/new/deeper.txt"));
        // A sandbox reached through a symlink is still its own inside.
        let link = outside.path().join("sb");
        std::os::unix::fs::symlink(root, &link).unwrap();
        assert!(!denied(&link, "in/x"));
        assert!(denied(&link, "out/x"));
    }
}
