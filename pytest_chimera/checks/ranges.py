"""What the corpus says about a quantity as a whole: the span of every value it gives the quantity a claim
names (``span_of``, deciding ``contradicted`` outside it by more than ``SPAN_MARGIN``, or, for a measure,
more than ``SPAN_MARGIN`` from each of its values (``_apart``: the span is a union of margins, not a hull),
and for a claimed maximum or minimum that is none of its values: an extreme is an observed value), and
precise values that no chance explains (``precise``)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from pytest_chimera.checks import claims as cl
from pytest_chimera.checks.index import FactIndex, sorted_unique
from pytest_chimera.checks.numbers import is_unit_word
from pytest_chimera.checks.query import (
    COUNT_UNITS,
    FILE_DIMS,
    PRECISE_DIGITS,
    SELF_NAMED,
    SPAN_MARGIN,
    SPAN_MIN_FACTS,
    SPREAD_PHRASES,
    VALUE_CHANCE,
    Decision,
    Query,
    allowed,
    by_value,
    chance_of,
    fact_stats,
    fmt,
    fmt_in,
    has_phrase,
    in_posting,
    interval,
    measures_other,
    metric_kinds,
    of_family,
    remember,
    rule_of,
    significant_digits,
    stat_kinds,
)
from pytest_chimera.evidence.labels import family_of

if TYPE_CHECKING:
    pass


def precise_value(q: Query, index: FactIndex, dims: list[str], factor: float, copied: bool = False
                  ) -> Decision | None:
    """``supported`` when the claim is written with at least ``PRECISE_DIGITS`` significant digits, a fact
    carrying one of the clause's label words (any, common ones included) has the value to its written
    precision, is of the statistic the clause names, and a number written like this one would hit by chance
    less than ``VALUE_CHANCE`` times one of the facts named as well as that one (carrying every clause word it
    carries; see ``chance_of``). ``copied``: a value no chance explains (``unmistakable``) may be of any
    statistic its sentence names ("The 50th, 95th and 99th percentiles are around A, B and C" leaves to the
    values which number is which statistic)."""
    import numpy as np

    if q.bound not in ("", "approx") or q.value == 0 or significant_digits(q) < PRECISE_DIGITS:
        return None
    lo, hi = interval(q, factor, widen=False)
    stats = stat_kinds(q) | stat_kinds(q, sentence=True) if copied else stat_kinds(q)
    measures = metric_kinds(q)
    best: tuple[float, int, Any, list[tuple[str, ...]]] | None = None  # (weight, fact, its Dim, its words)
    for name in dims:
        d = index.dims[name]
        phrases = q.phrases(name, d)
        found: list[Any] = []
        for p in phrases:
            ids, vals = by_value(d, p, raw=not q.unit)
            a, b = vals.searchsorted(lo, "left"), vals.searchsorted(hi, "right")
            if b > a:
                found.append(ids[a:b])
        if not found:
            continue
        ids = sorted_unique(np.concatenate(found))
        if q.models and ids.size:
            ids = ids[allowed(d, q.models, name not in FILE_DIMS)[ids]]
        elif q.families and ids.size and name not in FILE_DIMS:
            ids = ids[of_family(d, q.families)[ids]]
        other = measures_other(d, measures) if measures else None
        for i in ids.tolist():
            at = int(d.facts_array[i])
            if stats and not stats & fact_stats(index, at):
                continue
            if other is not None and other[i]:
                continue  # "Compilation Time: 0.0941341 s" is a TTFT's value: copied, but not of what it names
            carried = [p for p in phrases if has_phrase(d, p, i)]
            weight = sum(d.weights[p] for p in carried)
            if best is None or weight > best[0]:
                best = (weight, at, d, carried)
    if best is None:
        return None
    _, at, d, carried = best
    q = _as_precise_as(q, index.raw_values[at])
    if significant_digits(q) < PRECISE_DIGITS:  # "0.021999999999999995" is 0.022's float noise: two digits
        return None
    chance = chance_of(q, _named_as_well(q, d, carried, factor))
    if chance >= VALUE_CHANCE:
        return None
    return Decision("supported", at, f"a fact named by some of the same words has this exact value; at this "
                    f"precision a chance match among the facts those words name is unlikely (expected {chance:.2g})",
                    rule_of(index, at))


def _as_precise_as(q: Query, raw: float) -> Query:
    """``q`` with its tolerance widened to the precision of the fact it agrees with, where that is coarser: a
    value agrees with a fact only as far as both are written (a fact that reads "0.022" says nothing of the
    16 digits after it in "0.021999999999999995")."""
    shown = repr(float(raw))
    if not math.isfinite(raw) or raw == int(raw) or "e" in shown:  # a whole number is exact: a count, 44.0 tokens
        return q
    decimals = len(shown.partition(".")[2].rstrip("0"))
    rel = 0.5 * 10.0 ** -decimals / abs(raw)
    if rel * abs(q.value) <= q.tolerance:
        return q
    return replace(q, tolerance=rel * abs(q.value), _found=q._found)


def _named_as_well(q: Query, d: Any, carried: list[tuple[str, ...]], factor: float) -> Any:
    """The values (the claim's unit) of the facts of ``d`` within a factor of 2 of the claim's value that carry
    every phrase in ``carried``: those the words name as well as the fact that has the value ("p50 latency"
    names the p50s of latency, not every latency and every p50). A number written like the claim would hit one
    of these by chance."""
    import numpy as np

    v = abs(q.value * factor)
    ids, vals = by_value(d, min(carried, key=lambda p: d.df[p]), raw=not q.unit)
    a, b, c, e = vals.searchsorted((-2 * v, -v / 2, v / 2, 2 * v))
    near, values = np.concatenate([ids[a:b], ids[c:e]]), np.concatenate([vals[a:b], vals[c:e]])
    order = np.argsort(near)  # ``in_posting`` reads sorted ids
    near, values = near[order], values[order]
    kept = np.ones(near.size, dtype=bool)
    for p in carried:
        kept &= in_posting(d.postings[p], near).astype(bool)
    return np.unique(values[kept] / factor)


@dataclass(frozen=True)
class Span:
    """Every value the corpus gives one quantity: its range (base unit) and how many facts it rests on."""

    lo: float
    hi: float
    n: int
    lo_fact: int
    hi_fact: int
    what: str
    observed: Any = None  # [dim, scope, what, sorted, verdicts]: ``_in_scope``'s arguments for every fact the
    # metric words name, before narrowing; ``sorted`` (None until an extreme is checked): those facts' global ids
    # and values sorted by value, stored in one assignment; ``verdicts``: claim -> decision (threads share spans)


def span_of(q: Query, index: FactIndex, name: str) -> Span | None:
    """The span of the quantity a claim names in dimension ``name``: its facts are the levels (no spread or
    count statistics) of that dimension that carry one of the clause's metric words (any fact, where the
    unit names the metric: tok/s unless the clause names a field as the corpus writes it, "`mean_tokens_s`",
    or a count noun without metric words: "files"), about the model the clause
    names (when it names one); of those, the ones the metric words fit best (the highest sum of their
    weights: "conv bench latency" names the conv_bench timings, not every latency), when at least
    ``SPAN_MIN_FACTS`` do. A clause that names a spread (std, deviation) has the span of the spread facts
    instead. ``None`` when fewer than ``SPAN_MIN_FACTS`` facts qualify."""
    d = index.dims.get(name)
    if d is None or not d.facts:
        return None
    said = (name, q.all_words()[2], q.models, q.families)  # a report repeats its phrasing: its phrases read once
    cached = index.spans.get(said, index.spans)  # the dict itself: not cached (as below)
    if cached is not index.spans:
        span: Span | None = cached
        return span
    return remember(index.spans, said, _span_named(q, index, name, d))


def _span_named(q: Query, index: FactIndex, name: str, d: Any) -> Span | None:
    """``span_of`` the words of ``q`` in dimension ``d`` (``name``), computed (or found by what they name)."""
    import numpy as np

    phrases = q.words_of(name, d)
    stats = [p for p in phrases if p in index.stat_phrases]
    spread = any(p in SPREAD_PHRASES for p in stats)
    pieces = _pieces(q.models)  # "qat" of "gemma3-1b-it-qat" is the model, not a metric
    metric = tuple(sorted(p for p in phrases if p not in index.stat_phrases and p not in index.model_phrases
                          and not (len(p) == 1 and (p[0] in pieces or is_unit_word(p[0])))))
    if name not in SELF_NAMED and name not in COUNT_UNITS and not metric:
        return None
    if name in SELF_NAMED:  # the unit names the quantity, but a field's own name names its facts: `mean_tokens_s`
        metric = tuple(p for p in metric if len(p) == 1 and _FIELD.fullmatch(p[0]))
    key = (name, metric, q.models, q.families if not q.models else frozenset(),
           spread)
    cached = index.spans.get(key, index.spans)  # the dict itself: not cached (one read: threads share the index)
    if cached is not index.spans:
        span: Span | None = cached
        return span
    where = (name, metric, q.models, q.families, spread)
    ids = _in_scope(d, *where)
    ids, named = _best_fits(d, metric, ids)
    span = None
    if ids.size >= SPAN_MIN_FACTS:
        vals = d.values[ids]
        lo_at, hi_at = int(np.argmin(vals)), int(np.argmax(vals))
        scope = (" for " + sorted(q.models or q.families, key=len, reverse=True)[0]) if q.models or q.families else ""
        # for a claimed extreme (``_unobserved``): how to find the facts before narrowing again (no array is kept:
        # thousands of spans are cached), how to name them, then their values sorted, the verdicts given
        span = Span(float(vals[lo_at]), float(vals[hi_at]), int(ids.size), int(d.facts_array[ids[lo_at]]),
                    int(d.facts_array[ids[hi_at]]), _what(name, spread, named, scope),
                    [d, where, _what(name, spread, metric, scope), None, {}])
    return remember(index.spans, key, span)


_FIELD = re.compile(r"[a-z]\w*(?:[-_]\w+)+")  # a field name as the corpus writes it: mean_tokens_s, tokens_per_second


def _in_scope(d: Any, name: str, metric: tuple[tuple[str, ...], ...], models: frozenset[str],
              families: frozenset[str], spread: bool) -> Any:
    """The ids of ``d``'s facts a span is taken from before narrowing: the levels (or the spreads) that carry one
    of the metric words (any fact, where the unit names the quantity), of the models (or families) named."""
    import numpy as np

    ids = _carrying(d, metric) if metric else np.arange(len(d.facts))  # none: the unit names the quantity
    keep = _spreads(d)[ids] if spread else d.level[ids]
    if models:
        keep &= allowed(d, models, True)[ids]
    elif families:
        keep &= of_family(d, families)[ids]
    return ids[keep]


def _carrying(d: Any, phrases: tuple[tuple[str, ...], ...]) -> Any:
    """The sorted ids of ``d``'s facts that carry one of ``phrases``."""
    import numpy as np

    return sorted_unique(np.concatenate([d.postings[p] for p in phrases]))


