"""One claim against the fact index: its candidate facts, the rule that decides its verdict, the explanation.

Rules, tried in this order (``consistency``'s module docstring has the method in full):

- **exact fact**: a best-fitting fact (highest label score) has the value within the written precision
  (``supported``), or the single best fit names the quantity specifically and has another value
  (``contradicted``); a fact that names it specifically, or a precise value no chance explains
  (``VALUE_CHANCE``) in a fact of the statistic the clause names (an "average" is a mean), also supports it.
  **derived** is the same rule when the fact was computed from other facts (a share, a sum of two counts:
  its source starts with "derived:").
- **chance guard**: the value agrees with one of many equally fitting facts, as a number written to this
  precision would by chance: ``unverified``.
- **span** (``ranges``): no fact has the value, and it lies outside every value the corpus gives the
  quantity the clause names (its unit's dimension, the model it names, its metric words), widened by
  ``SPAN_MARGIN``: ``contradicted``, with the span shown. A claimed maximum or minimum that none of the
  quantity's facts has is ``contradicted`` too (**derived**: an extreme is an observed value).
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from pytest_chimera.checks import claims as cl
from pytest_chimera.checks.comparisons import ratio_check
from pytest_chimera.checks.index import Dim, FactIndex, sorted_unique
from pytest_chimera.checks.nowhere import nowhere
from pytest_chimera.checks.numbers import dimension
from pytest_chimera.checks.query import (
    COMMON_DF,
    COMMON_SHARE,
    COUNT_UNITS,
    FILE_DIMS,
    MIN_NAMING_LABELS,
    NEAR_WEIGHT,
    PRECISE_DIGITS,
    SPECIFIC_DF,
    SPREAD_NAMES,
    Decision,
    Query,
    agrees,
    allowed,
    by_chance,
    dims_for,
    fact_stats,
    fmt_in,
    in_posting,
    interval,
    measures_other,
    metric_kinds,
    of_family,
    remember,
    rule_of,
    significant_digits,
    stat_kinds,
    unmistakable,
)
from pytest_chimera.checks.ranges import corpus_total_at, or_span, part_extreme, precise_value

if TYPE_CHECKING:
    import numpy as np


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
            ids = ids[in_posting(d.postings[p], ids).astype(bool)]
        values = (d.raw if raw else d.values)[ids]
        sort = np.argsort(values, kind="stable")
        hit = remember(index.candidates, key, (ids[sort], values[sort], None, None))
    return hit[0], hit[1]

Part = tuple[Any, Any, Any, Any]  # scores, global idx, values in the dimension's base unit, named
Weighed = tuple[dict[tuple[str, ...], float], list[tuple[str, ...]], list[tuple[str, ...]], tuple[Any, ...], float, int]


def _weigh(index: FactIndex, name: str, d: Dim, phrases: list[tuple[str, ...]], near: set[tuple[str, ...]]
           ) -> Weighed:
    """(weight of each phrase, rare phrases, common phrases, the weights as a sorted tuple, the common
    phrases' total weight and words) of a clause's phrases in dimension ``name``: once per set of words."""
    key = (name, tuple(phrases), frozenset(near))
    hit: Weighed | None = index.weighed.get(key)
    if hit is None:
        weight = {p: d.weights[p] * (NEAR_WEIGHT if p in near else 1.0) for p in phrases}
        cap = max(COMMON_DF, int(COMMON_SHARE * len(d.facts)))
        rare_ph = [p for p in phrases if d.df[p] <= cap]
        common_ph = [p for p in phrases if d.df[p] > cap]
        hit = remember(index.weighed, key, (weight, rare_ph, common_ph, tuple(sorted(weight.items())),
                                            sum(weight[p] for p in common_ph), sum(len(p) for p in common_ph)))
    return hit


def _candidates(q: Query, index: FactIndex, name: str, factor: float, min_labels: int
                ) -> tuple[Part | None, float, Any]:
    """The candidate facts of one dimension (sharing a label with the clause), the top score of common
    words when only such words matched, and then (when some agree) the values of all the facts that carry
    them (as ``(name, phrases, ids, raw, key)``, see ``_all_best``): every one of them is a best fit, which the chance
    guard must count."""
    import numpy as np

    d = index.dims[name]
    phrases = q.phrases(name, d)
    if not phrases:
        return None, 0.0, None
    weight, rare_ph, common_ph, weights, common_top, common_len = _weigh(index, name, d, phrases,
                                                                        q.near_phrases(name, d))
    key = None
    scores: Any
    hits: Any
    best_all: Any = None
    if rare_ph:
        key = (name, weights, q.models, q.families, min_labels, _unit_names(q, name),
               q.qualifier if name == q.unit else None, metric_kinds(q), q.share_of if q.families else "")
        cached = index.candidates.get(key)
        if cached is not None:
            return (None if cached is _NONE else cached), 0.0, None
        flat = np.concatenate([d.postings[p] for p in rare_ph])
        local = sorted_unique(flat)
        pos = local.searchsorted(flat)
        scores = np.bincount(pos, weights=np.repeat([weight[p] for p in rare_ph], [d.df[p] for p in rare_ph]),
                             minlength=local.size)
        hits = np.bincount(pos, weights=np.repeat([len(p) for p in rare_ph], [d.df[p] for p in rare_ph]),
                           minlength=local.size)
        part_top = 0.0
        for p in common_ph:
            member = in_posting(d.postings[p], local)
            scores = scores + weight[p] * member
            hits = hits + len(p) * member
    else:
        # only common words (each on more than `cap` facts): the best fits carry every one of them; look for
        # such a fact among those whose value agrees (binary search by value, then intersect). None found:
        # many facts fit and none of the best has the value.
        ids, vals = _all_of(index, name, d, common_ph, raw=not q.unit)
        best_all = ()
        lo, hi = interval(q, factor)
        a, b = vals.searchsorted(lo, "left"), vals.searchsorted(hi, "right")
        if a >= b:  # no such fact has the value (the filters below would leave none either)
            return None, common_top, None
        local = ids[a:b].copy()
        local.sort()
        part_top = common_top
        scores = np.empty(local.size)
        scores.fill(part_top)
        hits = np.empty(local.size)
        hits.fill(common_len)
    kept = _meant(q, index, name, phrases, local)
    local, scores, hits = local[kept], scores[kept], hits[kept]
    if best_all is not None and local.size:  # the best fits are all the facts carrying the common words:
        # filtered on demand (``_all_best``), only if one of them agrees; the key: all that filter reads
        best_all = (name, phrases, ids, not q.unit, (name, tuple(phrases), tuple(sorted(common_ph)), not q.unit,
                                                     q.models, q.families, q.qualifier if name == q.unit else None,
                                                     metric_kinds(q), q.share_of if q.families else ""))
    if local.size == 0:
        if key is not None:  # no candidate for these words: remembered too (a model the corpus lacks)
            remember(index.candidates, key, _NONE)
        return None, part_top, None
    rare_hit = np.zeros(local.size, dtype=bool)
    unbound = name in FILE_DIMS and not any(p in index.model_phrases for p in phrases)
    for p in phrases:  # specific: carried by few facts (of a file count, few counts of no model's files)
        df = d.df[p] if not unbound else int((~_model_bound(index, d)[d.postings[p]]).sum())
        if df <= SPECIFIC_DF:
            rare_hit |= in_posting(d.postings[p], local).astype(bool)
    if _unit_names(q, name):
        hits = hits + 1  # "44 JSON files", "JSON (43.6%)": the count noun or percent sign names the quantity
    part = (scores, d.facts_array[local], d.values[local], rare_hit & (hits >= min_labels))
    if key is not None:
        remember(index.candidates, key, part)
    return part, part_top, best_all


_NONE: Part = (None, None, None, None)  # a remembered empty candidate set


def _unit_names(q: Query, name: str) -> bool:
    """Whether the claim's unit names dimension ``name`` itself: "44 JSON files" (a count noun), "43.6%"."""
    return (q.unit in COUNT_UNITS and name == q.unit) or (q.unit == "%" and name == "percent")


def _meant(q: Query, index: FactIndex, name: str, phrases: list[tuple[str, ...]], local: Any) -> Any:
    """Which of the facts ``local`` (ids in dimension ``name``) the clause may mean: the model or family it
    names, file counts of a model only when it names one, spreads and counts only when it names them."""
    import numpy as np

    d = index.dims[name]
    if not any(p in SPREAD_NAMES for p in phrases):
        keep = d.level[local]  # a count or a spread of a column is a candidate only when the clause names it
    else:
        keep = np.ones(local.size, dtype=bool)
    if q.models and local.size:
        keep &= allowed(d, q.models, name not in FILE_DIMS)[local]
    elif q.families and local.size and name not in FILE_DIMS:
        ok = of_family(d, q.families)
        share = _type_share(q, index, name)
        if share is not None:  # "CSV (28%): Contains Gemma model variations": the CSV files' share of the corpus
            ok = ok | share
        keep &= ok[local]
    if name in FILE_DIMS and local.size:
        # a count of the files of a model counts a subset the sentence must name: "75 JSON files" is no
        # claim about gemma3's JSON files
        bound = ~_model_bound(index, d)[local]
        for p in phrases:
            if p in index.model_phrases:
                bound |= in_posting(d.postings[p], local).astype(bool)
        if not q.models:  # "gemma3" names the family's files, not those of gemma3:270m
            bound &= d.model_id[local] < 0
        keep &= bound
    measures = metric_kinds(q)
    if measures and local.size:  # "compilation time (2.3189992 s)": not the TTFT that has this value
        keep &= ~measures_other(d, measures)[local]
    if q.qualifier and name == q.unit and local.size:
        # "The corpus holds 28 CSV files": the words between a count and its noun say which count it is; a fact
        # without them (the total, named by "corpus") is not meant when a fact with them is
        own = np.zeros(local.size, dtype=bool)
        for p in phrases:
            if q.qualifier.intersection(p):
                own |= in_posting(d.postings[p], local).astype(bool)
        if (keep & own).any():
            keep &= own
    return keep


def _type_share(q: Query, index: FactIndex, name: str) -> np.ndarray | None:
    """Where a share written right beside a file type's word (``Query.share_of``: "CSV (28%)", "28% of the files
    are CSV") is a share of the corpus's files in a clause that names a model family: a mask of dimension
    ``name`` with that type's share of the corpus ("files.by_type.csv.pct"), alone or with another type's
    ("JSON and Markdown files (72%)": "files.by_type.json+md.pct"), which is no family's; else None."""
    if not q.share_of or not q.families or name in FILE_DIMS:
        return None
    import numpy as np

    d = index.dims[name]
    masks: dict[str, np.ndarray] = d.model_ok.setdefault("type shares", {})  # computed once per dimension and type
    mask = masks.get(q.share_of)
    if mask is None:
        mask = masks[q.share_of] = np.array([_types_of_share(index.keys[g]) >= {q.share_of} for g in d.facts],
                                            dtype=bool)
    return mask if mask.any() else None


def _types_of_share(key: str) -> set[str]:
    """The file types whose share of the corpus the fact ``key`` is ("files.by_type.json+md.pct": json, md)."""
    if not (key.startswith("files.by_type.") and key.endswith(".pct")):
        return set()
    return set(key.removeprefix("files.by_type.").removesuffix(".pct").split("+"))


Pool = tuple[str, list[tuple[str, ...]], Any, bool, Any]  # name, phrases, ids, raw, key (see ``_all_best``)


def _all_best(q: Query, index: FactIndex, pool: Pool, seen: dict[Any, Any] | None = None) -> Any:
    """The values (base unit) of the facts ``ids`` of dimension ``name`` the clause may mean (``_meant``), sorted
    (the chance guard counts their distinct values): ``ids`` are in the order of their values (``_all_of``), of
    their ``raw`` values when ``raw``; ``seen``: those found before in the same check, by ``key`` (a report
    repeats its phrasing)."""
    import numpy as np

    name, phrases, ids, raw, key = pool
    hit = seen.get(key) if seen is not None else None
    if hit is None:
        d = index.dims[name]
        hit = d.values[ids[_meant(q, index, name, phrases, ids)]]
        if raw:  # sorted by the values as their facts give them: not by the base unit's
            hit = np.sort(hit)
        if seen is not None:
            seen[key] = hit
    return hit


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


def match(q: Query, index: FactIndex, min_labels: int = MIN_NAMING_LABELS, seen: dict[Any, Any] | None = None
          ) -> Decision:
    """The verdict on one claim (see the module docstring for the rules).

    ``min_labels``: labels a unique best fact must match to count as named (1 for a run's own metrics,
    whose few labels are curated). A count whose own words name a subset no count of the corpus carries
    ("20 compilation-benchmark files": ``uncounted``) is never contradicted: ``unverified`` instead.
    ``seen``: a dict that lives for one check of ``index`` (never longer: a later check would be flattered),
    where the facts a clause's common words fit are kept for the next claim of the same words."""
    decided = _match(q, index, min_labels, seen)
    if decided.verdict == "contradicted" and (q.qualifier or q.subset):
        words = uncounted(q, index)
        words = [w for w in words if not cl.PIECE_RE.search(w)] or words  # "timing", "stat", not "json-timing-stat"
        if words:
            return Decision("unverified", decided.fact, f"the words {', '.join(map(repr, words))} name a subset of "
                            f"{q.unit} that no count in the corpus carries (else: {decided.explanation})")
    if decided.verdict == "contradicted" and decided.fact is not None and \
            index.keys[decided.fact].startswith("files.by_name.") and \
            index.keys[decided.fact].removeprefix("files.by_name.") not in q.text.lower():  # in prose words only
        whole = _total_agrees(q, index)
        if whole is not None:  # "benchmark runs (101 files)": prose words, or the files named benchmark_runs?
            named = index.sources[decided.fact].partition(" (")[0].removeprefix("derived: count of ")
            return Decision("unverified", whole, f"the corpus's total agrees; the words may instead name the {named} "
                            f"({decided.explanation})")
    if decided.verdict == "supported" and _files_alone(q, index, decided.fact):
        return Decision("unverified", decided.fact, f"only the word {q.unit!r} names the count, and every count of "
                        f"{q.unit} in the corpus fits it as well: one of them agrees by chance", "chance guard")
    return decided


_FILE_NAME = re.compile(r"[\w\-]\.(?:csv|json|md)\b", re.I)


def _of_part(q: Query, index: FactIndex, decided: Decision, factor: float) -> Decision:
    """``decided`` (a value found by its digits, ``precise_value``), or ``part_extreme``'s doubt where the claim
    names a maximum (minimum) and the fact is one of a part only: "maximum latency 15.58404", the highest of
    three runs' means, where the file's latencies reach 15.9 and the corpus's 1024."""
    if decided.fact is None or _FILE_NAME.search(q.text):  # "the maximum in gemma3_baseline.csv": the part
        return decided  # is the file it names
    if not q.unit:  # a bare copied value ("| Maximum Latency | 15.58404 |"): of the fact's unit
        unit = index.units[decided.fact]
        if not unit or unit in COUNT_UNITS:
            return decided
        q, factor = replace(q, unit=unit), dimension(unit)[1]
    for name in dims_for(q.unit, index):  # ``part_extreme`` passes over the dimensions that lack the fact
        doubt = part_extreme(q, index, [name], factor, decided.fact)
        if doubt is not None:
            return doubt
    return decided


def _files_alone(q: Query, index: FactIndex, fact: int | None) -> bool:
    """Whether a count of files is supported by a count that no word but "files" names, other than the corpus's
    total ("'conv' benchmarks (29 files)" agreeing with the 29 Markdown files, "'compilation_benchmark' (5
    files)" with a 5-file directory): dozens of counts fit such words equally, most between 1 and 30."""
    d = index.dims.get(q.unit)
    if q.unit not in FILE_DIMS or d is None or fact is None:
        return False
    phrases = q.phrases(q.unit, d)
    at = corpus_total_at(d)
    return bool(phrases) and set(phrases) <= _FILES_WORDS and (at < 0 or fact != int(d.facts_array[at]))


_FILES_WORDS = frozenset({("file",), ("files",)})


def _total_agrees(q: Query, index: FactIndex) -> int | None:
    """The corpus's total of ``q``'s count unit where the claim agrees with it (its bound included), else None: a
    count a file-name compound's count contradicts ("benchmark runs (101 files)" against the 3 files named
    benchmark_runs) may be the total said in prose words that happen to make up the compound."""
    import numpy as np

    d = index.dims.get(q.unit)
    at = corpus_total_at(d) if d is not None else -1
    if d is None or at < 0 or not agrees(q, np.array([float(d.values[at])]))[0]:
        return None
    return int(d.facts_array[at])


_HOW_MANY = frozenset({"count", "number", "num", "total", "amount"})  # ask how many, of no subset


def uncounted(q: Query, index: FactIndex) -> list[str]:
    """The words between a count and its noun (``Query.qualifier``) that no label of a count of its unit has (as
    a label or inside one of the label phrases its clause names): the count is of a subset the corpus does not
    count ("20 compilation-benchmark files": ["benchmark", "compilation", ...]); stop words aside."""
    d = index.dims.get(q.unit)
    words = q.qualifier | q.subset
    if d is None:
        return sorted(w for w in words if w not in cl.STOP)
    covered = {t for p in q.words_of(q.unit, d) for t in p}
    covered |= {piece for t in covered for piece in _pieces_of(t)}  # "conv-bench" covers "conv" and "bench"
    covered |= _HOW_MANY  # "json_file_count": the JSON files
    return sorted(w for w in words if w not in covered and w not in cl.STOP and (w,) not in d.postings
                  and not set(_pieces_of(w)) <= covered)


def _pieces_of(word: str) -> tuple[str, ...]:
    return tuple(cl.stem(p) for p in cl.PIECE_RE.split(word) if p)


def _match(q: Query, index: FactIndex, min_labels: int, seen: dict[Any, Any] | None) -> Decision:
    import numpy as np

    compared = ratio_check(q, index)
    if compared is not None:
        return compared
    if unmistakable(q, len(index.keys)):  # a bare number copied with every digit: its words and value decide,
        bare = replace(q, unit="") if q.unit else q  # a count noun of the clause is not its unit (unmistakable)
        copied = precise_value(bare, index, sorted(index.dims), 1.0, copied=True)  # whatever the fact's dimension
        if copied is not None:
            return _of_part(q, index, copied, 1.0)
    dims = dims_for(q.unit, index)
    if not dims:
        return Decision("unverified", None, f"no fact has a unit compatible with {q.unit or 'no unit'}")
    factor = dimension(q.unit)[1] if q.unit and q.unit not in COUNT_UNITS else 1.0
    parts: list[Part] = []
    pools: list[Pool | None] = []  # per part: the values of all its best fits (a common-words path), or None
    top = 0.0
    for name in dims:
        part, part_top, best_all = _candidates(q, index, name, factor, min_labels)
        top = max(top, part_top)
        if part is not None:
            parts.append(part)
            pools.append(best_all if best_all else None)
    if not parts:
        why = "many facts fit the words around it and none of them has this value" if top else \
            f"no fact with a unit compatible with {q.unit or 'a bare number'} is named by the words around it"
        plain = Decision("unverified", None, why)
        decided = or_span(q, index, dims, factor, plain)
        return nowhere(q, index, plain) if top and decided is plain else decided
    if len(parts) == 1:  # most claims: one dimension's candidates, no copies (none is written to below)
        scores, gidx, values, named = parts[0]
    else:
        scores, gidx, values, named = (np.concatenate([p[k] for p in parts]) for k in range(4))
    if factor != 1.0:
        values = values / factor
    agree = agrees(q, values)
    top = max(top, float(scores.max()))
    best = scores >= top - 1e-9
    if not best.any():
        return or_span(q, index, dims, factor, Decision(
            "unverified", None, "many facts fit the words around it and none of the best fits has this value"))
    distance = np.abs(values - q.value)
    hit = best & agree
    n_best = int(best.sum())
    nearest = int(best.nonzero()[0][distance[best].argmin()])
    if hit.any():
        k = int(hit.nonzero()[0][distance[hit].argmin()])
        best_values = values[best]
        ordered = False  # whether best_values is sorted (one pool, ``_all_best``'s order; factor > 0)
        if any(p is not None for p in pools):  # a common-words path keeps only its agreeing facts: count all
            pieces, start = [], 0  # of its best fits instead
            for part, pool in zip(parts, pools, strict=True):
                end = start + len(part[0])
                pieces.append(values[start:end][best[start:end]] if pool is None or not best[start:end].any()
                              else _all_best(q, index, pool, seen) / factor)
                start = end
            best_values = np.concatenate(pieces) if len(pieces) > 1 else pieces[0]
            ordered = len(pieces) == 1 and factor > 0
        doubt = by_chance(q, best_values, int(hit.sum()), ordered)
        if doubt:
            return Decision("unverified", int(gidx[k]), f"{best_values.size} facts fit the words equally; {doubt}",
                            "chance guard")
        of_part = part_extreme(q, index, dims, factor, int(gidx[k]))  # "the highest": of one file only?
        if of_part is not None:
            return of_part
        return Decision("supported", int(gidx[k]),
                        "a fact named by the same words has this value within the written precision",
                        rule_of(index, int(gidx[k])))
    if n_best == 1 and named[nearest]:
        return Decision("contradicted", int(gidx[nearest]),
                        f"the fact it names is {fmt_in(float(values[nearest]), q)}", rule_of(index, int(gidx[nearest])))
    weaker = named & agree
    stats = stat_kinds(q)  # of the statistic the clause names, if it names one ("average": a mean)
    cand = [int(i) for i in weaker.nonzero()[0] if not stats or stats & fact_stats(index, int(gidx[i]))]
    if n_best > 1 and cand:  # the words fit several facts equally: one that names it decides
        k = min(cand, key=lambda i: (-float(scores[i]), float(distance[i])))
        return Decision("supported", int(gidx[k]), f"a fact that names it specifically has this value within the "
                        f"written precision ({n_best} facts fit the words better, none with this value)",
                        rule_of(index, int(gidx[k])))
    # a precise value found among facts the words name less well: only when the words name no single fact
    # (one best fit with another value points at that fact; a coincidence elsewhere proves nothing), or where
    # the one best fit is not named (the return above) and the value has more digits than a precise one needs
    precise = precise_value(q, index, dims if q.unit else sorted(index.dims), factor) \
        if n_best > 1 or significant_digits(q) > PRECISE_DIGITS else None
    if precise is not None:
        return _of_part(q, index, precise, factor)
    why = "several facts fit the words equally" if n_best > 1 else "the words name no specific fact"
    shown = fmt_in(float(values[nearest]), q)
    plain = Decision("unverified", int(gidx[nearest]), f"{why} and none has this value; nearest {shown}")
    decided = or_span(q, index, dims, factor, plain)
    return nowhere(q, index, plain) if decided is plain else decided
