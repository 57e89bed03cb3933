"""A share of the corpus's files said to be about a topic: "86% of files are compilation benchmarks".

The corpus counts files by directory (``evidence.inventory``), not by topic, so such a share is rarely a fact. It
has a ceiling all the same where the topic is a directory's: the files about "compilation" are about those under
``reports/compilation`` (21), give or take files about it by content only (27 files mention it). A share beyond
``TOPIC_FACTOR`` times that ceiling, and ``TOPIC_POINTS`` points beyond it, is ``contradicted`` (rule "derived",
the directories named). A topic is a word of the claim's clause (else of its sentence) that names a directory
("compilation", "ollama", "diagnostics"), not a word every file could be about ("benchmark", "results", "reports")
nor a model's ("gemma3", "llama3"), and no word of file names alone ("cuda", "conv", "quant"): model names and
file-name words fill the contents of other directories (6 files lie under ``reports/llama3``, 39 name llama3; 13
file names hold "cuda", 34 files mention it). Several topics joined by "and" / "or" make the ceiling their sum;
a word of file names or models joined to them ("Kernel and CUDA files") leaves the share alone. Left alone too: a
share "of the JSON files" (of one type's files); the files that mention, cite or contain something (a share by
content); the files outside a topic ("Non-compilation files make up 79%", "Excluding ..."); shares of data points
or of a measure's values ("80% of the data points show a TTFT under 0.1 s")."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from pytest_chimera.checks.query import Decision, Query, interval, metric_kinds
from pytest_chimera.checks.ranges import corpus_total_at

if TYPE_CHECKING:
    from pytest_chimera.checks.index import FactIndex

TOPIC_FACTOR = 2.5  # a share is contradicted beyond 2.5 times its ceiling ...
TOPIC_POINTS = 20.0  # ... and this many percentage points beyond it

# "of files", "of the data", "of the dataset", "(86%) of the files", "of all JSON files": a share of the files
_OF_FILES = re.compile(r"\s*\)?\s*of\s+(?:the\s+|all\s+|all\s+the\s+)?(?:total\s+)?(?:(csv|json|markdown|md)\s+)?"
                       r"(?:benchmark\s+)?(files|data|dataset|corpus)\b", re.I)
# "gemma3 files ~60%", "GPU benchmarking files are 60%": the files named before the share
_FILES_BEFORE = re.compile(r"\bfiles\s*(?:are|make\s+up|represent|account\s+for|:)?\s*(?:~|≈|approximately|about|"
                           r"around|roughly|nearly|over)?\s*\(?$", re.I)
# words any benchmark file may be about: no topic of a part of the files
GENERIC = frozenset({"bench", "benchmark", "benchmarks", "benchmarking", "result", "results", "report", "reports",
                     "data", "csv", "json", "md", "markdown", "file", "files", "test", "tests", "testing", "run",
                     "runs", "summary", "performance", "model", "models", "baseline", "baselines", "raw"})
_TOKEN = re.compile(r"[a-z][a-z0-9]*")
# a share of the files outside a topic: "Non-compilation files make up 79%", "Excluding the 22 Ollama files"
_OUTSIDE = re.compile(r"\b(?:non-?|not\b|excluding|except|apart\s+from|aside|outside|all\s+but|remaining|other\s+than|"
                      r"besides|beyond)", re.I)
# a share of the files that mention something, or of data points: not a share by where files lie or how named
_BY_CONTENT = re.compile(r"\b(?:mention\w*|referenc\w*|refer(?:s|red|ring)?|appear\w*|cite[sd]?|contain\w*|"
                         r"identifiers?|data\s+points?|samples?|measurements?|runs?\s+(?:show|with))\b", re.I)
_JOINED = re.compile(r"\b(?:and|or)\b|&|/", re.I)


def _topics(index: FactIndex) -> dict[str, dict[str, float]]:
    """{token: {count key: files}} of the directory counts, by the words of their paths (model names and
    generic words aside); once per index, with ``_untopical``'s words."""
    return _vocabulary(index)[0]


def _untopical(index: FactIndex) -> frozenset[str]:
    """The words of file-name compounds and model names that name no directory ("cuda", "llama3")."""
    return _vocabulary(index)[1]


def _vocabulary(index: FactIndex) -> tuple[dict[str, dict[str, float]], frozenset[str]]:
    """(``_topics``, ``_untopical``) of the index's file counts, built once per index."""
    d = index.dims.get("files")
    if d is None:
        return {}, frozenset()
    hit: tuple[dict[str, dict[str, float]], frozenset[str]] | None = d.model_ok.get("topics")
    if hit is not None:
        return hit
    found: dict[str, dict[str, float]] = {}
    models: set[str] = set()
    names: set[str] = set()
    for g, value in zip(d.facts, d.values.tolist(), strict=True):
        kind, _, tail = index.keys[g].removeprefix("files.").partition(".")
        tokens = _TOKEN.findall(tail.lower())
        if kind == "by_model":
            models.update(tokens)
        elif kind == "by_name":
            names.update(tokens)
        elif kind == "by_dir":
            for token in tokens:
                found.setdefault(token, {})[index.keys[g]] = value
    found = {t: counts for t, counts in found.items() if t not in GENERIC and t not in models and len(t) >= 3}
    hit = d.model_ok["topics"] = (found, frozenset((names | models) - set(found) - GENERIC))
    return hit


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
    if _BY_CONTENT.search(q.sentence) or _OUTSIDE.search(q.sentence) or metric_kinds(q):
        return None  # "CUDA appears in 34% of the files", "Non-compilation files make up 79%", "80% of the data
        # points show a TTFT under 0.1 s": what files say, the files outside a topic, or a share of measurements
    d = index.dims.get("files")
    if d is None:
        return None
    topics = _topics(index)
    ceilings: dict[str, tuple[str, float]] = {}  # topic token -> (key, files) of its largest count
    for said in (q.text, q.sentence):  # the clause's topics, else the sentence's ("compiling the Gemma 3
        # models, representing over 60% of the dataset")
        words = set(_TOKEN.findall(said.lower()))
        for token, counts in topics.items():
            if any(_named(w, token) for w in words):
                key = max(counts, key=lambda k: (counts[k], k))
                ceilings[token] = (key, counts[key])
        if ceilings:
            break
    if not ceilings:
        return None
    parts = sorted(set(ceilings.values()), key=lambda kv: -kv[1])
    joined = _JOINED.search(said) is not None
    if joined and _untopical(index) & set(_TOKEN.findall(said.lower())):  # "Kernel and CUDA optimization files":
        return None  # a word of file names or models beside the topic, whose files the ceiling does not count
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
        f"{q.value:g}% is more than {TOPIC_FACTOR:g} times that"), "derived")
