"""Every file pytest-chimera writes gets the mode the umask gives (0644 under umask 022), as ``open()`` would,
never 0600: pytest-benchmark's saved JSON (even without --chimera), ``run --out/--json``, cassettes,
``compare --plot`` and the model cache. Other users and later CI steps must be able to read them."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

# numpy at collection time: see tests/test_replay.py
import numpy  # noqa: F401
import pytest
from bench_files import saved_json, speeds, write
from ollama_fakes import FakeBackend

from pytest_chimera.backends.replay import ReplayBackend
from pytest_chimera.cli import main

UMASKS = [0o022, 0o002, 0o077]


@pytest.fixture(params=UMASKS, ids=[f"umask{u:03o}" for u in UMASKS])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    old = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(old)


def _modes(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): stat.S_IMODE(p.stat().st_mode) for p in sorted(root.rglob("*")) if p.is_file()}


def test_pytest_benchmark_autosave_keeps_the_umask_mode_without_chimera(pytester: pytest.Pytester,
                                                                        umask: int) -> None:
    pytester.makepyfile("def test_speed(benchmark):\n    benchmark(sum, range(10))\n")
    result = pytester.runpytest("--benchmark-autosave", "--benchmark-storage=file://store")
    result.assert_outcomes(passed=1)
    (saved,) = (pytester.path / "store").rglob("*.json")
    assert _modes(saved.parent) == {saved.name: 0o666 & ~umask}


def test_run_out_json_and_cassettes_keep_the_umask_mode(tmp_path: Path, umask: int,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "runs.csv").write_text("run,tokens_per_s\n1,100\n2,104\n")
    tapes = tmp_path / "tapes"
    monkeypatch.setattr("pytest_chimera.cli.run.load_from_args",
                        lambda args, options: ReplayBackend(tapes, "gemma3:270m", mode="record", inner=FakeBackend()))
    out = tmp_path / "out"
    assert main(["run", str(corpus), "--quiet", "--out", str(out / "report.md"), "--json", str(out / "run.json")]) == 0
    assert _modes(out) == {"report.md": 0o666 & ~umask, "run.json": 0o666 & ~umask}
    cassettes = _modes(tapes)
    assert cassettes and set(cassettes.values()) == {0o666 & ~umask}


def test_compare_plot_keeps_the_umask_mode(tmp_path: Path, umask: int) -> None:
    files = [str(write(tmp_path / f"{i}.json", saved_json({"t.py::test_a": {"tokens_per_s": speeds(tps, 8)}})))
             for i, tps in enumerate([50, 52])]
    png = tmp_path / "plots" / "trend.png"
    assert main(["compare", *files, "--plot", str(png)]) == 0
    assert _modes(png.parent) == {"trend.png": 0o666 & ~umask}


def test_the_model_cache_keeps_the_umask_mode(tmp_path: Path, umask: int) -> None:
    import hashlib
    import types

    from pytest_chimera.backends.gguf import _assemble

    data = b"GGUF" + b"\x00" * 64

    def assemble(target: Path, overwrite: bool = False) -> None:
        Path(target).write_bytes(data)

    package = types.SimpleNamespace(assemble=assemble)
    target = tmp_path / "cache" / "model.gguf"
    _assemble(package, target, hashlib.sha256(data).hexdigest())
    assert _modes(target.parent) == {"model.gguf": 0o666 & ~umask, "model.gguf.sha256": 0o666 & ~umask}
