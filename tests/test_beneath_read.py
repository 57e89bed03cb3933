"""``beneath.read_beneath`` reads a file to its end: past the size fstat gave when the file grew since, and
through reads that stop short (as on some network file systems); it skips only the read that would find the
end it already saw."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pytest_chimera.evidence import beneath
from pytest_chimera.evidence.beneath import Opener, read_beneath

DATA = b"a,b\n" + b"1,2\n" * 50


def _read(tmp_path: Path) -> bytes:
    (tmp_path / "t.csv").write_bytes(DATA)
    opener = Opener(tmp_path)
    try:
        return read_beneath(opener, ("t.csv",), 1 << 20)[0]
    finally:
        opener.close()


def test_a_file_is_read_whole_with_one_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    reads: list[int] = []
    real = os.read

    def counted(fd: int, n: int) -> bytes:
        reads.append(n)
        return real(fd, n)

    monkeypatch.setattr(beneath.os, "read", counted)
    assert _read(tmp_path) == DATA
    assert reads == [len(DATA) + 1]


def test_a_file_that_grew_since_fstat_is_read_to_its_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = os.fstat

    def older(fd: int) -> os.stat_result:  # the size fstat saw, 10 bytes before the file grew
        info = real(fd)
        fields = list(info)
        fields[6] = info.st_size - 10
        return os.stat_result(fields)

    monkeypatch.setattr(beneath.os, "fstat", older)
    assert _read(tmp_path) == DATA


def test_reads_that_stop_short_go_on_to_the_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = os.read
    monkeypatch.setattr(beneath.os, "read", lambda fd, n: real(fd, min(n, 7)))
    assert _read(tmp_path) == DATA
