"""A claim as a query over the fact index, and what matching and ranges share: its words, the interval its
written value allows, model and family filters, value-sorted postings, the statistics it names, the
thresholds and formatting. ``matching`` decides with the best-fitting facts, ``ranges`` with spans."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any, TypeVar

from pytest_chimera.checks import claims as cl
from pytest_chimera.checks.index import Dim, FactIndex
from pytest_chimera.checks.lists import list_extremes
from pytest_chimera.checks.numbers import COUNT_UNITS as COUNT_UNITS
from pytest_chimera.checks.numbers import dimension
from pytest_chimera.evidence.labels import STAT_LABELS

if TYPE_CHECKING:
    import numpy as np

SPECIFIC_DF = 5

NEAR_WEIGHT = 3.0

COMMON_DF = 1000

COMMON_SHARE = 0.02

CANDIDATE_CACHE = 4096
T = TypeVar("T")

MIN_NAMING_LABELS = 2

APPROX_REL = 0.05

VALUE_CHANCE = 0.05  # a precise value supports a claim when it would hit a candidate by chance this rarely
PRECISE_DIGITS = 3  # a value written with fewer significant digits is never "precise" ("81", "25%")

SPAN_MARGIN = 0.25  # a span [lo, hi] contradicts values below lo - 25% |lo| or above hi + 25% |hi|

SPAN_MIN_FACTS = 3  # fewer facts than this say too little about a quantity's range


SELF_NAMED = frozenset({"tok/s", "samples/s", "req/s", "it/s"})  # the unit alone names the metric

BARE_DIMS = frozenset({""}) | COUNT_UNITS  # the dimensions a number written without a unit can be of

GENERIC = frozenset({"value", "metric", "result", "data", "figure", "number", "measurement"})  # name no quantity

FILE_DIMS = frozenset({"files"})  # counts of corpus files: about the corpus, whatever model a clause names


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
    text: str = ""  # the clause as written (a comparison "2x faster than ..." is read from it)
    qualifier: frozenset[str] = frozenset()  # words between a count and its noun ("28 CSV files": csv)
    subset: frozenset[str] = frozenset()  # a count's "Lead:" words ("Compilation Benchmarks: 20 files": ``uncounted``)
    sentence: str = ""  # the whole sentence as written (the statistics a copied value may be of: ``unmistakable``)
    share_of: str = ""  # a file type written right beside a share ("CSV (28%)": csv; see ``matching._type_share``)
    after: str = ""  # the line right after the number (a comparison: "faster than", "times as fast"; ``comparisons``)
    inferred: bool = False  # the unit was read from the clause, not written with the number ("181.4567 files") nor
    # named by its line's lead or its cell's labels ("Total tokens generated: 187.17")
    _found: dict[tuple[str, Any], Any] = field(default_factory=dict, repr=False, compare=False)

    def phrases(self, name: str, d: Dim) -> list[tuple[str, ...]]:
        """The label phrases of dimension ``name`` the clause's words name (``matched``, once per dimension)."""
        hit = self._found.get((name, False))
        if hit is None:
            hit = self._found[name, False] = matched(d, *self.all_words())
        found: list[tuple[str, ...]] = hit
        return found

    def words_of(self, name: str, d: Dim) -> list[tuple[str, ...]]:
        """Every label phrase of dimension ``name`` in the clause, none subsumed by a longer one."""
        hit = self._found.get((name, "all"))
        if hit is None:
            hit = self._found[name, "all"] = matched(d, *self.all_words(), subsume=False)
        found: list[tuple[str, ...]] = hit
        return found

    def all_words(self) -> tuple[set[str], list[str], tuple[tuple[str, ...], frozenset[str]]]:
        """(bag, sequence, their ``matched`` key) of the clause's and the nearest words, built once per claim."""
        hit = self._found.get(("", "words"))
        if hit is None:
            bag, seq = self.bag | self.near_bag, self.seq + ["|"] + self.near_seq
            hit = self._found["", "words"] = (bag, seq, (tuple(seq), frozenset(bag)))
        words: tuple[set[str], list[str], tuple[tuple[str, ...], frozenset[str]]] = hit
        return words

    def near_phrases(self, name: str, d: Dim) -> set[tuple[str, ...]]:
        """The label phrases of dimension ``name`` the words nearest the number name."""
        hit = self._found.get((name, True))
        if hit is None:
            hit = self._found[name, True] = set(matched(d, self.near_bag, self.near_seq)) if self.near_seq else set()
        found: set[tuple[str, ...]] = hit
        return found


