"""A written sum is arithmetic: "44 JSON + 29 Markdown = 73 files".

Each term of a sum ("a + b [+ c ...] = s", a few words after each number) is read in its own clause
(``clause_cuts``): the "73 files" after "=" is no count noun of the 29, and "44 JSON" names no derived count of
JSON and Markdown files together; a term without a unit takes the result's count noun ("44 JSON" counts files).
The result is then held to its terms (``judge_sums``): `contradicted` when the terms add up to another value
(whole numbers exactly, "28 + 44 + 29 = 103"; decimals to the written precision of them all), `supported` (rule
"derived") when they add up to it and every term is `supported` (a result a fact supports keeps that fact);
otherwise it keeps its own verdict. Terms and
result are of one unit (or none): a sum of a share and a count is no arithmetic this module knows.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from pytest_chimera.checks.numbers import canonical_unit

if TYPE_CHECKING:
    from pytest_chimera.checks.numbers import Number
    from pytest_chimera.evidence.facts import Fact


class Checked(Protocol):
    """What this module reads and sets of a ``consistency.NumberCheck``."""

    raw: str
    kind: str
    verdict: str | None
    fact: Fact | None
    explanation: str
    rule: str

# a term and the operator after it: a number, at most two words (its noun), then "+" or "=" before a number
_TERM_OP = re.compile(r"\d[\d.,]*%?(?:\s+[A-Za-z][\w-]*){0,2}\s*([+=])\s*(?=[~≈]?[-\u2212]?\d)")


def clause_cuts(sentence: str) -> list[tuple[int, int]]:
    """The spans of the "+" and "=" of each sum in ``sentence`` (clause separators: each term has its own words)."""
    if "+" not in sentence or "=" not in sentence:
        return []
    return [m.span(1) for m in _TERM_OP.finditer(sentence)]


def sums(text: str, nums: Sequence[Number]) -> list[tuple[list[int], int]]:
    """(the positions in ``nums`` of the terms, that of the result) of each written sum of line ``text``: two or
    more quantities joined by "+", then "=" and the result, each followed by at most two words."""
    if "+" not in text or "=" not in text:
        return []
    out: list[tuple[list[int], int]] = []
    terms: list[int] = []
    for k in range(len(nums) - 1):
        a, b = nums[k], nums[k + 1]
        m = _TERM_OP.match(text, a.start) if a.form == b.form == "quantity" else None
        if m is None or m.end() != b.start:
            terms = []
            continue
        terms.append(k)
        if m.group(1) == "=":
            if len(terms) >= 2:
                out.append((terms, k + 1))
            terms = []
    return out


def judge_sums(nums: Sequence[Number], checks: Sequence[Checked], found: Sequence[tuple[list[int], int]]) -> None:
    """Hold the result of each sum in ``found`` to its terms (see the module's docstring)."""
    for terms, result in found:
        check = checks[result]
        units = {canonical_unit(nums[k].unit) for k in (*terms, result) if nums[k].unit}
        if check.kind != "claim" or len(units) > 1:
            continue
        total = sum(nums[k].value for k in terms)
        # a whole number in a sum is exact ("28 + 44 + 29 = 103" is wrong by 2); decimals may each be rounded
        slack = sum(nums[k].tolerance for k in (*terms, result) if "." in nums[k].raw) + 1e-9 * abs(total)
        written = " + ".join(nums[k].raw for k in terms)
        if abs(total - nums[result].value) > slack:
            check.verdict, check.rule, check.fact = "contradicted", "derived", None
            check.explanation = f"its terms add up to {total:g} ({written}), not {check.raw} (rule: derived)"
        elif check.verdict != "supported" and all(checks[k].kind == "claim" and checks[k].verdict == "supported"
                                                  for k in terms):
            check.verdict, check.rule, check.fact = "supported", "derived", None
            check.explanation = f"the sum of its terms ({written}), each supported (rule: derived)"
