"""One claim against the fact index: its candidate facts, the rule that decides its verdict, the explanation.

Rules, tried in this order (``consistency``'s module docstring has the method in full):

- **exact fact**: a best-fitting fact (highest label score) has the value within the written precision
  (``supported``), or the single best fit names the quantity specifically and has another value
  (``contradicted``); a fact that names it specifically, or a precise value no chance explains
  (``VALUE_CHANCE``) in a fact of the statistic the clause names (an "average" is a mean), also supports it. **derived** is the same rule when the fact was computed from other
  facts (a share, a sum of two counts: its source starts with "derived:").
- **chance guard**: the value agrees with one of many equally fitting facts, as a number written to this
  precision would by chance: ``unverified``.
- **span**: no fact has the value, and it lies outside every value the corpus gives the quantity the clause
  names (its unit's dimension, the model it names, its metric words), widened by ``SPAN_MARGIN``:
  ``contradicted``, with the span shown.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from pytest_chimera.checks import claims as cl
from pytest_chimera.checks.index import Dim, FactIndex
from pytest_chimera.checks.numbers import COUNT_NOUNS, dimension
from pytest_chimera.evidence.labels import STAT_LABELS

if TYPE_CHECKING:
    import numpy as np

SPECIFIC_DF = 5
NEAR_WEIGHT = 3.0
COMMON_DF = 1000
COMMON_SHARE = 0.02
CANDIDATE_CACHE = 4096
MIN_NAMING_LABELS = 2
APPROX_REL = 0.05
VALUE_CHANCE = 0.05  # a precise value supports a claim when it would hit a candidate by chance this rarely
SPAN_MARGIN = 0.25  # a span [lo, hi] contradicts values below lo - 25% |lo| or above hi + 25% |hi|
SPAN_MIN_FACTS = 3  # fewer facts than this say too little about a quantity's range
_COUNT_UNITS = frozenset(COUNT_NOUNS) | {"chars"}
_SELF_NAMED = frozenset({"tok/s", "samples/s", "req/s", "it/s"})  # the unit alone names the metric
_BARE_DIMS = frozenset({""}) | _COUNT_UNITS  # the dimensions a number written without a unit can be of
_FILE_DIMS = frozenset({"files"})  # counts of corpus files: about the corpus, whatever model a clause names


@dataclass
class Query:
    """One claim: its value, unit, written tolerance, bound, the words of its clause and the models it names."""

    value: float
    unit: str
    tolerance: float
    bound: str  # "", "approx", "gt", "lt"
    bag: set[str]
    seq: list[str]
    models: frozenset[str]
    near_bag: set[str] = field(default_factory=set)
    near_seq: list[str] = field(default_factory=list)
    families: frozenset[str] = frozenset()  # model families named ("gemma3"), used when no model is named
    _found: dict[tuple[str, bool], Any] = field(default_factory=dict, repr=False, compare=False)

    def phrases(self, name: str, d: Dim) -> list[tuple[str, ...]]:
        """The label phrases of dimension ``name`` the clause's words name (``_matched``, once per dimension)."""
        hit = self._found.get((name, False))
        if hit is None:
            hit = self._found[name, False] = _matched(d, self.bag | self.near_bag, self.seq + ["|"] + self.near_seq)
        found: list[tuple[str, ...]] = hit
        return found

    def near_phrases(self, name: str, d: Dim) -> set[tuple[str, ...]]:
        """The label phrases of dimension ``name`` the words nearest the number name."""
        hit = self._found.get((name, True))
        if hit is None:
            hit = self._found[name, True] = set(_matched(d, self.near_bag, self.near_seq)) if self.near_seq else set()
        found: set[tuple[str, ...]] = hit
        return found


@dataclass(frozen=True)
class Decision:
    """A verdict, the fact it rests on (global index) and why; ``rule`` names the rule that decided."""

    verdict: str
    fact: int | None
    explanation: str
    rule: str = ""


def context(text: str) -> tuple[list[str], set[str]]:
    """(word sequence, bag of words and word pieces) of a piece of text, normalised like fact labels."""
    return _context(text)