@dataclass(frozen=True)
class Decision:
    """A verdict, the fact it rests on (global index) and why; ``rule`` names the rule that decided."""

    verdict: str
    fact: int | None
    explanation: str
    rule: str = ""

    def __init__(self, verdict: str, fact: int | None, explanation: str, rule: str = "") -> None:
        # the fields set in one step, not one ``object.__setattr__`` each (a check makes one or two per claim)
        self.__dict__.update(verdict=verdict, fact=fact, explanation=explanation, rule=rule)


def context(text: str) -> tuple[list[str], set[str]]:
    """(word sequence, bag of words and word pieces) of a piece of text, normalised like fact labels."""
    seq, bag = _context(text)
    return list(seq), set(bag)


@lru_cache(maxsize=8192)
def _pieces(token: str) -> tuple[str, ...]:
    """The word pieces of a joined token ("gemma3-270m" -> "gemma3", "270m"), stemmed."""
    return tuple(cl.stem(p) for p in cl.PIECE_RE.split(token) if p and not cl.NUMERIC_RE.match(p))


_TYPE_PREFIXES = ("json-", "csv-", "md-")


@lru_cache(maxsize=4096)
def _context(text: str) -> tuple[tuple[str, ...], frozenset[str]]:
    """``context`` of a text, cached: the words nearest a number recur across a report's lines of one shape."""
    seq = tuple(cl.tokens(text))
    bag = set(seq)
    for t in seq:
        if "-" in t or "." in t or "/" in t:
            bag.update(_pieces(t))
            if t.startswith(_TYPE_PREFIXES):  # "json_total_tokens": the JSON data's "total_tokens"
                bag.add(t[t.index("-") + 1:])
    bag -= GENERIC  # words that name no quantity match no fact on their own
    return seq, frozenset(bag)


def remember(cache: dict[Any, Any], key: Any, value: T) -> T:
    """``cache[key] = value`` in one of the checker's caches, which are emptied when they hold
    ``CANDIDATE_CACHE`` entries; returns ``value``."""
    if len(cache) >= CANDIDATE_CACHE:
        cache.clear()
    cache[key] = value
    return value


def matched(d: Dim, bag: set[str], seq: list[str], words: tuple[tuple[str, ...], frozenset[str]] | None = None,
            subsume: bool = True) -> list[tuple[str, ...]]:
    """``_matched``, cached per dimension: a report repeats its phrasing, and numbers are not words. ``words``:
    ``(tuple(seq), frozenset(bag))``, when the caller has them."""
    key = (*(words or (tuple(seq), frozenset(bag))), subsume)
    hit = d.matched.get(key)
    if hit is None:
        hit = remember(d.matched, key, _matched(d, bag, seq, subsume))
    return list(hit)


def _matched(d: Dim, bag: set[str], seq: list[str], subsume: bool = True) -> list[tuple[str, ...]]:
    """The label phrases of ``d`` the words name: multi-word phrases found in ``seq``, longest first and not
    overlapping ("JSON and Markdown" is one term: its "Markdown" names no Markdown-only fact), then the
    single words of ``bag`` that no chosen phrase covers everywhere they occur (every single word of ``bag``
    and every phrase when ``subsume`` is false: the words of a quantity, for its span)."""
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
        if not subsume:
            found.append(p)
        elif not covered.intersection(span):
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


def dims_for(unit: str, index: FactIndex) -> list[str]:
    """The dimensions a claim's facts may have: its unit's; a bare number's, plain numbers and counts (its
    precise value may still agree with a fact of any unit: see ``precise``)."""
    if unit in COUNT_UNITS:
        return [unit] if unit in index.dims else [u for u in ("",) if u in index.dims]
    if unit:
        name = dimension(unit)[0]
        return [name] if name in index.dims else []
    return [u for u in sorted(BARE_DIMS) if u in index.dims]


def interval(q: Query, factor: float = 1.0, widen: bool = True) -> tuple[float, float]:
    """The values (times ``factor``) that agree with the claim: its written precision, where a writer may also
    have cut digits ("46.39" for 46.397), widened by "approximately" (``APPROX_REL``), open-ended for bounds."""
    v = q.value * factor
    tol = (approx_tol(q) if widen else q.tolerance) * factor + 1e-9 * max(1.0, abs(v))
    lo, hi = v - tol, v + tol
    if q.tolerance < 0.5:  # written with decimals: truncation as well as rounding
        hi = v + (2 * tol if v >= 0 else tol)
        lo = v - (tol if v >= 0 else 2 * tol)
    if widen and q.bound == "gt":
        hi = math.inf
    elif widen and q.bound == "lt":
        lo = -math.inf
    return lo, hi


