"""The 5,000-word check of ``test_check_bench.py``, this checkout against another one, interleaved.

Run: ``python bench/compare_check.py OTHER_CHECKOUT [ALTERNATIONS] [ROUNDS]`` (defaults 3 and 11), e.g. with
``git worktree add /tmp/main main`` as the other checkout. Each alternation runs a fresh interpreter of the
other checkout, then one of this one (``PYTHONPATH`` picks the package; the same Python and libraries), each
building the 100,000 facts and their index once and then timing ``ROUNDS`` checks in CPU time
(``time.process_time``) after one warm-up. Prints each side's median and minimum and the ratio of medians:
on a shared machine the ratio is the figure to trust.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
_CHILD = """
import json, sys, time
sys.path.insert(0, sys.argv[2])
from test_check_bench import make_facts, make_report
from pytest_chimera.checks.consistency import check_consistency
from pytest_chimera.checks.index import index_of
import pytest_chimera
assert pytest_chimera.__file__.startswith(sys.argv[3]), pytest_chimera.__file__
facts, report = make_facts(), make_report()
index_of(facts)
check_consistency(report, facts)
times = []
for _ in range(int(sys.argv[1])):
    start = time.process_time()
    check_consistency(report, facts)
    times.append(time.process_time() - start)
print(json.dumps(times))
"""


def _round(checkout: Path, rounds: int) -> list[float]:
    env = dict(os.environ, PYTHONPATH=str(checkout))
    out = subprocess.run([sys.executable, "-c", _CHILD, str(rounds), str(HERE), str(checkout)], env=env,
                         cwd=checkout, capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"the check failed in {checkout}:\n{out.stderr[-2000:]}")
    times: list[float] = json.loads(out.stdout)
    return times


def main(argv: list[str]) -> int:
    if not argv or not (Path(argv[0]) / "pytest_chimera").is_dir():
        print("usage: python bench/compare_check.py OTHER_CHECKOUT [ALTERNATIONS] [ROUNDS]", file=sys.stderr)
        return 2
    other, this = Path(argv[0]).resolve(), HERE.parent
    alternations = int(argv[1]) if len(argv) > 1 else 3
    rounds = int(argv[2]) if len(argv) > 2 else 11
    times: dict[str, list[float]] = {"other": [], "this": []}
    for _ in range(alternations):
        for name, checkout in (("other", other), ("this", this)):
            times[name] += _round(checkout, rounds)
    for name, label in (("other", str(other)), ("this", str(this))):
        ms = [t * 1000 for t in times[name]]
        print(f"{label}: CPU median {statistics.median(ms):.1f} ms, min {min(ms):.1f} ms ({len(ms)} checks)")
    ratio = statistics.median(times["this"]) / statistics.median(times["other"])
    print(f"ratio of medians this/other {ratio:.2f} (load average {os.getloadavg()[0]:.1f})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
