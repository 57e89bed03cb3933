"""The plugin's cost on ``pytest --collect-only`` of a small project, against ``-p no:chimera``.

Run: ``pytest bench/test_import_cost.py -s`` (prints medians and the ratio).
Each round starts a fresh interpreter, as a CI run does; both variants run side by side in one session.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

from pytest_benchmark.fixture import BenchmarkFixture

ROUNDS = 15


def _project(root: Path) -> Path:
    for i in range(20):
        (root / f"test_mod{i}.py").write_text(
            "import pytest\n\n"
            + "".join(f"def test_plain_{j}():\n    pass\n\n" for j in range(5))
            + "@pytest.mark.chimera\ndef test_marked():\n    pass\n"
        )
    return root


def _collect(root: Path, *extra: str) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *extra],
        cwd=root,
        check=True,
        capture_output=True,
    )
    return (time.perf_counter() - start) * 1000


def test_collect_only_cost(tmp_path: Path, benchmark: BenchmarkFixture) -> None:
    root = _project(tmp_path)
    with_plugin: list[float] = []
    without: list[float] = []
    for _ in range(ROUNDS):  # interleaved, so drift on a noisy machine hits both alike
        without.append(_collect(root, "-p", "no:chimera"))
        with_plugin.append(_collect(root))
    on, off = statistics.median(with_plugin), statistics.median(without)
    print(f"\ncollect-only median of {ROUNDS}: with chimera {on:.1f} ms, -p no:chimera {off:.1f} ms, "
          f"ratio {on / off:.3f}, delta {on - off:+.1f} ms")
    benchmark.extra_info.update({"with_ms": on, "without_ms": off, "ratio": on / off})
    benchmark.pedantic(lambda: None, rounds=1)
