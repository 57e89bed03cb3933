"""``pytest-chimera facts --json`` on a 10,000-file synthetic corpus: the writer against ``json.dump(indent=1)``.

Run: ``cd bench && pytest test_facts_json_bench.py -s`` (prints the figures; never asserts a time).

Issue 14 measured 21-57 s for ``facts --json`` on 10,000 files, about 90% of it in ``json.dump(document,
sys.stdout, indent=1)``: the pure-Python encoder (``indent`` turns the C encoder off) writing millions of
small pieces. ``cli.facts.write_json`` encodes each fact with the C encoder and writes thousands of facts
at a time. Both write the same document (checked here) to ``/dev/null``, in alternating rounds so that both
see the same machine load; then the whole command once in a fresh interpreter.
"""

from __future__ import annotations

import gc
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from pytest_benchmark.fixture import BenchmarkFixture

from pytest_chimera.cli.facts import write_json
from pytest_chimera.evidence.corpus import Corpus, load_corpus
from pytest_chimera.evidence.facts import Facts, compute_facts
from pytest_chimera.evidence.synthetic import write_corpus

ROUNDS = 3


def _old_document(corpus: Corpus, facts: Facts) -> dict[str, Any]:
    """The document as the command built it before: one dict, then ``json.dump(indent=1)``."""
    return {
        "corpus": str(corpus.root),
        "files": {"total": len(corpus.files), "by_type": {k: corpus.count(k) for k in ("csv", "json", "md")}},
        "errors": [{"path": e.path, "reason": e.reason} for e in corpus.errors],
        "facts": [{"key": key, "value": value, "unit": unit, "source": source, "labels": list(labels)}
                  for key, value, unit, source, labels in facts.frame.itertuples(index=False, name=None)],
    }


def _old(corpus: Corpus, facts: Facts) -> None:
    with open(os.devnull, "w", encoding="utf-8") as out:
        json.dump(_old_document(corpus, facts), out, indent=1)
        out.write("\n")


def _new(corpus: Corpus, facts: Facts) -> None:
    with open(os.devnull, "w", encoding="utf-8") as out:
        write_json(corpus, facts, out)


def _timed(func: Any, *args: Any) -> tuple[float, float]:
    gc.collect()
    start, cpu = time.perf_counter(), time.process_time()
    func(*args)
    return time.perf_counter() - start, time.process_time() - cpu


def test_facts_json_10000_files(tmp_path_factory: Any, benchmark: BenchmarkFixture) -> None:
    root = Path(tmp_path_factory.mktemp("synthetic")) / "n10000"
    write_corpus(root, 10_000, seed=1)
    start, cpu = time.perf_counter(), time.process_time()
    corpus = load_corpus(root)
    facts = compute_facts(corpus)
    load_wall, load_cpu = time.perf_counter() - start, time.process_time() - cpu
    # the same document both ways
    import io

    buffer = io.StringIO()
    write_json(corpus, facts, buffer)
    assert json.loads(buffer.getvalue()) == json.loads(json.dumps(_old_document(corpus, facts)))
    size_mb = len(buffer.getvalue()) / 1e6
    del buffer
    runs: dict[str, list[tuple[float, float]]] = {"new": [], "old": []}
    for _ in range(ROUNDS):
        runs["new"].append(_timed(_new, corpus, facts))
        runs["old"].append(_timed(_old, corpus, facts))
    med = {k: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v)) for k, v in runs.items()}
    start = time.perf_counter()
    with open(os.devnull, "wb") as sink:
        subprocess.run([sys.executable, "-m", "pytest_chimera", "facts", str(root), "--json"], stdout=sink,
                       check=True)
    command = time.perf_counter() - start
    print(f"\n10,000 files, {len(facts)} facts, {size_mb:.0f} MB of JSON; load+facts {load_wall:.2f} s wall / "
          f"{load_cpu:.2f} s CPU (1 round)")
    print(f"writing --json, median of {ROUNDS} alternating rounds: write_json {med['new'][0]:.2f} s wall / "
          f"{med['new'][1]:.2f} s CPU; json.dump(indent=1) {med['old'][0]:.2f} s wall / {med['old'][1]:.2f} s "
          f"CPU; CPU ratio {med['old'][1] / med['new'][1]:.1f}x")
    print(f"the whole command in a fresh interpreter, stdout to /dev/null: {command:.2f} s wall (1 round); "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    benchmark.extra_info.update({"facts": len(facts), "json_mb": size_mb, "write_json_s": med["new"][0],
                                 "write_json_cpu_s": med["new"][1], "json_dump_indent_s": med["old"][0],
                                 "json_dump_indent_cpu_s": med["old"][1], "command_s": command})
    benchmark.pedantic(lambda: None, rounds=1)