@lru_cache(maxsize=8192)
def _pieces(token: str) -> tuple[str, ...]:
    """The word pieces of a joined token ("gemma3-270m" -> "gemma3", "270m"), stemmed."""
    return tuple(cl.stem(p) for p in cl.PIECE_RE.split(token) if p and not cl.NUMERIC_RE.match(p))


def _context(text: str) -> tuple[list[str], set[str]]:
    seq = cl.tokens(text)
    bag = set(seq)
    for t in seq:
        if "-" in t or "." in t or "/" in t:
            bag.update(_pieces(t))
    return seq, bag


def _matched(d: Dim, bag: set[str], seq: list[str]) -> list[tuple[str, ...]]:
    """The label phrases of ``d`` the words name: multi-word phrases found in ``seq``, longest first and not
    overlapping ("JSON and Markdown" is one term: its "Markdown" names no Markdown-only fact), then the
    single words of ``bag`` that no chosen phrase covers everywhere they occur."""
    n = len(seq)
    multi: list[tuple[int, int, tuple[str, ...]]] = []
    first = d.first
    for k in [k for k, t in enumerate(seq) if t in first]:
        for p in first[seq[k]]:
            if len(p) <= n - k and tuple(seq[k:k + len(p)]) == p:
                multi.append((-len(p), k, p))
    found: list[tuple[str, ...]] = []
    covered: set[int] = set()
    for neg, k, p in sorted(multi):
        span = range(k, k - neg)
        if not covered.intersection(span):
            covered.update(span)
            found.append(p)
    postings = d.postings
    if covered:
        inside = [seq[k] for k in covered]
        taken = {t for t in inside if seq.count(t) == inside.count(t)}  # covered wherever it occurs
        found += [(t,) for t in bag if t not in taken and (t,) in postings]
    else:
        found += [(t,) for t in bag if (t,) in postings]
    return list(dict.fromkeys(found))


def _dims_for(unit: str, index: FactIndex) -> list[str]:
    """The dimensions a claim's facts may have: its unit's; a bare number's, plain numbers and counts (its
    precise value may still agree with a fact of any unit: see ``_precise``)."""
    if unit in _COUNT_UNITS:
        return [unit] if unit in index.dims else [u for u in ("",) if u in index.dims]
    if unit:
        name = dimension(unit)[0]
        return [name] if name in index.dims else []
    return [u for u in sorted(_BARE_DIMS) if u in index.dims]


def _interval(q: Query, factor: float = 1.0, widen: bool = True) -> tuple[float, float]:
    """The values (times ``factor``) that agree with the claim: its written precision, where a writer may also
    have cut digits ("46.39" for 46.397), widened by "approximately" (``APPROX_REL``), open-ended for bounds."""
    v = q.value * factor
    tol = (_approx_tol(q) if widen else q.tolerance) * factor + 1e-9 * max(1.0, abs(v))
    lo, hi = v - tol, v + tol
    if q.tolerance < 0.5:  # written with decimals: truncation as well as rounding
        hi = v + (2 * tol if v >= 0 else tol)
        lo = v - (tol if v >= 0 else 2 * tol)
    if widen and q.bound == "gt":
        hi = math.inf
    elif widen and q.bound == "lt":
        lo = -math.inf
    return lo, hi


def _approx_tol(q: Query) -> float:
    """The claim's tolerance, widened to ``APPROX_REL`` of its value by "approximately" when it is written
    round (two significant digits or fewer: "about 25%", not "around 15.584 ms", which is a copied value)."""
    if q.bound != "approx" or q.tolerance <= 0 or q.value == 0:
        return q.tolerance
    digits = math.floor(math.log10(abs(q.value) / (2 * q.tolerance))) + 1
    return max(q.tolerance, abs(q.value) * APPROX_REL) if digits <= 2 else q.tolerance


def _agrees(q: Query, values: np.ndarray, widen: bool = True) -> np.ndarray:
    """Which values (in the claim's unit) agree with the claim (see ``_interval``)."""
    import numpy as np

    lo, hi = _interval(q, widen=widen)
    return np.asarray((values >= lo) & (values <= hi))


