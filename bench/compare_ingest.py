"""Load + all facts of a corpus, this checkout against another one, interleaved in fresh interpreters.

Run: ``python bench/compare_ingest.py OTHER_CHECKOUT [CORPUS] [ALTERNATIONS] [ROUNDS]``; CORPUS is a directory
(default: the real corpus, ``../shared/corpus/chimeraforge`` beside the repository, as the tests find it) or
``synthetic:N`` for N synthetic files (``evidence.synthetic.write_corpus``, seed 1, in a temporary directory);
defaults 4 alternations of 8 rounds. Each alternation starts the other checkout, then this one (``PYTHONPATH``
picks the package; the same Python and libraries); each process warms up (3 loads, 1 for a synthetic corpus),
then times ``ROUNDS`` rounds of ``len(compute_facts(load_corpus(root)))`` in CPU time, the result dropped
inside the timed region (what ``test_corpus_bench.py`` times), after a full collection. A second, untimed build
per round is kept alive and followed by one collection of the middle generation: the collector work a build
leaves to its caller (the release before issue 18 left the rows it had not untracked to that pass). Prints
each side's median and minimum of both, the facts counted and the ratio of the medians.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

_CHILD = """
import gc, json, sys, time
import pytest_chimera
assert pytest_chimera.__file__.startswith(sys.argv[1]), pytest_chimera.__file__
from pytest_chimera.evidence.corpus import load_corpus
from pytest_chimera.evidence.facts import compute_facts
root, rounds, warm = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
for _ in range(warm):
    compute_facts(load_corpus(root))
out = []
for _ in range(rounds):
    gc.collect()
    start = time.process_time()
    n = len(compute_facts(load_corpus(root)))
    built = time.process_time() - start
    gc.collect()
    kept = compute_facts(load_corpus(root))
    start = time.process_time()
    gc.collect(1)
    out.append([built, time.process_time() - start, n])
    del kept
print(json.dumps(out))
"""


def _process(checkout: Path, root: Path, rounds: int, warm: int) -> list[list[float]]:
    env = dict(os.environ, PYTHONPATH=str(checkout))
    done = subprocess.run([sys.executable, "-c", _CHILD, str(checkout), str(root), str(rounds), str(warm)],
                          env=env, cwd=checkout, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"load + facts failed in {checkout}:\n{done.stderr[-2000:]}")
    measured: list[list[float]] = json.loads(done.stdout)
    return measured


def _median_ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:.1f} ms (min {min(values) * 1000:.1f})"


def main(argv: list[str]) -> int:
    if not argv or not (Path(argv[0]) / "pytest_chimera").is_dir():
        print("usage: python bench/compare_ingest.py OTHER_CHECKOUT [CORPUS|synthetic:N] [ALTERNATIONS] [ROUNDS]",
              file=sys.stderr)
        return 2
    other, this = Path(argv[0]).resolve(), Path(__file__).resolve().parent.parent
    corpus = argv[1] if len(argv) > 1 and argv[1] else str(this.parent / "shared" / "corpus" / "chimeraforge")
    alternations = int(argv[2]) if len(argv) > 2 else 4
    rounds = int(argv[3]) if len(argv) > 3 else 8
    with tempfile.TemporaryDirectory() as scratch:
        if corpus.startswith("synthetic:"):
            sys.path.insert(0, str(this))
            from pytest_chimera.evidence.synthetic import write_corpus

            root, warm = Path(scratch), 1
            write_corpus(root, int(corpus.partition(":")[2]), seed=1)
        else:
            root, warm = Path(corpus).resolve(), 3  # absolute: each process runs in its own checkout
        if not root.is_dir():
            print(f"compare_ingest: corpus directory not found: {root}", file=sys.stderr)
            return 2
        runs: dict[str, list[list[float]]] = {"other": [], "this": []}
        for _ in range(alternations):
            for name, checkout in (("other", other), ("this", this)):
                runs[name] += _process(checkout, root, rounds, warm)
    for name, checkout in (("other", other), ("this", this)):
        built, left = [r[0] for r in runs[name]], [r[1] for r in runs[name]]
        print(f"{name} ({checkout}): load + {int(runs[name][0][2])} facts CPU median {_median_ms(built)}; "
              f"left to the caller (one middle-generation collection after, facts alive): {_median_ms(left)}")
    ratio = statistics.median(r[0] for r in runs["this"]) / statistics.median(r[0] for r in runs["other"])
    print(f"ratio this / other {ratio:.3f} over {alternations} x {rounds} rounds each; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
