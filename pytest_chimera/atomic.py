"""The one way pytest-chimera writes a file: whole or not at all, with the mode the umask gives.

A temporary file is created beside the target (mode ``0o666`` less the umask, as ``open()`` would give),
written, flushed and fsynced, then renamed over the target; the directory is fsynced after the rename so the
new name survives a crash. A failure at any point leaves the old file (or none) and no temporary file.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _create_temp(target: Path, suffix: str) -> tuple[int, Path]:
    while True:
        tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}{suffix}")
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), tmp
        except FileExistsError:  # pragma: no cover - 32 random bits collided
            continue


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. a platform that cannot open directories
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - some filesystems refuse fsync on a directory
        pass
    finally:
        os.close(fd)


@contextmanager
def atomic_path(target: Path, suffix: str = ".tmp") -> Iterator[Path]:
    """A temporary path beside ``target`` for a writer that takes a path; renamed over ``target`` on success.

    The caller's writer fills the file; on leaving the block it is fsynced and renamed, then the folder is
    fsynced. On an exception the temporary file is removed and ``target`` is left as it was.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _create_temp(target, suffix)
    os.close(fd)
    try:
        yield tmp
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(target.parent)


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write ``data`` (text as UTF-8) to ``path`` atomically: readers see the old file or the whole new one."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    with atomic_path(path) as tmp:
        tmp.write_bytes(payload)


def unwritable(flag: str, target: str | os.PathLike[str], *, folder: bool = False) -> str | None:
    """Why ``target`` (the output file of ``flag``, or with ``folder`` the folder its files go to) cannot be
    written, checked before any work; or None.

    A folder given for a file or a file for a folder, a file where a parent folder should be, or a folder no file
    can be created in (tried with a temporary file, so it holds for root and read-only mounts as well). Folders
    that do not exist yet are fine: ``atomic_path`` creates them.
    """
    import tempfile

    path = Path(target)
    if path.is_dir() and not folder:
        return f"{flag} {str(target)!r} is a directory; give a file path"
    if path.exists() and not path.is_dir() and folder:
        return f"{flag} {str(target)!r} is a file; give a folder"
    ancestor = path.absolute() if folder else path.absolute().parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        return f"{flag} {str(target)!r}: {str(ancestor)!r} is a file, not a directory; give a path inside a directory"
    try:
        with tempfile.TemporaryFile(dir=ancestor):
            pass
    except OSError as exc:
        return (f"{flag} {str(target)!r}: cannot create a file in {str(ancestor)!r} ({exc.strerror or exc}); "
                "give a writable path")
    return None