def approx_tol(q: Query) -> float:
    """The claim's tolerance, widened to ``APPROX_REL`` of its value by "approximately" when it is written
    round (two significant digits or fewer: "about 25%", not "around 15.584 ms", which is a copied value)."""
    if q.bound != "approx" or q.tolerance <= 0 or q.value == 0:
        return q.tolerance
    return max(q.tolerance, abs(q.value) * APPROX_REL) if significant_digits(q) <= 2 else q.tolerance


def significant_digits(q: Query) -> int:
    """The significant digits the claim is written with ("15.58" 4, "25%" 2, "100 files" 1: a round number's
    trailing zeros are not precision)."""
    if q.tolerance <= 0 or q.value == 0:
        return 0
    digits = math.floor(math.log10(abs(q.value) / (2 * q.tolerance)) + 1e-9) + 1
    if q.tolerance >= 0.5:  # an integer: "100" has one significant digit, "101" three
        whole = int(round(abs(q.value) / (2 * q.tolerance)))
        while whole and whole % 10 == 0:
            whole //= 10
            digits -= 1
    return max(digits, 1)


def agrees(q: Query, values: np.ndarray, widen: bool = True) -> np.ndarray:
    """Which values (in the claim's unit) agree with the claim (see ``interval``)."""
    import numpy as np

    lo, hi = interval(q, widen=widen)
    return np.asarray((values >= lo) & (values <= hi))


def by_chance(q: Query, best_values: np.ndarray, agreeing: int, ordered: bool = False) -> str:
    """Why an agreement among several equally fitting facts proves nothing, or "".

    A bound ("over 60ms") must hold for every best fit. A value must be rarer than chance: with N distinct
    values among the best fits, spread over a range R, a number written to +/-t hits one by chance when
    N * 2t / R >= 1 (facts that repeat one value are one target: five 8B models are one 8e9). ``ordered``:
    ``best_values`` is sorted already.
    """
    n = best_values.size
    if n <= 1:
        return ""
    if q.bound in ("gt", "lt"):
        return "" if agreeing == n else f"only {agreeing} of them satisfy the bound"
    import numpy as np

    tol = approx_tol(q)
    spread = float(best_values.max() - best_values.min())
    if spread > 0 and n * 2 * tol / spread >= 1:  # distinct values only where their count could matter
        values = best_values if ordered else np.sort(best_values)
        n = 1 + int(np.count_nonzero(values[1:] != values[:-1]))
    if spread > 0 and n * 2 * tol / spread >= 1:
        return f"one agrees, but at this precision one of {n} values spread over {fmt(spread)} would by chance"
    return ""


def chance_of(q: Query, values: np.ndarray) -> float:
    """How many of ``values`` a number written like the claim would hit by chance: the values within a factor
    of 2 of it (of its sign: -31 ms is no neighbour of 15.5 ms), times the width of its written interval,
    over their range."""
    import numpy as np

    v = abs(q.value)
    if v == 0:
        return math.inf
    near = values[(np.abs(values) >= v / 2) & (np.abs(values) <= v * 2) & (np.sign(values) == np.sign(q.value))]
    lo, hi = interval(q, widen=False)
    spread = float(near.max() - near.min()) if near.size > 1 else v
    return float(near.size * (hi - lo) / max(spread, v / 2))


def unmistakable(q: Query, n_facts: int) -> bool:
    """Whether a bare number is written with so many digits that agreeing with a fact cannot be chance, whatever
    its dimension: even were all ``n_facts`` facts of the corpus its neighbours (within a factor of 2, over the
    least range ``chance_of`` allows them, half its value), a number written like it would hit one by chance
    less than ``VALUE_CHANCE`` times: ``n_facts * (hi - lo) / (|v| / 2) < VALUE_CHANCE``, with ``[lo, hi]`` its
    written interval. Against 12,000 facts that takes about 8 significant digits ("15.502165000179955"). Only a
    number written with decimals: whole numbers (counts, sizes) crowd on small values, which this uniform chance
    does not describe ("JSON: 181" where the total is 181 and the JSON count 178). A count noun of its clause
    outside the number's own phrase is no unit of such a number ("in some runs (average p99 latency of
    15.58403500039276)": not 15.58 runs; "average token count 187.17529" is a count of tokens)."""
    v = abs(q.value)
    counted = q.unit not in COUNT_UNITS or not q.inferred or v.is_integer() or q.unit[:-1] in q.near_bag \
        or q.unit in q.near_bag
    if (q.unit and counted) or v == 0 or q.bound not in ("", "approx") or not math.isfinite(v) or q.tolerance >= 0.5:
        return False
    lo, hi = interval(q, widen=False)
    return n_facts * (hi - lo) / (v / 2) < VALUE_CHANCE