def _by_chance(q: Query, best_values: np.ndarray, agreeing: int) -> str:
    """Why an agreement among several equally fitting facts proves nothing, or "".

    A bound ("over 60ms") must hold for every best fit. A value must be rarer than chance: with N best fits
    spread over a range R, a number written to +/-t hits one by chance when N * 2t / R >= 1.
    """
    n = best_values.size
    if n <= 1:
        return ""
    if q.bound in ("gt", "lt"):
        return "" if agreeing == n else f"only {agreeing} of them satisfy the bound"
    tol = _approx_tol(q)
    spread = float(best_values.max() - best_values.min())
    if spread > 0 and n * 2 * tol / spread >= 1:
        return f"one agrees, but at this precision one of {n} values spread over {_fmt(spread)} would by chance"
    return ""


def _chance_of(q: Query, values: np.ndarray) -> float:
    """How many of ``values`` a number written like the claim would hit by chance: the values within a factor
    of 2 of it, times the width of its written interval, over their range."""
    import numpy as np

    v = abs(q.value)
    if v == 0:
        return math.inf
    near = values[(np.abs(values) >= v / 2) & (np.abs(values) <= v * 2)]
    lo, hi = _interval(q, widen=False)
    spread = float(near.max() - near.min()) if near.size > 1 else v
    return near.size * (hi - lo) / max(spread, v / 2)


def _all_of(index: FactIndex, name: str, d: Dim, phrases: list[tuple[str, ...]], raw: bool) -> tuple[Any, Any]:
    """(ids, values) of the facts of ``d`` that carry every one of ``phrases``, sorted by value (base unit, or
    ``raw``: each fact's own): computed once per set of common words (a report repeats its phrasing), then
    each claim is one binary search."""
    import numpy as np

    key = (name, "all", tuple(sorted(phrases)), raw)
    hit = index.candidates.get(key)
    if hit is None:
        ordered = sorted(phrases, key=lambda p: d.df[p])
        ids = d.postings[ordered[0]]
        for p in ordered[1:]:
            ids = ids[_member(d.postings[p], ids).astype(bool)]
        values = (d.raw if raw else d.values)[ids]
        sort = np.argsort(values, kind="stable")
        hit = (ids[sort], values[sort], None, None)
        if len(index.candidates) >= CANDIDATE_CACHE:
            index.candidates.clear()
        index.candidates[key] = hit
    return hit[0], hit[1]


def _member(posting: np.ndarray, local: np.ndarray) -> np.ndarray:
    """1 where ``local`` (sorted ids) is in ``posting`` (sorted ids), else 0."""
    import numpy as np

    if local.size == 0:
        return np.zeros(0, dtype=np.int64)
    at = posting.searchsorted(local)
    at[at >= posting.size] = posting.size - 1
    member: np.ndarray = (posting[at] == local).astype(np.int64)
    return member


def _allowed(d: Dim, models: frozenset[str], strict: bool) -> np.ndarray:
    """Which facts of ``d`` a clause naming ``models`` may be about: none about another model, and with
    ``strict`` none about no model at all (a clause that names a model claims something about it)."""
    import numpy as np

    allowed = d.model_ok.get((models, strict))
    if allowed is None:
        ok_ids = np.array([bool(forms & models) if forms else not strict for forms in d.models] + [not strict])
        allowed = d.model_ok[models, strict] = ok_ids[d.model_id]  # model_id -1 picks the final entry
    return allowed


def _of_family(d: Dim, families: frozenset[str]) -> np.ndarray:
    """Which facts of ``d`` are about a model of one of ``families`` (they carry the family's name): a clause
    that names only a family ("gemma3 averaged 14 tok/s") claims something about that family."""
    import numpy as np

    key = (families, "family")
    mask = d.model_ok.get(key)
    if mask is None:
        mask = np.zeros(len(d.facts), dtype=bool)
        for family in families:
            ids = d.postings.get((family,))
            if ids is not None:
                mask[ids] = True
        d.model_ok[key] = mask
    result: np.ndarray = mask
    return result


Part = tuple[Any, Any, Any, Any]  # scores, global idx, values in the dimension's base unit, named


