"""A JSON leaf path a report names decides its number: "`json_results[2].tokens_per_second`: 14.244".

The agents flatten the corpus's JSON into paths with a list index and quote them beside the value. The index
says which item of the list the value is of, so the facts at that path (in any JSON file of the corpus) decide:

- ``supported`` when one of them has the value to its written digits, or one at the same list item whose key
  names the same measure (``tokens_s`` for ``tokens_per_second``: a TTFT, a throughput or a compile time,
  ``query.METRIC_KIND``). The value is compared in the fact's unit: the claim's unit converted ("2319 ms" for
  2.319 s), else the unit the written key implies ("ttft_ms: 2319.0"), else its digits as they are;
- ``contradicted`` when none of those has it, even widened by "approximately" or as a bound, and no other
  leaf of that list item has its digits either ("results[2]" holds 14.11 and 14.30 tok/s, and 14.244 is the
  throughput of results[0]);
- no decision (the other rules decide) when no fact of the corpus is at that path, when the claim's unit is
  of another measure than the facts' (a throughput "in seconds", "182 files"), when a bound it states holds
  ("< 10 s") or another leaf of the item has its digits (a mislabelled key: "`json_results[0].tokens_s`: 44.0
  - the total number of tokens").

A path names the number right after it ("`...ttft_s`: 0.094", "... was 0.094": closing quotes and markup, a
colon, "=" or one of "was", "is", "were", "are", "of", "equals", "at" may stand between; of a range, "between",
"from", "ranging from", "fluctuating between", the first end), or the one number of
its table row (the path in the first cell). Only a path with a list index names one value: "`mean_ttft_s`: 0.6"
is a key of many files and statistics, which the label words already weigh. A line or row that names two paths
is left to the other rules.
"""

from __future__ import annotations

import re
import weakref
from dataclasses import dataclass

from pytest_chimera.checks.index import FactIndex
from pytest_chimera.checks.numbers import canonical_unit, dimension
from pytest_chimera.checks.query import COUNT_UNITS, Decision, Query, fact_kinds, fmt, interval
from pytest_chimera.evidence.labels import name_labels, unit_of

# an indexed JSON path as the agents write it: "json_results[2].tokens_per_second", "metrics[0].gpu[0].fan_speed",
# "timing_stats.run_results[0].mean_ms"; group 1 from the last key before the first index on, as ``_items`` names
# the corpus's items; a csv_ or md_ prefix is kept (no JSON path: ``named_path`` drops it)
_PATH = re.compile(r"(?<![\w.\]])(?:[A-Za-z_]\w*\.)*(?:(?i:json)_)?"
                  r"([A-Za-z_]\w*\[\d+\](?:\.[A-Za-z_]\w*(?:\[\d+\])*)+)")
# what may stand between a path and the number it names: closing quotes and markup, a colon, "=", a verb, or
# the start of a range ("`json_results[2].tokens_s` fluctuating between 182.67 and 184.24": its first end)
_TO_VALUE = re.compile(r"[\s`'\"\u2018\u2019\u201c\u201d*_)\]]*(?:[:=]|\b(?:was|is|were|are|of|equals?|at)\b"
                       r"|\b(?:(?:fluctuat\w*|rang\w*|var(?:y|ies|ying|ied))\s+)?(?:between|from)\b)?"
                       r"[\s`'\"\u2018\u2019\u201c\u201d*_:]*")
_SHOWN = 6  # the values an explanation lists


@dataclass(frozen=True)
class Named:
    """A path a text names and the text right after it (where the number it names starts)."""

    path: str
    after: str


# each list item of the corpus's JSON ("results[2]") -> (fact, leaf key) of each of its leaves
_CACHE: weakref.WeakKeyDictionary[FactIndex, dict[str, tuple[tuple[int, str], ...]]] = weakref.WeakKeyDictionary()


def named_path(raw: str) -> Named | None:
    """The one indexed JSON path ``raw`` names, lowercase and without its ``json_`` prefix
    ("results[2].tokens_per_second"), and the text after it; ``None`` when it names none or several, or a CSV or
    Markdown one ("csv_rows[0].x")."""
    if "[" not in raw:
        return None
    found = {(m.group(1), m.end()) for m in _PATH.finditer(raw)}
    if len({path for path, _ in found}) != 1:
        return None
    path, end = min(found, key=lambda f: f[1])
    path = path.lower()  # "JSON_Metrics[0]...": the agents' capitals; the corpus's keys are lowercase
    if path.startswith(("csv_", "md_")):
        return None
    return Named(path, raw[end:])