def _best_fits(d: Any, named: tuple[tuple[str, ...], ...], ids: Any) -> tuple[Any, tuple[tuple[str, ...], ...]]:
    """Of ``ids``, the ones the metric words fit best (highest sum of weights) when at least ``SPAN_MIN_FACTS``
    do, with the words they all carry; else ``ids`` and ``named`` as given."""
    import numpy as np

    if not named or not ids.size:
        return ids, named
    carries = [in_posting(d.postings[p], ids).astype(bool) for p in named]
    score = np.zeros(ids.size)
    for p, c in zip(named, carries, strict=True):
        score += d.weights[p] * c
    best = score >= score.max() - 1e-9
    if int(best.sum()) < SPAN_MIN_FACTS:
        return ids, named
    return ids[best], tuple(p for p, c in zip(named, carries, strict=True) if c[best].all())


def _what(name: str, spread: bool, named: tuple[tuple[str, ...], ...], scope: str) -> str:
    """How an explanation names a span's quantity: "time figure named by 'latency' for gemma3:1b"."""
    words = ", ".join(" ".join(p) for p in named[:4]) + (", ..." if len(named) > 4 else "")
    return f"{name} {'spread' if spread else 'figure'}" + (f" named by {words!r}" if words else "") + scope


@lru_cache(maxsize=1024)
def _pieces(models: frozenset[str]) -> frozenset[str]:
    return frozenset(w for m in models for w in m.split("-"))


