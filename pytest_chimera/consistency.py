"""Factual consistency: every number of a report, classified, and each claim matched against the facts.

Method (deterministic; every verdict carries its explanation):

1. **Find.** Each line of the parsed report is cleaned of markdown markup (inline code spans are masked: a
   file name is not a number) and split into sentences; ``numbers.find_numbers`` gives each number with its
   unit and the tolerance its digits imply ("28.3" -> +/-0.05). Table cells are read with their column
   header and row label as context.
2. **Classify.** ``date``, ``ordinal`` (list and section numbering), ``config`` (``key=value`` run options),
   ``run_metric`` (the seed layout's Metrics block and the Workflow Summary timings), ``other`` (model sizes
   such as 270m, the Persona Prompt's instructions, "... and 23 more" listing counts) and ``claim``.
3. **Match a claim.** Candidate facts have a unit compatible with the number's (s/ms/min, %, tok/s,
   GB/MB, the count noun it is written with: "44 files"; a bare number takes the unit word of its clause,
   else it is compared with unitless and count facts). A candidate must share at least one label with the
   number's clause (plus the bold or ``Key:`` lead of its line; the words nearest the number, back and
   forward to the next separator, count ``NEAR_WEIGHT`` times, and a bare bracketed restatement such as
   "(43.6%)" takes its head's). The clause is first split into per-number spans (``_own_clause``): words
   nearest another number ("28 files (8 CSV, ...": "CSV" is the 8's, not the 28's) are left out; the
   words before the clause's first number are shared by all, numbers joined by a connector ("272-883
   tokens") share theirs, and a bracketed restatement ("44 files (43.6%)") keeps its head's. A
   candidate's score is the sum of the matched labels' weights, ``1 + ln(N/df)`` within the unit's
   dimension, so rare words ("markdown") weigh more than common ones ("files"). When the clause names a
   model (gemma3-1b, 270m), facts about another model are dropped. Words carried by more than
   ``COMMON_DF`` facts (or ``COMMON_SHARE`` of a dimension) only add to the score of facts found through
   rarer words; when a number has nothing but such common words, its best fits are the facts carrying all
   of them.
4. **Verdict.** ``supported`` when a candidate whose score equals the best score has the value within the
   written precision (qualifiers widen or bound it: "approximately" +/-5%, "over 60ms" means > 60) and
   that agreement is no chance (see ``_by_chance``: a bound must hold for every best fit; N best fits
   spread over a range R are hit by chance by a number written to +/-t when N * 2t / R >= 1), or, failing
   that and with no contradiction, a candidate that names it specifically (below) has it.
   ``contradicted`` when one candidate alone has the best score, it matched at least ``MIN_NAMING_LABELS``
   labels of which one is specific (carried by at most ``SPECIFIC_DF`` facts of that unit), and its value
   disagrees: the sentence names a quantity the corpus defines. Otherwise ``unverified`` (nothing in the
   corpus supports it, or several facts fit the words equally and none has the value); the nearest
   candidate is shown.

Run metrics and config are checked the same way against the run's metrics, stage timings and options when
a run is given; otherwise their verdict is ``None`` (not checked). Dates, ordinals and other numbers have
verdict ``None``.
"""

from __future__ import annotations

import math
import re
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from pytest_chimera.facts import Fact, Facts
from pytest_chimera.numbers import COUNT_NOUNS, Number, canonical_unit, dimension, find_numbers, is_unit_word
from pytest_chimera.report import ParsedReport, parse_report

if TYPE_CHECKING:
    import numpy as np

    from pytest_chimera.runs import ReportRun

VERDICTS = ("supported", "contradicted", "unverified")
KINDS = ("claim", "config", "run_metric", "date", "ordinal", "other")
SPECIFIC_DF = 5
NEAR_WEIGHT = 3.0
COMMON_DF = 1000
COMMON_SHARE = 0.02
CANDIDATE_CACHE = 4096
MIN_NAMING_LABELS = 2
APPROX_REL = 0.05
_COUNT_UNITS = frozenset(COUNT_NOUNS) | {"chars"}

# ---- text helpers -------------------------------------------------------------------------------------------

_TOKEN_RE = re.compile(r"[a-z0-9%]+(?:[._:/\-][a-z0-9%]+)*")
_PIECE_RE = re.compile(r"[._:/\-]")
_NUMERIC_RE = re.compile(r"^[\d.,]+%?$")
_STOP = frozenset({"the", "of", "and", "per", "in", "to", "for", "a", "an", "is", "at", "on", "by", "with", "or",
                   "are", "was", "be", "as", "it", "its", "this", "that", "from", "all"})
_CODE_SPAN = re.compile(r"`[^`\n]*`")
_MARKUP = re.compile(r"\*\*|__|(?<!\w)[*_](?=\S)|(?<=\S)[*_](?!\w)|~~|\[|\]\([^)]*\)|<[^>\n]{1,40}>")
_LINE_LEAD = re.compile(r"^\s*(?:#{1,6}\s+|>\s*)?(?:(?:[-*+]|\d+[.)])\s+)?")
_BULLET = re.compile(r"^\s*(?:#{1,6}\s+|>\s*)*(?:[-*+]\s+)?")
_LEAD_LABEL = re.compile(r"^\s*([^:\n]{2,60}?):\s")
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\"'*])")
_CLAUSE_SPLIT = re.compile(r"[;,]\s+|\s+(?:while|whereas|but|however)\s+", re.I)
_MORE_RE = re.compile(r"(?:and|plus)\s+$", re.I)
_APPROX_RE = re.compile(r"(?:approximately|approx\.?|about|around|roughly|nearly|almost|circa|~|≈|some)\s*$", re.I)
_GT_RE = re.compile(r"(?:over|more than|above|exceeding|exceeds|exceed|greater than|at least|>=?|≥|upwards of)\s*$",
                    re.I)
