"""A written range's ends are the lowest and the highest of what it ranges over.

"Throughput ranged from 13.60 to 14.24 tokens/second" says that no value of that throughput is below 13.60 or above
14.24. Each end alone may be a real value (13.60 is one test's throughput) and so `supported`; the range is still
wrong when the values it was taken from go further. What the range is over is known only where both ends are
supported by values of one list of the corpus (``lists``: one column of one table, or one field of one JSON array),
or the other end by a minimum (maximum) statistic that is also a value of that list. Such an end is judged against
that list's own lowest and highest value: one beyond it (by more than the written precision) makes the end
`contradicted` (rule "span"), or `unverified` where the words before the range may narrow it to part of the list
("Excluding the first run, ...", "With num_ctx 4096, ..."), and left as matched where the range is said to be
approximate and values of one object of the same file, of no list, hold both ends as well ("a latency of
approximately 15.50 - 15.58": the file's p50 and p99, or its three run means 15.4475 to 15.584?). Where the other
end is no value of the corpus (it was flagged, `unverified` or `contradicted`), the supported end's list is the
only scope left: not its extreme, the end is `unverified` ("ranging from 12.42 to 14.24", no fact has 12.42, 14.24
is one of a list that reaches 14.30). An end supported by a fact of no list, beside a flagged other end, is
`unverified` unless that fact is a minimum (the low end) or maximum (the high end) of something: a range is one
claim, and half of it is no value ("from 44.0 to 225.0" token counts, where no count is 44.0 and 225.0 is one run's
total). A range whose two ends are supported by two lists, or by a list and another statistic, is left as matched:
its scope is not known. "Rose from 13.60 to 14.24" is a change, not a range.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from pytest_chimera.checks import claims as cl
from pytest_chimera.checks.lists import list_of, lists
from pytest_chimera.checks.numbers import Number, canonical_unit, dimension
from pytest_chimera.checks.query import STAT_KIND
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


_DASH = re.compile(r"\s*[-–]\s*")  # "13.60 - 14.24", "8.7-26.4", "0.0741 – 0.0904" (an em dash sets text apart)
_TO = re.compile(r"\s+to\s+", re.I)  # "from 13.60 to 14.24", "13.60 to 14.24"
_AND = re.compile(r"\s+and\s+", re.I)  # "between 44 and 77.6" only
_BETWEEN = re.compile(r"\bbetween\s+(?:~|about\s+|approximately\s+)?$", re.I)
# "increased from 3089.02 to 3234.48 ms": a change between two values, not a range of them
_CHANGE = re.compile(r"\b(?:increas|decreas|rose|rise|rising|grew|grow|improv|went|go(?:es|ing)?\b|jump|climb|"
                     r"drop|fell|fall|declin|reduc|chang|mov|shift|boost|rais|sped|speed(?:s|ing)?\s+up|cut)\w*"
                     r"(?:\s+\w+){0,3}?\s+from\s+$", re.I)
# words that may narrow a range to part of a list: "Excluding the first run", "With num_ctx 4096", "At temperature
# 0.2", "For the warm runs", "When ...", "Among ...", "Only ..."
_NARROWED = re.compile(r"\b(?:excluding|except|without|with|at|for|when|whenever|under|among|only|after|before|"
                       r"during|if|where|within|once|warm|cold)\b", re.I)
_FLAGS = ("unverified", "contradicted")
_FILE_PART = re.compile(r"^(?:json|table)\.(.+?\.(?:json|csv|md))")


def range_pairs(text: str, nums: Sequence[Number]) -> list[tuple[int, int]]:
    """The (low, high) positions in ``nums`` of each written range of ``text``: two quantities, the first
    smaller, joined by a dash, "to" (not after a verb of change: "rose from 13.60 to 14.24"), or "and" after
    "between" ("from 13.60 to 14.24", "0.070 - 0.24 seconds", "between 44 and 77.6")."""
    out: list[tuple[int, int]] = []
    for k in range(len(nums) - 1):
        a, b = nums[k], nums[k + 1]
        if a.form != "quantity" or b.form != "quantity" or not a.value < b.value:
            continue
        if a.unit and b.unit and a.unit != b.unit:
            continue
        gap = text[a.end:b.start]
        if _DASH.fullmatch(gap) or (_TO.fullmatch(gap) and not _CHANGE.search(text, max(0, a.start - 60), a.start)) \
                or (_AND.fullmatch(gap) and _BETWEEN.search(text, 0, a.start)):
            out.append((k, k + 1))
    return out


def _scale(check: Checked, fact: Fact) -> float:
    """The fact's unit per written unit (0.001 for "138 ms" of a column in seconds); where the two are not of
    one dimension (a bare number's inferred unit), the ratio of the fact's value to the written one."""
    wd, wf = dimension(canonical_unit(check.unit)) if check.unit else ("", 1.0)
    fd, ff = dimension(canonical_unit(fact.unit)) if fact.unit else ("", 1.0)
    return wf / ff if wd == fd else fact.value / check.value


def _extreme_stat(fact: Fact, low: bool) -> bool:
    """Whether a fact's labels name a minimum (``low``) or a maximum (as ``query.fact_stats`` reads them:
    "min", "lowest", "worst_tokens_per_s" ...)."""
    wanted = "min" if low else "max"
    return any(STAT_KIND.get(cl.phrase(label)) == wanted for label in fact.labels)


def judge_ends(text: str, nums: Sequence[Number], checks: Sequence[Checked], pairs: Sequence[tuple[int, int]],
               index: FactIndex) -> None:
    """Judge each supported end of a range in ``pairs`` (positions in ``nums`` and ``checks``) of line ``text``
    against the list its fact is a value of (see the module's docstring)."""
    flagged = {k for pair in pairs for k in pair if checks[k].kind == "claim" and checks[k].verdict in _FLAGS}
    for low, high in pairs:
        start = nums[low].start
        narrowed = _NARROWED.search(text, max(text.rfind(". ", 0, start), text.rfind("; ", 0, start), 0), start)
        loose = cl.bound(text[max(0, start - 24):start]) == "approx"  # "around 15.50 - 15.58"
        for end, other, is_low in ((low, high, True), (high, low, False)):
            check = checks[end]
            fact = check.fact
            if check.kind != "claim" or check.verdict != "supported" or fact is None or check.value == 0:
                continue
            name = list_of(fact.key)
            lone = other in flagged
            if name is None:
                if lone and not _extreme_stat(fact, is_low):  # one claim, half of it no value
                    check.verdict, check.rule = "unverified", ""
                    check.explanation = (f"the range's other end, {checks[other].raw}, is {checks[other].verdict}, "
                                         f"and this end agrees only with a fact that is no "
                                         f"{'lowest' if is_low else 'highest'} of anything ({fact.key}): nothing "
                                         f"verifies the range")
                continue
            scale = _scale(check, fact)
            if scale <= 0:
                continue
            values, lowest, highest = lists(index)[name]
            partner = checks[other].fact
            if not lone and (partner is None or (list_of(partner.key) != name and not (
                    _extreme_stat(partner, not is_low) and _among(nums[other].value * scale,
                                                                  nums[other].tolerance * scale, values)))):
                continue  # the other end is of another list or another statistic: what the range is over is unknown
            said = check.value * scale
            tol = nums[end].tolerance * scale + 1e-9 * abs(fact.value)
            extreme = lowest if is_low else highest
            if not (extreme < said - tol if is_low else extreme > said + tol):
                continue
            where = fact.source.split(":", 1)[0]
            field = name.rsplit("].", 1)[-1] if "]." in name else name
            which = "lowest" if is_low else "highest"
            span = f"whose {len(values)} values span {_fmt(lowest)} to {_fmt(highest)}"
            if lone:  # the other end is no value the corpus gives: this end's list is the only scope left
                check.verdict, check.rule = "unverified", ""
                check.explanation = (f"the range's other end, {checks[other].raw}, is {checks[other].verdict}; this "
                                     f"end is a value of {field!r} in {where}, {span}, and not the {which}: nothing "
                                     f"verifies the range")
            elif loose and _other_group(index, name, nums[low], nums[high], scale):
                continue  # other values of the file hold both ends too (its p50 and p99): the scope is not known
            elif narrowed:  # "With num_ctx 4096, ...": the range may be of part of the list
                check.verdict, check.rule = "unverified", ""
                check.explanation = (f"both ends of the range are values of {field!r} in {where}, {span}: "
                                     f"{check.raw} is not the {which}, unless {narrowed.group(0)!r} narrows the "
                                     f"range to part of them")
            else:
                check.verdict, check.rule = "contradicted", "span"
                check.explanation = (f"both ends of the range are values of {field!r} in {where}, {span}: "
                                     f"{check.raw} is not the {which} (rule: span)")


def _other_group(index: FactIndex, name: str, low: Number, high: Number, scale: float) -> bool:
    """Whether facts of list ``name``'s file that are of no list and share one parent key (an object's fields,
    a row's statistics) hold a value of each end of the range ``low`` - ``high`` (at their written precision)."""
    found = _FILE_PART.match(name)
    if found is None:
        return False
    groups = _groups(index).get(found.group(1), {})
    for values in groups.values():
        if _among(low.value * scale, low.tolerance * scale, values) and \
                _among(high.value * scale, high.tolerance * scale, values):
            return True
    return False


def _groups(index: FactIndex) -> dict[str, dict[str, list[float]]]:
    """{file: {parent key: values}} of every fact of no list; built once per index, on first use."""
    found = index.range_groups
    if found is None:
        found = {}
        raw = index.raw_values
        for i, key in enumerate(index.keys):
            if "[" in key and list_of(key) is not None:
                continue
            file = _FILE_PART.match(key)
            if file is not None:
                found.setdefault(file.group(1), {}).setdefault(key.rpartition(".")[0], []).append(raw[i])
        index.range_groups = found
    return found


def _among(value: float, tolerance: float, values: list[float]) -> bool:
    """Whether one of ``values`` is ``value`` to its written precision."""
    return any(abs(v - value) <= tolerance + 1e-9 * abs(v) for v in values)


def _fmt(x: float) -> str:
    return f"{x:.6g}"