def _candidates(q: Query, index: FactIndex, name: str, factor: float, min_labels: int) -> tuple[Part | None, float]:
    """The candidate facts of one dimension (sharing a label with the clause) and the top score of common
    words when only such words matched."""
    import numpy as np

    d = index.dims[name]
    phrases = q.phrases(name, d)
    if not phrases:
        return None, 0.0
    near = q.near_phrases(name, d)
    weight = {p: d.weights[p] * (NEAR_WEIGHT if p in near else 1.0) for p in phrases}
    cap = max(COMMON_DF, int(COMMON_SHARE * len(d.facts)))
    rare_ph = [p for p in phrases if d.df[p] <= cap]
    common_ph = [p for p in phrases if d.df[p] > cap]
    key = None
    if rare_ph:
        key = (name, tuple(sorted(weight.items())), q.models, q.families, min_labels)
        cached = index.candidates.get(key)
        if cached is not None:
            return cached, 0.0
        flat = np.concatenate([d.postings[p] for p in rare_ph])
        local = np.unique(flat)
        pos = local.searchsorted(flat)
        scores = np.bincount(pos, weights=np.repeat([weight[p] for p in rare_ph], [d.df[p] for p in rare_ph]),
                             minlength=local.size)
        hits = np.bincount(pos, weights=np.repeat([len(p) for p in rare_ph], [d.df[p] for p in rare_ph]),
                           minlength=local.size)
        part_top = 0.0
        for p in common_ph:
            member = _member(d.postings[p], local)
            scores = scores + weight[p] * member
            hits = hits + len(p) * member
    else:
        # only common words (each on more than `cap` facts): the best fits carry every one of them; look for
        # such a fact among those whose value agrees (binary search by value, then intersect). None found:
        # many facts fit and none of the best has the value.
        ids, vals = _all_of(index, name, d, common_ph, raw=not q.unit)
        lo, hi = _interval(q, factor)
        local = ids[vals.searchsorted(lo, "left"):vals.searchsorted(hi, "right")].copy()
        local.sort()
        part_top = sum(weight[p] for p in common_ph)
        scores = np.empty(local.size)
        scores.fill(part_top)
        hits = np.empty(local.size, dtype=np.int64)
        hits.fill(sum(len(p) for p in common_ph))
    if q.models and local.size:
        keep = _allowed(d, q.models, name not in _FILE_DIMS)[local]
        local, scores, hits = local[keep], scores[keep], hits[keep]
    elif q.families and local.size and name not in _FILE_DIMS:
        keep = _of_family(d, q.families)[local]
        local, scores, hits = local[keep], scores[keep], hits[keep]
    if name in _FILE_DIMS and local.size:
        # a count of the files of a model counts a subset the sentence must name: "75 JSON files" is no
        # claim about gemma3's JSON files
        keep = ~_model_bound(index, d)[local]
        for p in phrases:
            if p in index.model_phrases:
                keep |= _member(d.postings[p], local).astype(bool)
        if not q.models:  # "gemma3" names the family's files, not those of gemma3:270m
            keep &= d.model_id[local] < 0
        local, scores, hits = local[keep], scores[keep], hits[keep]
    if local.size and not any(p in _SPREAD_NAMES for p in phrases):
        keep = d.level[local]  # a count or a spread of a column is a candidate only when the clause names it
        local, scores, hits = local[keep], scores[keep], hits[keep]
    if local.size == 0:
        return None, part_top
    rare_hit = np.zeros(local.size, dtype=bool)
    unbound = name in _FILE_DIMS and not any(p in index.model_phrases for p in phrases)
    for p in phrases:  # specific: carried by few facts (of a file count, few counts of no model's files)
        df = d.df[p] if not unbound else int((~_model_bound(index, d)[d.postings[p]]).sum())
        if df <= SPECIFIC_DF:
            rare_hit |= _member(d.postings[p], local).astype(bool)
    if (q.unit in _COUNT_UNITS and name == q.unit) or (q.unit == "%" and name == "percent"):
        hits = hits + 1  # "44 JSON files", "JSON (43.6%)": the count noun or percent sign names the quantity
    part = (scores, d.facts_array[local], d.values[local], rare_hit & (hits >= min_labels))
    if key is not None:
        if len(index.candidates) >= CANDIDATE_CACHE:
            index.candidates.clear()
        index.candidates[key] = part
    return part, part_top


