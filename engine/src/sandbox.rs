//! The sandbox rule (contract §6.11), shared by `file.*`, `obs.export` and the file handler: a
//! path is relative to the run's sandbox and must stay inside it.
//!
//! The path is opened component by component relative to an open handle of the sandbox directory
//! (`openat` with `O_NOFOLLOW`), never checked first and opened later, so a symlink swapped in
//! between cannot lead out. A symlink met on the way is read and its target walked the same way:
//! a `..` above the sandbox or an absolute target outside it is refused. The file reached must be a
//! regular file with one link: hard links, FIFOs, devices and sockets are refused.

use std::collections::VecDeque;
use std::ffi::OsStr;
use std::fs::File;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use rustix::fs::{FileType, Mode, OFlags};
use rustix::io::Errno;

/// Symlinks followed in one path before it is `Too many levels of symbolic links` (Linux's 40).
const MAX_SYMLINKS: usize = 40;

/// A path the sandbox refuses (contract §6.11). Actions fail with it as the error type
/// `PermissionDenied` (contract §2.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SandboxEscape {
    /// The contract message.
    pub(crate) message: String,
}

impl SandboxEscape {
    fn new(action: &str, what: &str, path: &str) -> Self {
        Self {
            message: format!("{action}: {what}: {path}"),
        }
    }
}

/// Why a sandbox path could not be opened: refused by the rule, or an I/O failure the caller
/// words as `cannot read`/`cannot write` (or `no such file`).
#[derive(Debug)]
pub(crate) enum OpenError {
    /// The rule refused the path.
    Refused(SandboxEscape),
    /// The operating system refused.
    Io(std::io::Error),
}

/// How the file is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// An existing file, for reading.
    Read,
    /// Created (with missing parent directories) or truncated, for writing.
    Write,
    /// Created (with missing parent directories), for appending.
    Append,
}

/// `path` inside `sandbox`, opened as `access` says, or why not.
///
/// Refused without touching the disk: an absolute path, a backslash or NUL anywhere, a drive
/// letter prefix (`C:`), a `..` component. An empty path is the sandbox directory itself: the
/// I/O fails (`Is a directory`).
pub(crate) fn open(
    action: &str,
    sandbox: &Path,
    path: &str,
    access: Access,
) -> Result<File, OpenError> {
    let escape =
        || OpenError::Refused(SandboxEscape::new(action, "path escapes the sandbox", path));
    if lexically_escapes(path) {
        return Err(escape());
    }
    let dir_flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
    let root = rustix::fs::open(sandbox, dir_flags, Mode::empty()).map_err(|_| escape())?;
    let root_real = sandbox.canonicalize().map_err(|_| escape())?;
    let mut walk = Walk {
        root,
        root_real,
        stack: Vec::new(),
        pending: components(path.as_bytes()),
        links: 0,
        access,
    };
    let refused = |what| OpenError::Refused(SandboxEscape::new(action, what, path));
    walk.run()
        .and_then(|fd| check_file(fd, access))
        .map_err(|step| match step {
            Step::Escape => escape(),
            Step::NotRegular => refused("not a regular file"),
            Step::HardLink => refused("file has other hard links"),
            Step::Io(errno) => OpenError::Io(errno.into()),
        })
}

/// The checks that need no disk: absolute, `\`, NUL, `C:`, `..`.
fn lexically_escapes(path: &str) -> bool {
    let bytes = path.as_bytes();
    path.starts_with('/')
        || path.contains(['\\', '\0'])
        || (bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':')
        || path.split('/').any(|part| part == "..")
}

/// The parts of a path that name something: empty parts and `.` are dropped.
fn components(bytes: &[u8]) -> VecDeque<Vec<u8>> {
    bytes
        .split(|&b| b == b'/')
        .filter(|part| !part.is_empty() && *part != b".")
        .map(<[u8]>::to_vec)
        .collect()
}

/// What stopped the walk.
enum Step {
    Escape,
    NotRegular,
    HardLink,
    Io(Errno),
}

/// One walk from the sandbox handle down the pending components.
struct Walk {
    root: OwnedFd,
    root_real: PathBuf,
    /// The directories entered below the root, each an open handle.
    stack: Vec<OwnedFd>,
    pending: VecDeque<Vec<u8>>,
    links: usize,
    access: Access,
}

