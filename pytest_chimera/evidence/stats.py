"""Column statistics in plain Python, bit for bit what numpy gave for the same columns.

The facts used to compute count/mean/median/min/max/std with numpy ufuncs over a 2-D float array; per small
table that is dozens of ufunc calls (and importing numpy at all costs more than reading a whole corpus).
``column_stats`` computes the same numbers from per-column lists, with numpy's order of additions, so every
fact keeps its exact value:

- a column numpy saw as contiguous memory (the columns of a whole table, which the facts stored column by
  column; any single column) is summed the way numpy's ``pairwise_sum`` does: blocks of fewer than 8 values
  in order, up to 128 values in 8 interleaved partial sums, longer runs split in two halves (a multiple of 8
  values first);
- rows of a row-major array of several columns (the rows of one model's group, a Markdown table) were
  added one row after another: a plain running sum per column.

NaN marks a missing value and is ignored, as before. ``tests/test_stats.py`` checks both against numpy.
"""

from __future__ import annotations

import math

STATS = ("count", "mean", "median", "min", "max", "std")
# columns shorter than this are added in order either way (numpy's pairwise sum starts with a plain loop), so
# ``column_stats`` gives the same numbers for them whether ``contiguous`` or not
IN_ORDER_BELOW = 8
_NAN = math.nan


def pairwise_sum(values: list[float], start: int = 0, n: int | None = None) -> float:
    """``values[start:start + n]`` summed in numpy's pairwise order (``0.0 +`` that sum, as a reduction is)."""
    if n is None:
        n = len(values) - start
    return 0.0 + _pairwise(values, start, n)


def _pairwise(a: list[float], lo: int, n: int) -> float:
    if n < IN_ORDER_BELOW:
        res = -0.0
        for x in a[lo:lo + n]:
            res += x
        return res
    if n <= 128:
        r0, r1, r2, r3, r4, r5, r6, r7 = a[lo:lo + 8]
        end = lo + n - n % 8
        i = lo + 8
        while i < end:
            r0 += a[i]
            r1 += a[i + 1]
            r2 += a[i + 2]
            r3 += a[i + 3]
            r4 += a[i + 4]
            r5 += a[i + 5]
            r6 += a[i + 6]
            r7 += a[i + 7]
            i += 8
        res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
        for x in a[end:lo + n]:
            res += x
        return res
    half = n // 2
    half -= half % 8
    return _pairwise(a, lo, half) + _pairwise(a, lo + half, n - half)


def column_stats(columns: list[list[float]], contiguous: bool) -> dict[str, list[float]]:
    """Per statistic (``STATS``), one value per column; NaN where a statistic has no value.

    ``columns``: the float values of each column (NaN where missing), all of one length. ``contiguous``: numpy
    held each column contiguously (see the module docstring); a single column always is. std is the sample
    standard deviation (ddof=1), NaN for fewer than two values; a column with no values has count 0 and NaN
    for the rest.
    """
    pairwise = contiguous or len(columns) == 1
    out: dict[str, list[float]] = {stat: [] for stat in STATS}
    count_of, mean_of, median_of = out["count"], out["mean"], out["median"]
    min_of, max_of, std_of = out["min"], out["max"], out["std"]
    for column in columns:
        size = len(column)
        whole = sum(column)  # only to tell: NaN when a value is missing (or +inf meets -inf: sorted out below)
        present = column if whole == whole else [x for x in column if x == x]
        count = len(present)
        count_of.append(float(count))
        if not count:
            mean_of.append(_NAN)
            median_of.append(_NAN)
            min_of.append(_NAN)
            max_of.append(_NAN)
            std_of.append(_NAN)
            continue
        # added in order (a short column's pairwise sum is its running sum), a missing value adds nothing (0.0);
        # else numpy's pairwise order, 0.0 in its place
        in_order = size < IN_ORDER_BELOW or not pairwise
        if in_order:
            total = 0.0
            for x in present:
                total += x
        else:
            total = pairwise_sum(column if count == size else [x if x == x else 0.0 for x in column])
        mean = total / count
        mean_of.append(mean)
        ordered = sorted(present)
        last = count - 1
        median_of.append((ordered[last // 2] + ordered[min(count // 2, last)]) / 2)
        min_of.append(ordered[0])
        max_of.append(ordered[last])
        if count < 2:
            std_of.append(_NAN)
            continue
        if in_order:
            total = 0.0
            for x in present:
                total += (x - mean) * (x - mean)
        elif count == size:
            total = pairwise_sum([(x - mean) * (x - mean) for x in column])
        else:
            total = pairwise_sum([(x - mean) * (x - mean) if x == x else 0.0 for x in column])
        std_of.append(math.sqrt(total / last) if total == total else _NAN)
    return out