def _model_bound(index: FactIndex, d: Dim) -> np.ndarray:
    """Which facts of ``d`` carry a model's name (a family such as gemma3 included), computed on first use."""
    import numpy as np

    if d.model_bound is None:
        bound = np.zeros(len(d.facts), dtype=bool)
        for p in index.model_phrases:
            if p in d.postings:
                bound[d.postings[p]] = True
        d.model_bound = bound
    mask: np.ndarray = d.model_bound
    return mask


def match(q: Query, index: FactIndex, min_labels: int = MIN_NAMING_LABELS) -> Decision:
    """The verdict on one claim (see the module docstring for the rules).

    ``min_labels``: labels a unique best fact must match to count as named (1 for a run's own metrics,
    whose few labels are curated)."""
    import numpy as np

    dims = _dims_for(q.unit, index)
    if not dims:
        return Decision("unverified", None, f"no fact has a unit compatible with {q.unit or 'no unit'}")
    factor = dimension(q.unit)[1] if q.unit and q.unit not in _COUNT_UNITS else 1.0
    parts: list[Part] = []
    top = 0.0
    for name in dims:
        part, part_top = _candidates(q, index, name, factor, min_labels)
        top = max(top, part_top)
        if part is not None:
            parts.append(part)
    if not parts:
        why = "many facts fit the words around it and none of them has this value" if top else \
            f"no fact with a unit compatible with {q.unit or 'a bare number'} is named by the words around it"
        return _or_span(q, index, dims, factor, Decision("unverified", None, why))
    scores = np.concatenate([p[0] for p in parts])
    gidx = np.concatenate([p[1] for p in parts])
    values = np.concatenate([p[2] for p in parts]) / factor
    named = np.concatenate([p[3] for p in parts])
    agree = _agrees(q, values)
    top = max(top, float(scores.max()))
    best = scores >= top - 1e-9
    if not best.any():
        return _or_span(q, index, dims, factor, Decision(
            "unverified", None, "many facts fit the words around it and none of the best fits has this value"))
    distance = np.abs(values - q.value)
    hit = best & agree
    n_best = int(best.sum())
    nearest = int(best.nonzero()[0][distance[best].argmin()])
    if hit.any():
        k = int(hit.nonzero()[0][distance[hit].argmin()])
        doubt = _by_chance(q, values[best], int(hit.sum()))
        if doubt:
            return Decision("unverified", int(gidx[k]), f"{n_best} facts fit the words equally; {doubt}",
                            "chance guard")
        return Decision("supported", int(gidx[k]),
                        "a fact named by the same words has this value within the written precision",
                        _rule(index, int(gidx[k])))
    if n_best == 1 and named[nearest]:
        return Decision("contradicted", int(gidx[nearest]),
                        f"the fact it names is {_fmt_in(float(values[nearest]), q)}", _rule(index, int(gidx[nearest])))
    weaker = named & agree
    if n_best > 1 and weaker.any():  # the words fit several facts equally: one that names it decides
        cand = weaker.nonzero()[0]
        k = int(cand[np.lexsort((distance[cand], -scores[cand]))[0]])
        return Decision("supported", int(gidx[k]), f"a fact that names it specifically has this value within the "
                        f"written precision ({n_best} facts fit the words better, none with this value)",
                        _rule(index, int(gidx[k])))
    precise = _precise(q, index, dims if q.unit else sorted(index.dims), factor)
    if precise is not None:
        return precise
    why = "several facts fit the words equally" if n_best > 1 else "the words name no specific fact"
    shown = _fmt_in(float(values[nearest]), q)
    return _or_span(q, index, dims, factor,
                    Decision("unverified", int(gidx[nearest]), f"{why} and none has this value; nearest {shown}"))