def in_posting(posting: np.ndarray, local: np.ndarray) -> np.ndarray:
    """1 where ``local`` (sorted ids) is in ``posting`` (sorted ids), else 0."""
    import numpy as np

    if local.size == 0:
        return np.zeros(0, dtype=np.int64)
    at = posting.searchsorted(local)
    at[at >= posting.size] = posting.size - 1
    member: np.ndarray = (posting[at] == local).astype(np.int64)
    return member


def allowed(d: Dim, models: frozenset[str], strict: bool) -> np.ndarray:
    """Which facts of ``d`` a clause naming ``models`` may be about: none about another model, and with
    ``strict`` none about no model at all (a clause that names a model claims something about it)."""
    import numpy as np

    allowed = d.model_ok.get((models, strict))
    if allowed is None:
        ok_ids = np.array([bool(forms & models) if forms else not strict for forms in d.models] + [not strict])
        allowed = d.model_ok[models, strict] = ok_ids[d.model_id]  # model_id -1 picks the final entry
    mask: np.ndarray = allowed
    return mask


def of_family(d: Dim, families: frozenset[str]) -> np.ndarray:
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


def by_value(d: Dim, phrase: tuple[str, ...], raw: bool = False) -> tuple[Any, Any]:
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


def has_phrase(d: Dim, phrase: tuple[str, ...], i: int) -> bool:

    posting = d.postings[phrase]
    at = int(posting.searchsorted(i))
    return at < posting.size and int(posting[at]) == i

STAT_KIND: dict[tuple[str, ...], str] = {
    cl.phrase(w): stat for stat, words in STAT_LABELS.items() if stat != "count" for w in words}
STAT_KIND.update({cl.phrase(w): f"p{n}" for n in (90, 95, 99) for w in (f"p{n}", f"{n}th percentile", f"{n}th")})
STAT_KIND.pop((), None)


_Vocabulary = tuple[dict[str, str], list[tuple[tuple[str, ...], str, frozenset[str]]]]


def _vocabulary(kinds: dict[tuple[str, ...], str]) -> _Vocabulary:
    """A phrase -> kind table as ``_kinds_named`` reads it: one-word phrases by their word, the longer ones with
    the set of their words."""
    return ({p[0]: k for p, k in kinds.items() if len(p) == 1},
            [(p, k, frozenset(p)) for p, k in kinds.items() if len(p) > 1])


def _has_run(seq: list[str], phrase: tuple[str, ...]) -> bool:
    """Whether ``phrase`` stands in ``seq`` word after word."""
    n = len(phrase)
    return any(seq[k:k + n] == list(phrase) for k, w in enumerate(seq) if w == phrase[0])


def _kinds_named(vocabulary: _Vocabulary, bag: set[str], seq: list[str]) -> frozenset[str]:
    """The kinds a clause's words name: a one-word phrase anywhere among them, a longer one only word after word
    ("first token", not "token ... first")."""
    single, multi = vocabulary
    found = {single[t] for t in single.keys() & bag}
    for p, kind, words in multi:
        if kind not in found and words <= bag and _has_run(seq, p):
            found.add(kind)
    return frozenset(found)


_STATS = _vocabulary(STAT_KIND)
_KINDS: dict[Any, frozenset[str]] = {}  # (vocabulary, a clause's words) -> the kinds they name: a report repeats its
# phrasing (a function of the words alone, shared by every check)


def _kinds_said(q: Query, name: str, vocabulary: _Vocabulary) -> frozenset[str]:
    """``_kinds_named`` of the clause's and the nearest words (``Query.all_words``), once per phrasing."""
    bag, seq, words = q.all_words()
    key = (name, words)
    hit = _KINDS.get(key)
    if hit is None:
        hit = remember(_KINDS, key, _kinds_named(vocabulary, bag, seq))
    return hit


