"""A value the corpus holds nowhere: where the words name facts of a quantity and none has the value (an
``unverified`` claim), say so when no fact of the corpus, of any quantity, has it either, as written or moved by
one of the usual scales: a hint that the number is made up or the writer's own computation. The verdict stays
``unverified``: a review found right numbers no file holds (a mean over two files, over the warm runs only, a
population standard deviation, a size converted with 1024), which a checker cannot tell from made-up ones."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_chimera.checks.query import PRECISE_DIGITS, Decision, Query, interval, significant_digits

if TYPE_CHECKING:
    from pytest_chimera.checks.index import FactIndex

# the scales a copied number may have been moved by: ms <-> s, a share <-> a percentage
SCALES = (1.0, 1e3, 1e-3, 1e2, 1e-2)
HINT = "no fact of the corpus, of any quantity, has this value (made up, or the writer's own computation)"


def held_anywhere(q: Query, index: FactIndex) -> bool:
    """Whether some fact of the corpus, of any unit, has the claim's value at its written precision, as
    written or moved by one of ``SCALES`` (remembered per value, precision and bound: reports repeat them)."""
    key = (q.value, q.tolerance, q.bound)
    held = index.held.get(key)
    if held is None:
        held = index.held[key] = _held(q, index)
    return held


def _held(q: Query, index: FactIndex) -> bool:
    from bisect import bisect_left, bisect_right

    values = index.all_values
    if values is None:  # a plain sorted list: a few bisections a claim cost less than numpy's calls
        values = index.all_values = sorted(index.raw_values)
    lo, hi = interval(q)
    for scale in SCALES:
        a, b = sorted((lo * scale, hi * scale))
        if bisect_right(values, b) > bisect_left(values, a):
            return True
    return False


def precise(q: Query) -> bool:
    """Whether the claim is a value whose absence from the corpus says something: not a bound, written with 3+
    significant digits, and a bare number (no unit) with decimals (a bare whole number may be an identifier,
    "12345", "20251002-170837")."""
    if q.bound in ("gt", "lt") or significant_digits(q) < PRECISE_DIGITS:
        return False
    return bool(q.unit) or q.tolerance < 0.5


def nowhere(q: Query, index: FactIndex, fallback: Decision) -> Decision:
    """``fallback`` (``unverified``: none of the facts the words name has the value), its explanation ending with
    ``HINT`` where the claim is ``precise`` and no fact of the corpus has its value."""
    if not precise(q) or held_anywhere(q, index):
        return fallback
    return Decision(fallback.verdict, fallback.fact, f"{fallback.explanation}; {HINT}", fallback.rule)