def _precise(q: Query, index: FactIndex, dims: list[str], factor: float) -> Decision | None:
    """``supported`` when a fact carrying one of the clause's label words (any, common ones included) has the
    value to its written precision, is of the statistic the clause names, and a number written like this one
    would hit one of those facts by chance less than ``VALUE_CHANCE`` times (see ``_chance_of``)."""
    import numpy as np

    if q.bound not in ("", "approx") or q.value == 0:
        return None
    lo, hi = _interval(q, factor, widen=False)
    v = abs(q.value * factor)
    stats = _stat_kinds(q)
    best: tuple[float, int] | None = None
    pool: list[Any] = []
    for name in dims:
        d = index.dims[name]
        phrases = q.phrases(name, d)
        found: list[Any] = []
        for p in phrases:
            ids, vals = _by_value(d, p, raw=not q.unit)
            a, b = vals.searchsorted(lo, "left"), vals.searchsorted(hi, "right")
            if b > a:
                found.append(ids[a:b])
        if not found:
            continue
        for p in phrases:  # the facts these words name near the value: how often would it hit one by chance?
            ids, vals = _by_value(d, p, raw=not q.unit)
            a, b, c, e = vals.searchsorted((-2 * v, -v / 2, v / 2, 2 * v))
            pool += [vals[a:b] / factor, vals[c:e] / factor]
        ids = np.unique(np.concatenate(found))
        if q.models and ids.size:
            ids = ids[_allowed(d, q.models, name not in _FILE_DIMS)[ids]]
        elif q.families and ids.size and name not in _FILE_DIMS:
            ids = ids[_of_family(d, q.families)[ids]]
        for i in ids.tolist():
            at = int(d.facts_array[i])
            if stats and not stats & _fact_stats(index, at):
                continue
            weight = sum(d.weights[p] for p in phrases if _has(d, p, i))
            if best is None or weight > best[0]:
                best = (weight, at)
    if best is None:
        return None
    chance = _chance_of(q, np.unique(np.concatenate(pool)) if pool else np.zeros(0))
    if chance >= VALUE_CHANCE:
        return None
    return Decision("supported", best[1], f"a fact named by some of the same words has this exact value; at this "
                    f"precision a chance match among the facts those words name is unlikely (expected {chance:.2g})",
                    _rule(index, best[1]))


def _by_value(d: Dim, phrase: tuple[str, ...], raw: bool = False) -> tuple[Any, Any]:
    """(ids, values) of the facts carrying ``phrase``, sorted by value (base unit, or ``raw``: each fact's own
    unit), cached per phrase."""
    import numpy as np

    key: Any = (phrase, "raw") if raw else phrase
    order = d.by_value.get(key)
    if order is None:
        ids = d.postings[phrase]
        values = d.raw[ids] if raw else d.values[ids]
        sort = np.argsort(values, kind="stable")
        order = d.by_value[key] = (ids[sort], values[sort])
    return order


def _has(d: Dim, phrase: tuple[str, ...], i: int) -> bool:
    import numpy as np

    posting = d.postings[phrase]
    at = int(posting.searchsorted(i))
    return at < posting.size and int(posting[at]) == i


_STAT_KIND: dict[tuple[str, ...], str] = {
    cl.phrase(w): stat for stat, words in STAT_LABELS.items() if stat != "count" for w in words}
_STAT_KIND.update({cl.phrase(w): f"p{n}" for n in (90, 95, 99) for w in (f"p{n}", f"{n}th percentile", f"{n}th")})
_STAT_KIND.pop((), None)


def _stat_kinds(q: Query) -> frozenset[str]:
    """The statistics a claim names ("average" -> mean, "p95"/"95th percentile" -> p95; counts aside)."""
    words = q.seq + ["|"] + q.near_seq
    found = {_STAT_KIND[(t,)] for t in q.bag | q.near_bag if (t,) in _STAT_KIND}
    found |= {_STAT_KIND[p] for k in range(len(words) - 1) for p in [tuple(words[k:k + 2])] if p in _STAT_KIND}
    return frozenset(found)


def _fact_stats(index: FactIndex, at: int) -> frozenset[str]:
    return frozenset(_STAT_KIND[p] for p in map(cl.phrase, index.labels[at]) if p in _STAT_KIND)


def _rule(index: FactIndex, at: int) -> str:
    return "derived" if index.sources[at].startswith("derived:") else "exact fact"


# ---- spans --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Span:
    """Every value the corpus gives one quantity: its range (base unit) and how many facts it rests on."""

    lo: float
    hi: float
    n: int
    lo_fact: int
    hi_fact: int
    what: str


