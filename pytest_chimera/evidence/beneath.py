"""Open corpus files beneath the corpus root without following a symlink on the way, and name them.

The scan decides which files to read; between the scan and the read, a symlink may be swapped (by another
process, or an attacker who can write in the corpus). ``Opener`` opens every directory below the root
relative to its parent's descriptor with ``O_NOFOLLOW``, then the file, so such a swap fails the open
(ELOOP, ENOTDIR) instead of leading outside the root. ``display_name`` gives file names as text that encodes
anywhere, whatever bytes the file system holds.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from pathlib import Path

from pytest_chimera.evidence.formats import SkipFile


def within(path: Path, root: Path) -> bool:
    """Whether ``path`` is ``root`` or below it (both resolved)."""
    return path == root or root in path.parents


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def display_name(name: str) -> str:
    """A file name as one line of text that encodes anywhere: bytes that were not UTF-8 (held by Python as
    surrogate escapes) and control characters (a newline, a terminal escape) become ``\\xNN``
    (``b"bad\\xffname.csv"`` -> ``bad\\xffname.csv``)."""
    if name.isprintable():
        return name
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        name = os.fsencode(name).decode("utf-8", "backslashreplace")
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", name)


_BENEATH = hasattr(os, "O_NOFOLLOW") and hasattr(os, "O_DIRECTORY") and os.open in os.supports_dir_fd
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # a FIFO swapped in after the scan must not block the open
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
# directories are only walked through: O_PATH (Linux) needs search permission alone, as a path lookup does
_DIR_FLAGS = getattr(os, "O_PATH", os.O_RDONLY) | _DIRECTORY | _NOFOLLOW | _CLOEXEC


class Opener:
    """Opens corpus files beneath the root without following a symlink anywhere on the way.

    Each directory below the root is opened relative to its parent's descriptor with ``O_NOFOLLOW``, then
    the file itself: a symlink swapped in after the scan (at any level) fails the open with ELOOP or
    ENOTDIR instead of leading outside the root. A file symlink the scan allowed is opened at its resolved
    target, by the same path of descriptors. The last directory's descriptor is kept (files come sorted).
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self._root_fd = -1  # opened on first use
        self._dir: tuple[tuple[str, ...], int] | None = None

    def open(self, parts: tuple[str, ...]) -> int:
        """A read-only descriptor of ``root/parts`` (real names), or OSError."""
        flags = os.O_RDONLY | _NOFOLLOW | _NONBLOCK | _CLOEXEC
        if not _BENEATH:  # pragma: no cover - platforms without dir_fd (Windows): open, then check where
            fd = os.open(os.path.join(self.root, *parts), flags)
            real = Path(os.path.realpath(os.path.join(self.root, *parts)))
            if not within(real, self.root) or not os.path.samestat(os.fstat(fd), os.stat(real)):
                os.close(fd)
                raise SkipFile("changed while the corpus was read (now outside the root)")
            return fd
        return os.open(parts[-1], flags, dir_fd=self._dir_fd(parts[:-1]))

    def _dir_fd(self, parts: tuple[str, ...]) -> int:
        if self._root_fd < 0:
            self._root_fd = os.open(self.root, _DIR_FLAGS & ~_NOFOLLOW)  # the root itself may be a link
        if not parts:
            return self._root_fd
        if self._dir is not None and self._dir[0] == parts:
            return self._dir[1]
        fd = self._root_fd
        try:
            for part in parts:
                parent = fd
                fd = os.open(part, _DIR_FLAGS, dir_fd=parent)
                if parent != self._root_fd:
                    os.close(parent)
        except OSError:
            if fd != self._root_fd:
                os.close(fd)
            raise
        self._drop_dir()
        self._dir = (parts, fd)
        return fd

    def _drop_dir(self) -> None:
        if self._dir is not None:
            os.close(self._dir[1])
            self._dir = None

    def close(self) -> None:
        self._drop_dir()
        if self._root_fd >= 0:
            os.close(self._root_fd)
            self._root_fd = -1


def real_parts(entry: os.DirEntry[str], base: Path) -> tuple[str, ...]:
    """The real path of a scanned entry relative to the root, as names (a symlink: its resolved target)."""
    path = Path(os.path.realpath(entry.path)) if entry.is_symlink() else Path(entry.path)
    if not within(path, base):  # the link was swapped since the scan: that is an escape, not a file
        raise SkipFile(f"symlink leaves the corpus root (points to {display_name(str(path))})")
    return path.relative_to(base).parts


def read_beneath(opener: Opener, parts: tuple[str, ...], max_bytes: int) -> tuple[bytes, os.stat_result]:
    """The bytes of a regular file (at most ``max_bytes``; SkipFile beyond) and its stat."""
    try:
        fd = opener.open(parts)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR):
            raise SkipFile("replaced by a symlink while the corpus was read (not followed)") from None
        raise
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise SkipFile("not a regular file")
        if info.st_size > max_bytes:
            raise SkipFile(f"over the size cap: {info.st_size} bytes > {max_bytes} (load_corpus max_bytes=...)")
        chunks: list[bytes] = []
        total, want = 0, info.st_size + 1
        while total <= max_bytes:  # to the end (the file may have grown since fstat), at most max_bytes + 1
            ask = min(want, max_bytes + 1 - total)
            chunk = os.read(fd, ask)
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total == info.st_size and len(chunk) < ask:
                break  # the size fstat gave, and the read stopped short of what it asked: the end (no read for it)
            want = 1 << 16
    finally:
        os.close(fd)
    if total > max_bytes:
        raise SkipFile(f"over the size cap: more than {max_bytes} bytes (load_corpus max_bytes=...)")
    return (chunks[0] if len(chunks) == 1 else b"".join(chunks)), info
