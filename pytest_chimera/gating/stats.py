"""Statistics of benchmark rounds: summaries and a one-sided Mann-Whitney U test (pure standard library)."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

ALPHA = 0.01
MIN_ROUNDS = 6

def summarize(values: Sequence[float]) -> dict[str, float]:
    """median, mean, p90 (linear interpolation), stddev (sample), min, max of a non-empty sequence."""
    data = sorted(float(v) for v in values)
    if not data:
        raise ValueError("summarize needs at least one value")
    pos = 0.9 * (len(data) - 1)
    low = math.floor(pos)
    high = min(low + 1, len(data) - 1)
    p90 = data[low] + (data[high] - data[low]) * (pos - low)
    return {
        "median": statistics.median(data),
        "mean": statistics.fmean(data),
        "p90": p90,
        "stddev": statistics.stdev(data) if len(data) > 1 else 0.0,
        "min": data[0],
        "max": data[-1],
    }


@lru_cache(maxsize=256)
def _u_counts(n1: int, n2: int) -> tuple[int, ...]:
    """Number of orderings of n1 x's and n2 y's (no ties) giving each value of U_x, 0..n1*n2."""
    # f[i][j][u]: built row by row; the last element is either an x (adds j to U_x) or a y.
    prev: list[list[int]] = [[1] for _ in range(n2 + 1)]  # i = 0: U = 0 whatever j
    for i in range(1, n1 + 1):
        row: list[list[int]] = [[1]]  # j = 0: U = 0
        for j in range(1, n2 + 1):
            size = i * j + 1
            counts = [0] * size
            with_x = prev[j]  # last is x, greater than all j y's: U += j
            for u, c in enumerate(with_x):
                counts[u + j] += c
            for u, c in enumerate(row[j - 1]):  # last is y: U unchanged
                counts[u] += c
            row.append(counts)
        prev = row
    return tuple(prev[n2])


@dataclass(frozen=True)
class MannWhitney:
    """A one-sided Mann-Whitney U test of "x tends to be greater than y"."""

    u: float  # U of x: pairs with x > y, plus half the ties
    p_value: float
    method: str  # "exact" or "normal" (normal approximation with tie and continuity correction)


def mann_whitney_greater(x: Sequence[float], y: Sequence[float]) -> MannWhitney:
    """One-sided Mann-Whitney U test, alternative: x is stochastically greater than y.

    Exact null distribution when there are no ties and n1 + n2 <= 40, else the normal approximation
    with tie correction and a continuity correction of 0.5.
    """
    n1, n2 = len(x), len(y)
    if n1 == 0 or n2 == 0:
        raise ValueError("Mann-Whitney U needs at least one value on each side")
    pooled = sorted([(float(v), 0) for v in x] + [(float(v), 1) for v in y])
    n = n1 + n2
    rank_sum_x = 0.0
    tie_term = 0.0
    i = 0
    while i < n:
        j = i
        while j + 1 < n and pooled[j + 1][0] == pooled[i][0]:
            j += 1
        mid_rank = (i + j) / 2 + 1
        t = j - i + 1
        tie_term += t**3 - t
        rank_sum_x += mid_rank * sum(1 for k in range(i, j + 1) if pooled[k][1] == 0)
        i = j + 1
    u = rank_sum_x - n1 * (n1 + 1) / 2
    if tie_term == 0 and n <= 40:
        counts = _u_counts(n1, n2)
        total = sum(counts)
        at_least = sum(counts[math.ceil(u) :])
        return MannWhitney(u, at_least / total, "exact")
    mean = n1 * n2 / 2
    variance = n1 * n2 / 12 * ((n + 1) - tie_term / (n * (n - 1)))
    if variance <= 0:
        return MannWhitney(u, 1.0, "normal")
    z = (u - mean - 0.5) / math.sqrt(variance)
    return MannWhitney(u, 0.5 * math.erfc(z / math.sqrt(2)), "normal")


def _doubled_ranks(pooled: Sequence[float]) -> list[tuple[int, int]]:
    """Tie groups of sorted ``pooled`` values: (doubled mid-rank, size). Doubled ranks are whole numbers."""
    groups: list[tuple[int, int]] = []
    i, n = 0, len(pooled)
    while i < n:
        j = i
        while j + 1 < n and pooled[j + 1] == pooled[i]:
            j += 1
        groups.append((i + j + 2, j - i + 1))  # 2 * mid-rank of positions i..j (1-based ranks)
        i = j + 1
    return groups


EXACT_MAX = 30  # the exact permutation test up to this many values in all; beyond, the normal approximation


def exact_greater(x: Sequence[float], y: Sequence[float]) -> MannWhitney:
    """One-sided Mann-Whitney U test (x stochastically greater than y) with its exact permutation distribution.

    Ties are kept (mid-ranks): the null distribution is the rank sum of x over every way of choosing len(x)
    of the pooled values. Fit for small samples of counts, where ties are the rule and the normal
    approximation is poor; for 0/1 data it is Fisher's exact test. The counts come from the generating
    function prod over tie groups of sum_c C(size, c) t^c z^(c * doubled rank), its coefficients packed
    into one Python integer (``bits`` bits each), so each group is a few big-integer shifts and adds.
    Beyond :data:`EXACT_MAX` values in all, the normal approximation of :func:`mann_whitney_greater`.
    """
    n1, n2 = len(x), len(y)
    if n1 == 0 or n2 == 0:
        raise ValueError("Mann-Whitney U needs at least one value on each side")
    if n1 + n2 > EXACT_MAX:
        return mann_whitney_greater(x, y)
    n = n1 + n2
    xs = [float(v) for v in x]
    pooled = sorted([*xs, *(float(v) for v in y)])
    groups = _doubled_ranks(pooled)
    rank_of = {}
    position = 0
    for doubled, size in groups:
        rank_of[pooled[position]] = doubled
        position += size
    observed = sum(rank_of[v] for v in xs)
    bits = n + 2  # every count is at most C(n, k) < 2**n
    width = n * (n + 1) + 1  # doubled rank sums of any k values stay below this
    packed = 1  # coefficient of t^k z^s at bit (k * width + s) * bits
    for doubled, size in groups:
        packed = sum((packed * math.comb(size, c)) << ((c * width + c * doubled) * bits)
                     for c in range(min(size, n1) + 1))
    row = (packed >> (n1 * width * bits)) & ((1 << (width * bits)) - 1)
    tail, mask, at_least = row >> (observed * bits), (1 << bits) - 1, 0
    while tail:
        at_least += tail & mask
        tail >>= bits
    u = observed / 2 - n1 * (n1 + 1) / 2
    return MannWhitney(u, at_least / math.comb(n, n1), "exact permutation")


FISHER_MAX = 2000  # exact up to this many samples in all; beyond, the normal approximation on 0/1 values


def fisher_fewer(successes_a: int, n_a: int, successes_b: int, n_b: int) -> float:
    """One-sided Fisher's exact test: p of ``b`` having this few successes or fewer, given both margins.

    ``a`` is the baseline, ``b`` the current run: a small p says b's success rate is lower than a's. Beyond
    :data:`FISHER_MAX` samples in all, the Mann-Whitney U normal approximation on the 0/1 values.
    """
    for k, n in ((successes_a, n_a), (successes_b, n_b)):
        if not 0 <= k <= n:
            raise ValueError(f"successes must be between 0 and the sample size, got {k} of {n}")
    if n_a + n_b > FISHER_MAX:
        a = [1.0] * successes_a + [0.0] * (n_a - successes_a)
        b = [1.0] * successes_b + [0.0] * (n_b - successes_b)
        return mann_whitney_greater(a, b).p_value
    total_successes, total = successes_a + successes_b, n_a + n_b
    denominator = math.comb(total, n_b)
    low = max(0, n_b - (total - total_successes))
    tail = sum(
        math.comb(total_successes, k) * math.comb(total - total_successes, n_b - k)
        for k in range(low, successes_b + 1)
    )
    return tail / denominator