def _spreads(d: Any) -> Any:
    """Which facts of ``d`` are spreads (a standard deviation, not a count of values), computed on first use."""
    import numpy as np

    mask = d.model_ok.get("spreads")
    if mask is None:
        mask = np.zeros(len(d.facts), dtype=bool)
        for p in SPREAD_PHRASES:
            if p in d.postings:
                mask[d.postings[p]] = True
        mask &= ~d.level
        d.model_ok["spreads"] = mask
    return mask


def or_span(q: Query, index: FactIndex, dims: list[str], factor: float, fallback: Decision) -> Decision:
    """``contradicted`` by the span of the quantity the clause names when the value lies outside it (by more
    than ``SPAN_MARGIN``), or when it claims an extreme that is none of the values it is taken over
    (``_unobserved``), else ``fallback``. Only a claim with a unit (a count noun included: "22 files" about
    gemma3:1b against its 1-4 files) has a span: a bare number's dimension is a guess."""
    if not q.unit or len(dims) != 1:
        return fallback
    span = span_of(q, index, dims[0])
    if span is None:
        if fallback.verdict == "unverified":  # no span: the total may still be meant, where the words name it
            whole = _of_the_whole(q, index, dims[0], factor, named=True)
            if whole is not None:
                return whole
        return fallback
    lo, hi = span.lo / factor, span.hi / factor
    low, high = lo - SPAN_MARGIN * abs(lo), hi + SPAN_MARGIN * abs(hi)
    a, b = interval(q)
    extreme = stat_kinds(q) & {"max", "min"}
    if extreme == {"max"} and a > hi:  # a claimed maximum above every value: no margin needed
        return Decision("contradicted", span.hi_fact, (
            f"the highest {span.what} in the corpus is {fmt_in(hi, q)} ({span.n} facts); {q.value:g} is above it"),
            "derived")
    if extreme == {"min"} and b < lo:
        return Decision("contradicted", span.lo_fact, (
            f"the lowest {span.what} in the corpus is {fmt_in(lo, q)} ({span.n} facts); {q.value:g} is below it"),
            "derived")
    if b < low or a > high:  # before the extreme rule: the span says more ("a maximum of 5" under 212-304)
        if dims[0] in FILE_DIMS and (q.models or q.families) and _corpus_total(
                index, dims[0], a * factor, b * factor) is not None:
            # "101 files related to an LLM (likely gemma3)": the corpus, whatever model; "101 CSV files" of gemma3
            # is a subset, which the total is not
            return _of_the_whole(q, index, dims[0], factor) or fallback
        at = span.lo_fact if b < low else span.hi_fact
        copied = _copied_from(q, index, span, factor)
        if copied is not None:  # "average inference latency 26.758380952380953 ms": another latency's value
            return Decision("unverified", copied, (
                f"{index.sources[copied]} has this value, but every {span.what} in the corpus lies between "
                f"{fmt_in(lo, q)} and {fmt_in(hi, q)} ({span.n} facts): copied from another quantity?"), "span")
        return Decision("contradicted", at, (
            f"every {span.what} in the corpus lies between {fmt_in(lo, q)} and {fmt_in(hi, q)} ({span.n} "
            f"facts); {q.value:g} is outside it by more than the {SPAN_MARGIN:.0%} margin"), "span")
    if not extreme and dims[0] and dims[0] not in COUNT_UNITS and not span.observed[1][4]:  # a measure's levels
        apart = _apart(q, span, factor)  # inside the span, but in a gap between its values
        if apart is not None:
            return apart
    if len(extreme) == 1 and dims[0] not in COUNT_UNITS:  # "the top 3 configurations" is no extreme value
        unseen = _unobserved(q, span, factor, "maximum" if extreme == {"max"} else "minimum")
        if unseen is not None:
            return unseen
    return fallback


