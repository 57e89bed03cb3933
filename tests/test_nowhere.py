"""A value the words give facts for, that none of them has and no fact of the corpus has either, is said to be
held nowhere (``checks.nowhere``): the verdict stays ``unverified``, its explanation says so; a value the corpus
holds elsewhere, a bound, or an imprecise number gets no such hint."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_verdict_rules import fact

from pytest_chimera.checks.consistency import check_consistency
from pytest_chimera.checks.index import index_of
from pytest_chimera.checks.nowhere import HINT, SCALES, held_anywhere, precise
from pytest_chimera.checks.query import Query
from pytest_chimera.evidence.corpus import load_corpus
from pytest_chimera.evidence.facts import Facts, compute_facts

TPS = (14.244004, 13.603429, 14.297344, 13.849203, 13.274566, 14.5908)  # per-test throughput, tok/s: all within
# 25% of each other (no span or gap rule applies between 9.96 and 18.24)


def corpus() -> Facts:
    """Six throughput facts the words "throughput ... tokens per second" fit equally; a GPU memory of 15.51 GB
    and a GPU utilisation of 0.1399 (a fraction): values of other quantities (a fresh ``Facts``)."""
    return Facts.from_records([
        *(fact(f"json.runs.json.results[{k}].tokens_per_second", v, "tok/s", "tokens_per_second", "throughput",
               "tokens per second") for k, v in enumerate(TPS)),
        fact("json.gpu.json.memory_used_gb", 15.51, "GB", "memory_used_gb", "memory", "gpu memory"),
        fact("json.gpu.json.utilization", 0.1399, "", "utilization", "gpu utilization"),
        *(fact(f"s{k}", v, "", "score", "accuracy score") for k, v in enumerate((0.8123, 0.7651, 0.7902))),
    ])


CORPUS = corpus()


def verdict(line: str) -> tuple[str | None, str, str]:
    """(verdict, rule, explanation) of the one claim of a line checked against ``CORPUS``."""
    claims = [n for n in check_consistency(f"# R\n\n{line}\n", CORPUS).numbers if n.kind == "claim"]
    assert len(claims) == 1, claims
    return claims[0].verdict, claims[0].rule, claims[0].explanation


@pytest.mark.parametrize("line", [
    "The throughput reached 14.02 tokens per second.",  # among the six values: no span or gap rule decides
    "The throughput reached 13.70 tokens per second.",
    "The accuracy score was 0.8051.",  # a bare number with decimals
])
def test_a_value_held_nowhere_stays_unverified_and_says_so(line: str) -> None:
    got, rule, why = verdict(line)
    assert (got, rule) == ("unverified", "") and why.startswith("several facts fit the words equally and none")
    assert why.endswith(HINT)


@pytest.mark.parametrize("line", [
    "The throughput reached 15.51 tokens per second.",  # the GPU memory's value: a copy under the wrong name
    "The throughput reached 13.99 tokens per second.",  # the utilisation as a percentage (x100)
    "The throughput was over 14.6 tokens per second.",  # a bound is no value
    "The throughput stayed under 13.1 tokens per second.",
    "The accuracy score was 8051.",  # a bare whole number may be an identifier
    "The accuracy score was 81.",  # two significant digits say little
])
def test_no_hint_for_a_value_held_elsewhere_a_bound_or_an_imprecise_number(line: str) -> None:
    got, _, why = verdict(line)
    assert got == "unverified" and HINT not in why


def query(value: float, tolerance: float, bound: str = "", unit: str = "tok/s") -> Query:
    return Query(value, unit, tolerance, bound, set(), [], frozenset())


def test_precise_is_a_value_written_to_three_digits_and_no_bound() -> None:
    assert precise(query(14.0, 0.05)) and precise(query(0.805, 0.0005, unit=""))
    assert not precise(query(14.0, 0.5)) and not precise(query(805.0, 0.5, unit=""))
    assert not precise(query(14.02, 0.005, "gt")) and not precise(query(14.02, 0.005, "lt"))


@given(st.sampled_from(TPS + (15.51, 0.1399)), st.integers(0, 4), st.sampled_from(SCALES))
def test_every_fact_is_held_at_any_precision_and_scale(value: float, decimals: int, scale: float) -> None:
    """A fact's value, rounded to any number of decimals (as a writer copies it) and moved by a usual scale,
    is found: the hint never calls a copied value absent."""
    written = round(value * scale, decimals)
    assert held_anywhere(query(written, 0.5 * 10 ** -decimals), index_of(CORPUS))


@given(st.floats(20.0, 70.0))
def test_a_value_far_from_every_fact_at_every_scale_is_held_nowhere(value: float) -> None:
    """Between 20 and 70, x1,000 and /1,000, x100 and /100 included (79.02 / 100 would be a score, 139.9 / 1,000
    the utilisation), this corpus has no value."""
    assert not held_anywhere(query(value, 0.005), index_of(CORPUS))


def test_held_is_remembered_per_value_precision_and_bound() -> None:
    """14.2 written to one decimal holds 14.244; to three decimals ("14.200") it holds nothing (a fresh index)."""
    index = index_of(corpus())
    assert held_anywhere(query(14.2, 0.05), index)
    assert not held_anywhere(query(14.2, 0.0005), index)
    assert held_anywhere(query(14.2, 0.0005, "gt"), index)  # a bound's interval is open: 14.244 is above


@pytest.fixture(scope="module")
def real_facts(chimeraforge_corpus: Path) -> Facts:
    return compute_facts(load_corpus(chimeraforge_corpus))


@pytest.mark.parametrize(("line", "raw", "start"), [
    # G's table row: the words fit many latency facts loosely, none with 3.25 (``matching``'s "many facts fit")
    ("| Latency (seconds) | 0.1  | 15.58 | 3.25    | 2.12                |", "3.25", "many facts fit the words"),
    # A's made-up overall average: several throughput facts fit equally
    ("* **Overall Average Tokens per Second:** 70.36", "70.36", "several facts fit the words equally"),
])
def test_the_hint_on_the_real_corpus(real_facts: Facts, line: str, raw: str, start: str) -> None:
    [n] = [n for n in check_consistency(f"# R\n\n{line}\n", real_facts).numbers if n.raw == raw]
    assert n.verdict == "unverified" and n.explanation.startswith(start) and n.explanation.endswith(HINT)
