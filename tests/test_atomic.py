"""The one atomic write: whole file or none, the umask's mode, no temporary file left behind."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from pytest_chimera import atomic
from pytest_chimera.atomic import atomic_path, write_atomic


def test_an_interrupted_write_leaves_the_old_file_and_no_temporary(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "out" / "trend.png"
    write_atomic(target, b"first")

    def boom(fd: int) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(atomic.os, "fsync", boom)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(target, b"second, interrupted")
    assert target.read_bytes() == b"first"
    assert [p.name for p in target.parent.iterdir()] == ["trend.png"]


@pytest.mark.parametrize("umask", [0o022, 0o002, 0o077])
def test_files_get_the_mode_the_umask_gives(tmp_path: Path, umask: int) -> None:
    old = os.umask(umask)
    try:
        write_atomic(tmp_path / "a.json", "{}")
        with atomic_path(tmp_path / "b.gguf") as tmp:
            tmp.write_bytes(b"model")
    finally:
        os.umask(old)
    for name in ("a.json", "b.gguf"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o666 & ~umask


def test_atomic_path_renames_on_success_and_cleans_up_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "model.gguf"
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("assembly failed")
    assert list(tmp_path.iterdir()) == []
    with atomic_path(target) as tmp:
        tmp.write_bytes(b"whole")
    assert target.read_bytes() == b"whole" and list(tmp_path.iterdir()) == [target]


def test_text_is_written_as_utf8(tmp_path: Path) -> None:
    write_atomic(tmp_path / "r.md", "Durchsatz: 283 tok/s · ok\n")
    assert (tmp_path / "r.md").read_bytes() == "Durchsatz: 283 tok/s · ok\n".encode()
