//! A fingerprint of the Rust engine's sources (`engine/Cargo.toml` and every file under
//! `engine/src`), taken by the build script for the engine linked into this binary, and again at
//! run time for the project being checked: when they differ, an installed `twinflow` would run
//! the project's Python twin against an older Rust engine, and says so.
//!
//! Also compiled into `build.rs` (by path), so it uses nothing but `std`.

use std::path::{Path, PathBuf};

/// FNV-1a over the files' paths (relative, `/`-separated) and contents, in path order: stable
/// across machines and builds, enough to tell two trees apart.
#[must_use]
pub fn of_engine(engine: &Path) -> Option<u64> {
    let mut files = vec![engine.join("Cargo.toml")];
    collect(&engine.join("src"), &mut files);
    files.sort();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |bytes: &[u8]| {
        for byte in bytes {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    for file in &files {
        let relative = file.strip_prefix(engine).ok()?;
        let name: Vec<String> = relative
            .components()
            .map(|part| part.as_os_str().to_string_lossy().into_owned())
            .collect();
        feed(name.join("/").as_bytes());
        feed(&[0]);
        feed(&std::fs::read(file).ok()?);
        feed(&[0]);
    }
    Some(hash)
}

/// Every file under `dir`, recursively; an unreadable folder adds nothing.
fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, files);
        } else {
            files.push(path);
        }
    }
}