def span_of(q: Query, index: FactIndex, name: str) -> Span | None:
    """The span of the quantity a claim names in dimension ``name``: its facts are the levels (no spread or
    count statistics) of that dimension that carry one of the clause's metric words (any fact, where the
    unit names the metric: tok/s), about the model the clause names (when it names one); ``None`` when
    fewer than ``SPAN_MIN_FACTS`` facts qualify or the clause names a spread (std, deviation)."""
    import numpy as np

    d = index.dims.get(name)
    if d is None or not d.facts:
        return None
    phrases = q.phrases(name, d)
    stats = [p for p in phrases if p in index.stat_phrases]
    if any(p in _SPREAD_PHRASES for p in stats):
        return None
    metric = tuple(sorted(p for p in phrases if p not in index.stat_phrases and p not in index.model_phrases))
    if name not in _SELF_NAMED and not metric:
        return None
    key = (name, metric if name not in _SELF_NAMED else (), q.models, q.families if not q.models else frozenset())
    if key in index.spans:
        span: Span | None = index.spans[key]
        return span
    if name in _SELF_NAMED:
        ids = np.arange(len(d.facts))
    else:
        ids = np.unique(np.concatenate([d.postings[p] for p in metric]))
    keep = d.level[ids]
    if q.models:
        keep &= _allowed(d, q.models, True)[ids]
    elif q.families:
        keep &= _of_family(d, q.families)[ids]
    ids = ids[keep]
    span = None
    if ids.size >= SPAN_MIN_FACTS:
        vals = d.values[ids]
        lo_at, hi_at = int(np.argmin(vals)), int(np.argmax(vals))
        words = ", ".join(" ".join(p) for p in metric[:4]) + (", ..." if len(metric) > 4 else "")
        what = f"{name} figure" + (f" named by {words!r}" if words and name not in _SELF_NAMED else "")
        if q.models or q.families:
            what += " for " + sorted(q.models or q.families, key=len, reverse=True)[0]
        span = Span(float(vals[lo_at]), float(vals[hi_at]), int(ids.size), int(d.facts_array[ids[lo_at]]),
                    int(d.facts_array[ids[hi_at]]), what)
    if len(index.spans) >= CANDIDATE_CACHE:
        index.spans.clear()
    index.spans[key] = span
    return span


_SPREAD_NAMES = frozenset(cl.phrase(w) for w in STAT_LABELS["count"] + STAT_LABELS["std"] +
                          ("stdev", "variance", "cv", "number of", "how many")) - {()}
_SPREAD_PHRASES = frozenset({("std",), ("stdev",), ("std", "dev"), ("standard", "deviation"), ("deviation",),
                             ("variability",), ("spread",)})


def _or_span(q: Query, index: FactIndex, dims: list[str], factor: float, fallback: Decision) -> Decision:
    """``contradicted`` by the span of the quantity the clause names when the value lies outside it (by more
    than ``SPAN_MARGIN``), else ``fallback``. Only a claim with a unit has a span: a bare number's
    dimension is a guess."""
    if not q.unit or q.unit in _COUNT_UNITS or len(dims) != 1:
        return fallback
    span = span_of(q, index, dims[0])
    if span is None:
        return fallback
    lo, hi = span.lo / factor, span.hi / factor
    low, high = lo - SPAN_MARGIN * abs(lo), hi + SPAN_MARGIN * abs(hi)
    a, b = _interval(q)
    if b < low or a > high:
        at = span.lo_fact if b < low else span.hi_fact
        return Decision("contradicted", at, (
            f"every {span.what} in the corpus lies between {_fmt_in(lo, q)} and {_fmt_in(hi, q)} ({span.n} "
            f"facts); {q.value:g} is outside it by more than the {SPAN_MARGIN:.0%} margin"), "span")
    return fallback


def _fmt(value: float) -> str:
    return f"{value:.6g}" if abs(value) < 1e6 else f"{value:,.0f}"


def _fmt_in(value: float, q: Query) -> str:
    decimals = max(0, -int(round(math.log10(q.tolerance * 2)))) if q.tolerance > 0 else 2
    shown = f"{value:.{decimals}f}"
    if math.isclose(float(shown), q.value):
        shown = f"{value:.{decimals + 1}f}"
    unit = q.unit or ""
    return f"{shown}{unit}" if unit == "%" else f"{shown} {unit}".rstrip()
