"""A written range's ends are the lowest and the highest of the list of values both come from (``rangeends``)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_verdict_rules import fact

from pytest_chimera.checks.consistency import check_consistency
from pytest_chimera.checks.index import index_of
from pytest_chimera.checks.lists import list_of
from pytest_chimera.checks.numbers import find_numbers
from pytest_chimera.checks.query import fact_stats
from pytest_chimera.checks.rangeends import range_pairs
from pytest_chimera.evidence.facts import Facts

TPS = (14.244004, 13.603429, 14.297344, 13.849203, 13.274566, 13.30)  # one file's per-test throughput
TTFT = (2.3189992, 0.1258889, 0.1380218, 0.0889836, 0.0703272)  # one file's TTFT, a cold first run


def corpus() -> Facts:
    """Two lists (a JSON array's throughput, a CSV column's TTFT in seconds), the throughput's mean, and a lone
    throughput of another file (a fresh ``Facts``: its own fact index)."""
    return Facts.from_records([
        *(fact(f"json.runs.json.results[{k}].tokens_per_second", v, "tok/s", "tokens_per_second", "throughput",
               "tokens per second", "tok/s") for k, v in enumerate(TPS)),
        fact("json.runs.json.summary.avg_tokens_per_second", 13.853709, "tok/s", "avg_tokens_per_second",
             "throughput", "tokens per second", "tok/s", "avg", "mean"),
        fact("json.other.json.tokens_per_second", 99.0, "tok/s", "tokens_per_second", "throughput", "tok/s"),
        *(fact(f"table.a.csv[{k + 1}].ttft_s", v, "s", "ttft_s", "ttft", "time to first token")
          for k, v in enumerate(TTFT)),
        fact("json.runs.json.summary.total_tokens", 225.0, "tokens", "total_tokens", "total tokens", "tokens"),
        fact("json.runs.json.summary.max_tokens", 58.0, "tokens", "max_tokens", "max tokens", "tokens", "max"),
    ])


CORPUS = corpus()


def verdicts(line: str) -> dict[str, tuple[str | None, str]]:
    """{raw: (verdict, rule)} of the claims of one line checked against ``CORPUS``."""
    return {n.raw: (n.verdict, n.rule) for n in check_consistency(f"# R\n\n{line}\n", CORPUS).numbers
            if n.kind == "claim"}


@pytest.mark.parametrize("line", [
    "Throughput ranged from 13.60 to 14.24 tokens per second.",
    "Throughput: 13.60 - 14.24 tok/s.",
    "Throughput varied between 13.60 and 14.24 tokens per second.",
])
def test_inner_values_of_one_list_are_not_its_range(line: str) -> None:
    """Both ends are real values of the one array, whose values go further (13.27 to 14.30)."""
    assert set(verdicts(line).values()) == {("contradicted", "span")}


@pytest.mark.parametrize("line", [
    "Throughput ranged from 13.27 to 14.30 tokens per second.",
    "Throughput ranged from 13.3 to 14.3 tokens per second.",  # the extremes at the written precision (13.27)
    "Throughput varied between 13.27 and 14.30 tokens per second.",
])
def test_a_list_s_extremes_are_its_range(line: str) -> None:
    assert {v for v, _ in verdicts(line).values()} == {"supported"}


def test_one_end_out_of_range_and_one_at_it() -> None:
    """TTFT "from 0.070 to 0.138 seconds": 0.0703 is the lowest; the cold first run (2.32 s) is the highest."""
    got = verdicts("TTFT ranged from 0.070 seconds to 0.138 seconds.")
    assert got["0.070 seconds"][0] == "supported"
    assert got["0.138 seconds"] == ("contradicted", "span")


def test_a_range_in_another_unit_than_the_list_s() -> None:
    """"70 ms to 138 ms" of a column in seconds: the ends are compared in the column's unit."""
    got = verdicts("TTFT ranged from 70 ms to 138 ms.")
    assert got["70 ms"][0] == "supported" and got["138 ms"] == ("contradicted", "span")


def test_an_end_whose_other_end_is_no_value_is_held_to_its_own_list() -> None:
    """"from 12.42 to 14.24": no fact has 12.42, so 14.24's list is the only scope; it reaches 14.30."""
    got = verdicts("Throughput ranged from 12.42 to 14.24 tokens per second.")
    assert got["14.24 tokens per second"] == ("unverified", "")
    assert verdicts("Throughput ranged from 12.42 to 14.30 tokens per second.")["14.30 tokens per second"][0] == \
        "supported"  # the list's highest


def test_an_end_beside_no_value_is_verified_only_as_an_extreme() -> None:
    """A range is one claim: "from 44.0 to 225.0 tokens" with no fact of 44.0 leaves 225.0 (one run's total, no
    maximum) unverified; "from 3 to 58 tokens" keeps 58, the maximum of something."""
    got = verdicts("Token counts ranged from 44.0 to 225.0 tokens.")
    assert got["44.0"][0] == "unverified" and got["225.0 tokens"] == ("unverified", "")
    assert "no highest of anything" in next(n.explanation for n in check_consistency(
        "# R\n\nToken counts ranged from 44.0 to 225.0 tokens.\n", CORPUS).numbers if n.raw == "225.0 tokens")
    got = verdicts("Max tokens ranged from 3 to 58 tokens.")
    assert got["3"][0] in ("unverified", "contradicted") and got["58 tokens"][0] == "supported"


