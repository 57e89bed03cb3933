"""The Chimera agent's own overhead: a run's time outside its model calls (``ReportRun.overhead_ms``).

Run: ``cd bench && pytest test_agent_bench.py -s`` (prints the per-run table and the medians).
Goal (issue 18): at most 20 ms per run beside the model calls once a session has ingested the corpus and
ranked its facts, so that a fast GPU model (a 2 s run) is not taxed; in a fresh ``pytest-chimera run``
process, at most 20 ms beside the ingest and the model calls.

``test_agent_overhead_in_a_session``: what the ``chimera_report`` fixture does, on the embedded gemma-3-270m
(loaded once, before the runs): per simulated session the corpus is loaded and its facts computed once (a
fresh ``Facts`` object, so nothing is cached from an earlier session), then the first run (its overhead holds
that ingest, the ranking and the key figures, the first token counts) and ``LATER`` runs on the same corpus
and facts (cached ranking and token counts). ``SESSIONS`` sessions; medians of the first runs and of the
later ones, with ``overhead_ms`` checked against the plain ``wall - sum(call wall_ms)``. The key figures'
store across processes is off (the root conftest's setting), so each first run computes them, as the first
session on a corpus does, except in ``grounded-stored``, where the warm-up session fills the store and each
later session's first run reads its figures there, as a later session on the corpus does.

``test_cli_overhead_in_a_fresh_process``: ``pytest-chimera run`` in ``CLI_RUNS`` fresh processes over
cassettes recorded once with the embedded model (``--backend replay``: no model load, the calls replayed),
so its ``overhead_ms - ingest_ms`` is the rest of issue 18's table: everything but the ingest and the model
calls (key figures with the checker's imports and fact index, prompt fitting, assembly). Processes that read
the key figures from the store kept across processes (``agent.figstore``, in a folder of the bench's own,
filled by the first process of the warm-up round and checked to be read, never written, since) alternate
with processes that compute them (``PYTEST_CHIMERA_FIGURES_CACHE=0``), as a first run on a corpus does. The
replay backend counts tokens approximately (characters / 4), which the real tokenizer does in ~0.1 ms per
text.

``test_key_figures_cpu``: what the first run of a session pays for its key figures, in CPU time on a fresh
``Facts`` of the corpus (``KEY_ROUNDS`` rounds, medians): the facts ``cite`` can write and their ranking
(what the key figures rank) alternating with the top ``TOP`` of all facts' ranking (what they ranked before),
then the whole ``key_figures`` (the citable facts, their ranking, the checker's fact index and its checks of
the candidate sentences).

``test_key_figures_cold_parts``: the parts of the first key figures in fresh interpreters (``COLD_RUNS``
after a warm-up, CPU medians), in the order the first run meets them: the checker's imports, the citable
facts, their ranking, numpy's import, the checker's fact index, the first check, then ``key_figures`` itself
(what is left: the checks of the other candidate sentences, with the citable facts found again).

Fresh interpreters run as an installed package does, with Python's bytecode cache (``fresh_env``).

Corpus: the real 101-file chimeraforge corpus in ``../shared`` (skipped when absent). Settings as the seed
run (num_ctx 2048, temperature 1) with ``num_predict`` 16 per call and a fixed seed.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from agent_fakes import plain_rank  # noqa: E402  (the tests' reference ranking)

SESSIONS = 3
LATER = 2  # runs after the first, per session
CLI_RUNS = 5
KEY_ROUNDS = 7
COLD_RUNS = 5
TOP = 200  # the key figures used to look for citable facts among the top 200 of all facts' ranking
# The first key figures' parts in a fresh interpreter (corpus loaded and facts computed first), CPU ms as JSON.
_COLD = """
import json, sys, time
from pytest_chimera.agent.personas import INSIGHT
from pytest_chimera.evidence.corpus import load_corpus
from pytest_chimera.evidence.facts import Fact, compute_facts
facts = compute_facts(load_corpus(sys.argv[1]))
parts, clock = {}, time.process_time
def timed(name, call):
    start = clock()
    result = call()
    parts[name] = (clock() - start) * 1000
    return result
