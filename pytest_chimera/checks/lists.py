"""The lists of the corpus's facts: one table column's rows (``table.F.csv[3].ttft_s``) or one field of a JSON
array (``json.F.json.results[1].tokens_per_second``) are the values of one list, named by the key with each
index as ``[*]``. Read by the range rule (``rangeends``) and by ``query.fact_stats`` (a list's lowest and highest
values are its min and max)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pytest_chimera.checks.index import FactIndex

_INDEX = re.compile(r"\[\d+\]")


def list_of(key: str) -> str | None:
    """The list a fact is one value of: its key with each row or array index as ``[*]``
    (``table.F.csv[*].ttft_s``), or None for a fact of no list (a statistic, a count, a lone leaf)."""
    if "[" not in key:
        return None
    name = _INDEX.sub("[*]", key)
    return name if name != key else None


def lists(index: FactIndex) -> dict[str, tuple[list[float], float, float]]:
    """Every list of the index's facts: its values (as the facts give them), lowest and highest; built once per
    index, on first use."""
    found = index.range_lists
    if found is None:
        values: dict[str, list[float]] = {}
        raw = index.raw_values
        for i, key in enumerate(index.keys):
            name = list_of(key)
            if name is not None:
                values.setdefault(name, []).append(raw[i])
        found = index.range_lists = {name: (vs, min(vs), max(vs)) for name, vs in values.items()}
    return found


def list_extremes(index: FactIndex, at: int) -> frozenset[str]:
    """{"min"} / {"max"} when fact ``at`` is the lowest / highest value of a list of two or more values."""
    name = list_of(index.keys[at])
    hit = lists(index).get(name) if name is not None else None
    if hit is None or len(hit[0]) < 2:
        return frozenset()
    v = index.raw_values[at]
    return frozenset(k for k, yes in (("min", v == hit[1]), ("max", v == hit[2])) if yes)
