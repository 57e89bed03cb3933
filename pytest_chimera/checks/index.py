"""The fact index: the facts of a corpus grouped by unit dimension, with a posting list per label word and
sorted values, so that a claim's candidate facts are found without scanning them all."""

from __future__ import annotations

import math
import re
import weakref
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from pytest_chimera.checks.claims import model_forms_of_label, phrase
from pytest_chimera.checks.numbers import canonical_unit, dimension
from pytest_chimera.evidence.facts import Fact, Facts
from pytest_chimera.evidence.labels import STAT_LABELS, family_of

if TYPE_CHECKING:
    import numpy as np

# ---- the fact index -----------------------------------------------------------------------------------------


@dataclass
class Dim:
    """Facts of one dimension: values in the base unit, label postings and weights, model groups."""

    facts: list[int] = field(default_factory=list)  # global fact indices
    facts_array: Any = None  # the same as an np.ndarray
    values: Any = None  # np.ndarray of base-unit values
    raw: Any = None  # np.ndarray of the values as the facts give them (in their own units)
    postings: dict[tuple[str, ...], Any] = field(default_factory=dict)  # phrase -> np.ndarray of local idx
    weights: dict[tuple[str, ...], float] = field(default_factory=dict)
    df: dict[tuple[str, ...], int] = field(default_factory=dict)
    first: dict[str, list[tuple[str, ...]]] = field(default_factory=dict)  # multi-word phrases by first token
    model_id: Any = None  # np.ndarray: index into models, -1 when the fact names no model
    by_value: dict[Any, tuple[Any, Any]] = field(default_factory=dict)  # phrase (, "raw") -> sorted
    model_ok: dict[Any, Any] = field(default_factory=dict)  # models or families named -> allowed mask
    models: list[frozenset[str]] = field(default_factory=list)
    level: Any = None  # np.ndarray of bool: the fact is a level of its quantity, not a spread or a count
    model_bound: Any = None  # np.ndarray of bool: the fact names a model or family (matching, on first use)
    matched: dict[Any, Any] = field(default_factory=dict)  # words -> the phrases they name (query.matched)


def sorted_unique(values: np.ndarray) -> np.ndarray:
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


def stable_order(keys: np.ndarray) -> np.ndarray:
    """``np.argsort(keys, kind="stable")`` of non-negative int keys, by numpy's radix sort of 16-bit digits
    (one pass below 2**16, two below 2**32; a merge sort of the int64 keys above)."""
    import numpy as np

    top = int(keys.max()) if keys.size else 0
    if top >= 2**32:
        order: np.ndarray = np.argsort(keys, kind="stable")
        return order
    order = np.argsort((keys & 0xFFFF).astype(np.uint16), kind="stable")
    if top >= 2**16:
        order = order[np.argsort((keys[order] >> 16).astype(np.uint16), kind="stable")]
    return order


