"""A written range's ends are the lowest and the highest of what it ranges over.

"Throughput ranged from 13.60 to 14.24 tokens/second" says that no value of that throughput is below 13.60 or
above 14.24. Each end alone may be a real value (13.60 is one test's throughput) and so `supported`; the range
is still wrong when the values it was taken from go further. What the range is over is known only where both
ends come from one list of values of the corpus: one column of one table (``table.F.csv[3].ttft_s``), or one
field of one JSON array (``json.F.json.results[1].tokens_per_second``). The end that a fact of such a list
supports, with the other end among the same list's values, is judged against that list's own lowest and highest
value: one beyond it (more than the written precision) makes the end `contradicted` (rule "span"). Where the
other end is no value of the corpus (it was flagged, `unverified` or `contradicted`), the supported end's list
is the only scope left: not its extreme, the end is `unverified` ("ranging from 12.42 to 14.24", no fact has
12.42, 14.24 is one of a list that reaches 14.30). An end supported by a fact of no list, beside a flagged
other end, is `unverified` unless that fact is a minimum (the low end) or maximum (the high end) of something:
a range is one claim, and half of it is no value ("from 44.0 to 225.0" token counts, where no count is 44.0
and 225.0 is one run's total). A range whose two ends are supported by two lists, or by a list and a
statistic, is left as matched: its scope is not known.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from pytest_chimera.checks.numbers import Number, canonical_unit, dimension
from pytest_chimera.evidence.facts import Fact

if TYPE_CHECKING:
    from pytest_chimera.checks.index import FactIndex


class Checked(Protocol):
    """What this module reads and sets of a ``consistency.NumberCheck``."""

    raw: str
    value: float
    unit: str
    kind: str
    verdict: str | None
    fact: Fact | None
    explanation: str
    rule: str

_DASH = re.compile(r"\s*[-–—]\s*")  # "13.60 - 14.24", "8.7-26.4"
_TO = re.compile(r"\s+to\s+", re.I)  # "from 13.60 to 14.24", "13.60 to 14.24"
_AND = re.compile(r"\s+and\s+", re.I)  # "between 44 and 77.6" only
_BETWEEN = re.compile(r"\bbetween\s+(?:~|about\s+|approximately\s+)?$", re.I)
_INDEX = re.compile(r"\[\d+\]")


def range_pairs(text: str, nums: Sequence[Number]) -> list[tuple[int, int]]:
    """The (low, high) positions in ``nums`` of each written range of ``text``: two quantities, the first
    smaller, joined by a dash, "to", or "and" after "between" ("from 13.60 to 14.24", "0.070 - 0.24 seconds",
    "between 44 and 77.6")."""
    out: list[tuple[int, int]] = []
    for k in range(len(nums) - 1):
        a, b = nums[k], nums[k + 1]
        if a.form != "quantity" or b.form != "quantity" or not a.value < b.value:
            continue
        if a.unit and b.unit and a.unit != b.unit:
            continue
        gap = text[a.end:b.start]
        if _DASH.fullmatch(gap) or _TO.fullmatch(gap) or (
                _AND.fullmatch(gap) and _BETWEEN.search(text, 0, a.start)):
            out.append((k, k + 1))
    return out


def list_of(key: str) -> str | None:
    """The list a fact is one value of: its key with each row or array index as ``[*]``
    (``table.F.csv[*].ttft_s``), or None for a fact of no list (a statistic, a count, a lone leaf)."""
    if "[" not in key:
        return None
    name = _INDEX.sub("[*]", key)
    return name if name != key else None


def _lists(index: FactIndex) -> dict[str, list[float]]:
    """Every list of the index's facts with its values (as the facts give them), built on first use."""
    found = index.range_lists
    if found is None:
        found = {}
        values = index.raw_values
        for i, key in enumerate(index.keys):
            name = list_of(key)
            if name is not None:
                found.setdefault(name, []).append(values[i])
        index.range_lists = found
    return found


