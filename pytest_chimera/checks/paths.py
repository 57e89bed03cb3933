"""A JSON leaf path a report names decides its number: "`json_results[2].tokens_per_second`: 14.244".

The agents flatten the corpus's JSON into paths with a list index and quote them beside the value. The index
says which item of the list the value is of, so the facts at that path (in any JSON file of the corpus) decide:

- ``supported`` when one of them has the value (to its written digits, in the fact's own unit: the agents copy
  the digits), or one at the same list item whose key names the same measure (``tokens_s`` for
  ``tokens_per_second``: a TTFT, a throughput or a compile time, ``query.METRIC_KIND``); not when the claim
  gives the digits another measure's unit (a throughput "in seconds"): then the other rules decide;
- ``contradicted`` when none of those has it and no other leaf of that list item has it either ("results[2]"
  holds 14.11 and 14.30 tok/s, and 14.244 is the throughput of results[0]);
- no decision (the other rules decide) when no fact of the corpus is at that path, or another leaf of the same
  item has the value (a mislabelled key: "`json_results[0].tokens_s`: 44.0 - the total number of tokens").

Only a path with a list index names one value: "`mean_ttft_s`: 0.6" is a key of many files and statistics,
which the label words already weigh. A line or table row that names two paths, or holds two numbers, is left
to the other rules: which path is which number's is not read.
"""

from __future__ import annotations

import re
import weakref
from dataclasses import dataclass

from pytest_chimera.checks import claims as cl
from pytest_chimera.checks.index import FactIndex
from pytest_chimera.checks.numbers import canonical_unit, dimension
from pytest_chimera.checks.query import COUNT_UNITS, METRIC_KIND, Decision, Query, fmt, interval
from pytest_chimera.evidence.labels import name_labels

# an indexed JSON path as the agents write it: "json_results[2].tokens_per_second", "metrics[0].gpu[0].fan_speed",
# "timing_stats.run_results[0].mean_ms"; group 1 from the last key before the first index on, as ``_items`` names
# the corpus's items
PATH = re.compile(r"(?<![\w.\]])(?:[A-Za-z_]\w*\.)*(?:(?:json|csv|md)_)?"
                  r"([A-Za-z_]\w*\[\d+\](?:\.[A-Za-z_]\w*(?:\[\d+\])*)+)")
_SHOWN = 6  # the values an explanation lists


@dataclass(frozen=True)
class _Item:
    """The facts of one list item of the corpus's JSON ("results[2]"): (fact, leaf key) of each of its leaves."""

    leaves: tuple[tuple[int, str], ...]


_CACHE: weakref.WeakKeyDictionary[FactIndex, dict[str, _Item]] = weakref.WeakKeyDictionary()


def named_path(raw: str) -> str:
    """The one indexed JSON path ``raw`` names, without a file-type prefix ("results[2].tokens_per_second"), or
    "" when it names none or several."""
    if "[" not in raw:
        return ""
    found = {m.group(1) for m in PATH.finditer(raw)}
    return found.pop() if len(found) == 1 else ""


def decide(path: str, q: Query, index: FactIndex) -> Decision | None:
    """The verdict the facts at ``path`` give the claim ``q`` (see the module docstring), or ``None``."""
    item_path, _, leaf = path.rpartition(".")
    item = _items(index).get(item_path)
    if item is None:
        return None
    kinds = _kinds(name_labels(leaf))
    named = [at for at, key in item.leaves if key == leaf or (kinds and kinds & _kinds(index.labels[at]))]
    if not named:
        return None
    lo, hi = interval(q, widen=False)
    hit = next((at for at in named if lo <= index.raw_values[at] <= hi), None)
    if hit is not None and not _same_measure(q.unit, index.units[hit]):
        return None  # the digits, given another measure's unit: "results[4].tokens_s: 182.85 seconds"
    if hit is not None:
        return Decision("supported", hit, f"the corpus has this value at {path}", "exact fact")
    if any(lo <= index.raw_values[at] <= hi for at, _ in item.leaves):
        return None  # another leaf of the item has it: a mislabelled key, left to the words
    values = sorted({index.raw_values[at] for at in named})
    shown = ", ".join(fmt(v) for v in values[:_SHOWN]) + (", ..." if len(values) > _SHOWN else "")
    return Decision("contradicted", named[0], f"the corpus's {len(named)} facts at {path} (or its measure's "
                    f"other keys of {item_path}) are {shown}; {fmt(q.value)} is none of them", "exact fact")


def _items(index: FactIndex) -> dict[str, _Item]:
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
        found.setdefault(head[start:], []).append((at, leaf))
    out = {path: _Item(tuple(leaves)) for path, leaves in found.items()}
    _CACHE[index] = out
    return out


def _same_measure(written: str, unit: str) -> bool:
    """Whether a claim's unit (inferred or written) may be of a fact's: the same dimension, or either is no
    measure (no unit, a count such as "tokens", which the words "Time To First Token" also give)."""
    if not written or not unit or written in COUNT_UNITS:
        return True
    return dimension(canonical_unit(written))[0] == dimension(canonical_unit(unit))[0]


def _kinds(labels: tuple[str, ...]) -> frozenset[str]:
    """The measures (``query.METRIC_KIND``) labels name (a key's labels: "tokens_s" has "throughput")."""
    return frozenset(METRIC_KIND[p] for p in map(cl.phrase, labels) if p in METRIC_KIND)
