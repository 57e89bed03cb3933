"""example_project stays runnable: its corpus is what make_corpus.py writes, its tests gate on --chimera,
and its replay test passes from the checked-in cassettes without loading a model."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

from xdist_env import inner_env

EXAMPLE = Path(__file__).resolve().parent.parent / "example_project"


def _outcomes(args: list[str], tmp_path: Path) -> dict[str, int]:
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "--chimera-output", str(tmp_path / "out"), *args],
        cwd=EXAMPLE,
        env=inner_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    last = proc.stdout.strip().splitlines()[-1]
    counts = {word: int(n) for n, word in re.findall(r"(\d+) (\w+)", last)}
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    return counts


def test_checked_in_corpus_is_what_make_corpus_writes(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("make_corpus", EXAMPLE / "make_corpus.py")
    assert spec is not None and spec.loader is not None
    make_corpus = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_corpus)
    from pytest_chimera.evidence.synthetic import write_corpus

    written = write_corpus(tmp_path, make_corpus.FILES, seed=make_corpus.SEED)
    checked_in = sorted(p.relative_to(EXAMPLE / "corpus") for p in (EXAMPLE / "corpus").rglob("*") if p.is_file())
    assert sorted(p.relative_to(tmp_path) for p in written) == checked_in
    for rel in checked_in:
        assert (tmp_path / rel).read_bytes() == (EXAMPLE / "corpus" / rel).read_bytes(), rel


def test_without_chimera_only_the_corpus_tests_run(tmp_path: Path) -> None:
    counts = _outcomes([], tmp_path)
    assert counts.get("passed") == 3  # tests/test_corpus_facts.py needs no model
    assert counts.get("skipped", 0) >= 8 and "failed" not in counts


def test_replay_test_runs_from_the_cassettes(tmp_path: Path) -> None:
    counts = _outcomes(["--chimera", "tests/test_replay.py"], tmp_path)
    assert counts == {"passed": 1}
