"""Corpus load + facts: the real 101-file corpus, and synthetic corpora of 1,000 and 10,000 files.

Run: ``cd bench && pytest test_corpus_bench.py -s`` (prints medians, per-file times and peak memory).
Goals (issue 3): real corpus median under 100 ms; 10,000 files under 5 s and 1 GiB peak, time per file
roughly flat from 1,000 to 10,000 files. These are measured and printed, never asserted.
"""

from __future__ import annotations

import gc
import os
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

from pytest_benchmark.fixture import BenchmarkFixture

from pytest_chimera.corpus import load_corpus
from pytest_chimera.facts import compute_facts
from pytest_chimera.synthetic import write_corpus

# VmHWM (peak RSS, KiB) of the child itself: ru_maxrss would carry over the forking parent's peak.
_CHILD = """
import sys
import pandas
from pytest_chimera.corpus import load_corpus
from pytest_chimera.facts import compute_facts
def hwm():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
before = hwm()
compute_facts(load_corpus(sys.argv[1]))
print(before, hwm())
"""


def _load_and_facts(root: Path) -> int:
    return len(compute_facts(load_corpus(root)))


def _median_ms(root: Path, rounds: int) -> tuple[float, list[float], float]:
    """Median wall ms, every round's wall ms, median CPU ms (process time: less hurt by a busy machine)."""
    times, cpu = [], []
    for _ in range(rounds):
        gc.collect()
        start, start_cpu = time.perf_counter(), time.process_time()
        _load_and_facts(root)
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return statistics.median(times), times, statistics.median(cpu)


def test_real_corpus_load_and_facts(chimeraforge_corpus: Path, benchmark: BenchmarkFixture) -> None:
    _load_and_facts(chimeraforge_corpus)  # warm: pandas import, caches
    n = benchmark.pedantic(_load_and_facts, args=(chimeraforge_corpus,), rounds=31, warmup_rounds=2)
    median_ms = benchmark.stats.stats.median * 1000
    _, _, cpu_ms = _median_ms(chimeraforge_corpus, 31)
    print(f"\nreal corpus (101 files, {n} facts): load+facts median {median_ms:.1f} ms wall over 31 rounds, "
          f"{cpu_ms:.1f} ms CPU (median of 31 more); load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    benchmark.extra_info.update({"median_ms": median_ms, "cpu_ms": cpu_ms, "facts": n})


def test_synthetic_scaling(tmp_path_factory: object, benchmark: BenchmarkFixture) -> None:
    base = Path(tmp_path_factory.mktemp("synthetic"))  # type: ignore[attr-defined]
    small, large = base / "n1000", base / "n10000"
    start = time.perf_counter()
    write_corpus(small, 1000, seed=1)
    write_corpus(large, 10_000, seed=1)
    print(f"\nwrote 11,000 synthetic files in {time.perf_counter() - start:.1f} s")
    _load_and_facts(small)  # warm
    small_ms, _, small_cpu = _median_ms(small, 5)
    large_ms, large_all, large_cpu = _median_ms(large, 3)
    facts = _load_and_facts(large)
    gc.collect()
    tracemalloc.start()
    _load_and_facts(large)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # peak RSS in a fresh interpreter: after importing pandas, and after one 10,000-file load+facts
    child = subprocess.run([sys.executable, "-c", _CHILD, str(large)], capture_output=True, text=True, check=True)
    rss_before, rss_after = (int(x) for x in child.stdout.split())
    per_small, per_large = small_ms / 1000, large_ms / 10_000
    print(f"1,000 files: load+facts median {small_ms:.0f} ms ({per_small * 1000:.0f} us/file, 5 rounds)")
    print(f"10,000 files: load+facts median {large_ms:.0f} ms ({per_large * 1000:.0f} us/file, 3 rounds: "
          f"{', '.join(f'{t:.0f}' for t in large_all)} ms), {facts} facts")
    print(f"CPU medians: 1,000 files {small_cpu:.0f} ms, 10,000 files {large_cpu:.0f} ms; per-file ratio "
          f"10,000/1,000: wall {per_large / per_small:.2f}, CPU {large_cpu / small_cpu / 10:.2f}; "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"peak traced allocations (tracemalloc) during one 10,000-file load+facts: {peak / 2**20:.0f} MiB; "
          f"fresh process max RSS {rss_after / 1024:.0f} MiB ({rss_before / 1024:.0f} MiB after importing pandas)")
    benchmark.extra_info.update({"small_ms": small_ms, "large_ms": large_ms, "ratio": per_large / per_small,
                                 "peak_mib": peak / 2**20, "max_rss_mib": rss_after / 1024})
    benchmark.pedantic(lambda: None, rounds=1)
