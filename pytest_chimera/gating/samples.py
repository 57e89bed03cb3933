"""Repeated samples of one test: reproducible seeds, and what the per-sample verdicts add up to.

A test run with ``samples=N`` runs its agent N times. Sample ``i`` gets a seed derived from the test id,
``i`` and the configured seed (if any), so a rerun of the same test asks the model the same N questions
and a cassette per sample replays it. One sample keeps the configured seed untouched.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

SEED_MODULUS = 2**31 - 1  # seeds stay positive 32-bit ints for every backend


def sample_seed(test_id: str, index: int, base: int | None = None) -> int:
    """The seed of sample ``index`` of ``test_id``: a hash of both (and of ``base``), in 1..2**31-1."""
    text = f"{test_id}\0{index}\0{'' if base is None else base}"
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()
    return int.from_bytes(digest[:8], "big") % SEED_MODULUS + 1


def sample_seeds(test_id: str, samples: int, base: int | None = None) -> list[int | None]:
    """Seeds for ``samples`` samples: ``[base]`` for one sample (the configuration as given), else derived."""
    if samples < 1:
        raise ValueError(f"samples must be >= 1, got {samples}")
    if samples == 1:
        return [base]
    return [sample_seed(test_id, i, base) for i in range(samples)]


def flips(verdicts: Sequence[bool]) -> int:
    """How often the verdict changed from one sample to the next."""
    return sum(1 for a, b in zip(verdicts[:-1], verdicts[1:], strict=True) if a != b)


def summary(verdicts: Sequence[bool], min_pass_rate: float, seeds: Sequence[int | None] = ()) -> dict[str, Any]:
    """The ``samples`` block of a test: n, verdicts, pass rate, flips, the threshold and whether it held."""
    if not verdicts:
        raise ValueError("a samples summary needs at least one verdict")
    passed = sum(1 for v in verdicts if v)
    rate = passed / len(verdicts)
    return {
        "n": len(verdicts),
        "seeds": list(seeds),
        "verdicts": ["passed" if v else "failed" for v in verdicts],
        "passed": passed,
        "pass_rate": rate,
        "flips": flips(verdicts),
        "min_pass_rate": min_pass_rate,
        "ok": rate >= min_pass_rate,
        "flaky": 0 < passed < len(verdicts),
    }