timed("checker imports", lambda: __import__("pytest_chimera.checks.consistency"))
from pytest_chimera.agent import figures, prompts
from pytest_chimera.checks.consistency import check_consistency
from pytest_chimera.checks.index import index_of
rows = figures.rows_of(facts)
citable = timed("citable facts", lambda: [row for row in rows if figures.cite_row(row) is not None])
timed("ranking", lambda: prompts.rank_rows(citable, INSIGHT))
timed("numpy import", lambda: __import__("numpy"))
timed("fact index", lambda: index_of(facts))
first = figures.inventory_sentence(Fact.of_row(row) for row in rows if row[0].startswith("files."))
timed("first check", lambda: check_consistency(figures.bullet_outline(first), facts))
timed("key_figures", lambda: figures.key_figures(facts, INSIGHT))
print(json.dumps(parts))
"""


def fresh_env(cache: Path) -> dict[str, str]:
    """The environment of a fresh interpreter as an installed package runs: Python's bytecode cache on (in
    ``cache``, outside the tree; the warm-up process writes it), unless ``CHIMERA_BENCH_NO_PYC`` is set, which
    keeps whatever the caller has (``PYTHONDONTWRITEBYTECODE=1``: every module compiled from source)."""
    env = dict(os.environ)
    if not env.get("CHIMERA_BENCH_NO_PYC"):
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(cache)
    return env


OPTIONS = {"num_ctx": 2048, "num_predict": 16, "temperature": 1.0, "seed": 7}


@pytest.fixture(scope="module")
def model() -> Iterator[Any]:
    pytest.importorskip("llama_cpp")
    from pytest_chimera.backends import load_backend

    backend = load_backend("llama-cpp", "gemma3:270m", options={"num_ctx": OPTIONS["num_ctx"]})
    yield backend
    backend.close()


def _timed_run(corpus: Any, model: Any, facts: Any, grounding: bool) -> dict[str, float]:
    from pytest_chimera.agent.chimera import run_agent

    start = time.perf_counter()
    run = run_agent(corpus, model, options=OPTIONS, grounding=grounding, facts=facts)
    wall = (time.perf_counter() - start) * 1000 + run.stages["ingest_ms"]  # the ingest was done before
    calls = sum(c.metrics.wall_ms for c in run.calls)
    assert run.overhead_ms is not None
    return {"overhead_ms": run.overhead_ms, "wall_minus_calls_ms": wall - calls, "wall_ms": wall,
            "ingest_ms": run.stages["ingest_ms"], "tokens": run.metrics["eval_count"]}


@pytest.mark.parametrize(("grounding", "stored"), [(True, False), (True, True), (False, False)],
                         ids=["grounded", "grounded-stored", "ungrounded"])
def test_agent_overhead_in_a_session(chimeraforge_corpus: Path, model: Any, benchmark: BenchmarkFixture,
                                     grounding: bool, stored: bool, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from pytest_chimera.agent.chimera import TimedCorpus

    # the key figures' store off (each first run computes them), or on in a folder the warm-up session fills
    monkeypatch.setenv("PYTEST_CHIMERA_FIGURES_CACHE", "1" if stored else "0")
    if stored:
        monkeypatch.setenv("PYTEST_CHIMERA_CACHE", str(tmp_path / "cache"))
    from pytest_chimera.evidence.corpus import load_corpus
    from pytest_chimera.evidence.facts import compute_facts

    first: list[dict[str, float]] = []
    later: list[dict[str, float]] = []

    def one_session() -> None:
        start = time.perf_counter()
        corpus = load_corpus(chimeraforge_corpus)
        facts = compute_facts(corpus) if grounding else None
        ingest_ms = (time.perf_counter() - start) * 1000  # what the first test waits for the fixtures
        first.append(_timed_run(TimedCorpus(corpus, ingest_ms), model, facts, grounding))
        later.extend(_timed_run(TimedCorpus(corpus, 0.0), model, facts, grounding) for _ in range(LATER))

    one_session()  # warm-up: imports, the model's first calls
    first.clear()
    later.clear()
    entries = sorted((tmp_path / "cache" / "key-figures").glob("*.json"))
    written = [e.stat().st_mtime_ns for e in entries]
    assert len(entries) == int(stored)  # the warm-up wrote the one entry the sessions read
    benchmark.pedantic(one_session, rounds=SESSIONS, warmup_rounds=0, iterations=1)
    assert [e.stat().st_mtime_ns for e in entries] == written  # read, never written again
    name = ("grounded, key figures from the store" if stored else "grounded") if grounding else "ungrounded"
    print(f"\n{name}: run    overhead_ms  wall-calls_ms  ingest_ms   wall_ms  tokens")
    for label, rows in (("first", first), ("later", later)):
        for r in rows:
            print(f"  {label:>5} {r['overhead_ms']:13.1f} {r['wall_minus_calls_ms']:14.1f} {r['ingest_ms']:10.1f}"
                  f" {r['wall_ms']:9.0f} {r['tokens']:7.0f}")
    medians = {label: statistics.median(r["overhead_ms"] for r in rows) for label, rows in
               (("first", first), ("later", later))}
    wall = statistics.median(r["wall_ms"] for r in later)
    print(f"  median overhead: first run {medians['first']:.1f} ms, later runs {medians['later']:.2f} ms "
          f"({medians['later'] / wall:.3%} of a later run's median wall {wall:.0f} ms)")
    benchmark.extra_info.update({"median_first_overhead_ms": medians["first"],
                                 "median_later_overhead_ms": medians["later"], "first": first, "later": later})


def test_cli_overhead_in_a_fresh_process(chimeraforge_corpus: Path, tmp_path: Path,
                                         benchmark: BenchmarkFixture) -> None:
    pytest.importorskip("llama_cpp")
    cassettes = tmp_path / "cassettes"
    options = [arg for key, value in OPTIONS.items() for arg in ("--option", f"{key}={value}")]

    def cli(mode: str, out: Path, store: bool = True) -> dict[str, Any]:
        command = [sys.executable, "-m", "pytest_chimera", "run", str(chimeraforge_corpus), "--backend", "replay",
                   "--cassettes", str(cassettes), "--record-mode", mode, "--model", "gemma3:270m", *options,
                   "--quiet", "--out", str(out.with_suffix(".md")), "--json", str(out)]
        env = fresh_env(tmp_path / "pyc")
        env["PYTEST_CHIMERA_FIGURES_CACHE"] = "1" if store else "0"
        if mode == "replay":  # no model file needed: the store in a folder of this bench's own
            env["PYTEST_CHIMERA_CACHE"] = str(store_dir.parent)
        subprocess.run(command, check=True, capture_output=True, text=True, env=env)
        return json.loads(out.read_text())

    store_dir = tmp_path / "cache" / "key-figures"
    cli("record", tmp_path / "recorded.json", store=False)  # the embedded model, once
    rows: dict[bool, list[dict[str, float]]] = {True: [], False: []}

    def one_process() -> None:
        for store in (True, False):  # interleaved: the key figures from the store, and computed
            run = cli("replay", tmp_path / f"run{len(rows[store])}-{store}.json", store)
            assert all(c["metrics"]["replayed"] for c in run["calls"])
            rows[store].append({"overhead_ms": run["overhead_ms"], "ingest_ms": run["stages"]["ingest_ms"],
                                "rest_ms": run["overhead_ms"] - run["stages"]["ingest_ms"]})

    written: list[int] = []

    def one_process_then_stamp() -> None:
        one_process()
        if not written:  # after the warm-up round: the one entry its first process wrote
            written.extend(e.stat().st_mtime_ns for e in store_dir.glob("*.json"))

    benchmark.pedantic(one_process_then_stamp, rounds=CLI_RUNS, warmup_rounds=1, iterations=1)
    assert len(written) == 1 and [e.stat().st_mtime_ns for e in store_dir.glob("*.json")] == written  # read since
    for store, title in ((True, "key figures from the store"), (False, "key figures computed (store off)")):
        counted = rows[store][1:]
        print(f"\npytest-chimera run (fresh process, replayed calls), {title}: overhead_ms  ingest_ms  rest_ms")
        for r in counted:
            print(f"  {r['overhead_ms']:48.1f} {r['ingest_ms']:10.1f} {r['rest_ms']:8.1f}")
        medians = {k: statistics.median(r[k] for r in counted) for k in ("overhead_ms", "ingest_ms", "rest_ms")}
        print(f"  medians: overhead {medians['overhead_ms']:.1f} ms = ingest {medians['ingest_ms']:.1f} ms"
              f" + the rest {medians['rest_ms']:.1f} ms")
        benchmark.extra_info[f"store={store}"] = {"medians": medians, "rows": counted}


def test_key_figures_cpu(chimeraforge_corpus: Path, benchmark: BenchmarkFixture) -> None:
    from pytest_chimera.agent import figures
    from pytest_chimera.agent.personas import INSIGHT
    from pytest_chimera.agent.prompts import rank_facts, rank_rows
    from pytest_chimera.evidence.corpus import load_corpus
    from pytest_chimera.evidence.facts import compute_facts

    corpus = load_corpus(chimeraforge_corpus)
    facts = compute_facts(corpus)
    records, rows = facts.to_list(), facts.rows
    assert rank_facts(records, INSIGHT, TOP) == plain_rank(records, INSIGHT)[:TOP]
    figures.key_figures(compute_facts(corpus), INSIGHT)  # warm: the checker's imports
    cpu: dict[str, list[float]] = {"citable_ranking": [], "top_of_all": [], "key_figures": []}

    def cpu_ms(call: Any) -> float:
        start = time.process_time()
        call()
        return (time.process_time() - start) * 1000

    def citable_ranking() -> None:
        rank_rows([row for row in rows if figures.cite_row(row) is not None], INSIGHT)

    def one_round() -> None:
        cpu["citable_ranking"].append(cpu_ms(citable_ranking))
        cpu["top_of_all"].append(cpu_ms(lambda: rank_facts(records, INSIGHT, TOP)))
        fresh = compute_facts(corpus)  # fresh: nothing cached for it
        cpu["key_figures"].append(cpu_ms(lambda: figures.key_figures(fresh, INSIGHT)))

    benchmark.pedantic(one_round, rounds=KEY_ROUNDS, warmup_rounds=0, iterations=1)
    medians = {k: statistics.median(v) for k, v in cpu.items()}
    print(f"\nkey figures on a fresh Facts of {len(records)} facts, CPU ms, medians of {KEY_ROUNDS}: the citable "
          f"facts and their ranking {medians['citable_ranking']:.2f} vs the top {TOP} of all facts' ranking "
          f"{medians['top_of_all']:.1f} (before this change); whole key_figures {medians['key_figures']:.1f}")
    benchmark.extra_info.update({"medians_cpu_ms": medians, "rounds": cpu})


def test_key_figures_cold_parts(chimeraforge_corpus: Path, tmp_path: Path, benchmark: BenchmarkFixture) -> None:
    runs: list[dict[str, float]] = []

    def one_process() -> None:
        child = subprocess.run([sys.executable, "-c", _COLD, str(chimeraforge_corpus)], check=True,
                               capture_output=True, text=True, env=fresh_env(tmp_path / "pyc"))
        runs.append(json.loads(child.stdout.strip().splitlines()[-1]))

    benchmark.pedantic(one_process, rounds=COLD_RUNS, warmup_rounds=1, iterations=1)
    runs = runs[1:]  # the warm-up wrote the bytecode cache
    medians = {name: statistics.median(r[name] for r in runs) for name in runs[0]}
    print(f"\nfirst key figures in a fresh interpreter, CPU ms, medians of {COLD_RUNS}: "
          + ", ".join(f"{name} {ms:.1f}" for name, ms in medians.items()) + f"; sum {sum(medians.values()):.1f}")
    benchmark.extra_info.update({"medians_cpu_ms": medians, "runs": runs})
