"""Key figures: the few computed facts a grounded report cites first, each written as a report cites it.

The embedded base gemma-3-270m copies text from its prompt well and follows instructions poorly. Given
thousands of ``- key: value`` lines it copies none of them into its report, or mixes them up; given a few
sentences in a report's own words ("The corpus holds 101 files: 28 CSV (27.72%), ..."), it copies them where
a report states them. So the grounded prompts carry a short list of such sentences:

1. the file inventory: total files and, per type, the count and its share of all files;
2. then facts about one model's throughput or TTFT (best, median): the facts ``cite`` can write (a few
   dozen of the corpus's thousands), in the persona's ranking of them (``prompts.rank_rows``): first one
   per (statistic, metric), then the others, one per model each, ``MAX_FIGURES`` sentences in all.

Each sentence is checked with the consistency check before it is used: every number in it must be
``supported`` by the facts, so a figure the model copies verbatim is one the check can attribute (a
sentence whose words fit several facts, such as a mean over two files, is left out). The check reads the
sentence's outline as written here (``bullet_outline``), so the first run of a process imports no markdown
parser. The figures are cached per facts object and persona in memory, and across processes in ``figstore``.
"""

from __future__ import annotations

import math
import re
import threading
import weakref
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from pytest_chimera.agent.personas import Persona
from pytest_chimera.agent.prompts import Row

if TYPE_CHECKING:
    from pytest_chimera.checks.report import Outline
    from pytest_chimera.evidence.facts import Fact, Facts

MAX_FIGURES = 5  # sentences, the inventory included
TYPE_NAMES = {"csv": "CSV", "json": "JSON", "md": "Markdown"}
_MODEL_LABEL = re.compile(r"[a-z][\w.\-]*\d[\w.\-]*:[\w.\-]+")
_BY_TYPE = re.compile(r"files\.by_type\.(\w+)$")


def _shown(value: float) -> str:
    from pytest_chimera.agent.prompts import format_number

    return format_number(value)


def inventory_sentence(facts: Iterable[Fact]) -> str | None:
    """``The corpus holds 101 files: 28 CSV (27.72%), 44 JSON (43.56%) and 29 Markdown (28.71%).``"""
    by_key = {f.key: f for f in facts if f.key.startswith("files.")}
    total = by_key.get("files.total")
    if total is None:
        return None
    kinds = sorted((m.group(1) for k in by_key if (m := _BY_TYPE.match(k))),
                   key=lambda t: (list(TYPE_NAMES).index(t) if t in TYPE_NAMES else len(TYPE_NAMES), t))
    parts = []
    for kind in kinds:
        count = _shown(by_key[f"files.by_type.{kind}"].value)
        share = by_key.get(f"files.by_type.{kind}.pct")
        name = TYPE_NAMES.get(kind, kind.upper())
        parts.append(f"{count} {name} ({_shown(share.value)}%)" if share is not None else f"{count} {name}")
    listed = f"{', '.join(parts[:-1])} and {parts[-1]}" if len(parts) > 1 else "".join(parts)
    return f"The corpus holds {_shown(total.value)} files" + (f": {listed}." if listed else ".")


def cite(fact: Fact) -> tuple[str, tuple[str, str, str]] | None:
    """(sentence, (statistic, metric, model)) for a fact about one model's throughput or TTFT, else None.

    ``Best throughput of gemma3:270m: 303.9 tok/s (parameter tuning).``,
    ``Median TTFT of gemma3:270m: 0.0682 s (parameter tuning).``
    """
    return cite_row((fact.key, fact.value, fact.unit, fact.source, fact.labels))


_STATS = {"best_tokens_per_s": "best", "median": "median"}
_STAT_LENGTHS = frozenset(map(len, _STATS))  # what lower-cases to ASCII keeps its length (K, the Kelvin sign)
_THROUGHPUT = re.compile(r"tokens?_(?:per_)?s\b")


def cite_row(row: Row) -> tuple[str, tuple[str, str, str]] | None:
    """``cite`` of a fact as a plain row (no ``Fact`` is made): the statistic is read first, so most facts
    cost one slice and one look-up."""
    key, value, unit, _, labels = row
    last = key[key.rfind(".") + 1:]
    stat = _STATS.get(last.lower()) if len(last) in _STAT_LENGTHS else None
    if stat is None:
        return None
    key = key.lower()
    metric = "TTFT" if "ttft" in key else "throughput" if _THROUGHPUT.search(key) else None
    if metric is None or (stat == "best" and metric != "throughput"):
        return None
    model = next((label for label in labels if _MODEL_LABEL.fullmatch(label)), None)
    if model is None or value == 0 or not math.isfinite(value):  # a failed run's zero (or no number at all)
        return None
    shown = f"{_shown(value)}{unit}" if unit == "%" else f"{_shown(value)} {unit}".rstrip()
    study = " (parameter tuning)" if "param_tuning" in key else " (baseline)" if "baseline" in key else ""
    return f"{stat.capitalize()} {metric} of {model}: {shown}{study}.", (stat, metric, model)


def _attributable(sentence: str, facts: Facts) -> bool:
    """Every number of the sentence is supported by the facts (and it has one)."""
    from pytest_chimera.checks.consistency import check_consistency

    checked = [n for n in check_consistency(bullet_outline(sentence), facts).numbers if n.verdict is not None]
    return bool(checked) and all(n.verdict == "supported" for n in checked)


