"""A value the words give facts for, that none of them has and no fact of the corpus has either, is made up:
``contradicted`` (``checks.nowhere``); one the corpus holds elsewhere, an aggregate of the facts or a bound stays
``unverified``."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_verdict_rules import fact

from pytest_chimera.checks.consistency import check_consistency
from pytest_chimera.checks.index import index_of
from pytest_chimera.checks.nowhere import SCALES, derived_from, held_anywhere, made_up
from pytest_chimera.checks.query import Query
from pytest_chimera.evidence.facts import Facts

TPS = (14.244004, 13.603429, 14.297344, 13.849203, 13.274566, 14.5908)  # per-test throughput, tok/s: mean 13.9766,
# median 14.0466, all within 25% of each other (no span or gap rule applies between 9.96 and 18.24)


def corpus() -> Facts:
    """Six throughput facts the words "throughput ... tokens per second" fit equally; a GPU memory of 15.51 GB
    and a GPU utilisation of 0.1399 (a fraction): values of other quantities (a fresh ``Facts``)."""
    return Facts.from_records([
        *(fact(f"json.runs.json.results[{k}].tokens_per_second", v, "tok/s", "tokens_per_second", "throughput",
               "tokens per second") for k, v in enumerate(TPS)),
        fact("json.gpu.json.memory_used_gb", 15.51, "GB", "memory_used_gb", "memory", "gpu memory"),
        fact("json.gpu.json.utilization", 0.1399, "", "utilization", "gpu utilization"),
    ])


CORPUS = corpus()


def verdict(line: str) -> tuple[str | None, str, str]:
    """(verdict, rule, explanation) of the one claim of a line checked against ``CORPUS``."""
    claims = [n for n in check_consistency(f"# R\n\n{line}\n", CORPUS).numbers if n.kind == "claim"]
    assert len(claims) == 1, claims
    return claims[0].verdict, claims[0].rule, claims[0].explanation


@pytest.mark.parametrize("value", ["14.02", "13.70", "14.4"])
def test_a_made_up_value_among_the_facts_is_contradicted(value: str) -> None:
    """Inside the six values' span and near them, so only its absence from the corpus decides."""
    got, rule, why = verdict(f"The throughput reached {value} tokens per second.")
    assert (got, rule) == ("contradicted", "span")
    assert "none has this value" in why and "no fact of the corpus, of any quantity, has this value" in why


@pytest.mark.parametrize("line", [
    "The throughput reached 15.51 tokens per second.",  # the GPU memory's value: a mislabelled copy
    "The throughput reached 13.99 tokens per second.",  # the utilisation as a percentage (x100)
    "The throughput averaged 13.98 tokens per second.",  # the six values' mean: the writer's own aggregate
    "The median throughput was 14.05 tokens per second.",  # their median
    "The throughput stayed below 13.1 tokens per second.",  # a bound, which no value has to be
])
def test_a_value_the_corpus_holds_elsewhere_or_an_aggregate_is_only_unverified(line: str) -> None:
    got, rule, why = verdict(line)
    assert (got, rule) == ("unverified", "") and "no fact of the corpus" not in why


@pytest.mark.parametrize("line", ["The throughput was over 14.6 tokens per second.",
                                  "The throughput exceeded 14.6 tokens per second.",
                                  "The throughput stayed under 13.1 tokens per second."])
def test_a_bound_is_no_value(line: str) -> None:
    """No fact of this corpus reaches 14.6 (the highest is 14.5908) nor stays under 13.1 (the lowest is 13.2746),
    but a bound is no value the corpus would hold: it stays ``unverified`` (a bound must hold for every best fit;
    here none satisfies it)."""
    throughput_only = Facts.from_records([fact(f"t{k}", v, "tok/s", "throughput", "tokens per second")
                                          for k, v in enumerate(TPS)])
    [n] = [n for n in check_consistency(f"# R\n\n{line}\n", throughput_only).numbers if n.kind == "claim"]
    assert n.verdict == "unverified" and "no fact of the corpus" not in n.explanation