def _copied_from(q: Query, index: FactIndex, span: Span, factor: float) -> int | None:
    """A fact carrying one of the metric words of ``span`` (of any scope) that has the claim's value to its
    written precision, when the claim names no model (a model's span is its own: "14.59 tok/s" of gemma3:1b is
    another model's value, wrong for this one), is written with at least ``PRECISE_DIGITS`` significant digits,
    and a number written like it would hit one of those facts by chance less than ``VALUE_CHANCE`` times; else
    None. Such a value was copied from the corpus ("average inference latency 26.758380952380953 ms" is a
    self-healing run's latency): outside the span of the facts its words fit best, it may be said of the wrong
    scope, but the corpus cannot contradict it as it can a made-up value."""
    d, (_, metric, models, families, _) = span.observed[0], span.observed[1]
    if models or families or not metric or q.bound not in ("", "approx") or significant_digits(q) < PRECISE_DIGITS:
        return None
    ids = _carrying(d, metric)
    values = d.values[ids]
    lo, hi = interval(q, factor, widen=False)
    held = (values >= lo) & (values <= hi)
    if not held.any() or chance_of(q, values / factor) >= VALUE_CHANCE:
        return None
    return int(d.facts_array[ids[int(held.argmax())]])


def _of_the_whole(q: Query, index: FactIndex, name: str, factor: float, named: bool = False) -> Decision | None:
    """``supported`` by the corpus's total when a count of files that names a model or family and no subset
    has the total's value ("101 files related to an LLM (likely gemma3)"): the whole corpus is about whatever
    model a clause names; else None. ``named``: only where a word of the clause other than "files" is a label
    of the total ("a dataset of 101 files" about the gemma3 models; not "the llama3 model has 101 benchmark
    files", whose words name the model's own few files)."""
    if name not in FILE_DIMS or not (q.models or q.families) or q.qualifier or q.subset:
        return None
    a, b = interval(q)
    total = _corpus_total(index, name, a * factor, b * factor)
    if total is None:
        return None
    if named and not any(len(p) == 1 and p[0] not in _GENERIC_TOTAL and p[0] in q.bag
                         for p in map(cl.phrase, index.labels[total])):
        return None
    return Decision("supported", total, f"the corpus's total is {index.raw_values[total]:g} {q.unit}: the whole "
                    "corpus is about the model the clause names", rule_of(index, total))


