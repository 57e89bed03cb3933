"""The Chimera agent's own overhead on the embedded model: agent wall time versus its model calls' wall time.

Run: ``cd bench && pytest test_agent_bench.py -s`` (prints the per-round table and the medians).
Goal: the agent's overhead (ingest and facts, ranking, prompt fitting and token counting, report
assembly: everything but the two model calls) under 2% of the run.

Each round runs ``run_agent`` on the corpus *path*, so the ingest (load + facts) is done and timed
inside every round, and no ranking cache helps (each round has a fresh ``Facts`` object): the worst
case. The model is loaded once, before the rounds. Corpus: the real 101-file chimeraforge corpus in
``../shared`` (skipped when absent). Settings as the seed run (num_ctx 2048, temperature 1) with
``num_predict`` 128 per call and a fixed seed.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

ROUNDS = 3
OPTIONS = {"num_ctx": 2048, "num_predict": 128, "temperature": 1.0, "seed": 7}


@pytest.fixture(scope="module")
def model() -> Iterator[Any]:
    pytest.importorskip("llama_cpp")
    from pytest_chimera.backends import load_backend

    backend = load_backend("llama-cpp", "gemma3:270m", options={"num_ctx": OPTIONS["num_ctx"]})
    yield backend
    backend.close()


@pytest.mark.parametrize("grounding", [True, False], ids=["grounded", "ungrounded"])
def test_agent_overhead(chimeraforge_corpus: Path, model: Any, benchmark: BenchmarkFixture, grounding: bool) -> None:
    from pytest_chimera.agent.chimera import run_agent

    rows: list[dict[str, float]] = []

    def one_round() -> None:
        start = time.perf_counter()
        run = run_agent(chimeraforge_corpus, model, options=OPTIONS, grounding=grounding)
        wall = (time.perf_counter() - start) * 1000
        calls = sum(c.metrics.wall_ms for c in run.calls)
        print(f"round: wall {wall:.0f} ms, calls {calls:.0f} ms, overhead {wall - calls:.1f} ms", flush=True)
        rows.append({"wall_ms": wall, "calls_ms": calls, "overhead_ms": wall - calls,
                     "ingest_ms": run.stages["ingest_ms"], "tokens": run.metrics["eval_count"]})

    benchmark.pedantic(one_round, rounds=ROUNDS, warmup_rounds=1, iterations=1)
    counted = rows[1:]
    print(f"\n{'grounded' if grounding else 'ungrounded'}: round  wall_ms  calls_ms  overhead_ms  ingest_ms  tokens")
    for i, r in enumerate(counted, 1):
        print(f"  {i:>5} {r['wall_ms']:8.0f} {r['calls_ms']:9.0f} {r['overhead_ms']:12.1f} {r['ingest_ms']:10.1f}"
              f" {r['tokens']:7.0f}")
    wall = statistics.median(r["wall_ms"] for r in counted)
    overhead = statistics.median(r["overhead_ms"] for r in counted)
    share = statistics.median(r["overhead_ms"] / r["wall_ms"] for r in counted)
    print(f"  median wall {wall:.0f} ms, median overhead {overhead:.1f} ms, median overhead share {share:.2%}")
    benchmark.extra_info.update({"median_wall_ms": wall, "median_overhead_ms": overhead, "overhead_share": share,
                                 "rounds": counted})
