"""The per-check memo of ``matching`` (``seen``) and the chance guard's sorted input: speed-ups that must
never change a verdict."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_chimera.checks import claims as cl
from pytest_chimera.checks.index import FactIndex
from pytest_chimera.checks.matching import match
from pytest_chimera.checks.query import Query, by_chance, context
from pytest_chimera.evidence.facts import Fact, Facts

N_PER_MODEL = 1200  # over ``COMMON_DF`` facts of "latency" in all: a common word, matched through the pooled path


def _index() -> FactIndex:
    """Latencies of two models: gemma3:1b's spread over 1-1200 ms (a value there agrees by chance), every one
    of gemma3:270m's 50 ms (a value of 50 ms is no coincidence)."""
    rng = random.Random(3)
    records = [Fact(f"t.a{k}.latency", float(k + 1), "ms", f"a{k}", ("latency", "gemma3:1b"))
               for k in range(N_PER_MODEL)]
    records += [Fact(f"t.b{k}.latency", 50.0, "ms", f"b{k}", ("latency", "gemma3:270m"))
                for k in range(N_PER_MODEL)]
    rng.shuffle(records)
    return FactIndex(Facts.from_records(records))


def _claim(model: str) -> Query:
    seq, bag = context("latency")
    return Query(50.0, "ms", 0.5, "", bag, seq, cl.models_named(model))


def test_a_check_memo_keeps_the_pools_of_different_models_apart() -> None:
    index = _index()
    alone = {model: match(_claim(model), index) for model in ("gemma3:1b", "gemma3:270m")}
    assert alone["gemma3:1b"].verdict == "unverified" and alone["gemma3:1b"].rule == "chance guard"
    assert alone["gemma3:270m"].verdict == "supported"
    for order in (("gemma3:1b", "gemma3:270m"), ("gemma3:270m", "gemma3:1b")):
        seen: dict[object, object] = {}
        for model in order * 2:  # the second time each from the memo
            assert match(_claim(model), index, seen=seen) == alone[model], (order, model)
        assert seen  # the memo was used


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 30), min_size=2, max_size=40), st.floats(0.05, 5.0), st.sampled_from(["", "approx"]))
def test_the_chance_guard_on_sorted_values_is_the_guard_on_any_order(values: list[int], tol: float, bound: str
                                                                      ) -> None:
    import numpy as np

    q = Query(float(values[0]), "ms", tol, bound, set(), [], frozenset())
    given_order = np.array(values, dtype=float)
    assert by_chance(q, np.sort(given_order), 1, ordered=True) == by_chance(q, given_order, 1)


def test_the_phrases_of_a_claim_follow_the_order_of_its_nearest_words() -> None:
    """Two claims whose clauses and nearest words have the same words in another order: a label phrase is
    found in the order it is written only (the cache of ``matched`` is keyed on the words as a sequence)."""
    index = FactIndex(Facts.from_records([Fact(f"t.x{k}.ttft", float(k), "ms", f"x{k}", ("time to first token",))
                                          for k in range(5)]))
    d = index.dims["time"]  # the dimension of ms
    seq, bag = context("mean")
    found = []
    for near in ("time to first token", "token first to time"):
        near_seq, near_bag = context(near)
        found.append(Query(1.0, "ms", 0.5, "", bag, seq, frozenset(), near_bag, near_seq).phrases("time", d))
    assert ("time", "to", "first", "token") in found[0]
    assert ("time", "to", "first", "token") not in found[1]


def test_the_pools_of_two_dimensions_are_sorted_together_for_the_chance_guard() -> None:
    """A bare number's facts come from several dimensions (plain numbers and counts); each dimension's pool of
    best fits is sorted, their concatenation is not, and the chance guard counts distinct values by comparing
    neighbours: 10 distinct values (50, 52, ..., 68) over both pools, not 20."""
    records = [Fact(f"t.{unit or 'plain'}{k}.score", 50.0 + 2 * (k % 10), unit, f"s{k}", ("score",))
               for unit in ("", "rows") for k in range(N_PER_MODEL)]
    index = FactIndex(Facts.from_records(records))
    assert {"", "rows"} <= set(index.dims)
    seq, bag = context("score")
    decision = match(Query(50.0, "", 0.5, "", bag, seq, frozenset()), index)  # 10 values x 1 / 18 < 1: no chance
    assert decision.verdict == "supported", decision
