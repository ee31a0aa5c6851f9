"""The sandbox rule (contract §6.11), shared by ``file.*``, ``obs.export`` and the file handler: a path is
relative to the run's sandbox and must stay inside it. Mirrors ``engine/src/sandbox.rs``.

The path is opened component by component relative to an open handle of the sandbox directory (``os.open``
with ``dir_fd`` and ``O_NOFOLLOW``), never checked first and opened later, so a symlink swapped in between
cannot lead out. A symlink met on the way is read and its target walked the same way: a ``..`` above the
sandbox or an absolute target outside it is refused. The file reached must be a regular file with one link:
hard links, FIFOs, devices and sockets are refused.
"""

from __future__ import annotations

import contextlib
import enum
import errno
import os
import stat
from collections import deque
from pathlib import Path
from typing import IO

# Symlinks followed in one path before it is `Too many levels of symbolic links` (Linux's 40).
MAX_SYMLINKS = 40


class SandboxEscape(Exception):
    """A path the sandbox refuses; ``message`` is the contract's (contract §2.3)."""

    def __init__(self, action: str, what: str, path: str) -> None:
        self.message = f"{action}: {what}: {path}"
        super().__init__(self.message)


class Access(enum.Enum):
    """How the file is opened: an existing file for reading; created (with missing parent directories) or
    truncated for writing; created for appending."""

    READ = "read"
    WRITE = "write"
    APPEND = "append"


def open(action: str, sandbox: Path, path: str, access: Access) -> IO[bytes]:
    """``path`` inside ``sandbox``, opened as ``access`` says (a binary file object). Raises SandboxEscape
    when the rule refuses the path, OSError when the operating system does.

    Refused without touching the disk: an absolute path, a backslash or NUL anywhere, a drive letter prefix
    (``C:``), a ``..`` component. An empty path is the sandbox directory itself: the I/O fails (``Is a
    directory``)."""
    if _lexically_escapes(path):
        raise SandboxEscape(action, "path escapes the sandbox", path)
    try:
        root = os.open(sandbox, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        raise SandboxEscape(action, "path escapes the sandbox", path) from None
    walk = _Walk(root, os.path.realpath(sandbox), path, access)
    try:
        fd = walk.run()
        try:
            _check_file(fd, access)
        except BaseException:
            os.close(fd)
            raise
    except _Step as step:
        raise step.refusal(action, path) from None
    finally:
        walk.close()
    return os.fdopen(fd, "rb" if access is Access.READ else "ab" if access is Access.APPEND else "wb")


def _lexically_escapes(path: str) -> bool:
    """The checks that need no disk: absolute, a backslash or NUL anywhere, a drive letter, a `..` part."""
    return (
        path.startswith("/")
        or "\\" in path
        or "\0" in path
        or (len(path) >= 2 and path[0].isascii() and path[0].isalpha() and path[1] == ":")
        or ".." in path.split("/")
    )


def _components(raw: bytes) -> deque[bytes]:
    """The parts of a path that name something: empty parts and `.` are dropped."""
    return deque(part for part in raw.split(b"/") if part not in (b"", b"."))


class _Step(Exception):
    """What stopped the walk: the refusal's wording."""

    def __init__(self, what: str) -> None:
        self.what = what

    def refusal(self, action: str, path: str) -> SandboxEscape:
        return SandboxEscape(action, self.what, path)


_ESCAPE = "path escapes the sandbox"
_NOT_REGULAR = "not a regular file"
_HARD_LINK = "file has other hard links"


class _Walk:
    """One walk from the sandbox handle down the pending components."""

    def __init__(self, root: int, root_real: str, path: str, access: Access) -> None:
        self.root = root
        self.root_real = os.fsencode(root_real)
        # The directories entered below the root, each an open handle.
        self.stack: list[int] = []
        self.pending = _components(path.encode("utf-8", "surrogatepass"))
        self.links = 0
        self.access = access

    def close(self) -> None:
        for fd in [self.root, *self.stack]:
            os.close(fd)
        self.stack.clear()

    def dir(self) -> int:
        return self.stack[-1] if self.stack else self.root

    def run(self) -> int:
        while True:
            if not self.pending:
                # Nothing left to name: the directory reached itself.
                return self.open_leaf(b".")
            name = self.pending.popleft()
            if name == b"..":
                if not self.stack:
                    raise _Step(_ESCAPE)
                os.close(self.stack.pop())
                continue
            last = not self.pending
            try:
                fd = self.open_leaf(name) if last else self.open_dir(name)
            except OSError as e:
                if e.errno in (errno.ELOOP, errno.ENOTDIR) and self.follow(name):
                    continue
                raise
            if last:
                return fd
            self.stack.append(fd)

    def open_dir(self, name: bytes) -> int:
        """A directory on the way, created when writing and missing."""
        flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
        try:
            return os.open(name, flags, dir_fd=self.dir())
        except FileNotFoundError:
            if self.access is Access.READ:
                raise
        with contextlib.suppress(FileExistsError):
            os.mkdir(name, 0o777, dir_fd=self.dir())
        return os.open(name, flags, dir_fd=self.dir())

    def open_leaf(self, name: bytes) -> int:
        """The last component, without following a symlink; never blocks on a FIFO."""
        flags = os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
        if self.access is Access.READ:
            flags |= os.O_RDONLY
        else:
            flags |= os.O_WRONLY | os.O_CREAT | (os.O_APPEND if self.access is Access.APPEND else 0)
        try:
            return os.open(name, flags, 0o666, dir_fd=self.dir())
        except OSError as e:
            if e.errno == errno.ENXIO:  # a FIFO without a reader, or a socket
                raise _Step(_NOT_REGULAR) from None
            raise

    def follow(self, name: bytes) -> bool:
        """When ``name`` is a symlink, queue its target in its place (False when it is not one)."""
        try:
            target = os.readlink(name, dir_fd=self.dir())
        except OSError:
            return False
        self.links += 1
        if self.links > MAX_SYMLINKS:
            raise OSError(errno.ELOOP, os.strerror(errno.ELOOP))
        if target.startswith(b"/"):
            root = self.root_real.rstrip(b"/") + b"/"
            if target.rstrip(b"/") != self.root_real and not target.startswith(root):
                raise _Step(_ESCAPE)
            target = target[len(self.root_real) :]
            for fd in self.stack:
                os.close(fd)
            self.stack.clear()
        self.pending.extendleft(reversed(_components(target)))
        return True


def _check_file(fd: int, access: Access) -> None:
    """The file reached must be a regular file with a single link; a directory is the I/O error ``Is a
    directory``. A file opened for writing is truncated only once accepted."""
    st = os.fstat(fd)
    if stat.S_ISREG(st.st_mode):
        if st.st_nlink > 1:
            raise _Step(_HARD_LINK)
        if access is Access.WRITE:
            os.ftruncate(fd, 0)
    elif stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR))
    else:
        raise _Step(_NOT_REGULAR)