_PLAIN_LINE = re.compile(r"[A-Z][a-z]+ [^\n\r]*")  # a capitalised word first: no markdown block starts so


def bullet_outline(sentence: str) -> Outline | str:
    """The ``checks.report.Outline`` of the one-item list ``- {sentence}``: a sentence on one line that
    starts with a capitalised word is one bullet item whatever else it holds (no block construct starts
    with a letter), so its outline is written down here without importing and running markdown-it;
    anything else is returned as the markdown text, for the checker to parse."""
    from pytest_chimera.checks.report import Block, Outline

    text = f"- {sentence}\n"
    if not _PLAIN_LINE.fullmatch(sentence):
        return text
    return Outline(text, "plain", {"body": {"line_start": 1, "line_end": 2}},
                   [Block("bullet_item", 1, 1, "body", None, "")], [])


_CACHE: weakref.WeakKeyDictionary[Any, dict[Persona, list[str]]] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def key_figures(facts: Facts | Iterable[Fact], persona: Persona) -> list[str]:
    """The key-figure sentences for ``persona`` (see the module docstring), cached per facts object."""
    try:
        with _LOCK:
            cached = _CACHE.get(facts, {}).get(persona)
    except TypeError:  # not weak-referenceable
        return _compute(facts, persona)
    if cached is None:
        cached = _stored_or_computed(facts, persona)
        with _LOCK:
            _CACHE.setdefault(facts, {})[persona] = cached
    return list(cached)


_DIGESTS: weakref.WeakKeyDictionary[Any, str | None] = weakref.WeakKeyDictionary()


def _stored_or_computed(facts: Facts | Iterable[Fact], persona: Persona) -> list[str]:
    """The key figures from the store kept across processes (``figstore``), else computed and stored.

    The entry is named and the figures computed from one reading of the facts: a table made from rows (which
    never change) as it is, with its digest remembered; anything else (a DataFrame its owner may change, an
    iterator that can be read once) as a snapshot of its rows, digested each time. Whatever goes wrong in the
    store (no home folder to put it in, an entry nested beyond the parser's depth) leaves the figures to be
    computed: the store never fails a run."""
    from pytest_chimera.agent import figstore
    from pytest_chimera.evidence.facts import Facts

    if not figstore.enabled():
        return _compute(facts, persona)
    if isinstance(facts, Facts) and facts.made_of_rows:
        table, fixed = facts, True
    else:  # one snapshot: a frame's owner may change it, an iterator is read once
        table, fixed = Facts(rows=[(k, v, u, s, tuple(words)) for k, v, u, s, words in rows_of(facts)]), False
    with _LOCK:
        digest = _DIGESTS.get(table, "") if fixed else ""
    if digest == "":
        digest = figstore.facts_digest(table.rows)
        if fixed:
            with _LOCK:
                _DIGESTS[table] = digest
    if digest is None:
        return _compute(table, persona)
    try:
        path = figstore.entry(digest, persona)
        stored = figstore.load(path)
    except Exception:  # noqa: BLE001 - the store is an optimisation; see the docstring
        return _compute(table, persona)
    if stored is not None:
        return stored
    computed = _compute(table, persona)
    figstore.save(path, computed, persona)
    return computed


def rows_of(facts: Facts | Iterable[Fact]) -> Sequence[Row]:
    """The facts as plain ``(key, value, unit, source, labels)`` rows, read without making a ``Fact`` of each
    where the table allows: its ``rows`` (``Facts.rows``, which reads a DataFrame-made table's columns)."""
    rows = getattr(facts, "rows", None)
    if isinstance(rows, list):
        return rows
    return [(f.key, f.value, f.unit, f.source, f.labels) for f in facts]


def _compute(facts: Facts | Iterable[Fact], persona: Persona) -> list[str]:
    from pytest_chimera.agent.prompts import rank_rows
    from pytest_chimera.evidence.facts import Fact, Facts

    rows = rows_of(facts)
    table = facts if isinstance(facts, Facts) else Facts.from_records(map(Fact.of_row, rows))
    out: list[str] = []
    inventory = inventory_sentence(Fact.of_row(row) for row in rows if row[0].startswith("files."))
    if inventory is not None and _attributable(inventory, table):
        out.append(inventory)
    # only what cite() can write becomes a sentence: those facts (tens of thousands' few dozen), in the
    # persona's ranking of them
    citable = [(row, found) for row in rows if (found := cite_row(row)) is not None]
    cited = [citable[i][1] for i in rank_rows([row for row, _ in citable], persona)]
    verdicts: dict[str, bool] = {}

    def usable(sentence: str) -> bool:
        if sentence not in verdicts:
            verdicts[sentence] = _attributable(sentence, table)
        return verdicts[sentence]

    # one sentence per (statistic, metric) first, so throughput and TTFT both appear; then the rest in rank
    # order; one sentence per (statistic, metric, model) in all
    taken: set[tuple[str, str, str]] = set()
    for first_pass in (True, False):
        kinds = {key[:2] for key in taken}
        for sentence, key in cited:
            if len(out) >= MAX_FIGURES:
                return out
            if key in taken or (first_pass and key[:2] in kinds) or not usable(sentence):
                continue
            out.append(sentence)
            taken.add(key)
            kinds.add(key[:2])
    return out