def test_a_list_s_lowest_and_highest_values_are_its_min_and_max() -> None:
    """``query.fact_stats``: a list's lowest value is a min, its highest a max (D's "Min Tokens/Sec |
    13.274566825679416": the JSON array has no min fact of its own); the other values and lone facts neither."""
    index = index_of(CORPUS)
    stats = {index.keys[i]: fact_stats(index, i) for i in range(len(index.keys))}
    assert stats["json.runs.json.results[4].tokens_per_second"] == {"min"}
    assert stats["json.runs.json.results[2].tokens_per_second"] == {"max"}
    assert stats["json.runs.json.results[1].tokens_per_second"] == frozenset()
    assert stats["table.a.csv[1].ttft_s"] == {"max"} and stats["table.a.csv[5].ttft_s"] == {"min"}
    assert stats["json.runs.json.summary.max_tokens"] == {"max"}  # by its label
    assert stats["json.other.json.tokens_per_second"] == frozenset()


@pytest.mark.parametrize("line", [
    "Excluding the first (cold) run, TTFT ranged from 0.0890 to 0.1380 s.",
    "With warm caches, throughput ranged from 13.60 to 14.24 tokens per second.",
    "At temperature 0.2, throughput ranged from 13.60 to 14.24 tokens per second.",
])
def test_words_that_may_narrow_a_range_make_it_unverified_not_contradicted(line: str) -> None:
    """A range of part of a list (the warm runs, one setting's rows) is true though the list goes further: the
    words before it that may narrow it ("Excluding", "With", "At") leave the verdict `unverified`."""
    ends = [v for raw, v in verdicts(line).items() if raw not in ("0.2",)]
    assert {v for v, _ in ends} == {"unverified"}, ends


@pytest.mark.parametrize("line", [
    "Throughput rose from 13.60 to 14.24 tokens per second between the first two tests.",
    "TTFT increased from 0.0890 to 0.1380 s after the warm-up.",
    "Throughput went up from 13.60 to 14.24 tokens per second.",
])
def test_a_change_from_one_value_to_another_is_no_range(line: str) -> None:
    assert {v for v, _ in verdicts(line).values()} == {"supported"}


def test_a_minimum_or_maximum_by_its_labels_is_an_extreme() -> None:
    """A fact labelled "lowest" (``lowest_ttft``) is a minimum, as the checker's statistics read labels: the
    low end it supports stays supported beside a made-up high end."""
    facts = Facts.from_records([*CORPUS, fact("tuning.lowest_ttft", 0.0741, "s", "lowest_ttft", "lowest ttft",
                                              "ttft", "lowest")])
    got = {n.raw: n.verdict for n in check_consistency("# R\n\nLowest TTFT ranged from 0.0741 to 0.9904 s.\n",
                                                        facts).numbers if n.kind == "claim"}
    assert got["0.0741"] == "supported" and got["0.9904 s"] != "supported"


def test_a_bare_range_copied_from_a_list() -> None:
    """A table's "0.0889836 - 0.1380218" under `ttft_s`: no unit is written, the copied values name the list."""
    assert set(verdicts("| ttft_s | 0.0889836 - 0.1380218 |").values()) == {("contradicted", "span")}


@pytest.mark.parametrize("line", [
    "Throughput ranged from 13.60 to 13.854 tokens per second.",  # the other end is the mean's: scope unknown
    "Throughput was 13.60 and 14.24 tokens per second.",  # "and" without "between": two values, no range
    "Throughput: 13.60, 14.24 tokens per second.",
])
def test_no_range_of_one_list_is_judged_as_one(line: str) -> None:
    got = verdicts(line)
    assert got["13.60"][0] == "supported", got


def test_the_explanation_names_the_list_and_its_span() -> None:
    [n] = [n for n in check_consistency("# R\n\nTTFT ranged from 0.070 s to 0.138 s.\n", CORPUS).numbers
           if n.raw == "0.138 s"]
    assert "'ttft_s' in test" in n.explanation and "0.0703272 to 2.319" in n.explanation
    assert n.explanation.endswith("is not the highest (rule: span)")


def test_list_of_names_a_row_or_array_value_s_list_only() -> None:
    assert list_of("table.a.csv[3].ttft_s") == "table.a.csv[*].ttft_s"
    assert list_of("json.f.json.results[1].runs[2].tokens") == "json.f.json.results[*].runs[*].tokens"
    assert list_of("table.a.csv.ttft_s.max") is None
    assert list_of("json.f.json.summary.avg") is None
    assert list_of("json.f.json.models[gemma3].mean") is None  # a named member: one value, no list


JOINS = st.sampled_from([" - ", "-", " – ", " to ", " and "])


@given(a=st.integers(1, 10_000), step=st.integers(1, 10_000), join=JOINS,
       opener=st.sampled_from(["", "from ", "between "]))
def test_two_quantities_joined_as_a_range_are_one(a: int, step: int, join: str, opener: str) -> None:
    low, high = a / 100, (a + step) / 100
    text = f"Throughput {opener}{low}{join}{high} tok/s"
    pairs = range_pairs(text, find_numbers(text))
    expected = [] if join == " and " and opener != "between " else [(0, 1)]
    assert pairs == expected
    backwards = f"Throughput {opener}{high}{join}{low} tok/s"
    assert range_pairs(backwards, find_numbers(backwards)) == []