def test_a_value_no_fact_is_named_for_is_left_alone() -> None:
    """Without facts the words name, an absent value says nothing: no quantity was claimed."""
    got, _, why = verdict("The frobnication index reached 14.02 widgets per second.")
    assert got == "unverified" and "no fact of the corpus" not in why


SCORES = Facts.from_records([
    *(fact(f"s{k}", v, "", "score", "accuracy score") for k, v in enumerate((0.8123, 0.7651, 0.7902, 0.8310))),
    *(fact(f"t{k}", v, "tokens", "tokens", "generated tokens", "output") for k, v in enumerate((144, 158, 225, 171))),
    *(fact(f"a{k}", v, "", "analysis", "technical") for k, v in enumerate((19.0, 75.0, 1048.0)))])


@pytest.mark.parametrize(("line", "expected"), [
    ("The accuracy score was 0.8051.", "contradicted"),  # bare, with decimals, 4 significant digits
    ("The accuracy score was 0.805.", "unverified"),  # bare with 3: a bare number's quantity is a guess
    ("The accuracy score was 8051.", "unverified"),  # a bare whole number may be an identifier
    ("The output held 163 generated tokens.", "contradicted"),  # a count of a noun the corpus counts
    ("The output held 163 generated lines.", "unverified"),  # no count noun: a bare whole number
    ("## Technical Report 1049: analysis", "unverified"),  # "reports": the corpus counts none (its facts are bare)
])
def test_only_a_value_the_corpus_would_hold_is_made_up(line: str, expected: str) -> None:
    claims = [n for n in check_consistency(f"# R\n\n{line}\n", SCORES).numbers if n.kind == "claim"]
    assert [n.verdict for n in claims] == [expected]
    assert ("no fact of the corpus" in claims[0].explanation) == (expected == "contradicted")


def query(value: float, tolerance: float, bound: str = "") -> Query:
    return Query(value, "", tolerance, bound, set(), [], frozenset())


@given(st.sampled_from(TPS + (15.51, 0.1399)), st.integers(0, 4), st.sampled_from(SCALES))
def test_every_fact_is_held_at_any_precision_and_scale(value: float, decimals: int, scale: float) -> None:
    """A fact's value, rounded to any number of decimals (as a writer copies it) and moved by a usual scale,
    is found: the rule never calls a copied value made up."""
    written = round(value * scale, decimals)
    assert held_anywhere(query(written, 0.5 * 10 ** -decimals), index_of(CORPUS))


@given(st.floats(20.0, 130.0))
def test_a_value_far_from_every_fact_at_every_scale_is_held_nowhere(value: float) -> None:
    """Between 20 and 130, x1,000 and /1,000, x100 and /100 included (139.9 / 1,000 would be the utilisation), this
    corpus has no value."""
    assert not held_anywhere(query(value, 0.005), index_of(CORPUS))


def test_an_aggregate_of_the_fits_is_derived() -> None:
    fits = np.array(TPS)
    assert derived_from(query(13.98, 0.005), fits) and derived_from(query(14.05, 0.005), fits)
    assert derived_from(query(83.86, 0.005), fits)  # their sum
    assert not derived_from(query(14.02, 0.005), fits) and not derived_from(query(13.98, 0.005), fits[:0])


@pytest.mark.parametrize("bound", ["gt", "lt"])
def test_a_bound_is_never_made_up(bound: str) -> None:
    """An open interval meets some fact at one of the scales anyway; the bound is no value whatever the scales."""
    index = index_of(CORPUS)
    assert made_up(Query(13.1, "tok/s", 0.05, "", set(), [], frozenset()), index, 0)
    assert not made_up(Query(13.1, "tok/s", 0.05, bound, set(), [], frozenset()), index, 0)


def test_held_is_remembered_per_value_precision_and_bound() -> None:
    """14.2 written to one decimal holds 14.244; to three decimals ("14.200") it holds nothing (a fresh index)."""
    index = index_of(corpus())
    assert held_anywhere(query(14.2, 0.05), index)
    assert not held_anywhere(query(14.2, 0.0005), index)
    assert held_anywhere(query(14.2, 0.0005, "gt"), index)  # a bound's interval is open: 14.244 is above