_GENERIC_TOTAL = frozenset({"file", "files", "all"})


def _corpus_total(index: FactIndex, name: str, lo: float, hi: float) -> int | None:
    """The fact of the corpus's total count (the largest count of ``name`` about no model) when its value lies
    in [lo, hi], else ``None``: the whole corpus is about whatever model a clause names ("101 files related to
    an LLM (likely gemma3)"), so a model's few files do not contradict it; a type's or a folder's count said of
    a model still is."""
    d = index.dims[name]
    at = corpus_total_at(d)
    return int(d.facts_array[at]) if at >= 0 and lo <= d.values[at] <= hi else None


def corpus_total_at(d: Any) -> int:
    """The position in count dimension ``d`` of the corpus's total (its largest count about no model), -1 when
    every count is a model's; found once per dimension."""
    at = d.model_ok.get("corpus total")
    if at is None:
        free = (d.model_id < 0).nonzero()[0]
        at = d.model_ok["corpus total"] = int(free[d.values[free].argmax()]) if free.size else -1
    result: int = at
    return result


def _ordered(span: Span) -> tuple[Any, Any]:
    """(global ids, base-unit values) of every fact a span is taken from before narrowing, sorted by value on
    first use: a span is cached, and its claims recur."""
    d, where, _, ordered, _ = span.observed
    if ordered is None:
        ordered = span.observed[3] = _by_value(d, _in_scope(d, *where))
    result: tuple[Any, Any] = ordered
    return result


def _by_value(d: Any, ids: Any) -> tuple[Any, Any]:
    """(global ids, base-unit values) of the facts ``ids`` of ``d``, sorted by value."""
    import numpy as np

    order = np.argsort(d.values[ids], kind="stable")
    return d.facts_array[ids[order]], d.values[ids[order]]


