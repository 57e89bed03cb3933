"""A written sum is arithmetic: "44 JSON + 29 Markdown = 73 files".

Each term of a sum ("a + b [+ c ...] = s", a few words after each number) is read in its own clause
(``clause_cuts``): the "73 files" after "=" is no count noun of the 29, and "44 JSON" names no derived count of
JSON and Markdown files together; a term without a unit takes the result's ("44 JSON" counts files). The
result is then held to its terms (``judge_sums``): `contradicted` when the terms add up to another value (whole
counts exactly, "28 + 44 + 29 = 103"; shares, times and decimals to the written precision of them all; not a
result written as a bound or an estimate, "= 100+ files", "≈ 100"), `supported` (rule
"derived") when it was `unverified`, or contradicted only by a span (a sum is no level of its quantity), and
they add up to it, every term `supported` (a result a fact supports keeps that fact, one a fact contradicts
stays contradicted: "28 CSV + 44 JSON = 72 files" forgets the Markdown); otherwise it keeps its own verdict.
Terms and result are of one unit (or none): a sum of a share and a count is no arithmetic this module knows. Only
a count's or a share's terms are cut apart: a measure's keep their clause's words.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from pytest_chimera.checks.numbers import COUNT_UNITS, canonical_unit

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


# what stands between a term and the next number: at most two words (its noun: "JSON", "gemma3:270m files"), then
# "+" or "=" (and "~" before an approximate result); matched from the term's end, so a line costs linear time
_BOUNDS = r"approx\w*|about|around|roughly|nearly|almost|over|under|more than|less than|at least|at most|up to"
_GAP = re.compile(rf"%?(?:\s+[A-Za-z][\w:.\-]*){{0,2}}\s*([+=≈])\s*(?:[~≈]|(?:{_BOUNDS})\b)?\s*", re.I)
# an identifier before the first term ("Reports 108 + 109"), or a product ("2 × 14 CSV + 44 JSON"): no sum
_NOT_A_TERM = re.compile(r"(?:\b(?:reports?|tr|sections?|tables?|figures?|no\.)|[#×*/]|(?<![A-Za-z])x)\s*$", re.I)
# a result written as a bound or an estimate: "= 100+ files", "≈ 100", "= approximately 100", "= over 100"
_BOUND_BEFORE = re.compile(rf"(?:[~≈]|\b(?:{_BOUNDS}))\s*$", re.I)
_LOWER = ("over", "more than", "at least")  # a lower bound, as a "+" after the result is ("100+ files")
_UPPER = ("under", "less than", "at most", "up to")  # an upper bound; the other words say "about"
_APPROX = 0.05  # "about" allows 5%, as ``query.APPROX_REL`` does a claim


def _may_sum(text: str) -> bool:
    """A cheap test before the patterns: a "+" and an "=" or "≈"."""
    return "+" in text and ("=" in text or "≈" in text)


_SHARED_WORDS = COUNT_UNITS | {"%"}  # results whose terms' words leak into one another: counts and shares


def _chains(text: str, nums: Sequence[Number]) -> list[tuple[list[int], int, list[tuple[int, int]]]]:
    """(terms, result, the spans of their operators) of each written sum of ``text``, positions in ``nums``."""
    out: list[tuple[list[int], int, list[tuple[int, int]]]] = []
    terms: list[int] = []
    ops: list[tuple[int, int]] = []
    blocked = False  # an identifier's or a product's chain, up to its "="
    quantities = [k for k, num in enumerate(nums) if num.form == "quantity"]
    for a, b in zip(quantities, quantities[1:], strict=False):
        m = _GAP.match(text, nums[a].end, nums[b].start)
        if m is None or m.end() != nums[b].start:
            terms, ops, blocked = [], [], False
            continue
        if not terms and not blocked and _NOT_A_TERM.search(text, 0, nums[a].start):
            blocked = True
        if blocked:
            blocked = m.group(1) == "+"
            continue
        terms.append(a)
        ops.append(m.span(1))
        if m.group(1) != "+":
            if len(terms) >= 2:
                out.append((terms, b, ops))
            terms, ops = [], []
    return out


def clause_cuts(sentence: str) -> list[tuple[int, int]]:
    """The spans of the "+" and "=" of each sum in ``sentence`` (clause separators: each term has its own words)."""
    if not _may_sum(sentence):
        return []
    from pytest_chimera.checks.numbers import find_numbers

    nums = find_numbers(sentence)  # a count's or a share's terms only: a measure's keep their clause's words ("...
    # min and max: 238.24 + 299.19 = 537.43 tok/s")
    return [span for _, result, ops in _chains(sentence, nums)
            if not nums[result].unit or canonical_unit(nums[result].unit) in _SHARED_WORDS for span in ops]


def sums(text: str, nums: Sequence[Number]) -> list[tuple[list[int], int]]:
    """(the positions in ``nums`` of the terms, that of the result) of each written sum of line ``text``: two or
    more quantities joined by "+", then "=" and the result, each followed by at most two words; not where the
    first term follows an identifier's word or a product sign ("Reports 108 + 109 + 110 = 3")."""
    if not _may_sum(text):
        return []
    return [(terms, result) for terms, result, _ in _chains(text, nums)]


def judge_sums(text: str, nums: Sequence[Number], checks: Sequence[Checked],
               found: Sequence[tuple[list[int], int]]) -> None:
    """Hold the result of each sum in ``found`` (of line ``text``) to its terms (see the module's docstring)."""
    for terms, result in found:
        check = checks[result]
        units = {canonical_unit(nums[k].unit) for k in (*terms, result) if nums[k].unit}
        if check.kind != "claim" or len(units) > 1:
            continue
        total = sum(nums[k].value for k in terms)
        # a whole count in a sum is exact ("28 + 44 + 29 = 103" is wrong by 2); a share, a time or a decimal may
        # each be rounded ("28% + 44% + 29% = 100%")
        exact = not units or units <= COUNT_UNITS
        slack = sum(nums[k].tolerance for k in (*terms, result) if not exact or "." in nums[k].raw)
        written = " + ".join(nums[k].raw for k in terms)
        value, slack = nums[result].value, slack + 1e-9 * abs(total)
        bound = _BOUND_BEFORE.search(text, 0, nums[result].start)
        said = bound.group(0).strip().lower() if bound else ("+" if text.startswith("+", nums[result].end) else "")
        if said in ("+", *_LOWER):
            wrong = total < value - slack
        elif said in _UPPER:
            wrong = total > value + slack
        else:
            wrong = abs(total - value) > max(slack, _APPROX * abs(value) if said else 0.0)
        if wrong:
            check.verdict, check.rule, check.fact = "contradicted", "derived", None
            check.explanation = f"its terms add up to {total:g} ({written}), not {check.raw} (rule: derived)"
        elif check.verdict == "unverified" or (check.verdict == "contradicted" and check.rule == "span"):
            # a sum is no level of its quantity ("= 100%" of shares, "= 8 files" of two models): a span does not
            # contradict it; a fact that does (the corpus's total against "28 CSV + 44 JSON = 72 files") still does
            if all(checks[k].kind == "claim" and checks[k].verdict == "supported" for k in terms):
                check.verdict, check.rule, check.fact = "supported", "derived", None
                check.explanation = f"the sum of its terms ({written}), each supported (rule: derived)"
            elif check.verdict == "contradicted":
                check.verdict, check.rule = "unverified", ""
                check.explanation = f"its terms add up to it ({written}), some of them unverified; {check.explanation}"
