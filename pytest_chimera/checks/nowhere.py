"""A value the corpus holds nowhere: the words name facts of a quantity and none has the value (no span or gap
rule decided), and no fact of the corpus, of any quantity, as written or moved by one of the usual scales, has
it either: a made-up number, ``contradicted``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_chimera.checks.query import (
    COUNT_UNITS,
    PRECISE_DIGITS,
    Decision,
    Query,
    agrees,
    interval,
    significant_digits,
)

if TYPE_CHECKING:
    import numpy as np

    from pytest_chimera.checks.index import FactIndex

# the scales a copied number may have been moved by: ms <-> s, a share <-> a percentage
SCALES = (1.0, 1e3, 1e-3, 1e2, 1e-2)


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


def derived_from(q: Query, fits: np.ndarray) -> bool:
    """Whether the claim is the mean, median or sum of the values the words fit (a writer's own aggregate)."""
    import numpy as np

    if not fits.size:
        return False
    return bool(agrees(q, np.array([fits.mean(), float(np.median(fits)), fits.sum()])).any())


def made_up(q: Query, index: FactIndex, fact: int | None) -> bool:
    """Whether the claim is a value of a quantity that the corpus would hold were it true: written with a unit
    and 3+ significant digits, or bare with decimals and 4+ (a bare whole number may be an identifier, "12345",
    "20251002-170837"); not a bound; a count only of a noun the corpus counts (``fact``, the nearest fit, has its
    unit: "Technical Report 108" is no count where the facts the words fit are bare numbers)."""
    if q.bound in ("gt", "lt"):
        return False
    if not q.unit:
        return q.tolerance < 0.5 and significant_digits(q) > PRECISE_DIGITS
    if q.unit in COUNT_UNITS and (fact is None or index.units[fact] != q.unit):
        return False
    return significant_digits(q) >= PRECISE_DIGITS


def nowhere(q: Query, index: FactIndex, fallback: Decision, fits: np.ndarray) -> Decision:
    """``contradicted`` when the words name facts of the claim's quantity and none has its value (``fallback``,
    ``unverified``; ``fits``: the values of the best fits, in the claim's unit), the claim is ``made_up`` if
    absent, its value is no mean, median or sum of the fits, and no fact of the corpus has it; else ``fallback``."""
    if not made_up(q, index, fallback.fact) or held_anywhere(q, index) or derived_from(q, fits):
        return fallback
    return Decision("contradicted", fallback.fact,
                    f"{fallback.explanation}; no fact of the corpus, of any quantity, has this value", "span")
