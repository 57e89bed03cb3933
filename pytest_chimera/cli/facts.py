"""``pytest-chimera facts CORPUS [--json]``: the data summary and the ground-truth facts of a corpus.

Text output: the data summary (ingest errors included), then one line per fact: key, value, unit, source.
``--json``: one document ``{"corpus", "files": {"total", "by_type"}, "errors": [{"path", "reason"}],
"facts": [{"key", "value", "unit", "source", "labels"}]}``, one fact per line. Exit 0 when the corpus loaded
(even with per-file errors), 2 on a usage error (missing or non-directory CORPUS).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from pytest_chimera.evidence.corpus import Corpus
    from pytest_chimera.evidence.facts import Facts


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


CHUNK_FACTS = 4096  # facts encoded per write: a few MB a write, not millions of small ones


def write_json(corpus: Corpus, facts: Facts, out: TextIO) -> None:
    """The ``--json`` document, one fact per line, written in large chunks.

    ``json.dump(indent=...)`` encodes in pure Python and writes every token on its own (millions of writes
    for 10,000 files); here each fact is one call of the C encoder and a write carries thousands of facts.
    Strict JSON: a non-finite value raises instead of printing ``NaN`` or ``Infinity``.
    """
    from pytest_chimera.evidence.beneath import display_name

    head = json.dumps({
        "corpus": display_name(str(corpus.root)),
        "files": {"total": len(corpus.files), "by_type": {kind: corpus.count(kind) for kind in ("csv", "json", "md")}},
        "errors": [{"path": e.path, "reason": e.reason} for e in corpus.errors],
    }, indent=1, allow_nan=False)
    out.write(head[: -len("\n}")] + ',\n "facts": [')
    encode = json.JSONEncoder(allow_nan=False).encode
    rows = facts.rows  # plain tuples: no DataFrame, no pandas
    for start in range(0, len(rows), CHUNK_FACTS):
        lines = [encode({"key": key, "value": value, "unit": unit, "source": source, "labels": labels})
                 for key, value, unit, source, labels in rows[start : start + CHUNK_FACTS]]
        out.write(("," if start else "") + "\n  " + ",\n  ".join(lines))
    out.write("\n ]\n}\n")


def run(args: argparse.Namespace) -> int:
    from pytest_chimera.agent.chimera import empty_corpus_problem
    from pytest_chimera.evidence.corpus import load_corpus
    from pytest_chimera.evidence.facts import compute_facts

    try:
        corpus = load_corpus(args.corpus)
    except (FileNotFoundError, NotADirectoryError) as exc:
        print(f"pytest-chimera facts: {exc}; pass a directory of .csv/.json/.md files", file=sys.stderr)
        return 2
    problem = empty_corpus_problem(corpus)
    if problem:
        print(f"pytest-chimera facts: {problem}", file=sys.stderr)
        return 2
    facts = compute_facts(corpus)
    if args.json:
        write_json(corpus, facts, sys.stdout)
        return 0
    out = [corpus.data_summary(), "", f"Facts ({len(facts)})"]
    rows = [(key, _number(float(value)), unit, source)
            for key, value, unit, source, _ in facts.rows]
    width = min(max((len(r[0]) for r in rows), default=3), 72)  # longer keys overflow their column
    vwidth = max([len("value"), *(len(r[1]) for r in rows)])  # the header is a column's widest cell on a small corpus
    uwidth = max([len("unit"), *(len(r[2]) for r in rows)])
    out.append(f"{'key':<{width}}  {'value':>{vwidth}}  {'unit':<{uwidth}}  source")
    out += [f"{k:<{width}}  {v:>{vwidth}}  {u:<{uwidth}}  {s}" for k, v, u, s in rows]
    sys.stdout.write("\n".join(out) + "\n")
    return 0
