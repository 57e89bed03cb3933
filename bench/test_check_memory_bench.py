"""Peak memory (and time) of ``pytest-chimera check`` on 1 and 10 MB reports, each in a fresh interpreter.

Run: ``cd bench && pytest test_check_memory_bench.py -s`` (needs ../shared/corpus/chimeraforge; prints the
figures, never asserts them). Issue 14 measured 2.3 GB and 114 s for a 10 MB report; the README states the
bound this measures. Two shapes of report, random values so that no two lines are alike: ``prose``, the
check benchmark's sentence shapes (bullets, bold callouts, about one number per twelve words), and ``table``,
one pipe table row after another (five cells, four numbers), the heaviest shape per byte found. The corpus
is the real 101-file one (7,493 facts). Peak RSS is the child's own VmHWM (``ru_maxrss`` would carry over
the forking parent's peak); the baseline is the same child before the check
(Python, pandas and the CLI imported).
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

from pytest_benchmark.fixture import BenchmarkFixture
from test_check_bench import MODELS, SENTENCES  # the check benchmark's models and sentence shapes

SIZES_MB = (1, 10)
# Runs the check in-process and prints its peak RSS (KiB) before and after, and the check's wall/CPU seconds.
_CHILD = """
import os, sys, time
from pytest_chimera.cli import main
import pandas  # noqa: F401 - the check imports it; counted in the baseline
def hwm():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
before = hwm()
sys.stdout = open(os.devnull, "w")
start, cpu = time.perf_counter(), time.process_time()
code = main(["check", sys.argv[1], "--corpus", sys.argv[2]])
wall, cpu = time.perf_counter() - start, time.process_time() - cpu
print(before, hwm(), f"{wall:.2f}", f"{cpu:.2f}", code, file=sys.stderr)
"""


def _values(rng: random.Random) -> dict[str, Any]:
    return {"m": rng.choice(MODELS), "v": rng.uniform(10, 300), "w": rng.uniform(20, 900),
            "x": rng.uniform(900, 5000), "g": rng.uniform(1, 24), "p": rng.uniform(1, 99),
            "c": rng.randrange(2, 5000), "s": rng.uniform(0.1, 60)}


def make_report(size_bytes: int, seed: int = 11) -> str:
    """Prose of about ``size_bytes``: the check benchmark's sentence shapes (bullets, bold callouts, numbered
    recommendations) with random values, a numbered section every 25 sentences."""
    rng = random.Random(seed)
    lines = ["# Benchmark Report", "", "## 1. Executive Summary", ""]
    size = sentences = 0
    while size < size_bytes:
        sentences += 1
        if sentences % 25 == 0:
            lines += ["", f"## {sentences // 25 + 1}. Findings", ""]
        lines.append(rng.choice(SENTENCES).format(**_values(rng)))
        size += len(lines[-1]) + 1
    return "\n".join(lines) + "\n"


def make_table_report(size_bytes: int, seed: int = 3) -> str:
    """One pipe table of about ``size_bytes``: model, run, TTFT, tokens/s, memory per row."""
    rng = random.Random(seed)
    parts = ["# Benchmark Report", "", "## 1. Executive Summary", "",
             "| model | run | ttft ms | tok/s | mem GB |", "|---|---|---|---|---|"]
    size = 0
    while size < size_bytes:
        line = (f"| {rng.choice(MODELS)} | {rng.randrange(1000)} | {rng.uniform(50, 900):.1f} | "
                f"{rng.uniform(10, 300):.2f} | {rng.uniform(1, 24):.1f} |")
        parts.append(line)
        size += len(line) + 1
    return "\n".join(parts) + "\n"


SHAPES = {"prose": make_report, "table": make_table_report}


def test_check_peak_memory(tmp_path: Path, chimeraforge_corpus: Path, benchmark: BenchmarkFixture) -> None:
    rows: dict[tuple[str, int], dict[str, Any]] = {}
    for shape, make in SHAPES.items():
        for mb in SIZES_MB:
            report = tmp_path / f"{shape}_{mb}mb.md"
            report.write_text(make(mb * 1_000_000), encoding="utf-8")
            child = subprocess.run([sys.executable, "-c", _CHILD, str(report), str(chimeraforge_corpus)],
                                   capture_output=True, text=True, check=True)
            before, after, wall, cpu, code = child.stderr.split()[-5:]
            rows[shape, mb] = {"baseline_mib": int(before) / 1024, "peak_mib": int(after) / 1024,
                               "wall_s": float(wall), "cpu_s": float(cpu), "exit": int(code),
                               "lines": report.read_text(encoding="utf-8").count("\n")}
    print(f"\npytest-chimera check against the real corpus, each in a fresh interpreter "
          f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores):")
    for (shape, mb), r in rows.items():
        print(f"  {shape:<5} {mb:>2} MB ({r['lines']:,} lines): peak RSS {r['peak_mib']:.0f} MiB (baseline "
              f"{r['baseline_mib']:.0f} MiB, +{r['peak_mib'] - r['baseline_mib']:.0f} MiB); check "
              f"{r['wall_s']:.1f} s wall / {r['cpu_s']:.1f} s CPU; exit {r['exit']}")
    for shape in SHAPES:
        big, small = rows[shape, SIZES_MB[-1]], rows[shape, SIZES_MB[0]]
        per_mb = (big["peak_mib"] - small["peak_mib"]) / (SIZES_MB[-1] - SIZES_MB[0])
        print(f"  {shape}: {per_mb:.0f} MiB of peak RSS per MB of report from {SIZES_MB[0]} to {SIZES_MB[-1]} MB")
    benchmark.extra_info.update({f"{shape}_{mb}mb": r for (shape, mb), r in rows.items()})
    benchmark.pedantic(lambda: None, rounds=1)
