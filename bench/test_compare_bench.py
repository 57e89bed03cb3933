"""``pytest-chimera compare`` over 1,000 saved runs (goal: under 2 s end to end).

Run: ``cd bench && pytest test_compare_bench.py -s`` (prints the medians).
Each saved run is a pytest-benchmark file as ``--benchmark-autosave`` writes it: full machine_info, three
chimera tests with 8 rounds of every timing and quality metric. Each round starts a fresh interpreter,
as CI does; the in-process time of ``cli.main`` is measured alongside.
"""

from __future__ import annotations

import io
import json
import statistics
import subprocess
import sys
import time
from contextlib import redirect_stdout
from pathlib import Path

from pytest_benchmark.fixture import BenchmarkFixture

from pytest_chimera.cli import main

FILES = 1000
ROUNDS = 5
TESTS = ("tests/test_report.py::test_insight", "tests/test_report.py::test_collector", "tests/test_speed.py::test_x")
METRICS = ("ttft_ms", "tokens_per_s", "prompt_eval_ms", "eval_ms", "load_ms", "total_ms", "eval_count",
           "supported", "contradicted", "unverified", "structure_failed")


def _saved(i: int) -> dict[str, object]:
    def rounds(base: float) -> list[float]:
        return [round(base * (1 + 0.01 * ((i + r * 7) % 11 - 5)), 3) for r in range(8)]

    block = {m: rounds(10.0 + k) for k, m in enumerate(METRICS)}
    chimera = {"schema": 1, "backend": "llama-cpp", "model": "gemma3:270m", "options": {"num_ctx": 2048},
               "rounds": 8, "warmup_rounds": 1, "replayed": False, "timings": True, "per_round": block,
               "summary": {m: {"median": v[4]} for m, v in block.items()}, "notes": ["warm-up round not counted"]}
    return {
        "machine_info": {"node": "ci", "machine": "x86_64", "system": "Linux", "cpu": {"brand_raw": "CPU", "count": 2},
                         "chimera": {"backends": [{"backend": "llama-cpp", "model": "gemma3:270m",
                                                   "model_sha256": "ab" * 32, "quantization": "Q4_K_M"}]}},
        "commit_info": {"id": f"{i:040x}", "time": "2026-11-27T10:00:00+00:00", "dirty": False},
        "benchmarks": [{"name": t, "fullname": t, "stats": {"min": 1.0, "mean": 1.1, "rounds": 8, "data": [1.0] * 8},
                        "extra_info": {"chimera": chimera}} for t in TESTS],
        "datetime": "2026-11-27T10:00:00+00:00",
        "version": "5.2.3",
    }


def _files(root: Path) -> list[str]:
    paths = []
    for i in range(FILES):
        path = root / f"{i + 1:04d}_run.json"
        path.write_text(json.dumps(_saved(i), indent=4))
        paths.append(str(path))
    return paths


def _cli(paths: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pytest_chimera", "compare", *paths, "--json"],
                          capture_output=True, text=True)
    elapsed = (time.perf_counter() - start) * 1000
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["regressions"] == 0
    return elapsed


def _in_process(paths: list[str]) -> float:
    start = time.perf_counter()
    with redirect_stdout(io.StringIO()):
        code = main(["compare", *paths])
    assert code == 0
    return (time.perf_counter() - start) * 1000


def test_compare_1000_saved_runs(tmp_path: Path, benchmark: BenchmarkFixture) -> None:
    paths = _files(tmp_path)
    size_mb = sum(Path(p).stat().st_size for p in paths) / 1e6
    cli: list[float] = []
    inproc: list[float] = []
    for _ in range(ROUNDS):
        cli.append(_cli(paths))
        inproc.append(_in_process(paths))
    print(f"\ncompare over {FILES} saved runs ({size_mb:.1f} MB): `pytest-chimera compare ... --json` median "
          f"{statistics.median(cli):.0f} ms (fresh interpreter), cli.main with trend table in-process median "
          f"{statistics.median(inproc):.0f} ms, {ROUNDS} rounds each")
    benchmark.extra_info.update({"cli_ms": statistics.median(cli), "in_process_ms": statistics.median(inproc)})
    benchmark.pedantic(lambda: None, rounds=1)
