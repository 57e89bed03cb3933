"""Corpus load + facts: the real 101-file corpus, and synthetic corpora of 1,000 and 10,000 files.

Run: ``cd bench && pytest test_corpus_bench.py -s`` (prints medians, per-file times and peak memory).
Goals (issue 3): real corpus median under 100 ms; 10,000 files under 5 s and 1 GiB peak, time per file
roughly flat from 1,000 to 10,000 files. Issue 18: load + every fact of the real corpus in no more CPU time
than an original-agent-style ingest (``pd.read_csv`` / ``json.load`` / a plain read per file, no facts)
takes in the same run (ratio <= 1.0); 10,000 files under 1.5 s; a cold ingest (a fresh interpreter:
import, load, facts) under 100 ms. These are measured and printed, never asserted.

Each figure is given for the default ingest (plain CSVs read by ``corpus.parse_csv``, their DataFrames
built on first access) and, side by side in alternating rounds, for ``load_corpus(fast_csv=False)``
(every CSV through ``pd.read_csv`` at load, the ingest before ``parse_csv``): same tables, same facts.
This checkout against another one (load + all facts, interleaved in fresh interpreters, with the collector work
each leaves to its caller): ``python bench/compare_ingest.py OTHER_CHECKOUT [CORPUS|synthetic:N]``.
"""

from __future__ import annotations

import gc
import json
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

# a cold ingest as ``pytest-chimera run`` does it: a fresh interpreter imports, loads and computes the facts
_COLD = """
import json, sys, time
t0, c0 = time.perf_counter(), time.process_time()
from pytest_chimera.evidence.corpus import load_corpus
from pytest_chimera.evidence.facts import compute_facts
t1, c1 = time.perf_counter(), time.process_time()
corpus = load_corpus(sys.argv[1])
t2, c2 = time.perf_counter(), time.process_time()
n = len(compute_facts(corpus))
t3, c3 = time.perf_counter(), time.process_time()
print(json.dumps({"wall": [t1 - t0, t2 - t1, t3 - t2], "cpu": [c1 - c0, c2 - c1, c3 - c2], "facts": n,
                  "pandas": "pandas" in sys.modules, "numpy": "numpy" in sys.modules}))
"""
COLD_ROUNDS = 9

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


def original_ingest(root: Path) -> int:
    """What the original agent paid to read a corpus, computing no facts: ``pd.read_csv``, ``json.load`` or
    a plain read per .csv/.json/.md file (hidden entries skipped, as ``load_corpus`` does; a file that
    fails is counted, not raised). Returns the number of files."""
    import pandas as pd

    read = 0
    for directory, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            kind = os.path.splitext(name)[1].lower()
            if name.startswith(".") or kind not in (".csv", ".json", ".md"):
                continue
            path = os.path.join(directory, name)
            read += 1
            try:
                if kind == ".csv":
                    pd.read_csv(path)
                elif kind == ".json":
                    with open(path, encoding="utf-8") as handle:
                        json.load(handle)
                else:
                    with open(path, encoding="utf-8", errors="replace") as handle:
                        handle.read()
            except (ValueError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError):
                pass
    return read


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


def test_real_corpus_against_the_original_ingest(chimeraforge_corpus: Path, benchmark: BenchmarkFixture) -> None:
    """Load + every fact against the original agent's plain read of the same corpus, in alternating rounds
    of one process (CPU time: less hurt by a busy machine than wall time)."""
    for _ in range(3):  # warm: pandas imported, caches filled, for both
        _load_and_facts(chimeraforge_corpus)
        original_ingest(chimeraforge_corpus)
    ours: list[float] = []
    theirs: list[float] = []
    for _ in range(31):
        for runs, run in ((ours, _load_and_facts), (theirs, original_ingest)):
            gc.collect()
            start = time.process_time()
            run(chimeraforge_corpus)
            runs.append((time.process_time() - start) * 1000)
    n = _load_and_facts(chimeraforge_corpus)
    ratio = statistics.median(ours) / statistics.median(theirs)
    print(f"\nreal corpus, 31 alternating rounds, CPU time: load + all {n} facts median "
          f"{statistics.median(ours):.1f} ms (min {min(ours):.1f}); original-agent-style ingest (read_csv / "
          f"json.load / read, no facts) median {statistics.median(theirs):.1f} ms (min {min(theirs):.1f}); "
          f"ratio ours / original {ratio:.2f} (of minima {min(ours) / min(theirs):.2f}); load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    benchmark.extra_info.update({"cpu_ms": statistics.median(ours), "original_cpu_ms": statistics.median(theirs),
                                 "ratio": ratio, "facts": n})
    benchmark.pedantic(lambda: None, rounds=1)


def test_cold_ingest(chimeraforge_corpus: Path, benchmark: BenchmarkFixture) -> None:
    """Import + load + facts in a fresh interpreter, as ``pytest-chimera run`` pays it: median of COLD_ROUNDS
    processes (bytecode written by a first, unmeasured one), with the breakdown."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}  # .pyc as installed

    def child() -> dict[str, object]:
        out = subprocess.run([sys.executable, "-c", _COLD, str(chimeraforge_corpus)], capture_output=True,
                             text=True, check=True, env=env)
        result: dict[str, object] = json.loads(out.stdout)
        return result

    child()
    runs = [child() for _ in range(COLD_ROUNDS)]

    def median_ms(kind: str, part: int | None = None) -> float:
        values = [run[kind] for run in runs]
        return statistics.median(sum(v) if part is None else v[part] for v in values) * 1000  # type: ignore[arg-type]

    cpu, wall = median_ms("cpu"), median_ms("wall")
    print(f"\ncold ingest of the real corpus ({runs[0]['facts']} facts), median of {COLD_ROUNDS} fresh interpreters: "
          f"CPU {cpu:.1f} ms (import {median_ms('cpu', 0):.1f}, load {median_ms('cpu', 1):.1f}, facts "
          f"{median_ms('cpu', 2):.1f}); wall {wall:.1f} ms (import {median_ms('wall', 0):.1f}, load "
          f"{median_ms('wall', 1):.1f}, facts {median_ms('wall', 2):.1f}); pandas imported: {runs[0]['pandas']}, "
          f"numpy: {runs[0]['numpy']}; interpreter start-up not included; load average {os.getloadavg()[0]:.1f}")
    benchmark.extra_info.update({"cold_cpu_ms": cpu, "cold_wall_ms": wall})
    benchmark.pedantic(lambda: None, rounds=1)


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
