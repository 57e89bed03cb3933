"""Regenerate the example benchmark corpus in ``corpus/``: ``python make_corpus.py``.

The corpus is checked in; this script is how it was made. It writes 28 files in the shape of a real
LLM benchmark repository (gemma3 baselines and parameter-tuning grids, compilation benchmarks with their
Markdown summaries, Ollama prompt-suite runs, csv_data/ baselines) with a fixed seed, so the same command
gives the same bytes. Change ``FILES`` or ``SEED`` to get another corpus.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from pytest_chimera.evidence.synthetic import write_corpus

FILES = 28
SEED = 7
ROOT = Path(__file__).resolve().parent / "corpus"


def main() -> None:
    if ROOT.exists():
        shutil.rmtree(ROOT)
    paths = write_corpus(ROOT, FILES, seed=SEED)
    print(f"wrote {len(paths)} files under {ROOT}")


if __name__ == "__main__":
    main()