def _apart(q: Query, span: Span, factor: float) -> Decision | None:
    """``contradicted`` when a positive value inside a span lies more than ``SPAN_MARGIN`` from each of its
    values: "14.24 tok/s for gemma3" where its figures are 180-190 and 60-78. The span is a union of margins,
    not a hull. Not for a mean or a median (a report's own mean of two clusters lies between them), and the
    values are those of the whole family of the models the clause names (a file of gemma3 runs that names no
    one model is still gemma3:latest's)."""
    v = q.value * factor
    if v <= 0 or not math.isfinite(v) or stat_kinds(q) & _CENTRAL:
        return None
    seen = span.observed[4]
    key = (q.value, q.tolerance, q.bound, q.unit, factor, "apart")  # a report repeats its figures (a span: one scope)
    found = seen.get(key, seen)  # the dict itself: not looked at yet
    if found is not seen:
        cached: Decision | None = found
        return cached
    return remember(seen, key, _apart_in(q, span, factor))


_CENTRAL = frozenset({"mean", "median"})


def _apart_in(q: Query, span: Span, factor: float) -> Decision | None:
    d, (name, metric, models, families, spread) = span.observed[0], span.observed[1]
    if models:  # the family's levels, each model's and those of files that name only the family
        families = families | frozenset(family_of(m) for m in models)
    seen = span.observed[4]
    scope = ("family levels", families)
    ordered = seen.get(scope)
    if ordered is None:
        ordered = seen[scope] = _by_value(d, _in_scope(d, name, metric, frozenset(), families, spread))
    facts, values = ordered
    if not values.size:
        return None
    lo, hi = interval(q, factor)  # the written value's whole interval, each end widened by the margin
    a = int(values.searchsorted(lo / (1 + SPAN_MARGIN), "left"))
    if a < values.size and values[a] <= hi / (1 - SPAN_MARGIN):
        return None
    v = q.value * factor
    near = min(range(max(a - 1, 0), min(a + 1, values.size)), key=lambda k: abs(float(values[k]) - v))
    return Decision("contradicted", int(facts[near]), (
        f"no {span.observed[2]} in the corpus lies within {SPAN_MARGIN:.0%} of {q.value:g} ({values.size} facts "
        f"between {fmt_in(float(values[0]) / factor, q)} and {fmt_in(float(values[-1]) / factor, q)}, nearest "
        f"{fmt_in(float(values[near]) / factor, q)})"), "span")


EXTREME_MARGIN = 0.01  # a claimed maximum (minimum) a fact has is a part's when the span's exceeds it by more
_MIN_WORDS = frozenset(cl.stem(w) for w in ("minimum", "lowest", "smallest", "least"))
_RANGE_ON = re.compile(r"\s*\w{0,6}/?\w{0,6}\s*(?:[-–]|to\b|and\b)\s*[~≈]?\s*[-+]?\d")  # "... to 0.99", "ms - 25"


