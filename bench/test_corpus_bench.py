"""Corpus load + facts: the real 101-file corpus, and synthetic corpora of 1,000 and 10,000 files.

Run: ``cd bench && pytest test_corpus_bench.py -s`` (prints medians, per-file times and peak memory).
Goals (issue 3): real corpus median under 100 ms; 10,000 files under 5 s and 1 GiB peak, time per file
roughly flat from 1,000 to 10,000 files. These are measured and printed, never asserted.

Each figure is given for the default ingest (plain CSVs read by ``corpus.parse_csv``, their DataFrames
built on first access) and, side by side in alternating rounds, for ``load_corpus(fast_csv=False)``
(every CSV through ``pd.read_csv`` at load, the ingest before ``parse_csv``): same tables, same facts.
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

from pytest_chimera.evidence.corpus import load_corpus
from pytest_chimera.evidence.facts import compute_facts
from pytest_chimera.evidence.synthetic import write_corpus

# VmHWM (peak RSS, KiB) of the child itself: ru_maxrss would carry over the forking parent's peak.
_CHILD = """
import sys
import pandas
from pytest_chimera.evidence.corpus import load_corpus
from pytest_chimera.evidence.facts import compute_facts
def hwm():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
before = hwm()
compute_facts(load_corpus(sys.argv[1]))
print(before, hwm())
"""


def _load_and_facts(root: Path, fast_csv: bool = True) -> int:
    return len(compute_facts(load_corpus(root, fast_csv=fast_csv)))


def _median_ms(root: Path, rounds: int) -> dict[bool, tuple[float, list[float], float]]:
    """Per path (fast_csv True/False, alternating each round so both see the same machine load): median
    wall ms, every round's wall ms, median CPU ms (process time: less hurt by a busy machine)."""
    times: dict[bool, list[float]] = {True: [], False: []}
    cpu: dict[bool, list[float]] = {True: [], False: []}
    for _ in range(rounds):
        for fast in (True, False):
            gc.collect()
            start, start_cpu = time.perf_counter(), time.process_time()
            _load_and_facts(root, fast)
            times[fast].append((time.perf_counter() - start) * 1000)
            cpu[fast].append((time.process_time() - start_cpu) * 1000)
    return {fast: (statistics.median(times[fast]), times[fast], statistics.median(cpu[fast])) for fast in times}


def test_real_corpus_load_and_facts(chimeraforge_corpus: Path, benchmark: BenchmarkFixture) -> None:
    _load_and_facts(chimeraforge_corpus)  # warm: pandas import, caches
    _load_and_facts(chimeraforge_corpus, False)
    n = benchmark.pedantic(_load_and_facts, args=(chimeraforge_corpus,), rounds=31, warmup_rounds=2)
    median_ms = benchmark.stats.stats.median * 1000
    both = _median_ms(chimeraforge_corpus, 31)
    (fast_ms, _, fast_cpu), (slow_ms, _, slow_cpu) = both[True], both[False]
    print(f"\nreal corpus (101 files, {n} facts): load+facts median {median_ms:.1f} ms wall over 31 rounds; "
          f"31 more alternating: default {fast_ms:.1f} ms wall / {fast_cpu:.1f} ms CPU, read_csv path "
          f"(fast_csv=False) {slow_ms:.1f} ms wall / {slow_cpu:.1f} ms CPU (x{slow_cpu / fast_cpu:.2f} CPU); "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    benchmark.extra_info.update({"median_ms": median_ms, "cpu_ms": fast_cpu, "read_csv_path_cpu_ms": slow_cpu,
                                 "facts": n})


def test_synthetic_scaling(tmp_path_factory: object, benchmark: BenchmarkFixture) -> None:
    base = Path(tmp_path_factory.mktemp("synthetic"))  # type: ignore[attr-defined]
    small, large = base / "n1000", base / "n10000"
    start = time.perf_counter()
    write_corpus(small, 1000, seed=1)
    write_corpus(large, 10_000, seed=1)
    print(f"\nwrote 11,000 synthetic files in {time.perf_counter() - start:.1f} s")
    _load_and_facts(small)  # warm
    _load_and_facts(small, False)
    small_all, large_all = _median_ms(small, 5), _median_ms(large, 3)
    facts = _load_and_facts(large)
    gc.collect()
    tracemalloc.start()
    _load_and_facts(large)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # every DataFrame too (what a caller that reads all of corpus.tables pays): one round, default path
    start = time.process_time()
    loaded = load_corpus(large)
    compute_facts(loaded)
    frames = len([loaded.tables[p] for p in loaded.tables])
    all_frames_cpu = (time.process_time() - start) * 1000
    # peak RSS in a fresh interpreter: after importing pandas, and after one 10,000-file load+facts
    child = subprocess.run([sys.executable, "-c", _CHILD, str(large)], capture_output=True, text=True, check=True)
    rss_before, rss_after = (int(x) for x in child.stdout.split())
    for fast, label in ((True, "default"), (False, "read_csv path (fast_csv=False)")):
        small_ms, _, small_cpu = small_all[fast]
        large_ms, large_runs, large_cpu = large_all[fast]
        per_small, per_large = small_ms / 1000, large_ms / 10_000
        print(f"{label}: 1,000 files median {small_ms:.0f} ms wall / {small_cpu:.0f} ms CPU "
              f"({per_small * 1000:.0f} us/file, 5 rounds); 10,000 files median {large_ms:.0f} ms wall / "
              f"{large_cpu:.0f} ms CPU ({per_large * 1000:.0f} us/file, 3 rounds: "
              f"{', '.join(f'{t:.0f}' for t in large_runs)} ms); per-file ratio 10,000/1,000: wall "
              f"{per_large / per_small:.2f}, CPU {large_cpu / small_cpu / 10:.2f}")
    print(f"10,000 files: {facts} facts; CPU ratio read_csv path / default: "
          f"{large_all[False][2] / large_all[True][2]:.2f}; default load+facts plus all {frames} DataFrames "
          f"built: {all_frames_cpu:.0f} ms CPU (1 round); load average {os.getloadavg()[0]:.1f}")
    print(f"peak traced allocations (tracemalloc) during one 10,000-file load+facts: {peak / 2**20:.0f} MiB; "
          f"fresh process max RSS {rss_after / 1024:.0f} MiB ({rss_before / 1024:.0f} MiB after importing pandas)")
    benchmark.extra_info.update({"small_ms": small_all[True][0], "large_ms": large_all[True][0],
                                 "large_cpu_ms": large_all[True][2], "read_csv_path_large_ms": large_all[False][0],
                                 "read_csv_path_large_cpu_ms": large_all[False][2],
                                 "ratio": (large_all[True][0] / 10_000) / (small_all[True][0] / 1000),
                                 "peak_mib": peak / 2**20, "max_rss_mib": rss_after / 1024})
    benchmark.pedantic(lambda: None, rounds=1)
