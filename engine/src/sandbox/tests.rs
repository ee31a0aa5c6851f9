use std::io::Read;
use std::os::unix::fs::symlink;

use super::*;

#[path = "../../tests/support/swap.rs"]
mod swap;
use swap::swap_loop;

fn refusal(sandbox: &Path, path: &str, access: Access) -> Option<String> {
    match open("file.write", sandbox, path, access) {
        Err(OpenError::Refused(e)) => Some(e.message),
        _ => None,
    }
}

fn denied(sandbox: &Path, path: &str) -> bool {
    match refusal(sandbox, path, Access::Write) {
        Some(message) => {
            assert_eq!(
                message,
                format!("file.write: path escapes the sandbox: {path}")
            );
            true
        }
        None => false,
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
    assert!(root.join("a/b.txt").is_file());
}

#[test]
fn symlinks_cannot_lead_out() {
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let root = dir.path();
    symlink(outside.path(), root.join("out")).unwrap();
    std::fs::create_dir(root.join("in")).unwrap();
    symlink(root.join("in"), root.join("alias")).unwrap();
    symlink("in/../..", root.join("up")).unwrap();
    symlink("loop", root.join("loop")).unwrap();
    assert!(denied(root, "out"));
    assert!(denied(root, "out/new/file.txt"));
    assert!(denied(root, "up/x"));
    assert!(!denied(root, "alias/file.txt"));
    assert!(root.join("in/file.txt").is_file());
    assert!(!denied(root, "in/new/deeper.txt"));
    assert!(matches!(
        open("file.read", root, "loop", Access::Read),
        Err(OpenError::Io(e)) if e.raw_os_error() == Some(libc_eloop())
    ));
    // A sandbox reached through a symlink is still its own inside.
    let link = outside.path().join("sb");
    symlink(root, &link).unwrap();
    assert!(!denied(&link, "in/x"));
    assert!(denied(&link, "out/x"));
    assert!(outside.path().read_dir().unwrap().count() == 1);
}

fn libc_eloop() -> i32 {
    Errno::LOOP.raw_os_error()
}

#[test]
fn only_regular_files_with_one_link() {
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(outside.path().join("secret"), "outside").unwrap();
    std::fs::hard_link(outside.path().join("secret"), root.join("hard")).unwrap();
    rustix::fs::mknodat(
        rustix::fs::CWD,
        root.join("fifo"),
        FileType::Fifo,
        Mode::from_raw_mode(0o600),
        0,
    )
    .unwrap();
    for access in [Access::Read, Access::Write, Access::Append] {
        assert_eq!(
            refusal(root, "hard", access).as_deref(),
            Some("file.write: file has other hard links: hard")
        );
        assert_eq!(
            refusal(root, "fifo", access).as_deref(),
            Some("file.write: not a regular file: fifo")
        );
    }
    // Refused before truncation: the outside file is untouched.
    assert_eq!(
        std::fs::read_to_string(outside.path().join("secret")).unwrap(),
        "outside"
    );
}

/// A thread swaps `link` between a directory inside and one outside while paths through it are
/// read: no read ever returns the outside file.
#[test]
fn a_swapped_symlink_never_escapes() {
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    std::fs::create_dir(root.join("in")).unwrap();
    std::fs::write(root.join("in/data"), "inside").unwrap();
    std::fs::write(outside.path().join("data"), "outside").unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let swapper = {
        let (root, out, stop) = (root.clone(), outside.path().to_path_buf(), stop.clone());
        std::thread::spawn(move || swap_loop(&root, &out, &stop))
    };
    let (mut inside, mut refused, mut escapes) = (0, 0, 0);
    for _ in 0..20_000 {
        match open("file.read", &root, "link/data", Access::Read) {
            Ok(mut file) => {
                let mut text = String::new();
                file.read_to_string(&mut text).unwrap();
                if text == "inside" {
                    inside += 1
                } else {
                    escapes += 1
                }
            }
            Err(_) => refused += 1,
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let swaps = swapper.join().unwrap();
    assert_eq!(escapes, 0);
    assert!(
        inside > 0 && refused > 0 && swaps > 100,
        "{inside} {refused} {swaps}"
    );
}