def part_extreme(q: Query, index: FactIndex, dims: list[str], factor: float, fact: int) -> Decision | None:
    """``unverified`` for a claimed maximum (minimum) that ``fact`` has, where the levels of the quantity the
    clause names (``span_of``'s scope: its metric words, the model it names) reach higher (lower) by more than
    ``EXTREME_MARGIN``: "the highest TPS recorded was 187.18" is one file's maximum when the corpus's throughputs
    reach 303.9. Only the levels that carry every word of the clause that ``fact`` carries count ("the highest
    throughput in the gemma3:270m baseline" is the baseline's), and no difference ("Throughput Delta") is a
    level. Not contradicted: the clause may mean a part its words do not name. A span whose lowest value is not
    positive (a difference of clocks among the latencies) has no lowest to compare with."""
    extreme = stat_kinds(q) & {"max", "min"}
    if extreme == {"min"} and q.unit == "min" and not _MIN_WORDS & q.bag:  # "Duration (min)": minutes
        return None
    if _RANGE_ON.match(q.after):  # "Lowest TTFT ranged from 0.0741 to ...": a range's end (``rangeends``)
        return None
    if len(extreme) != 1 or not q.unit or len(dims) != 1 or q.bound not in ("", "approx"):
        return None
    d = index.dims[dims[0]]
    mine = int(d.facts_array.searchsorted(fact))
    if mine >= d.facts_array.size or int(d.facts_array[mine]) != fact:
        return None  # a fact of another dimension
    span = span_of(q, index, dims[0])
    if span is None:
        return None
    ids = d.facts_array.searchsorted(_ordered(span)[0])  # the span's scope (cached per span), by value
    for p in q.phrases(dims[0], d):  # the words that single the fact out narrow the levels to its part (not
        # those of the unit: "tokens/second" names no part)
        if p not in index.stat_phrases and not all(map(is_unit_word, p)) and has_phrase(d, p, mine):
            ids = ids[in_posting(d.postings[p], ids).astype(bool)]
    ids = ids[~_differences(d, index)[ids]]
    if ids.size < SPAN_MIN_FACTS:
        return None
    lo, hi = interval(q)  # ``ids`` stay in value order: the extremes are the ends
    if extreme == {"max"} and d.values[ids[-1]] / factor > hi + EXTREME_MARGIN * abs(hi):
        at, word = int(d.facts_array[ids[-1]]), "highest"
    elif extreme == {"min"} and 0 < d.values[ids[0]] / factor < lo - EXTREME_MARGIN * abs(lo):
        at, word = int(d.facts_array[ids[0]]), "lowest"
    else:
        return None
    return Decision("unverified", at, (
        f"a fact has this value, but the {word} {span.what} in the corpus is {fmt(index.raw_values[at])} "
        f"{index.units[at]} ({ids.size} facts): the {word} of a part only?").replace("  ", " "), "span")


_DIFFERENCE = re.compile(r"delta|change|diff|improvement|gain|speedup|reduction|increase|decrease", re.I)


def _differences(d: Any, index: FactIndex) -> Any:
    """Which facts of ``d`` are differences of a quantity ("Throughput Delta", "...improvement_pct"), not levels
    of it: by the key's last part, computed on first use."""
    import numpy as np

    mask = d.model_ok.get("differences")
    if mask is None:
        mask = np.array([bool(_DIFFERENCE.search(index.keys[g].rpartition(".")[2])) for g in d.facts], dtype=bool)
        d.model_ok["differences"] = mask
    return mask


def _unobserved(q: Query, span: Span, factor: float, word: str) -> Decision | None:
    """``contradicted`` when a claimed extreme (a maximum, a minimum) is none of the values it would be taken
    over: every level of the quantity any of the clause's metric words name in its scope (the model or family
    it names), the span's facts before narrowing to the best fits, so a maximum of a wider set than the one
    the words fit best is still seen. A value agrees within its written precision ("approximately" and bounds
    included) or the rounding its significant digits allow ("300" for 303.9: 250-350)."""
    _, _, what, _, seen = span.observed
    ordered = _ordered(span)
    key = (q.value, q.tolerance, q.bound, q.unit, factor, word)  # a report repeats its figures
    found = seen.get(key, seen)  # the dict itself: not looked at yet (another thread may clear it meanwhile)
    if found is not seen:
        cached: Decision | None = found
        return cached
    return remember(seen, key, _unobserved_in(q, ordered[0], ordered[1], what, factor, word))


def _unobserved_in(q: Query, facts: Any, values: Any, what: str, factor: float, word: str) -> Decision | None:
    """``_unobserved`` on the facts of a span sorted by value."""
    lo, hi = interval(q, factor)
    v = q.value * factor
    digits = significant_digits(q)
    if digits and v and math.isfinite(v):  # a claim times its unit's factor may pass a float's range
        half = 0.5 * 10 ** (math.floor(math.log10(abs(v))) - digits + 1)
        lo, hi = min(lo, v - half), max(hi, v + half)
    at = int(values.searchsorted(lo, "left"))
    if at < values.size and values[at] <= hi:
        return None
    near = min(range(max(at - 1, 0), min(at + 1, values.size)), key=lambda k: abs(float(values[k]) - v))
    near = int(values.searchsorted(values[near], "left"))  # of equal values, the first fact
    return Decision("contradicted", int(facts[near]), (
        f"no {what} in the corpus is {q.value:g} ({values.size} facts, nearest "
        f"{fmt_in(float(values[near]) / factor, q)}); a {word} is one of the values it is taken over"), "derived")
