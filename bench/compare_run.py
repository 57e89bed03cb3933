"""``pytest-chimera run`` in fresh processes, this checkout against another one, interleaved.

Run: ``python bench/compare_run.py OTHER_CHECKOUT [PROCESSES] [CORPUS]`` (default 7 processes a side; CORPUS
defaults to the real corpus, ``../shared/corpus/chimeraforge`` beside the repository). Each side first records
its own cassettes with the embedded model (``--record-mode record``, persona insight, the settings of
``test_agent_bench.py``) and so writes its bytecode cache (``PYTHONPYCACHEPREFIX``, one per side, as an
installed package has one); then the sides alternate, the other checkout first, each a fresh
``python -m pytest_chimera run --backend replay`` (no model load: the calls replayed). Prints each side's
medians of ``ingest_ms`` and of ``overhead_ms - ingest_ms`` (the rest: key figures, prompt fitting, assembly;
issue 18's "the rest") and the ratio of the rests' medians.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

OPTIONS = {"num_ctx": 2048, "num_predict": 16, "temperature": 1.0, "seed": 7}
THIS = Path(__file__).resolve().parent.parent


def _run(checkout: Path, corpus: Path, work: Path, mode: str, out: Path) -> dict[str, float]:
    env = dict(os.environ, PYTHONPATH=str(checkout), PYTHONPYCACHEPREFIX=str(work / "pyc"))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    options = [arg for key, value in OPTIONS.items() for arg in ("--option", f"{key}={value}")]
    subprocess.run([sys.executable, "-m", "pytest_chimera", "run", str(corpus), "--backend", "replay",
                    "--cassettes", str(work / "cassettes"), "--record-mode", mode, "--model", "gemma3:270m",
                    *options, "--quiet", "--out", str(out.with_suffix(".md")), "--json", str(out)],
                   check=True, capture_output=True, text=True, env=env, cwd=work)
    run = json.loads(out.read_text())
    return {"ingest_ms": run["stages"]["ingest_ms"], "rest_ms": run["overhead_ms"] - run["stages"]["ingest_ms"]}


def main(argv: list[str]) -> None:
    other = Path(argv[0]).resolve()
    processes = int(argv[1]) if len(argv) > 1 else 7
    corpus = Path(argv[2]) if len(argv) > 2 else THIS.parent / "shared" / "corpus" / "chimeraforge"
    sides = {"other": other, "this": THIS}
    rows: dict[str, list[dict[str, float]]] = {name: [] for name in sides}
    with tempfile.TemporaryDirectory() as tmp:
        works = {name: Path(tmp) / name for name in sides}
        for name, checkout in sides.items():
            works[name].mkdir()
            _run(checkout, corpus, works[name], "record", works[name] / "recorded.json")
        for i in range(processes):
            for name, checkout in sides.items():
                rows[name].append(_run(checkout, corpus, works[name], "replay", works[name] / f"run{i}.json"))
    medians = {name: {key: statistics.median(r[key] for r in rs) for key in ("ingest_ms", "rest_ms")}
               for name, rs in rows.items()}
    for name, checkout in sides.items():
        rests = ", ".join(f"{r['rest_ms']:.1f}" for r in rows[name])
        print(f"{name} ({checkout}): ingest median {medians[name]['ingest_ms']:.1f} ms, the rest median "
              f"{medians[name]['rest_ms']:.1f} ms ({rests})")
    print(f"ratio of the rests (this / other): {medians['this']['rest_ms'] / medians['other']['rest_ms']:.2f}")


if __name__ == "__main__":
    main(sys.argv[1:])
