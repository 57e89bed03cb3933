"""A share of the corpus's files said to be about a topic: "86% of files are compilation benchmarks".

The corpus counts files by directory, by model in the file name and by compound words of file names
(``evidence.inventory``), not by topic, so such a share is rarely a fact. It has a ceiling all the same: the
files about "compilation" are at most those that the counts named by the word hold (the 21 files under
``reports/compilation``), give or take files that are about it by content alone. A share beyond twice that
ceiling, and ``TOPIC_POINTS`` points beyond it, is ``contradicted`` (rule "derived", the counts named). A topic is
a word of the claim's clause that a directory, model or file-name compound of a file count holds ("gemma3",
"compilation", "cuda"), not a word every file could be about ("benchmark", "results"). Several topics joined by
"and" / "or" make the ceiling their sum. A share "of the JSON files" is of one type's files: left alone."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from pytest_chimera.checks.query import Decision, Query, interval
from pytest_chimera.checks.ranges import corpus_total_at

if TYPE_CHECKING:
    from pytest_chimera.checks.index import FactIndex

TOPIC_FACTOR = 2.0  # a share is contradicted beyond twice its ceiling ...
TOPIC_POINTS = 10.0  # ... and this many percentage points beyond it

# "of files", "of the data", "of the dataset", "(86%) of the files", "of all JSON files": a share of the files
_OF_FILES = re.compile(r"\s*\)?\s*of\s+(?:the\s+|all\s+|all\s+the\s+)?(?:(csv|json|markdown|md)\s+)?"
                       r"(?:benchmark\s+)?(files|data|dataset|corpus)\b", re.I)
# "gemma3 files ~60%", "GPU benchmarking files are 60%": the files named before the share
_FILES_BEFORE = re.compile(r"\bfiles\s*(?:are|make\s+up|represent|account\s+for|:)?\s*(?:~|≈|approximately|about|"
                           r"around|roughly|nearly|over)?\s*\(?$", re.I)
# words any benchmark file may be about: no topic of a part of the files
GENERIC = frozenset({"bench", "benchmark", "benchmarks", "benchmarking", "result", "results", "report", "reports",
                     "data", "csv", "json", "md", "markdown", "file", "files", "test", "tests", "testing", "run",
                     "runs", "summary", "performance", "model", "models", "baseline", "baselines", "raw"})
_TOKEN = re.compile(r"[a-z][a-z0-9]*")
_JOINED = re.compile(r"\b(?:and|or)\b|&|/", re.I)


def _topics(index: FactIndex) -> dict[str, dict[str, float]]:
    """{token: {count key: files}} of every file count by directory, model or file-name compound; once per
    index."""
    d = index.dims.get("files")
    if d is None:
        return {}
    hit: dict[str, dict[str, float]] | None = d.model_ok.get("topics")
    if hit is not None:
        return hit
    found: dict[str, dict[str, float]] = {}
    for g, value in zip(d.facts, d.values.tolist(), strict=True):
        key = index.keys[g]
        for prefix in ("files.by_dir.", "files.by_name.", "files.by_model."):
            if key.startswith(prefix):
                tail = key.removeprefix(prefix)
                if prefix == "files.by_model." and tail.endswith((".csv", ".json", ".md")):
                    continue  # a model's files of one type: the model's count is the ceiling
                for token in _TOKEN.findall(tail.lower()):
                    if token not in GENERIC and len(token) >= 3:
                        found.setdefault(token, {})[key] = value
    d.model_ok["topics"] = found
    return found


def _named(word: str, token: str) -> bool:
    """Whether a clause's word names a topic token: the same word, or the same stem of six letters or more
    ("compiling", "compilation")."""
    return word == token or (len(word) >= 6 and len(token) >= 6 and word[:6] == token[:6])


def topic_share(q: Query, index: FactIndex, text: str, start: int, end: int) -> Decision | None:
    """``contradicted`` for a share of the files about a topic beyond its ceiling (see the module docstring),
    else None. ``text``: the claim's line; ``start``, ``end``: where the number is written in it."""
    if q.unit != "%" or q.share_of:
        return None
    of = _OF_FILES.match(text, end)
    if of is None and _FILES_BEFORE.search(text, max(0, start - 40), start) is None:
        return None
    if of is not None and of.group(1):  # "76% of the JSON files": a share of one type's files, left alone
        return None
    d = index.dims.get("files")
    if d is None:
        return None
    topics = _topics(index)
    words = set(_TOKEN.findall(q.text.lower()))
    ceilings: dict[str, tuple[str, float]] = {}  # topic token -> (key, files) of its largest count
    for token, counts in topics.items():
        if any(_named(w, token) for w in words):
            key = max(counts, key=lambda k: (counts[k], k))
            ceilings[token] = (key, counts[key])
    if q.models:  # "gemma3_270m: 31.6% of files": the files of the model it names, not of its family
        for g, value in zip(d.facts, d.values.tolist(), strict=True):
            key = index.keys[g]
            if key.startswith("files.by_model.") and ":" in key and not key.endswith((".csv", ".json", ".md")) \
                    and q.models & set(index.labels[g]):
                model = key.removeprefix("files.by_model.")
                ceilings = {t: kv for t, kv in ceilings.items() if t not in _TOKEN.findall(model)}
                ceilings[model] = (key, value)
    if not ceilings:
        return None
    parts = sorted(set(ceilings.values()), key=lambda kv: -kv[1])
    joined = _JOINED.search(q.text) is not None
    ceiling = sum(v for _, v in parts) if joined else parts[0][1]
    used = parts if joined else parts[:1]
    total = corpus_total_at(d)
    if total < 0 or not d.values[total]:
        return None
    whole = float(d.values[total])
    share = 100.0 * min(ceiling, whole) / whole
    lo, _ = interval(q)
    if lo <= max(TOPIC_FACTOR * share, share + TOPIC_POINTS):
        return None
    named = " + ".join(f"{k.removeprefix('files.')} ({v:g})" for k, v in used)
    return Decision("contradicted", None, (
        f"the files its words name are at most {min(ceiling, whole):g} of {whole:g} ({share:.1f}%: {named}); "
        f"{q.value:g}% is more than twice that"), "derived")