def list_extremes(index: FactIndex, at: int) -> frozenset[str]:
    """{"min"} / {"max"} when fact ``at`` is the lowest / highest value of a list of two or more values."""
    name = list_of(index.keys[at])
    values = _lists(index).get(name, []) if name is not None else []
    if len(values) < 2:
        return frozenset()
    v = index.raw_values[at]
    return frozenset(k for k, hit in (("min", v == min(values)), ("max", v == max(values))) if hit)


def _scale(check: Checked, fact: Fact) -> float:
    """The fact's unit per written unit (0.001 for "138 ms" of a column in seconds); where the two are not of
    one dimension (a bare number's inferred unit), the ratio of the fact's value to the written one."""
    wd, wf = dimension(canonical_unit(check.unit)) if check.unit else ("", 1.0)
    fd, ff = dimension(canonical_unit(fact.unit)) if fact.unit else ("", 1.0)
    return wf / ff if wd == fd else fact.value / check.value


def judge_ends(nums: Sequence[Number], checks: Sequence[Checked], pairs: Sequence[tuple[int, int]],
               index: FactIndex) -> None:
    """Contradict each supported end of a range in ``pairs`` (positions in ``nums`` and ``checks``) that is not the
    lowest (the low end) or the highest (the high end) of the list of values both ends come from; where the other
    end was flagged (no fact has it), make a supported end `unverified` when it is not the extreme of its side of
    its own list or, for a fact of no list, when the fact is no minimum (maximum) either."""
    flagged = {k for pair in pairs for k in pair if checks[k].kind == "claim" and checks[k].verdict in _FLAGS}
    for low, high in pairs:
        for end, other, is_low in ((low, high, True), (high, low, False)):
            check = checks[end]
            fact = check.fact
            if check.kind != "claim" or check.verdict != "supported" or fact is None or check.value == 0:
                continue
            name = list_of(fact.key)
            if name is None:
                if other in flagged and not _extreme_stat(fact.key, is_low):  # one claim, half of it no value
                    check.verdict, check.rule = "unverified", ""
                    check.explanation = (f"the range's other end, {checks[other].raw}, is {checks[other].verdict}, "
                                         f"and this end agrees only with a fact that is no "
                                         f"{'lowest' if is_low else 'highest'} of anything ({fact.key}): nothing "
                                         f"verifies the range")
                continue
            values = _lists(index).get(name, [])
            scale = _scale(check, fact)
            if scale <= 0:
                continue
            said = check.value * scale
            tol = nums[end].tolerance * scale + 1e-9 * abs(fact.value)
            other_tol = nums[other].tolerance * scale + 1e-9 * abs(fact.value)
            other_value = nums[other].value * scale
            lone = other in flagged and not any(abs(v - other_value) <= other_tol for v in values)
            if not lone and not any(abs(v - other_value) <= other_tol for v in values):
                continue  # the other end is of another list or fact: what the range is over is not known
            extreme = min(values) if is_low else max(values)
            beyond = extreme < said - tol if is_low else extreme > said + tol
            if not beyond:
                continue
            where = fact.source.split(":", 1)[0]
            field = name.rsplit("].", 1)[-1] if "]." in name else name
            which = "lowest" if is_low else "highest"
            span = f"whose {len(values)} values span {_fmt(min(values))} to {_fmt(max(values))}"
            if lone:  # the other end is no value the corpus gives: this end's list is the only scope left
                check.verdict, check.rule = "unverified", ""
                check.explanation = (f"the range's other end, {checks[other].raw}, is {checks[other].verdict}; this "
                                     f"end is a value of {field!r} in {where}, {span}, and not the {which}: nothing "
                                     f"verifies the range")
                continue
            check.verdict, check.rule = "contradicted", "span"
            check.explanation = (f"both ends of the range are values of {field!r} in {where}, {span}: {check.raw} is "
                                 f"not the {which} (rule: span)")


_FLAGS = ("unverified", "contradicted")


def _extreme_stat(key: str, low: bool) -> bool:
    """Whether the last part of a fact's key names a minimum (``low``) or a maximum: ``...ttft_s.min``,
    ``...min_ms``."""
    return ("min" if low else "max") in re.split(r"[._\- ]", key[key.rfind(".") + 1:].lower())


def _fmt(x: float) -> str:
    return f"{x:.6g}"