_LT_RE = re.compile(r"(?:under|less than|below|at most|up to|fewer than|<=?|≤|within)\s*$", re.I)
_SIZE_RE = re.compile(r"(?<![\w.])\d+(?:\.\d+)?[bm](?![\w])", re.I)


def _stem(word: str) -> str:
    if len(word) > 3 and word.isalpha():
        if word.endswith("ies"):
            return word[:-3] + "y"
        if word.endswith(("sses", "ches", "shes", "xes")):
            return word[:-2]
        if word.endswith("s") and not word.endswith(("ss", "us", "is")):
            return word[:-1]
    return word


@lru_cache(maxsize=65536)
def _norm(token: str) -> str:
    return _stem(token.replace("_", "-").replace(":", "-"))


def tokens(text: str) -> list[str]:
    """Normalised word tokens: lowercase, ``_``/``:`` as ``-``, simple plural stemming; numbers dropped."""
    return [_norm(t) for t in _TOKEN_RE.findall(text.lower()) if not _NUMERIC_RE.match(t)]


@lru_cache(maxsize=65536)
def _phrase(label: str) -> tuple[str, ...]:
    toks = tuple(tokens(label))
    if len(toks) == 1 and (toks[0] in _STOP or len(toks[0]) < 2):
        return ()
    return toks


@lru_cache(maxsize=65536)
def _model_forms_of_label(label: str) -> tuple[str, ...]:
    """The normalised model form a label spells (a size like 270m, or a family with size/tag), else ()."""
    from pytest_chimera import labels as lb

    low = label.lower().strip()
    if _SIZE_RE.fullmatch(low):
        return (low,)
    found = lb.models_in_text(low)
    if found and _norm_model(found[0]) == _norm_model(low):
        return (_norm_model(low),)
    return ()


def _norm_model(name: str) -> str:
    return re.sub(r"[:_ ]", "-", name.lower())


@lru_cache(maxsize=4096)
def models_named(text: str) -> frozenset[str]:
    """Normalised specific model forms named in a piece of text (the family alone names no model)."""
    from pytest_chimera import labels as lb

    if not any(ch.isdigit() for ch in text):
        return frozenset()
    out: set[str] = set()
    for m in lb.models_in_text(text):
        family = lb.family_of(m)
        out.update(_norm_model(f) for f in lb.model_forms(m) if f != family)
    out.update(s.lower() for s in _SIZE_RE.findall(text))
    return frozenset(out)


# ---- the fact index -----------------------------------------------------------------------------------------


