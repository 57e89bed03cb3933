"""One line of thousands of numbers (a model stuck in a repetition loop) and a 10 MB report.

Run: ``cd bench && pytest test_line_bench.py -s``. Prints the time per number for lines of 1,000, 2,000 and
4,000 numbers in nine shapes (one clause joined by "and", a comma list, numbers separated by spaces only;
two where the clause names models: "unlike A the B reached N" repeated, and thousands of contrast models first;
a model's own number among them; a comma list of thousands of words before the numbers, thousands of short lists
of words between them, and thousands of model sizes): linear time keeps it flat (it was quadratic: 13 s for
1,000 and 435 s for 4,000). Then a 10 MB report of the seed's sentences, checked end to end (time and peak
memory of a child process).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from pytest_benchmark.fixture import BenchmarkFixture

from pytest_chimera.checks.consistency import check_consistency
from pytest_chimera.evidence.facts import Fact, Facts

FACTS = Facts.from_records([
    Fact("files.total", 101, "files", "count of files", ("files", "total")),
    Fact("t.tok", 283.5, "tok/s", "a.csv: mean of tokens_s", ("throughput", "tokens per second", "gemma3:270m")),
    Fact("t.ttft", 81.0, "ms", "a.csv: mean of ttft_ms", ("ttft", "latency", "gemma3:270m")),
])
SHAPES = {
    "and": lambda n: " and ".join(f"the throughput was {k % 300} tok/s" for k in range(n)),
    "comma": lambda n: "Latencies: " + ", ".join(f"{k % 90} ms" for k in range(n)) + ".",
    "spaces": lambda n: "values " + " ".join(str(k) for k in range(n)),
    # which model each number is about (checks.subjects): contrast mentions before all of them, joined runs
    "unlike": lambda n: " ".join(f"unlike gemma3:1b the gemma3:270m reached {k % 300} tok/s and" for k in range(n)),
    "others": lambda n: "unlike " + " and ".join(f"gemma3:{k}b" for k in range(n)) + " we got "
    + " ".join(f"{k % 90} ms" for k in range(n)),
    # possessives that took their own numbers, each followed by another number (the walk back past owned mentions)
    "words": lambda n: "CSV and JSON: " + ", ".join("alpha" for _ in range(n)) + " " + " ".join(
        f"{k % 90} ms" for k in range(n)),  # a long comma list of words, read once (``claims.word_lists``)
    "lists": lambda n: "Latency " + "; ".join(f"alpha, beta and gamma with {k % 90} ms" for k in range(n)),
    "sizes": lambda n: "Model sizes of " + ", ".join(f"{k % 9 + 1}B" for k in range(n)) + " parameters.",
    "owned": lambda n: "gemma3:270m beats " + " and ".join(f"gemma3:1b's {k % 300} ms with {k % 90} ms"
                                                           for k in range(n // 2)),
}


def _time(text: str) -> float:
    start = time.perf_counter()
    result = check_consistency(f"# R\n\n{text}\n", FACTS)
    elapsed = time.perf_counter() - start
    assert len(result.numbers) >= text.count(" ") // 8
    return elapsed


def test_time_per_number_stays_flat() -> None:
    lines = []
    for shape, make in SHAPES.items():
        times = {n: _time(make(n)) for n in (1_000, 2_000, 4_000)}
        per = {n: 1e6 * t / n for n, t in times.items()}
        shown = ", ".join(f"{n:,} numbers {times[n]:.2f} s ({per[n]:.0f} us/number)" for n in times)
        lines.append(f"{shape:>6}: {shown}; 4,000 / 1,000 = {times[4000] / times[1000]:.1f}x")
    print("\n" + "\n".join(lines))


def test_line_of_4000_numbers(benchmark: BenchmarkFixture) -> None:
    text = SHAPES["and"](4_000)
    result = benchmark.pedantic(lambda: check_consistency(f"# R\n\n{text}\n", FACTS), rounds=3, iterations=1)
    assert sum(result.counts().values()) == 4_000


_CHILD = """
import sys, time
from pathlib import Path
from pytest_chimera.checks.consistency import check_consistency
from pytest_chimera.evidence.facts import Fact, Facts
facts = Facts.from_records([Fact("files.total", 101, "files", "count", ("files", "total"))])
text = Path(sys.argv[1]).read_text()
start = time.perf_counter()
result = check_consistency(text, facts)
elapsed = time.perf_counter() - start
with open("/proc/self/status") as status:
    hwm = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
print(f"{len(text) / 1e6:.1f} MB, {len(result.numbers):,} numbers: {elapsed:.1f} s, peak RSS {hwm / 1024:.0f} MiB")
"""


def test_ten_megabyte_report(tmp_path: Path) -> None:
    seed = Path(__file__).resolve().parent.parent.parent / "shared" / "seed" / "chimera_agent_b_report.md"
    body = seed.read_text(encoding="utf-8") if seed.is_file() else "The average latency is 45 ms.\n" * 200
    path = tmp_path / "big.md"
    path.write_text(body * (10_000_000 // len(body) + 1), encoding="utf-8")
    out = subprocess.run([sys.executable, "-c", _CHILD, str(path)], capture_output=True, text=True, check=True)
    print("\n" + out.stdout.strip())