def _tags(n: int) -> np.ndarray:
    """``n`` fixed pseudo-random 64-bit tags (splitmix64 of 1..n): numbers whose sums tell sets apart, made
    without importing ``numpy.random``."""
    import numpy as np

    with np.errstate(over="ignore"):
        x = np.arange(1, n + 1, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        x ^= x >> np.uint64(31)
    tags: np.ndarray = x.view(np.int64)
    return tags


def _groups(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(index of each distinct value's first occurrence, in value order; the group of each value): what
    ``np.unique(values, return_index=True, return_inverse=True)`` gives besides the values, by one stable
    sort (``np.unique`` imports ``numpy.ma`` on first use)."""
    import numpy as np

    order = np.argsort(values, kind="stable")
    ordered = values[order]
    new = np.empty(ordered.size, dtype=bool)
    new[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=new[1:])
    inverse = np.empty(ordered.size, dtype=np.int64)
    inverse[order] = np.cumsum(new) - 1
    first: np.ndarray = order[new]
    return first, inverse


def _factorize(values: list[str]) -> tuple[np.ndarray, list[str]]:
    """(code of each value, the distinct values in order of first appearance): ``pandas.factorize`` of a
    list of strings, without pandas."""
    import numpy as np

    uniques = list(dict.fromkeys(values))
    code_of = {value: code for code, value in enumerate(uniques)}
    return np.fromiter(map(code_of.__getitem__, values), dtype=np.int64, count=len(values)), uniques


class FactIndex:
    """Facts indexed by dimension (unit family) and label phrase; built once per ``Facts`` and cached."""

    def __init__(self, facts: Facts) -> None:
        import itertools

        import numpy as np

        rows = facts.rows  # plain rows: no DataFrame (and no pandas) is built for the index
        n = len(rows)
        self.keys: list[str] = [str(r[0]) for r in rows]
        self.raw_values: list[float] = [float(r[1]) for r in rows]
        self.units: list[str] = [str(r[2]) for r in rows]
        self.sources: list[str] = [str(r[3]) for r in rows]
        self.labels: list[tuple[str, ...]] = [tuple(r[4]) for r in rows]
        self.dims: dict[str, Dim] = {}
        # (dim, phrase weights, models, min_labels) -> candidate arrays: sentences repeat their words
        self.candidates: dict[Any, tuple[Any, Any, Any, Any]] = {}
        self.spans: dict[Any, Any] = {}  # (dim, phrases, models) -> the span of a quantity (matching.span_of)
        self.weighed: dict[Any, Any] = {}  # (dim, phrases, near phrases) -> their weights (matching._weigh)
        self.stat_phrases: frozenset[tuple[str, ...]] = _STAT_PHRASES
        self.model_phrases: set[tuple[str, ...]] = set()
        # list name -> (its values, lowest, highest) (``lists.lists``, on first use)
        self.range_lists: dict[str, tuple[list[float], float, float]] | None = None
        self.range_groups: dict[str, dict[str, list[float]]] | None = None  # ``rangeends``: per file
        self.file_names: frozenset[str] | None = None  # the corpus's files' base names (absentfiles, on first use)
        self.all_values: list[float] | None = None  # every fact's value as written, sorted (nowhere, first use)
        self.held: dict[tuple[float, float, str], bool] = {}  # (value, tolerance, bound) -> nowhere.held_anywhere
        if n == 0:
            return
        # dimension and base-unit value of every fact
        unit_codes, unit_names = _factorize(self.units)
        dims_of_unit = [dimension(canonical_unit(u) if u else "") for u in unit_names]
        dim_names = sorted({d for d, _ in dims_of_unit})
        dim_index = {name: k for k, name in enumerate(dim_names)}
        fact_dim = np.array([dim_index[d] for d, _ in dims_of_unit], dtype=np.int64)[unit_codes]
        raw = np.array(self.raw_values, dtype=float)
        base = raw * np.array([f for _, f in dims_of_unit])[unit_codes]
        # which facts are levels of their quantity (not a spread or a count of values): by the key's last part
        last_codes, lasts = _factorize([k[k.rfind(".") + 1:] for k in self.keys])
        level = ~np.array([_spread_last(str(x)) for x in lasts] + [False], dtype=bool)[last_codes]
        order = np.argsort(fact_dim, kind="stable")
        counts = np.bincount(fact_dim, minlength=len(dim_names))
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        local = np.empty(n, dtype=np.int64)
        local[order] = np.arange(n) - np.repeat(starts, counts)
        for k, name in enumerate(dim_names):
            d = self.dims[name] = Dim()
            d.facts_array = order[starts[k]:starts[k] + counts[k]]
            d.facts = d.facts_array.tolist()
            d.values = base[d.facts_array]
            d.raw = raw[d.facts_array]
            d.model_id = np.full(int(counts[k]), -1, dtype=np.int64)
            d.level = level[d.facts_array]
        # label phrases: each distinct label string is normalised once
        lens = np.fromiter(map(len, self.labels), dtype=np.int64, count=n)
        codes, uniques = _factorize(list(itertools.chain.from_iterable(self.labels)))
        fact_of = np.repeat(np.arange(n, dtype=np.int64), lens)
        phrase_ids: dict[tuple[str, ...], int] = {}
        label_pid = np.array([phrase_ids.setdefault(ph, len(phrase_ids)) if ph else -1
                              for ph in map(phrase, uniques)] + [-1], dtype=np.int64)
        phrases = list(phrase_ids)
        # model forms of each fact: the union over its labels
        label_forms = [model_forms_of_label(u) for u in uniques]
        self.model_phrases = {phrase(u) for u, forms in zip(uniques, label_forms, strict=True) if forms}
        self.model_phrases |= {phrase(family_of(u)) for u, forms in zip(uniques, label_forms, strict=True) if forms}
        self.model_phrases.discard(())
        has_form = np.array([bool(x) for x in label_forms] + [False])
        model_ids: dict[frozenset[str], int] = {}
        at = np.flatnonzero(has_form[codes])
        if at.size:
            # facts with the same set of model labels share a model id: key each fact by the sum of
            # pseudo-random 64-bit tags of its distinct model labels, then resolve one representative per key
            width_u = len(uniques) + 1
            pairs_m = sorted_unique(fact_of[at] * width_u + codes[at])
            owner, code = pairs_m // width_u, pairs_m % width_u
            tags = _tags(width_u)
            cuts = np.concatenate([[0], np.flatnonzero(np.diff(owner)) + 1])
            with np.errstate(over="ignore"):
                sums = np.add.reduceat(tags[code], cuts)
            owners = owner[cuts]
            first, inverse = _groups(sums)
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
        # the labels come fact by fact, so a stable sort by (dimension, phrase) keeps each posting's facts in
        # order (local ids ascending); a fact that carries a phrase twice is then kept once
        owner = fact_of[keep]
        key = fact_dim[owner] * width + pid[keep]
        by_key = stable_order(key)
        key_sorted, local_sorted = key[by_key], local[owner[by_key]]
        once = np.empty(key_sorted.size, dtype=bool)
        once[:1] = True
        once[1:] = (key_sorted[1:] != key_sorted[:-1]) | (local_sorted[1:] != local_sorted[:-1])
        key_sorted, local_sorted = key_sorted[once], local_sorted[once]
        bounds = np.concatenate([[0], np.flatnonzero(np.diff(key_sorted)) + 1, [key_sorted.size]])
        if key_sorted.size == 0:  # no fact has a label word (a run metric named "" or "..."): no postings
            bounds = bounds[:1]
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


_SPREAD_WORDS = frozenset({"std", "stdev", "sd", "variance", "var", "deviation", "cv", "iqr"})
_STAT_PHRASES = frozenset(phrase(w) for words in STAT_LABELS.values() for w in words) - {()}


@lru_cache(maxsize=65536)
def _spread_last(last: str) -> bool:
    last = last.lower()
    return last == "count" or any(w in _SPREAD_WORDS for w in re.split(r"[^a-z]+", last))


def is_spread(key: str) -> bool:
    """True for a fact that measures a spread of a column or counts its values (``...ttft_s.std``,
    ``overall_stdev_ms``, ``...ttft_s.count``) rather than a level of the quantity: such a fact is a candidate
    only for a clause that names its statistic, and no part of a quantity's span (``eval_count`` is a level)."""
    return _spread_last(key.rpartition(".")[2])


_INDEX_CACHE: weakref.WeakKeyDictionary[Facts, tuple[int, FactIndex]] = weakref.WeakKeyDictionary()


def index_of(facts: Facts) -> FactIndex:
    """The cached ``FactIndex`` of a ``Facts`` table (rebuilt if its length changed)."""
    hit = _INDEX_CACHE.get(facts)
    if hit is not None and hit[0] == len(facts):
        return hit[1]
    index = FactIndex(facts)
    _INDEX_CACHE[facts] = (len(facts), index)
    return index