@dataclass
class _Dim:
    """Facts of one dimension: values in the base unit, label postings and weights, model groups."""

    facts: list[int] = field(default_factory=list)  # global fact indices
    facts_array: Any = None  # the same as an np.ndarray
    values: Any = None  # np.ndarray of base-unit values
    postings: dict[tuple[str, ...], Any] = field(default_factory=dict)  # phrase -> np.ndarray of local idx
    weights: dict[tuple[str, ...], float] = field(default_factory=dict)
    df: dict[tuple[str, ...], int] = field(default_factory=dict)
    first: dict[str, list[tuple[str, ...]]] = field(default_factory=dict)  # multi-word phrases by first token
    model_id: Any = None  # np.ndarray: index into models, -1 when the fact names no model
    by_value: dict[tuple[str, ...], tuple[Any, Any]] = field(default_factory=dict)  # common phrase -> sorted
    model_ok: dict[frozenset[str], Any] = field(default_factory=dict)  # models named -> allowed mask
    models: list[frozenset[str]] = field(default_factory=list)


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values of an int array (a sort, cheaper here than numpy's hash-based unique)."""
    import numpy as np

    ordered = np.sort(values)
    if ordered.size == 0:
        return ordered
    keep = np.empty(ordered.size, dtype=bool)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    result: np.ndarray = ordered[keep]
    return result


class FactIndex:
    """Facts indexed by dimension (unit family) and label phrase; built once per ``Facts`` and cached."""

    def __init__(self, facts: Facts) -> None:
        import itertools

        import numpy as np
        import pandas as pd

        frame = facts.frame
        n = len(frame)
        self.keys: list[str] = frame["key"].tolist()
        self.raw_values: list[float] = [float(v) for v in frame["value"].tolist()]
        self.units: list[str] = [str(u) for u in frame["unit"].tolist()]
        self.sources: list[str] = [str(s) for s in frame["source"].tolist()]
        self.labels: list[tuple[str, ...]] = [tuple(x) for x in frame["labels"].tolist()]
        self.dims: dict[str, _Dim] = {}
        # (dim, phrase weights, models, min_labels) -> candidate arrays: sentences repeat their words
        self.candidates: dict[Any, tuple[Any, Any, Any, Any]] = {}
        if n == 0:
            return
        # dimension and base-unit value of every fact
        unit_codes, unit_names = pd.factorize(pd.Series(self.units, dtype=object))
        dims_of_unit = [dimension(canonical_unit(u) if u else "") for u in unit_names]
        dim_names = sorted({d for d, _ in dims_of_unit})
        dim_index = {name: k for k, name in enumerate(dim_names)}
        fact_dim = np.array([dim_index[d] for d, _ in dims_of_unit], dtype=np.int64)[unit_codes]
        base = np.array(self.raw_values, dtype=float) * np.array([f for _, f in dims_of_unit])[unit_codes]
        order = np.argsort(fact_dim, kind="stable")
        counts = np.bincount(fact_dim, minlength=len(dim_names))
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        local = np.empty(n, dtype=np.int64)
        local[order] = np.arange(n) - np.repeat(starts, counts)
        for k, name in enumerate(dim_names):
            d = self.dims[name] = _Dim()
            d.facts_array = order[starts[k]:starts[k] + counts[k]]
            d.facts = d.facts_array.tolist()
            d.values = base[d.facts_array]
            d.model_id = np.full(int(counts[k]), -1, dtype=np.int64)
        # label phrases: each distinct label string is normalised once
        lens = np.fromiter((len(x) for x in self.labels), dtype=np.int64, count=n)
        flat = pd.Series(list(itertools.chain.from_iterable(self.labels)), dtype=object)
        codes, uniques = pd.factorize(flat)
        fact_of = np.repeat(np.arange(n, dtype=np.int64), lens)
        phrase_ids: dict[tuple[str, ...], int] = {}
        label_pid = np.array([phrase_ids.setdefault(ph, len(phrase_ids)) if ph else -1
                              for ph in map(_phrase, uniques)] + [-1], dtype=np.int64)
        phrases = list(phrase_ids)
        # model forms of each fact: the union over its labels
        label_forms = [_model_forms_of_label(u) for u in uniques]
        has_form = np.array([bool(x) for x in label_forms] + [False])
        model_ids: dict[frozenset[str], int] = {}
        at = np.flatnonzero(has_form[codes])
        if at.size:
            # facts with the same set of model labels share a model id: key each fact by the sum of
            # random 64-bit tags of its distinct model labels, then resolve one representative per key
            width_u = len(uniques) + 1
            pairs_m = _sorted_unique(fact_of[at] * width_u + codes[at])
            owner, code = pairs_m // width_u, pairs_m % width_u
            tags = np.random.default_rng(0).integers(1, 2**62, size=width_u, dtype=np.int64)
            cuts = np.concatenate([[0], np.flatnonzero(np.diff(owner)) + 1])
            with np.errstate(over="ignore"):
                sums = np.add.reduceat(tags[code], cuts)
            owners = owner[cuts]
            _, first, inverse = np.unique(sums, return_index=True, return_inverse=True)
            mids = []
            ends = np.append(cuts[1:], code.size)
            for j in first.tolist():
                forms = frozenset(f for c in code[cuts[j]:ends[j]].tolist() for f in label_forms[c])
                mids.append(model_ids.setdefault(forms, len(model_ids)))
            fact_mid = np.array(mids, dtype=np.int64)[inverse]
            for k, name in enumerate(dim_names):
                mine = fact_dim[owners] == k
                self.dims[name].model_id[local[owners[mine]]] = fact_mid[mine]
        all_models: list[frozenset[str]] = [frozenset()] * len(model_ids)
        for forms, mid in model_ids.items():
            all_models[mid] = forms
        # postings: (dim, phrase) -> sorted local ids, one entry per fact
        pid = label_pid[codes]
        keep = pid >= 0
        width = max(len(phrases), 1)
        pairs = _sorted_unique(fact_of[keep] * width + pid[keep])
        pair_fact, pair_pid = pairs // width, pairs % width
        key = fact_dim[pair_fact] * width + pair_pid
        by_key = np.argsort(key, kind="stable")
        key_sorted = key[by_key]
        local_sorted = local[pair_fact[by_key]]
        bounds = np.concatenate([[0], np.flatnonzero(np.diff(key_sorted)) + 1, [key_sorted.size]])
        for lo, hi in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
            k = int(key_sorted[lo])
            d = self.dims[dim_names[k // width]]
            ph = phrases[k % width]
            d.postings[ph] = local_sorted[lo:hi]
            d.df[ph] = hi - lo
            if len(ph) > 1:
                d.first.setdefault(ph[0], []).append(ph)
        for d in self.dims.values():
            size = max(len(d.facts), 1)
            d.models = all_models
            d.weights = {ph: 1.0 + math.log(size / df) for ph, df in d.df.items()}

    def fact(self, i: int) -> Fact:
        return Fact(self.keys[i], self.raw_values[i], self.units[i], self.sources[i], self.labels[i])


_INDEX_CACHE: weakref.WeakKeyDictionary[Facts, tuple[int, FactIndex]] = weakref.WeakKeyDictionary()


def index_of(facts: Facts) -> FactIndex:
    """The cached ``FactIndex`` of a ``Facts`` table (rebuilt if its length changed)."""
    hit = _INDEX_CACHE.get(facts)
    if hit is not None and hit[0] == len(facts):
        return hit[1]
    index = FactIndex(facts)
    _INDEX_CACHE[facts] = (len(facts), index)
    return index


# ---- results ------------------------------------------------------------------------------------------------


@dataclass
class NumberCheck:
    """One number of the report, its class (with the reason) and, for checked kinds, the verdict."""

    line: int
    text: str
    raw: str
    value: float
    unit: str
    kind: str
    reason: str
    part: str
    verdict: str | None = None
    fact: Fact | None = None
    explanation: str = ""

    def to_json(self) -> dict[str, Any]:
        fact = None
        if self.fact is not None:
            fact = {"key": self.fact.key, "value": self.fact.value, "unit": self.fact.unit, "source": self.fact.source}
        return {"line": self.line, "text": self.text, "raw": self.raw, "value": self.value, "unit": self.unit,
                "kind": self.kind, "reason": self.reason, "part": self.part, "verdict": self.verdict, "fact": fact,
                "explanation": self.explanation}

    def describe(self) -> str:
        """One line: where, what, the verdict and the nearest fact with its source."""
        excerpt = self.text if len(self.text) <= 90 else self.text[:87] + "..."
        out = f"line {self.line}: {self.raw!r} ({self.kind}) {self.verdict}: {self.explanation} -- \"{excerpt}\""
        if self.fact is not None:
            out += f" [fact {self.fact.key} = {_fmt(self.fact.value)} {self.fact.unit}".rstrip() + \
                f", from {self.fact.source}]"
        return out


@dataclass
class ConsistencyResult:
    """Every number of a report with its class and verdict."""

    numbers: list[NumberCheck]

    def counts(self) -> dict[str, int]:
        """{"supported", "contradicted", "unverified"}: how many checked numbers got each verdict."""
        out = dict.fromkeys(VERDICTS, 0)
        for n in self.numbers:
            if n.verdict in out:
                out[n.verdict] += 1
        return out

    def with_verdict(self, verdict: str) -> list[NumberCheck]:
        return [n for n in self.numbers if n.verdict == verdict]

    def to_json(self) -> list[dict[str, Any]]:
        return [n.to_json() for n in self.numbers]


# ---- extraction and classification --------------------------------------------------------------------------


@dataclass
class _Unit:
    """A piece of text to read numbers from: its line, part and extra context words."""

    line: int
    text: str
    part: str
    in_code: bool = False
    context: str = ""
    excerpt: str = ""


def _clean(line: str) -> str:
    line = _CODE_SPAN.sub(lambda m: " " * len(m.group(0)), line)
    return _MARKUP.sub(lambda m: "" if m.group(0) in ("**", "__", "~~", "[") else " ", line)


def _units_of(parsed: ParsedReport) -> list[_Unit]:
    lines = parsed.source.split("\n")
    out: list[_Unit] = []
    for block in parsed.blocks:
        if block.kind in ("hr", "html"):
            continue
        if block.kind == "table":
            table = next((t for t in parsed.tables if t.line == block.line_start), None)
            if table is not None:
                out.extend(_table_units(table, block.part))
            continue
        code = block.kind == "code"
        start, end = block.line_start, block.line_end
        if code and end - start >= 1:  # fences: skip the ``` lines themselves
            body = lines[start - 1:end]
            for k, raw in enumerate(body):
                if raw.strip().startswith(("```", "~~~")):
                    continue
                out.append(_Unit(start + k, raw, block.part, True))
            continue
        for k in range(start, min(end, len(lines)) + 1):
            raw = lines[k - 1]
            if raw.strip():
                out.append(_Unit(k, raw, block.part))
    return out


def _table_units(table: Any, part: str) -> list[_Unit]:
    out: list[_Unit] = []
    for r, row in enumerate(table.rows):
        label = _clean(row[0]) if row else ""
        for j, cell in enumerate(row):
            head = table.header[j] if j < len(table.header) else ""
            ctx = f"{label} {_clean(head)}" if j else _clean(head)
            excerpt = " | ".join(_clean(c).strip() for c in row)
            out.append(_Unit(table.line + 2 + r, _clean(cell), part, False, ctx, excerpt))
    return out


def _sentences(text: str) -> list[tuple[int, str]]:
    out = []
    pos = 0
    for piece in _SENTENCE_SPLIT.split(text):
        at = text.find(piece, pos)
        out.append((max(at, 0), piece))
        pos = max(at, 0) + len(piece)
    return out


def _clause(sentence: str, offset: int) -> tuple[str, int]:
    """The clause of ``sentence`` around ``offset`` and where it starts."""
    start = 0
    for m in _CLAUSE_SPLIT.finditer(sentence):
        if m.end() <= offset:
            start = m.end()
        elif m.start() >= offset:
            return sentence[start:m.start()], start
    return sentence[start:], start


def _classify(num: Number, unit: _Unit, before: str) -> tuple[str, str]:
    if num.form == "date":
        return "date", "a date or time"
    if num.form == "ordinal":
        return "ordinal", "list, section or step numbering"
    if num.form == "model":
        return "other", "a size inside a model name"
    if num.form == "config":
        return "config", f"run option {num.key}={num.raw}"
    if unit.part == "persona_prompt":
        return "other", "Persona Prompt: instructions to the model, not a claim"
    if unit.part == "metrics":
        return "run_metric", "the report's Metrics block: measured by the run itself"
    if unit.part == "workflow_summary" and dimension(num.unit)[0] == "time":
        return "run_metric", "a Workflow Summary timing: measured by the run itself"
    if _MORE_RE.search(before) and unit.text[num.end:].strip().lower().startswith("more"):
        return "other", "a count of items left out of a listing"
    return "claim", "a quantity stated in the report"


def _infer_unit(num: Number, clause: str, offset: int) -> str:
    """The unit word of the clause nearest after the number, else before it (bare numbers only)."""
    best: tuple[int, str] | None = None
    for m in re.finditer(r"[A-Za-z][A-Za-z/%]*(?:\s+per\s+second)?", clause):
        if not is_unit_word(m.group(0)) or len(m.group(0)) < 2:
            continue
        unit = canonical_unit(m.group(0))
        distance = m.start() - offset if m.start() >= offset else (offset - m.end()) + 1000
        if best is None or distance < best[0]:
            best = (distance, unit)
    return best[1] if best else ""


# ---- matching -----------------------------------------------------------------------------------------------


@dataclass
class _Query:
    value: float
    unit: str
    tolerance: float
    bound: str  # "", "approx", "gt", "lt"
    bag: set[str]
    seq: list[str]
    models: frozenset[str]
    near_bag: set[str] = field(default_factory=set)
    near_seq: list[str] = field(default_factory=list)


def _context(text: str) -> tuple[list[str], set[str]]:
    seq = tokens(text)
    bag = set(seq)
    for t in list(seq):
        if _PIECE_RE.search(t):
            bag.update(_stem(p) for p in _PIECE_RE.split(t) if p and not _NUMERIC_RE.match(p))
    return seq, bag


def _matched(d: _Dim, bag: set[str], seq: list[str]) -> list[tuple[str, ...]]:
    found: list[tuple[str, ...]] = [(t,) for t in bag if (t,) in d.postings]
    n = len(seq)
    for k, t in enumerate(seq):
        for p in d.first.get(t, ()):
            if len(p) <= n - k and tuple(seq[k:k + len(p)]) == p:
                found.append(p)
    return list(dict.fromkeys(found))


def _dims_for(unit: str, index: FactIndex) -> list[str]:
    if unit in _COUNT_UNITS:
        return [unit] if unit in index.dims else [u for u in ("",) if u in index.dims]
    if unit:
        name = dimension(unit)[0]
        return [name] if name in index.dims else []
    return [u for u in ("", *sorted(_COUNT_UNITS)) if u in index.dims]


def _agrees(q: _Query, values: np.ndarray) -> np.ndarray:
    """Which values (in the claim's unit) agree with the claim within its written precision and bound."""
    import numpy as np

    v = q.value
    tol = q.tolerance + 1e-9 * max(1.0, abs(v))
    if q.bound == "gt":
        return np.asarray(values >= v - tol)
    if q.bound == "lt":
        return np.asarray(values <= v + tol)
    if q.bound == "approx":
        tol = max(tol, abs(v) * APPROX_REL)
    return np.asarray(np.abs(values - v) <= tol)


def _by_chance(q: _Query, best_values: np.ndarray, agreeing: int) -> str:
    """Why an agreement among several equally fitting facts proves nothing, or "".

    A bound ("over 60ms") must hold for every best fit. A value must be rarer than chance: with N best fits
    spread over a range R, a number written to +/-t hits one by chance when N * 2t / R >= 1.
    """
    n = best_values.size
    if n <= 1:
        return ""
    if q.bound in ("gt", "lt"):
        return "" if agreeing == n else f"only {agreeing} of them satisfy the bound"
    tol = q.tolerance if q.bound != "approx" else max(q.tolerance, abs(q.value) * APPROX_REL)
    spread = float(best_values.max() - best_values.min())
    if spread > 0 and n * 2 * tol / spread >= 1:
        return f"one agrees, but at this precision one of {n} values spread over {_fmt(spread)} would by chance"
    return ""


def _member(posting: np.ndarray, local: np.ndarray) -> np.ndarray:
    """1 where ``local`` (sorted ids) is in ``posting`` (sorted ids), else 0."""
    import numpy as np

    if local.size == 0:
        return np.zeros(0, dtype=np.int64)
    at = np.minimum(np.searchsorted(posting, local), posting.size - 1)
    member: np.ndarray = (posting[at] == local).astype(np.int64)
    return member


def _agreeing(d: _Dim, phrase: tuple[str, ...], q: _Query, factor: float) -> np.ndarray:
    """Ids of the facts carrying ``phrase`` whose value agrees with the claim (binary search by value)."""
    import numpy as np

    order = d.by_value.get(phrase)
    if order is None:
        ids = d.postings[phrase]
        sort = np.argsort(d.values[ids], kind="stable")
        order = d.by_value[phrase] = (ids[sort], d.values[ids][sort])
    ids, vals = order
    v = q.value * factor
    tol = q.tolerance * factor + 1e-9 * max(1.0, abs(v))
    if q.bound == "approx":
        tol = max(tol, abs(v) * APPROX_REL)
    lo, hi = v - tol, v + tol
    if q.bound == "gt":
        hi = math.inf
    elif q.bound == "lt":
        lo = -math.inf
    found: np.ndarray = ids[np.searchsorted(vals, lo, "left"):np.searchsorted(vals, hi, "right")]
    return found


def match(q: _Query, index: FactIndex, min_labels: int = MIN_NAMING_LABELS) -> tuple[str, int | None, str]:
    """(verdict, global fact index or None, explanation) for one claim.

    ``min_labels``: labels a unique best fact must match to count as named (1 for a run's own metrics,
    whose few labels are curated)."""
    import numpy as np

    dims = _dims_for(q.unit, index)
    if not dims:
        shown = q.unit or "no unit"
        return "unverified", None, f"no fact has a unit compatible with {shown}"
    factor = dimension(q.unit)[1] if q.unit and q.unit not in _COUNT_UNITS else 1.0
    parts: list[tuple[Any, Any, Any, Any]] = []  # scores, global idx, values in the claim's unit, named
    top = 0.0
    for name in dims:
        d = index.dims[name]
        phrases = _matched(d, q.bag | q.near_bag, q.seq + ["|"] + q.near_seq)
        if not phrases:
            continue
        near = set(_matched(d, q.near_bag, q.near_seq)) if q.near_seq else set()
        weight = {p: d.weights[p] * (NEAR_WEIGHT if p in near else 1.0) for p in phrases}
        cap = max(COMMON_DF, int(COMMON_SHARE * len(d.facts)))
        scores: Any
        hits: Any
        rare_ph = [p for p in phrases if d.df[p] <= cap]
        common_ph = [p for p in phrases if d.df[p] > cap]
        if rare_ph:
            key = (name, tuple(sorted(weight.items())), q.models, min_labels)
            cached = index.candidates.get(key)
            if cached is not None:
                parts.append(cached)
                continue
            flat = np.concatenate([d.postings[p] for p in rare_ph])
            local = np.unique(flat)
            pos = np.searchsorted(local, flat)
            scores = np.bincount(pos, weights=np.repeat([weight[p] for p in rare_ph],
                                                        [d.df[p] for p in rare_ph]), minlength=local.size)
            hits = np.bincount(pos, minlength=local.size)
            part_top = 0.0
        else:
            key = None
            # only common words (each on more than `cap` facts): the best fits carry every one of them;
            # look for such a fact among those whose value agrees (binary search by value, then
            # intersect). None found: many facts fit and none of the best has the value.
            ordered = sorted(common_ph, key=lambda p: d.df[p])
            local = np.sort(_agreeing(d, ordered[0], q, factor))
            for p in ordered[1:]:
                if local.size == 0:
                    break
                local = local[_member(d.postings[p], local).astype(bool)]
            part_top = sum(weight[p] for p in common_ph)
            scores = np.full(local.size, part_top, dtype=float)
            hits = np.full(local.size, len(common_ph), dtype=np.int64)
        for p in common_ph if rare_ph else ():
            member = _member(d.postings[p], local)
            scores = scores + weight[p] * member
            hits = hits + member
        if q.models and local.size:
            allowed = d.model_ok.get(q.models)
            if allowed is None:
                ok_ids = np.array([not forms or bool(forms & q.models) for forms in d.models] + [True])
                allowed = d.model_ok[q.models] = ok_ids[d.model_id]  # model_id -1 picks the final True
            keep = allowed[local]
            local, scores, hits = local[keep], scores[keep], hits[keep]
        top = max(top, part_top)
        if local.size == 0:
            continue
        rare_hit = np.zeros(local.size, dtype=bool)
        for p in phrases:
            if d.df[p] <= SPECIFIC_DF:
                rare_hit |= _member(d.postings[p], local).astype(bool)
        named = rare_hit & (hits >= min_labels)
        part = (scores, d.facts_array[local], d.values[local], named)
        if key is not None:
            if len(index.candidates) >= CANDIDATE_CACHE:
                index.candidates.clear()
            index.candidates[key] = part
        parts.append(part)
    if not parts:
        if top:
            return "unverified", None, "many facts fit the words around it and none of them has this value"
        return "unverified", None, f"no fact with a unit compatible with {q.unit or 'a bare number'} is named " \
                                   "by the words around it"
    scores = np.concatenate([p[0] for p in parts])
    gidx = np.concatenate([p[1] for p in parts])
    values = np.concatenate([p[2] for p in parts]) / factor
    named = np.concatenate([p[3] for p in parts])
    agree = _agrees(q, values)
    top = max(top, float(scores.max()))
    best = scores >= top - 1e-9
    if not best.any():
        return "unverified", None, "many facts fit the words around it and none of the best fits has this value"
    distance = np.abs(values - q.value)
    hit = best & agree
    n_best = int(best.sum())
    nearest = int(np.flatnonzero(best)[np.argmin(distance[best])])
    if hit.any():
        k = int(np.flatnonzero(hit)[np.argmin(distance[hit])])
        doubt = _by_chance(q, values[best], int(hit.sum()))
        if doubt:
            return "unverified", int(gidx[k]), f"{n_best} facts fit the words equally; {doubt}"
        return "supported", int(gidx[k]), "a fact named by the same words has this value within the written precision"
    if n_best == 1 and named[nearest]:
        return "contradicted", int(gidx[nearest]), f"the fact it names is {_fmt_in(float(values[nearest]), q)}"
    weaker = named & agree
    if weaker.any():
        cand = np.flatnonzero(weaker)
        k = int(cand[np.lexsort((distance[cand], -scores[cand]))[0]])
        return "supported", int(gidx[k]), (f"a fact that names it specifically has this value within the written "
                                           f"precision ({n_best} facts fit the words better, none with this value)")
    why = "several facts fit the words equally" if n_best > 1 else "the words name no specific fact"
    return "unverified", int(gidx[nearest]), (f"{why} and none has this value; nearest "
                                              f"{_fmt_in(float(values[nearest]), q)}")


def _fmt(value: float) -> str:
    return f"{value:.6g}" if abs(value) < 1e6 else f"{value:,.0f}"


def _fmt_in(value: float, q: _Query) -> str:
    decimals = max(0, -int(round(math.log10(q.tolerance * 2)))) if q.tolerance > 0 else 2
    shown = f"{value:.{decimals}f}"
    if math.isclose(float(shown), q.value):
        shown = f"{value:.{decimals + 1}f}"
    unit = q.unit or ""
    return f"{shown}{unit}" if unit == "%" else f"{shown} {unit}".rstrip()


# ---- runs ---------------------------------------------------------------------------------------------------

_RUN_LABELS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "tokens_per_s": ("tok/s", "metrics", ("throughput", "tokens per second", "tok/s", "decode speed", "speed")),
    "ttft_ms": ("ms", "metrics", ("ttft", "time to first token", "first token")),
    "total_ms": ("ms", "metrics", ("total duration", "total")),
    "eval_count": ("tokens", "metrics", ("tokens generated", "generated tokens", "eval count", "tokens")),
    "prompt_eval_count": ("tokens", "metrics", ("prompt tokens", "prompt eval count")),
    "prompt_eval_ms": ("ms", "metrics", ("prompt eval", "prompt evaluation", "prompt")),
    "eval_ms": ("ms", "metrics", ("eval duration", "eval")),
    "load_ms": ("ms", "metrics", ("load duration", "load")),
    "wall_ms": ("ms", "metrics", ("wall", "wall time", "wall clock")),
}
_STAGE_LABELS: dict[str, tuple[str, ...]] = {
    "ingest_ms": ("ingest", "ingestion"),
    "analysis_ms": ("analysis",),
    "report_ms": ("report", "report generation"),
    "total_ms": ("execution time", "execution", "total time", "total"),
}
_OPTION_ALIASES = {"temp": "temperature", "ctx": "num_ctx", "n_ctx": "num_ctx", "n_gpu_layers": "num_gpu",
                   "threads": "num_thread", "n_threads": "num_thread"}


def run_facts(run: ReportRun | Mapping[str, Any]) -> tuple[Facts, dict[str, float]]:
    """(Facts of the run's metrics and stage timings, numeric options by name) of a run or its JSON."""
    from pytest_chimera.runs import ReportRun

    rr = run if isinstance(run, ReportRun) else ReportRun.from_json(run)
    records: list[Fact] = []
    for name, value in rr.metrics.items():
        unit, _, labels = _RUN_LABELS.get(name, ("", "metrics", (name,)))
        records.append(Fact(f"run.metrics.{name}", float(value), unit, f"run metrics: {name}", labels))
    for name, value in rr.stages.items():
        records.append(Fact(f"run.stages.{name}", float(value), "ms", f"run stages: {name}",
                            _STAGE_LABELS.get(name, (name,)) + ("stage",)))
    options: dict[str, float] = {}
    for key, value in rr.options.items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            options[key.lower()] = float(value)
    return Facts.from_records(records), options


# ---- the check ----------------------------------------------------------------------------------------------


_NEAR_STOP = re.compile(r"[|,;()\[\]]|\s[-–—]\s|(?<=[a-z])\.\s|\b(?:and|or|while|whereas|but|versus|vs)\b", re.I)
_QUALIFIER = r"(?:~|≈|approx\.?|approximately|about|around|roughly|nearly|over|under|up to)?\s*"
_APPOSITIVE = re.compile(r"\s*[(\[]\s*" + _QUALIFIER, re.I)
_BRACKETED = re.compile(r"[(\[]\s*" + _QUALIFIER + r"$", re.I)
_CONNECTOR = re.compile(r"\s*(?:-|–|—|to|vs\.?|versus|→|->|=>|/|and|or|x|×)\s*" + _QUALIFIER, re.I)
_RESPECTIVELY = re.compile(r"\brespectively\b", re.I)


def _near_span(text: str, nums: list[Number], k: int, lo: int, hi: int) -> tuple[int, int]:
    """Where the words nearest a number start and end: back to the previous number or separator (comma,
    bracket, "and", ...) and forward to the next number or separator, within ``[lo, hi)``."""
    num = nums[k]
    start = max(lo, nums[k - 1].end if k else lo)
    end = max(min(hi, nums[k + 1].start if k + 1 < len(nums) else hi), num.end)
    stops = list(_NEAR_STOP.finditer(text, start, max(start, num.start)))
    if stops:
        start = stops[-1].end()
    stop = _NEAR_STOP.search(text, num.end, end)
    return min(start, num.start), stop.start() if stop else end


def _near(text: str, nums: list[Number], k: int, lo: int, hi: int) -> str:
    """The words nearest a number (see ``_near_span``), the number itself left out."""
    start, end = _near_span(text, nums, k, lo, hi)
    return text[start:nums[k].start] + " " + text[nums[k].end:end]


def _own_clause(text: str, nums: list[Number], k: int, lo: int, hi: int) -> str:
    """The clause ``text[lo:hi]`` of number ``k`` with the words that belong to another number blanked.

    The clause is split into per-number spans: each other quantity owns its own text ("28 files") and its
    nearest words (``_near_span``), except the words before the first quantity of the clause, which are
    the subject they all share ("The average TTFT was 81 ms and 151 ms"). So in "28 files (8 CSV, ..."
    the label "CSV" is the 8's, not the 28's. Words nearest both ``k`` and another number stay. Numbers
    that only a connector separates ("272-883 tokens", "102.85 vs 76.59 tok/s", "11 → 22") share their
    words; a number opening a bracket ("44 files (43.6%)", "lower TTFT (~0.12s)") restates what precedes
    the bracket and keeps it. A sentence that distributes its labels ("... respectively") is left whole."""
    inside = [j for j in range(len(nums)) if lo <= nums[j].start < hi and nums[j].form == "quantity"]
    if len(inside) < 2 or k not in inside or _RESPECTIVELY.search(text, lo, hi):
        return text[lo:hi]
    qs = [nums[j] for j in inside]  # other numbers (a model size "270m", a date) are words here
    groups: list[list[int]] = [[0]]  # runs of quantities joined by connectors only, as indices into qs
    for i in range(1, len(qs)):
        if _CONNECTOR.fullmatch(text, qs[i - 1].end, qs[i].start):
            groups[-1].append(i)
        else:
            groups.append([i])
    spans: list[tuple[int, int]] = []
    mine = 0
    for g, group in enumerate(groups):
        start, end = _near_span(text, qs, group[0], lo, hi)[0], _near_span(text, qs, group[-1], lo, hi)[1]
        if g and _BRACKETED.search(text, qs[groups[g - 1][-1]].end, qs[group[0]].start):
            start = qs[groups[g - 1][-1]].end  # "lower TTFT (~0.12s)": the words before the bracket are its too
        spans.append((start if g else qs[group[0]].start, end))
        if inside.index(k) in group:
            mine = g
    start, end = spans[mine]
    if mine and _APPOSITIVE.fullmatch(text, qs[groups[mine - 1][-1]].end, qs[groups[mine][0]].start):
        spans[mine - 1] = (lo, lo)  # "44 files (43.6%)": a restatement keeps the number it restates
    cuts: list[tuple[int, int]] = []
    for g, (g_start, g_end) in enumerate(spans):
        if g != mine and g_start < g_end:
            cuts += [(g_start, min(g_end, start)), (max(g_start, end), g_end)]
            cuts += [(qs[i].start, qs[i].end) for i in groups[g]]
    out: list[str] = []
    at = lo
    for c_start, c_end in sorted(cut for cut in cuts if cut[0] < cut[1]):
        if c_end <= at:
            continue
        c_start, c_end = max(c_start, at), min(c_end, hi)
        out += [text[at:c_start], " " * (c_end - c_start)]
        at = c_end
    return "".join(out) + text[at:hi] if out else text[lo:hi]


def _lead(text: str) -> str:
    m = _LEAD_LABEL.match(text)
    return m.group(1) if m else ""


def check_consistency(report: ParsedReport | str, facts: Facts,
                      run: ReportRun | Mapping[str, Any] | None = None) -> ConsistencyResult:
    """Classify every number of ``report`` and give each claim (and, with ``run``, each run metric and
    config number) a verdict against ``facts``."""
    parsed = parse_report(report) if isinstance(report, str) else report
    index = index_of(facts)
    run_index: FactIndex | None = None
    options: dict[str, float] = {}
    if run is not None:
        rf, options = run_facts(run)
        run_index = FactIndex(rf)
    out: list[NumberCheck] = []
    for unit in _units_of(parsed):
        text = unit.text if unit.in_code else _BULLET.sub("", _clean(unit.text), count=1)
        nums = find_numbers(text)
        if not nums:
            continue
        lead = _lead(_LINE_LEAD.sub("", text, count=1) if not unit.in_code else text)
        sentences = _sentences(text)
        for k, num in enumerate(nums):
            s_at, sentence = next(((a, s) for a, s in reversed(sentences) if a <= num.start), (0, text))
            before = text[max(0, num.start - 30):num.start]
            kind, reason = _classify(num, unit, before)
            check = NumberCheck(unit.line, unit.excerpt or sentence.strip(), num.raw, num.value, num.unit, kind,
                                reason, unit.part)
            if kind in ("claim", "run_metric"):
                clause, c_at = _clause(sentence, num.start - s_at)
                lo, hi = s_at + c_at, s_at + c_at + len(clause)
                near = _near(text, nums, k, lo, hi)
                if k and not tokens(near) and _APPOSITIVE.fullmatch(text, nums[k - 1].end, num.start):
                    near = _near(text, nums, k - 1, lo, hi)  # a bare restatement "(43.6%)": its head's words
                own = _own_clause(text, nums, k, lo, hi)
                unit_name = num.unit or _infer_unit(num, clause, num.start - s_at - c_at) or \
                    _infer_unit(num, unit.context, 0)
                check.unit = unit_name
                ctx = f"{lead} {own} {unit.context}" if lead and lead not in clause else f"{own} {unit.context}"
                seq, bag = _context(ctx)
                near_seq, near_bag = _context(f"{near} {unit.context}")
                models = (models_named(near) or models_named(own) or models_named(unit.context)
                          or models_named(sentence))
                q = _Query(num.value, unit_name, num.tolerance, _bound(before), bag, seq, models, near_bag, near_seq)
                if kind == "claim":
                    verdict, at, why = match(q, index)
                    check.verdict, check.explanation = verdict, why
                    check.fact = index.fact(at) if at is not None else None
                elif run_index is not None:
                    verdict, at, why = match(q, run_index, min_labels=1)
                    check.verdict, check.explanation = verdict, why
                    check.fact = run_index.fact(at) if at is not None else None
                else:
                    check.explanation = "not checked: no run given (pass a ReportRun, or --run run.json)"
            elif kind == "config":
                _check_config(check, num, options, run is not None)
            out.append(check)
    return ConsistencyResult(out)


def _bound(before: str) -> str:
    if _APPROX_RE.search(before):
        return "approx"
    if _GT_RE.search(before):
        return "gt"
    if _LT_RE.search(before):
        return "lt"
    return ""


def _check_config(check: NumberCheck, num: Number, options: Mapping[str, float], have_run: bool) -> None:
    if not have_run:
        check.explanation = "not checked: no run given (pass a ReportRun, or --run run.json)"
        return
    key = (num.key or "").lower()
    key = _OPTION_ALIASES.get(key, key)
    if key not in options:
        check.verdict = "unverified"
        check.explanation = f"the run has no option {key!r}"
        return
    actual = options[key]
    check.fact = Fact(f"run.options.{key}", actual, "", f"run options: {key}", (key,))
    if abs(actual - num.value) <= num.tolerance + 1e-9:
        check.verdict, check.explanation = "supported", f"the run's {key} is {_fmt(actual)}"
    else:
        check.verdict, check.explanation = "contradicted", f"the run's {key} is {_fmt(actual)}"


def iter_offending(result: ConsistencyResult, verdicts: Iterable[str] = ("contradicted", "unverified")
                   ) -> list[NumberCheck]:
    """Numbers whose verdict is one of ``verdicts``, in report order."""
    wanted = set(verdicts)
    return [n for n in result.numbers if n.verdict in wanted]
