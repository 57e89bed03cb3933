"""``pytest-chimera check`` on 1 and 10 MB reports against the real corpus: time and peak memory, each case in a
fresh interpreter.

Run: ``cd bench && pytest test_check_memory_bench.py -s`` (needs ../shared/corpus/chimeraforge and the seed
report; prints the figures, never asserts them). ``CHIMERA_BENCH_OTHER=/path/to/other/checkout`` runs every
case with that checkout's package too, interleaved ("before"; an option it lacks, ``--max-numbers``, is left
out: it checks every number). Five shapes: ``prose``, the check benchmark's sentence shapes with random values
(bullets, bold callouts, about one number per twelve words: no two lines alike); ``table``, one pipe table
row after another (five cells, four numbers), the heaviest shape per byte found without ``--spec``; ``marked``,
a table of short emphasised and bold cells (with ``--spec``); ``tables``, small tables one after another;
``loop``, the seed report repeated, as a model stuck in a loop writes. The corpus is the real 101-file one
(12,141 facts). Each case runs with the default ``--max-numbers`` (50,000): a report with more numbers on
distinct lines ends with exit 2;
``--max-numbers 0`` checks everything. Peak RSS is the child's own VmHWM (``ru_maxrss`` would carry over the
forking parent's peak); the baseline is the same child before the check (Python, pandas and the CLI imported).
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
import pytest_chimera
from pytest_chimera.cli import main
import pandas  # noqa: F401 - the check imports it; counted in the baseline
def hwm():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
before = hwm()
sys.stdout = open(os.devnull, "w")
start, cpu = time.perf_counter(), time.process_time()
code = main(["check", sys.argv[1], "--corpus", sys.argv[2], *sys.argv[3:]])
wall, cpu = time.perf_counter() - start, time.process_time() - cpu
print(pytest_chimera.__file__, before, hwm(), f"{wall:.2f}", f"{cpu:.2f}", code, file=sys.stderr)
"""
# (shape, MB, extra arguments)
CASES: tuple[tuple[str, int, tuple[str, ...]], ...] = (
    ("prose", 1, ()), ("prose", 10, ()), ("table", 1, ()), ("table", 1, ("--max-numbers", "0")), ("table", 10, ()),
    ("table", 10, ("--spec", "insight")), ("marked", 10, ("--spec", "insight")), ("tables", 10, ()), ("loop", 10, ()))


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


def make_marked_table_report(size_bytes: int) -> str:
    """One pipe table of short emphasised, bold and code cells: the most parsed inline tokens per byte, which
    ``parse_report`` (``--spec``) must not hold all at once."""
    row = "| *a* | **b** 1 | `c` | *d* | **e:** 2 ms | *f* |"
    head = ["# Benchmark Report", "", "| a | b | c | d | e | f |", "|---|---|---|---|---|---|"]
    return "\n".join(head + [row] * (size_bytes // (len(row) + 1))) + "\n"


def make_tables_report(size_bytes: int) -> str:
    """Small tables one after another (a header, one row each): one table block per 30 bytes."""
    table = "| a | b |\n|---|---|\n| x | {} |\n\n"
    return "# Benchmark Report\n\n" + "".join(table.format(k) for k in range(size_bytes // len(table)))


def make_loop_report(size_bytes: int, seed_report: Path) -> str:
    """The seed report written again and again to about ``size_bytes``, as a model stuck in a loop does."""
    body = seed_report.read_text(encoding="utf-8")
    return body * (size_bytes // len(body) + 1)


SHAPES = {"prose": make_report, "table": make_table_report, "marked": make_marked_table_report,
          "tables": make_tables_report}


def _run(report: Path, corpus: Path, args: tuple[str, ...], checkout: str | None) -> dict[str, Any]:
    env = dict(os.environ)
    if checkout is not None:  # the other checkout's package first on the path; it has no --max-numbers
        env["PYTHONPATH"] = checkout
        if "--max-numbers" in args:
            at = args.index("--max-numbers")
            args = args[:at] + args[at + 2:]
    child = subprocess.run([sys.executable, "-c", _CHILD, str(report), str(corpus), *args],
                           capture_output=True, text=True, env=env, check=False)
    if child.returncode:
        raise AssertionError(f"the child failed:\n{child.stderr[-2000:]}")
    package, before, after, wall, cpu, code = child.stderr.split()[-6:]
    assert checkout is None or package.startswith(checkout), package
    return {"baseline_mib": int(before) / 1024, "peak_mib": int(after) / 1024, "wall_s": float(wall),
            "cpu_s": float(cpu), "exit": int(code)}


def test_check_peak_memory(tmp_path: Path, chimeraforge_corpus: Path, seed_report: Path,
                           benchmark: BenchmarkFixture) -> None:
    other = os.environ.get("CHIMERA_BENCH_OTHER")
    sides = {"this": None} | ({"other": other} if other else {})
    rows: dict[tuple[str, str, int, tuple[str, ...]], dict[str, Any]] = {}
    for shape, mb, args in CASES:
        report = tmp_path / f"{shape}_{mb}mb.md"
        if not report.exists():
            text = make_loop_report(mb * 1_000_000, seed_report) if shape == "loop" else SHAPES[shape](mb * 1_000_000)
            report.write_text(text, encoding="utf-8")
        for side, checkout in sides.items():
            rows[side, shape, mb, args] = _run(report, chimeraforge_corpus, args, checkout)
            rows[side, shape, mb, args]["lines"] = report.read_text(encoding="utf-8").count("\n")
    print(f"\npytest-chimera check against the real corpus, each in a fresh interpreter "
          f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores):")
    for (side, shape, mb, args), r in rows.items():
        label = f"{side:<5} {shape:<5} {mb:>2} MB {' '.join(args):<18}"
        print(f"  {label} ({r['lines']:,} lines): {r['cpu_s']:.1f} s CPU / {r['wall_s']:.1f} s wall, peak RSS "
              f"{r['peak_mib']:.0f} MiB (baseline {r['baseline_mib']:.0f} MiB); exit {r['exit']}")
    benchmark.extra_info.update({f"{side}_{shape}_{mb}mb{'_'.join(args)}": r
                                 for (side, shape, mb, args), r in rows.items()})
    benchmark.pedantic(lambda: None, rounds=1)
