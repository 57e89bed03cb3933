"""Checking a 5,000-word report against 100,000 facts (goal: under 100 ms median).

Run: ``cd bench && pytest test_check_bench.py -s`` (pytest-benchmark; prints the medians; add
``--benchmark-timer=time.process_time`` for CPU time). ``python bench/compare_check.py OTHER_CHECKOUT`` times
the same check against another checkout of the package, interleaved.

The facts follow the corpus key scheme (``table.<path>.<column>.<stat>``, per-model stats, JSON leaves,
file counts) with labels like the real ones: column words and synonyms, statistic words, model spellings,
path words. The report mixes the seed's sentence shapes, bullet callouts and a table, about one number per
twelve words. ``check`` is parse + extraction + matching with the fact index already built (the index is
built once per ``Facts`` and cached); ``index`` is the one-off index build; ``cold`` is both.
"""

from __future__ import annotations

import random

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from pytest_chimera.checks.consistency import check_consistency
from pytest_chimera.checks.index import FactIndex, index_of
from pytest_chimera.checks.report import count_words
from pytest_chimera.evidence.facts import Fact, Facts

N_FACTS = 100_000
WORDS = 5_000
MODELS = ("gemma3:270m", "gemma3:1b", "llama3.1:8b", "qwen2.5:7b", "phi3:mini")
COLUMNS = (("ttft_s", "s", ("ttft", "time to first token", "latency")),
           ("tokens_s", "tok/s", ("throughput", "tokens per second", "generation speed", "speed")),
           ("load_ms", "ms", ("load", "load time", "load duration")),
           ("eval_count", "tokens", ("eval count", "tokens generated", "tokens")),
           ("memory_gb", "GB", ("memory", "memory usage", "ram")),
           ("gpu_percent", "%", ("gpu", "gpu usage", "gpu utilization")))
STATS = {"count": ("count", "samples", "runs"), "mean": ("mean", "average", "avg"), "median": ("median", "p50"),
         "min": ("min", "minimum", "lowest"), "max": ("max", "maximum", "peak"), "std": ("std", "deviation")}


def _forms(model: str) -> tuple[str, ...]:
    family, _, size = model.partition(":")
    return (model, f"{family}-{size}", f"{family}_{size}", size, family)


def make_facts(n: int = N_FACTS, seed: int = 7) -> Facts:
    rng = random.Random(seed)
    records = [Fact("files.total", 101, "files", "count of files", ("files", "total", "dataset"))]
    dirs = [f"reports/run_{k:04d}" for k in range(400)]
    while len(records) < n:
        d = rng.choice(dirs)
        model = rng.choice(MODELS)
        path = f"{d}/{model.replace(':', '_')}_bench_{rng.randrange(10**6)}.csv"
        words = tuple(w for w in path.replace("/", " ").replace("_", " ").replace(".", " ").split() if len(w) > 2)
        for col, unit, labels in COLUMNS:
            for stat, stat_labels in STATS.items():
                value = rng.uniform(0.01, 500.0)
                records.append(Fact(f"table.{path}.{col}.{stat}", round(value, 4), "" if stat == "count" else unit,
                                    f"{path}: {stat} of column {col!r}",
                                    (col, *labels, *stat_labels, *_forms(model), *words)))
    return Facts.from_records(records[:n])


SENTENCES = (
    "The average token generation speed across all {m} runs is {v:.1f} tok/s, while the median TTFT was "
    "{w:.0f} ms.",
    "- **Peak memory usage:** {g:.1f} GB on {m}, with GPU utilization around {p:.1f}%.",
    "Load time for {m} ranged from {w:.0f} ms to {x:,.0f} ms across {c} runs.",
    "Throughput improved by {p:.1f}% after tuning num_ctx=2048, reaching **{v:.2f} tokens per second**.",
    "The corpus holds 101 files; the {m} benchmark logged {c:,} tokens generated in {s:.2f} s.",
    "1. Reduce the minimum latency of {m} below {w:.0f}ms by caching the first {c} prompts.",
)


def make_report(words: int = WORDS, seed: int = 11) -> str:
    rng = random.Random(seed)
    parts = ["# Benchmark Report", "", "## 1. Executive Summary", ""]
    k = 0
    while count_words("\n".join(parts)) < words:
        k += 1
        if k % 25 == 0:
            parts += ["", f"## {k // 25 + 1}. Section {k}", ""]
        if k % 40 == 0:
            parts += ["", "| model | mean TTFT (ms) | tokens per second |", "|---|---|---|"]
            parts += [f"| {m} | {rng.uniform(50, 900):.1f} | {rng.uniform(10, 300):.1f} |" for m in MODELS]
            parts.append("")
        parts.append(rng.choice(SENTENCES).format(
            m=rng.choice(MODELS), v=rng.uniform(10, 300), w=rng.uniform(20, 900), x=rng.uniform(900, 5000),
            g=rng.uniform(1, 24), p=rng.uniform(1, 99), c=rng.randrange(2, 5000), s=rng.uniform(0.1, 60)))
    return "\n".join(parts) + "\n"


@pytest.fixture(scope="module")
def facts() -> Facts:
    return make_facts()


@pytest.fixture(scope="module")
def report() -> str:
    return make_report()


def test_check_5000_words_against_100000_facts(benchmark: BenchmarkFixture, facts: Facts, report: str) -> None:
    index_of(facts)  # built once per Facts, as in a test session
    result = benchmark(check_consistency, report, facts)
    counts = result.counts()
    benchmark.extra_info.update(words=count_words(report), facts=len(facts), numbers=len(result.numbers), **counts)
    print(f"\n{count_words(report)} words, {len(facts)} facts, {len(result.numbers)} numbers: {counts}")
    assert sum(counts.values()) > 200


def test_index_build_100000_facts(benchmark: BenchmarkFixture, facts: Facts) -> None:
    index = benchmark.pedantic(FactIndex, args=(facts,), rounds=5, iterations=1)
    assert sum(len(d.facts) for d in index.dims.values()) == len(facts)


def test_cold_check_100000_facts(benchmark: BenchmarkFixture, facts: Facts, report: str) -> None:
    """Index build plus check: a fresh ``Facts`` over the same frame has no cached index."""
    result = benchmark.pedantic(lambda: check_consistency(report, Facts(facts.frame)), rounds=5, iterations=1)
    assert sum(result.counts().values()) > 200