def stat_kinds(q: Query, sentence: bool = False) -> frozenset[str]:
    """The statistics a claim names ("average" -> mean, "p95"/"95th percentile" -> p95; counts aside); with
    ``sentence``, those its whole sentence names."""
    hit = q._found.get(("stats", sentence))
    if hit is None:
        if sentence:
            words, bag = context(q.sentence)
            hit = q._found["stats", sentence] = _kinds_named(_STATS, bag, words)
        else:
            hit = q._found["stats", sentence] = _kinds_said(q, "stats", _STATS)
    stats: frozenset[str] = hit
    return stats


def fact_stats(index: FactIndex, at: int) -> frozenset[str]:
    """The statistics a fact's labels name; a value of a list (a column's rows, a JSON array's field) that is
    the list's lowest or highest is its min or max too (``lists.list_extremes``)."""
    stats = frozenset(STAT_KIND[p] for p in map(cl.phrase, index.labels[at]) if p in STAT_KIND)
    return stats | list_extremes(index, at) if "[" in index.keys[at] else stats


# what a figure measures, where reports confuse them: a TTFT is no throughput, a compile time no TTFT
METRIC_KIND: dict[tuple[str, ...], str] = {cl.phrase(w): kind for kind, words in (
    ("ttft", ("ttft", "time to first token", "first token")),
    ("throughput", ("throughput", "tokens per second", "tokens/s", "tok/s", "tokens/second", "tokens/sec",
                    "tokens per sec", "tps")),
    ("compile", ("compile", "compile time", "compilation time", "build time"))) for w in words}
_MEASURES = _vocabulary(METRIC_KIND)


def fact_kinds(labels: tuple[str, ...]) -> frozenset[str]:
    """The measures (``METRIC_KIND``) a fact's labels name (a key's labels: "tokens_s" has "throughput")."""
    return frozenset(METRIC_KIND[p] for p in map(cl.phrase, labels) if p in METRIC_KIND)


def metric_kinds(q: Query) -> frozenset[str]:
    """The measures a claim's words name (``METRIC_KIND``): "mean_ttft_s" -> ttft, "Compilation Time" ->
    compile."""
    hit = q._found.get(("", "measures"))
    if hit is None:
        hit = q._found["", "measures"] = _kinds_said(q, "measures", _MEASURES)
    measures: frozenset[str] = hit
    return measures


def measures_other(d: Dim, measures: frozenset[str]) -> np.ndarray:
    """Which facts of ``d`` measure something (``METRIC_KIND``) and none of ``measures``, computed on first use."""
    import numpy as np

    key = ("measures", measures)
    mask = d.model_ok.get(key)
    if mask is None:
        some, named = np.zeros(len(d.facts), dtype=bool), np.zeros(len(d.facts), dtype=bool)
        for p, kind in METRIC_KIND.items():
            if p in d.postings:
                some[d.postings[p]] = True
                if kind in measures:
                    named[d.postings[p]] = True
        mask = d.model_ok[key] = some & ~named
    result: np.ndarray = mask
    return result


def rule_of(index: FactIndex, at: int) -> str:
    return "derived" if index.sources[at].startswith("derived:") else "exact fact"

SPREAD_NAMES = frozenset(cl.phrase(w) for w in STAT_LABELS["count"] + STAT_LABELS["std"] +
                          ("stdev", "variance", "cv", "number of", "how many")) - {()}

SPREAD_PHRASES = frozenset({("std",), ("stdev",), ("std", "dev"), ("standard", "deviation"), ("deviation",),
                             ("variability",), ("spread",)})


def fmt(value: float) -> str:
    return f"{value:.6g}" if abs(value) < 1e6 else f"{value:,.0f}"


def fmt_in(value: float, q: Query) -> str:
    if q.tolerance == 0 and abs(value) >= 1e6:  # an exact large number (a model size): its own digits
        return f"{fmt(value)} {q.unit}".rstrip()
    decimals = max(0, -int(round(math.log10(q.tolerance * 2)))) if q.tolerance > 0 else 2
    shown = f"{value:.{decimals}f}"
    if math.isclose(float(shown), q.value):
        shown = f"{value:.{decimals + 1}f}"
    if value and not float(shown):  # 0.43 MB beside "15MB": not "0 MB"
        shown = f"{value:.2g}"
    unit = q.unit or ""
    return f"{shown}{unit}" if unit == "%" else f"{shown} {unit}".rstrip()