impl Walk {
    fn run(&mut self) -> Result<OwnedFd, Step> {
        loop {
            let Some(name) = self.pending.pop_front() else {
                // Nothing left to name: the directory reached itself.
                return self.open_leaf(b".");
            };
            if name == b".." {
                self.stack.pop().ok_or(Step::Escape)?;
                continue;
            }
            let last = self.pending.is_empty();
            let opened = if last {
                self.open_leaf(&name)
            } else {
                self.open_dir(&name)
            };
            match opened {
                Ok(fd) if last => return Ok(fd),
                Ok(fd) => self.stack.push(fd),
                Err(Step::Io(Errno::LOOP | Errno::NOTDIR)) if self.follow(&name)? => {}
                Err(step) => return Err(step),
            }
        }
    }

    fn dir(&self) -> &OwnedFd {
        self.stack.last().unwrap_or(&self.root)
    }

    /// A directory on the way, created when writing and missing.
    fn open_dir(&self, name: &[u8]) -> Result<OwnedFd, Step> {
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let name = OsStr::from_bytes(name);
        match rustix::fs::openat(self.dir(), name, flags, Mode::empty()) {
            Err(Errno::NOENT) if self.access != Access::Read => {
                match rustix::fs::mkdirat(self.dir(), name, Mode::from_raw_mode(0o777)) {
                    Ok(()) | Err(Errno::EXIST) => {}
                    Err(errno) => return Err(Step::Io(errno)),
                }
                rustix::fs::openat(self.dir(), name, flags, Mode::empty()).map_err(Step::Io)
            }
            other => other.map_err(Step::Io),
        }
    }

    /// The last component, without following a symlink; never blocks on a FIFO.
    fn open_leaf(&self, name: &[u8]) -> Result<OwnedFd, Step> {
        let base = OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
        let flags = match self.access {
            Access::Read => base | OFlags::RDONLY,
            Access::Write => base | OFlags::WRONLY | OFlags::CREATE,
            Access::Append => base | OFlags::WRONLY | OFlags::CREATE | OFlags::APPEND,
        };
        let name = OsStr::from_bytes(name);
        match rustix::fs::openat(self.dir(), name, flags, Mode::from_raw_mode(0o666)) {
            // A FIFO without a reader, or a socket: not a regular file.
            Err(Errno::NXIO) => Err(Step::NotRegular),
            other => other.map_err(Step::Io),
        }
    }

    /// When `name` is a symlink, queue its target in its place (false when it is not one).
    fn follow(&mut self, name: &[u8]) -> Result<bool, Step> {
        let Ok(target) = rustix::fs::readlinkat(self.dir(), OsStr::from_bytes(name), Vec::new())
        else {
            return Ok(false);
        };
        self.links += 1;
        if self.links > MAX_SYMLINKS {
            return Err(Step::Io(Errno::LOOP));
        }
        let target = target.into_bytes();
        let relative = if target.starts_with(b"/") {
            let inside = Path::new(OsStr::from_bytes(&target))
                .strip_prefix(&self.root_real)
                .map_err(|_| Step::Escape)?;
            self.stack.clear();
            inside.as_os_str().as_bytes().to_vec()
        } else {
            target
        };
        for part in components(&relative).into_iter().rev() {
            self.pending.push_front(part);
        }
        Ok(true)
    }
}

/// The file reached must be a regular file with a single link; a directory is the I/O error
/// `Is a directory`. A file
/// opened for writing is truncated only once accepted.
fn check_file(fd: OwnedFd, access: Access) -> Result<File, Step> {
    let stat = rustix::fs::fstat(&fd).map_err(Step::Io)?;
    match FileType::from_raw_mode(stat.st_mode) {
        FileType::RegularFile if stat.st_nlink > 1 => Err(Step::HardLink),
        FileType::RegularFile => {
            if access == Access::Write {
                rustix::fs::ftruncate(&fd, 0).map_err(Step::Io)?;
            }
            Ok(File::from(fd))
        }
        FileType::Directory => Err(Step::Io(Errno::ISDIR)),
        _ => Err(Step::NotRegular),
    }
}

#[cfg(test)]
#[path = "sandbox/tests.rs"]
mod tests;