def names_number(named: Named, raw_number: str) -> bool:
    """Whether the number written ``raw_number`` comes right after the path: "`...tokens_s`: 181.9",
    "... was 0.138", not "`...ttft_s` across the dataset, which spans 28 CSV files"."""
    lead = _TO_VALUE.match(named.after)
    assert lead is not None  # it matches the empty string
    return named.after[lead.end():].startswith(raw_number)


def decide(path: str, q: Query, index: FactIndex, unit_inferred: bool = False) -> Decision | None:
    """The verdict the facts at ``path`` give the claim ``q`` (see the module docstring), or ``None``.
    ``unit_inferred``: the claim's unit was read from its words, not written with the number (a count noun
    read from "Time To First Token" says nothing of a TTFT's value)."""
    item_path, _, leaf = path.rpartition(".")
    leaves = _items(index).get(item_path)
    if leaves is None:
        return None
    kinds = fact_kinds(name_labels(leaf))
    # the unit the number is written with, else the one its key implies ("ttft_ms"); a count noun read from
    # the words ("Time To First Token": tokens) is neither
    written = ("" if unit_inferred and q.unit in COUNT_UNITS else q.unit) or unit_of(leaf)
    named: list[tuple[int, float]] = []  # (fact, the factor from the claim's unit to the fact's)
    for at, key in leaves:
        if key == leaf or (kinds and kinds & fact_kinds(index.labels[at])):
            factor = _factor(written, index.units[at])
            if factor is not None:
                named.append((at, factor))
    if not named:
        return None
    hit = next((at for at, f in named if _agrees(index.raw_values[at], interval(q, f, widen=False))), None)
    if hit is not None:
        return Decision("supported", hit, f"the corpus has this value at {path}", "exact fact")
    if any(_agrees(index.raw_values[at], interval(q, f)) for at, f in named):
        return None  # "approximately 180 tok/s" is 181.97, "< 10 s" holds for 2.3 s
    mine = {at for at, _ in named}
    if any(_agrees(index.raw_values[at], interval(q)) for at, _ in leaves if at not in mine):
        return None  # another leaf of the item has the digits: a mislabelled key, left to the words
    values = sorted({index.raw_values[at] for at, _ in named})
    shown = ", ".join(fmt(v) for v in values[:_SHOWN]) + (", ..." if len(values) > _SHOWN else "")
    return Decision("contradicted", named[0][0], f"the corpus's {len(named)} facts at {path} (or its measure's "
                    f"other keys of {item_path}) are {shown}; {fmt(q.value)} is none of them", "exact fact")


def _agrees(value: float, bounds: tuple[float, float]) -> bool:
    return bounds[0] <= value <= bounds[1]


def _factor(written: str, unit: str) -> float | None:
    """The factor that takes a value in unit ``written`` to unit ``unit`` (1 when either is none), or ``None``
    when they are units of different things ("182 files" for a throughput, seconds for a throughput)."""
    if not written or not unit:
        return 1.0
    (have, to_base), (want, from_base) = dimension(canonical_unit(written)), dimension(canonical_unit(unit))
    return to_base / from_base if have == want else None


def _items(index: FactIndex) -> dict[str, tuple[tuple[int, str], ...]]:
    """Every list item of the corpus's JSON facts ("results[2]", "metrics[0].gpu[0]", or an object in one:
    "actions_taken[1].metrics_after") and its leaves, once per index: a fact
    ``json.<file>.json.<...>results[2].tokens_s`` is a leaf ``tokens_s`` of ``results[2]``."""
    hit = _CACHE.get(index)
    if hit is not None:
        return hit
    found: dict[str, list[tuple[int, str]]] = {}
    for at, key in enumerate(index.keys):
        if not key.startswith("json.") or "]." not in key:
            continue
        _, _, inner = key.partition(".json")
        head, _, leaf = inner.rpartition(".")
        if "[" not in head:
            continue
        # the item as a report names it: from the last key before its first index ("a.results[2]" -> "results[2]")
        start = head.rfind(".", 0, head.find("[")) + 1
        if start:  # an item of a top-level list ("[0]") has no name a report could give it
            found.setdefault(head[start:].lower(), []).append((at, leaf.lower()))
    out = {path: tuple(leaves) for path, leaves in found.items()}
    _CACHE[index] = out
    return out
