"""``pytest-chimera facts CORPUS [--json]``: the data summary and the ground-truth facts of a corpus.

Text output: the data summary (ingest errors included), then one line per fact: key, value, unit, source.
``--json``: one document ``{"corpus", "files": {"total", "by_type"}, "errors": [{"path", "reason"}],
"facts": [{"key", "value", "unit", "source", "labels"}]}``. Exit 0 when the corpus loaded (even with per-file
errors), 2 on a usage error (missing or non-directory CORPUS).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "facts",
        help="print a corpus's data summary and ground-truth facts",
        description="Load a benchmark corpus (.csv/.json/.md files) and print its data summary and the facts "
        "computed from it (key, value, unit, source).",
    )
    parser.add_argument("corpus", metavar="CORPUS", help="corpus directory")
    parser.add_argument("--json", action="store_true", help="print one JSON document instead of text")
    parser.set_defaults(func=run)


def _number(value: float) -> str:
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.6g}"


def run(args: argparse.Namespace) -> int:
    from pytest_chimera.evidence.corpus import load_corpus
    from pytest_chimera.evidence.facts import compute_facts

    try:
        corpus = load_corpus(args.corpus)
    except (FileNotFoundError, NotADirectoryError) as exc:
        print(f"pytest-chimera facts: {exc}; pass a directory of .csv/.json/.md files", file=sys.stderr)
        return 2
    facts = compute_facts(corpus)
    if args.json:
        document = {
            "corpus": str(corpus.root),
            "files": {"total": len(corpus.files),
                      "by_type": {kind: corpus.count(kind) for kind in ("csv", "json", "md")}},
            "errors": [{"path": e.path, "reason": e.reason} for e in corpus.errors],
            "facts": [{"key": key, "value": value, "unit": unit, "source": source, "labels": list(labels)}
                      for key, value, unit, source, labels in facts.frame.itertuples(index=False, name=None)],
        }
        json.dump(document, sys.stdout, indent=1)
        sys.stdout.write("\n")
        return 0
    out = [corpus.data_summary(), "", f"Facts ({len(facts)})"]
    rows = [(key, _number(float(value)), unit, source)
            for key, value, unit, source, _ in facts.frame.itertuples(index=False, name=None)]
    width = min(max((len(r[0]) for r in rows), default=3), 72)  # longer keys overflow their column
    vwidth = max((len(r[1]) for r in rows), default=5)
    uwidth = max((len(r[2]) for r in rows), default=4)
    out.append(f"{'key':<{width}}  {'value':>{vwidth}}  {'unit':<{uwidth}}  source")
    out += [f"{k:<{width}}  {v:>{vwidth}}  {u:<{uwidth}}  {s}" for k, v, u, s in rows]
    sys.stdout.write("\n".join(out) + "\n")
    return 0
