"""Each safeguard and threshold of the verdict, at its boundary: a test here fails when one is removed, loosened
or (where that is also wrong) tightened. ``python bench/mutants.py`` applies those changes one at a time."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_chimera.checks import query
from pytest_chimera.checks.consistency import check_consistency
from pytest_chimera.evidence.facts import Fact, Facts


def verdict(markdown: str, facts: Facts) -> tuple[str | None, str, str]:
    """(verdict, rule, fact key) of the only claim of ``markdown``."""
    [n] = [n for n in check_consistency(markdown, facts).numbers if n.kind == "claim"]
    return n.verdict, n.rule, n.fact.key if n.fact else ""


def fact(key: str, value: float, unit: str, *labels: str) -> Fact:
    return Fact(key, value, unit, f"test: {key}", labels)


# ---- naming: SPECIFIC_DF, MIN_NAMING_LABELS, NEAR_WEIGHT ----------------------------------------------------


def widgets(df: int) -> Facts:
    """One fact carries "alpha" and "beta"; ``df - 1`` others carry one of them each."""
    others = [fact(f"a{k}", 10 + k, "", "alpha") for k in range(df - 1)]
    others += [fact(f"b{k}", 30 + k, "", "beta") for k in range(df - 1)]
    return Facts.from_records([fact("target", 3, "", "alpha", "beta"), *others])


def test_a_single_best_fact_is_named_only_by_a_label_few_facts_carry() -> None:
    assert query.SPECIFIC_DF == 5
    assert verdict("alpha beta: 7", widgets(5))[0] == "contradicted"  # "alpha" on 5 facts: specific
    assert verdict("alpha beta: 7", widgets(6))[0] == "unverified"  # on 6: the words are too common
    assert verdict("alpha beta: 3", widgets(6))[:2] == ("supported", "exact fact")


def test_a_single_best_fact_needs_two_of_its_labels_to_be_named() -> None:
    facts = Facts.from_records([fact("target", 3, "", "gamma", "delta"), fact("other", 40, "", "delta", "omega"),
                                fact("third", 50, "", "omega")])
    assert verdict("gamma delta: 7", facts)[0] == "contradicted"
    assert verdict("gamma: 7", facts)[0] == "unverified"  # one label names nothing for sure


def test_the_words_nearest_a_number_weigh_more() -> None:
    facts = Facts.from_records([fact("red", 5, "", "red", "box"), fact("blue", 9, "", "blue", "box"),
                                fact("green", 12, "", "green")])
    # "red" is in the clause, "blue" next to the number: the blue box is meant, 5 is wrong for it
    assert verdict("Of the red ones, the box count was 5 for blue boxes", facts)[2] == "blue"


# ---- the written value: APPROX_REL, significant digits, truncation ------------------------------------------

SHARES = Facts.from_records([fact("files.by_type.md.pct", 28.712871, "%", "markdown", "share", "percent")])


@pytest.mark.parametrize(("text", "expected"), [
    ("Markdown is approximately 30% of the files", "supported"),  # within 5% of 30
    ("Markdown is approximately 27.3% of the files", "contradicted"),  # 3 digits: no widening
    ("Markdown is approximately 28% of the files", "supported"),
    ("Markdown is approximately 27% of the files", "contradicted"),  # 6% off
    ("Markdown is approximately 31% of the files", "contradicted"),
    ("Markdown is 28.71% of the files", "supported"),
    ("Markdown is 28.72% of the files", "contradicted"),
    ("Markdown is 28.7% of the files", "supported"),
])
def test_approximately_widens_a_round_number_by_five_percent(text: str, expected: str) -> None:
    assert query.APPROX_REL == 0.05
    assert verdict(text, SHARES)[0] == expected


def test_significant_digits_ignore_the_trailing_zeros_of_a_round_number() -> None:
    def digits(value: float, tol: float) -> int:
        return query.significant_digits(query.Query(value, "", tol, "", set(), [], frozenset()))

    assert [digits(100, 0.5), digits(101, 0.5), digits(25, 0.5), digits(15.58, 0.005), digits(2000, 0.5)] == \
        [1, 3, 2, 4, 1]
    facts = Facts.from_records([fact("files.total", 101, "files", "files", "total")])
    assert verdict("We analyzed nearly 100 files in total.", facts)[0] == "supported"


def test_a_cut_value_agrees_like_a_rounded_one() -> None:
    facts = Facts.from_records([fact("t", 46.397, "tok/s", "throughput", "mean", "alpha"),
                                fact("u", 12.0, "tok/s", "throughput", "mean", "beta")])
    assert verdict("alpha mean throughput: 46.39 tok/s", facts)[0] == "supported"  # truncated, not rounded
    assert verdict("alpha mean throughput: 46.41 tok/s", facts)[0] == "contradicted"


# ---- the chance guard and precise values: VALUE_CHANCE, PRECISE_DIGITS --------------------------------------


def latencies(n: int, spread: float) -> Facts:
    return Facts.from_records([fact(f"l{k}", 10 + spread * k / n, "ms", "latency", "mean") for k in range(n)])


def test_an_agreement_chance_explains_proves_nothing() -> None:
    # 40 best fits between 10 and 14 ms: "12 ms" (+/-0.5) hits one by chance
    [n] = check_consistency("The mean latency was 12 ms.", latencies(40, 4)).numbers
    assert (n.verdict, n.rule) == ("unverified", "chance guard")
    # 3 best fits spread over 400 ms: hitting one is no chance
    facts = Facts.from_records([fact("a", 12, "ms", "latency", "mean"), fact("b", 210, "ms", "latency", "mean"),
                                fact("c", 410, "ms", "latency", "mean")])
    assert verdict("The mean latency was 12 ms.", facts)[:2] == ("supported", "exact fact")


def test_a_bound_must_hold_for_every_best_fit() -> None:
    facts = Facts.from_records([fact("a", 70, "ms", "latency"), fact("b", 20, "ms", "latency")])
    assert verdict("Latency was over 60 ms.", facts)[:2] == ("unverified", "chance guard")
    assert verdict("Latency was over 10 ms.", facts)[0] == "supported"


def precise_facts(near: int) -> Facts:
    """One fact of value 15.584035 named by "p95"; ``near`` facts named by "latency" between 8 and 31 ms."""
    rows = [fact("p95", 15.584035, "ms", "p95", "timing"), fact("other", 400.0, "ms", "p95", "timing")]
    rows += [fact(f"l{k}", 8 + 23 * k / max(near, 1), "ms", "latency", "run") for k in range(near)]
    return Facts.from_records(rows)


def test_a_precise_value_among_facts_the_words_name_less_well_supports_it() -> None:
    assert query.VALUE_CHANCE == 0.05 and query.PRECISE_DIGITS == 3
    # the words fit the latency facts best (two of them tie); the p95 fact has the exact value
    text = "The run latency timing was 15.584035 ms."
    assert verdict(text, precise_facts(2))[:2] == ("supported", "exact fact")
    # written with 2 digits, the same agreement is no evidence
    assert verdict("The run latency timing was 16 ms.", precise_facts(2))[0] == "unverified"


def test_the_chance_of_a_precise_value_counts_only_neighbours_of_its_sign() -> None:
    import numpy as np

    q = query.Query(15.5, "ms", 0.05, "", set(), [], frozenset())
    near = query.chance_of(q, np.array([10.0, 20.0]))
    assert near == pytest.approx(2 * 0.15 / 10)  # two values over 10 ms; "15.5" stands for 15.45-15.6
    assert query.chance_of(q, np.array([-31.0, 10.0, 20.0])) == pytest.approx(near)  # -31 widens no range


def test_a_precise_value_must_be_of_the_statistic_the_clause_names() -> None:
    facts = Facts.from_records([fact("row", 14.24, "tok/s", "tokens per second", "run"),
                                fact("avg", 13.85, "tok/s", "tokens per second", "mean", "average"),
                                fact("max", 30.0, "tok/s", "tokens per second", "max", "run")])
    assert verdict("Average tokens per second: 14.24 tok/s", facts)[0] != "supported"


# ---- spans: SPAN_MARGIN, SPAN_MIN_FACTS, spreads, models ----------------------------------------------------


def throughput(*values: float, model: str = "gemma3:270m", extra: tuple[Fact, ...] = ()) -> Facts:
    forms = (model, model.replace(":", "-"), model.partition(":")[2], "gemma3")
    rows = [fact(f"tps{k}", v, "tok/s", "throughput", "tokens per second", *forms) for k, v in enumerate(values)]
    return Facts.from_records([*rows, *extra])


@pytest.mark.parametrize(("value", "expected"), [(5, "contradicted"), (150, "contradicted"), (170, "unverified"),
                                                 (370, "unverified"), (400, "contradicted")])
def test_a_value_outside_the_span_by_more_than_the_margin_is_contradicted(value: float, expected: str) -> None:
    assert query.SPAN_MARGIN == 0.25
    facts = throughput(212.0, 250.0, 303.9)  # margin: 159 .. 379.9
    got = verdict(f"gemma3:270m reached {value} tok/s of throughput.", facts)
    assert got[0] == expected
    if expected == "contradicted":
        assert got[1] == "span"


def test_a_span_needs_three_facts() -> None:
    assert query.SPAN_MIN_FACTS == 3
    assert verdict("gemma3:270m reached 5 tok/s of throughput.", throughput(212.0, 303.9))[0] == "unverified"


def test_a_span_leaves_out_spreads_and_other_models() -> None:
    spread = (fact("tps.std", 4.0, "tok/s", "throughput", "std", "gemma3:270m", "270m"),)
    other = tuple(fact(f"llama{k}", 3.0 + k, "tok/s", "throughput", "llama3.1:8b", "8b") for k in range(3))
    facts = throughput(212.0, 250.0, 303.9, extra=spread + other)
    assert verdict("gemma3:270m reached 5 tok/s of throughput.", facts)[:2] == ("contradicted", "span")
    [n] = check_consistency("gemma3:270m reached 5 tok/s of throughput.", facts).numbers
    assert "212" in n.explanation and "304" in n.explanation and "(3 facts)" in n.explanation


def test_a_claimed_maximum_above_every_value_is_contradicted_without_margin() -> None:
    facts = throughput(212.0, 250.0, 303.9)
    [n] = check_consistency("gemma3:270m reached 310 tok/s at its peak.", facts).numbers
    assert (n.verdict, n.rule) == ("contradicted", "derived")
    assert "the highest tok/s figure for gemma3-270m in the corpus is 304 tok/s (3 facts)" in n.explanation
    assert verdict("gemma3:270m reached 310 tok/s.", facts)[0] == "unverified"  # inside the margin


@pytest.mark.parametrize(("text", "expected"), [
    ("gemma3:270m peak throughput was 280.5 tok/s.", "contradicted"),  # inside the span, but no run had it
    ("gemma3:270m minimum throughput was 230.5 tok/s.", "contradicted"),
    ("gemma3:270m peak throughput was 303.9 tok/s.", "supported"),
    ("gemma3:270m peak throughput was 300 tok/s.", "unverified"),  # one significant digit: 250-350
    ("gemma3:270m peak throughput was about 270 tok/s.", "contradicted"),  # 256.5-283.5: no run had it
    ("gemma3:270m throughput was 280.5 tok/s.", "unverified"),  # no extreme claimed
])
def test_a_claimed_extreme_is_one_of_the_values_it_is_taken_over(text: str, expected: str) -> None:
    facts = throughput(212.0, 250.0, 303.9)
    [n] = check_consistency(text, facts).numbers
    assert n.verdict == expected
    if expected == "contradicted":
        assert n.rule == "derived" and "is one of the values it is taken over" in n.explanation
        assert "(3 facts, nearest" in n.explanation


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(100, 9999), min_size=3, max_size=8, unique=True), st.integers(0, 7),
       st.integers(-3000, 3000))
def test_a_claimed_maximum_is_contradicted_exactly_when_no_value_is_it(tenths: list[int], pick: int,
                                                                       shift: int) -> None:
    facts = throughput(*(t / 10 for t in tenths))
    seen = tenths[pick % len(tenths)]
    assert verdict(f"gemma3:270m peak throughput was {seen / 10:.1f} tok/s.", facts)[0] != "contradicted"
    other = seen + shift
    if other > 0 and min(abs(other - t) for t in tenths) >= 2:  # no value within 0.2 tok/s
        assert verdict(f"gemma3:270m peak throughput was {other / 10:.1f} tok/s.", facts)[0] == "contradicted"


def test_an_extreme_is_sought_among_every_value_its_words_name() -> None:
    # the words fit the three conv bench timings best (1-9 ms); 4.2 ms is another latency's, and a maximum
    # over every latency may be it
    rows = [fact(f"conv{k}", v, "ms", "latency", "conv", "bench") for k, v in enumerate((1.0, 3.0, 9.0))]
    rows += [fact(f"run{k}", v, "ms", "latency", "run") for k, v in enumerate((4.2, 100.0, 400.0))]
    facts = Facts.from_records(rows)
    assert verdict("The maximum conv bench latency was 4.2 ms.", facts)[0] == "unverified"
    assert verdict("The maximum conv bench latency was 4.7 ms.", facts)[:2] == ("contradicted", "derived")


def test_a_top_count_is_no_extreme_value() -> None:
    facts = Facts.from_records([fact(f"tuning{k}.configurations", v, "configurations", "tuning", "configurations")
                                for k, v in enumerate((4.0, 6.0, 12.0))])
    assert verdict("The top 5 tuning configurations stand out.", facts)[0] == "unverified"


def test_a_comparison_outside_every_ratio_the_spans_allow_is_contradicted() -> None:
    small = throughput(212.0, 250.0, 303.9)
    big = throughput(180.0, 185.0, 187.0, model="gemma3:1b")
    facts = Facts.from_records([*small, *big])
    assert verdict("gemma3:270m is 10x faster than gemma3:1b.", facts)[:2] == ("contradicted", "derived")
    assert verdict("gemma3:270m is 2x faster than gemma3:1b.", facts)[0] == "unverified"  # 1.13-1.69, +25%
    assert verdict("gemma3:270m is 40% faster than gemma3:1b.", facts)[0] == "unverified"


# ---- which facts a clause may mean: models, families, file counts, spreads ----------------------------------


MODELS = Facts.from_records([
    fact("a.mean", 81.0, "ms", "ttft", "mean", "gemma3:270m", "270m"),
    fact("b.mean", 150.7, "ms", "ttft", "mean", "gemma3:1b", "1b"),
    fact("c.mean", 60.0, "ms", "ttft", "mean"),
    fact("d.mean", 33.0, "ms", "ttft", "mean", "llama3.1:8b", "8b", "llama3"),
])


def test_a_clause_naming_a_model_means_that_models_facts_only() -> None:
    assert verdict("gemma3:1b averaged a TTFT of 150.7 ms", MODELS)[2] == "b.mean"
    assert verdict("gemma3:1b averaged a TTFT of 81 ms", MODELS)[0] == "contradicted"  # 270m's value
    assert verdict("gemma3:1b averaged a TTFT of 60 ms", MODELS)[0] == "contradicted"  # a model-less value


def test_a_clause_naming_a_family_means_that_familys_facts_only() -> None:
    assert verdict("gemma3 averaged a TTFT of 33 ms", MODELS)[0] != "supported"  # llama's value


def test_a_count_of_one_models_files_needs_the_model_named() -> None:
    facts = Facts.from_records([
        fact("files.by_type.json", 44, "files", "json", "json files", "files"),
        fact("files.by_model.gemma3.json", 5, "files", "gemma3", "json", "json files", "files"),
        fact("files.by_model.gemma3:270m.json", 1, "files", "gemma3:270m", "270m", "gemma3", "json", "files"),
    ])
    assert verdict("The corpus holds 75 JSON files.", facts)[:2] == ("contradicted", "exact fact")
    assert verdict("The corpus holds 75 JSON files.", facts)[2] == "files.by_type.json"
    assert verdict("gemma3 accounts for 28 JSON files.", facts)[2] == "files.by_model.gemma3.json"


def test_a_spread_is_a_candidate_only_when_the_clause_names_it() -> None:
    facts = Facts.from_records([fact("t.mean", 81.0, "ms", "ttft", "mean", "gemma3:270m"),
                                fact("t.std", 12.0, "ms", "ttft", "std", "deviation", "gemma3:270m"),
                                fact("t.count", 5.0, "", "ttft", "count", "runs", "gemma3:270m")])
    assert verdict("gemma3:270m TTFT was 12 ms.", facts)[0] != "supported"
    assert verdict("gemma3:270m TTFT standard deviation was 12 ms.", facts)[:2] == ("supported", "exact fact")


def test_one_best_fit_with_another_value_is_not_overruled_by_a_coincidence() -> None:
    facts = Facts.from_records([fact("files.total", 181, "files", "files", "total", "total files"),
                                fact("files.by_type.json", 178, "files", "json", "files")])
    [_, n] = check_consistency("- **Total files:** 181 (181 JSON)", facts).numbers
    assert n.verdict != "supported"
    # a bare number whose words fit one fact best: the total that has the value is a coincidence
    facts = Facts.from_records([fact("files.total", 181, "files", "files", "total"),
                                fact("files.by_type.json", 178, "files", "json"), fact("x", 20, "files", "files")])
    assert verdict("In total, JSON: 181", facts)[0] == "unverified"


def test_bare_numbers_take_their_unit_from_a_units_column_and_their_subject_from_the_row() -> None:
    md = ("| Metric | Value | Units |\n|---|---|---|\n| p99 latency | 15.584035 | seconds |\n"
          "| p99 latency | 15.584035 | ms |\n")
    facts = Facts.from_records([fact("p99", 15.584035, "ms", "p99", "latency"),
                                *(fact(f"l{k}", 10 + k, "ms", "latency") for k in range(4))])
    seconds, ms = [n for n in check_consistency(md, facts).numbers if n.kind == "claim"]
    assert (seconds.unit, ms.unit) == ("s", "ms")
    assert seconds.verdict != "supported" and ms.verdict == "supported"


def test_a_family_names_the_familys_files_not_one_models() -> None:
    facts = Facts.from_records([
        fact("files.by_model.gemma3.csv", 11, "files", "gemma3", "csv", "csv files", "files"),
        fact("files.by_model.gemma3:270m.csv", 3, "files", "gemma3:270m", "270m", "gemma3", "csv", "csv files",
             "files"),
    ])
    assert verdict("gemma3 accounts for 3 CSV files.", facts)[0] != "supported"


def test_a_weaker_fact_does_not_overrule_a_single_best_fit() -> None:
    rows = [fact("box", 5, "", "red", "box"), fact("widget", 9, "", "blue", "widget")]
    rows += [fact(f"r{k}", 100 + k, "", "red") for k in range(5)]
    rows += [fact(f"b{k}", 200 + k, "", "box") for k in range(5)]
    # the words nearest the 9 ("red box") fit one fact best; "blue widget" names another that has 9
    assert verdict("blue widget items, red box: 9", Facts.from_records(rows))[0] == "unverified"


def test_a_bare_number_has_no_span() -> None:
    facts = Facts.from_records([fact(f"t{k}", v, "", "throughput", "gemma3:270m", "270m")
                                for k, v in enumerate((212.0, 250.0, 303.9))])
    assert verdict("gemma3:270m throughput: 5", facts)[0] == "unverified"


def test_a_count_has_a_span_of_the_counts_its_words_name() -> None:
    facts = Facts.from_records([
        fact("files.by_model.gemma3:1b", 4, "files", "gemma3:1b", "1b", "gemma3", "files"),
        fact("files.by_model.gemma3:1b.csv", 3, "files", "gemma3:1b", "1b", "gemma3", "csv", "files"),
        fact("files.by_model.gemma3:1b.json", 1, "files", "gemma3:1b", "1b", "gemma3", "json", "files"),
        fact("files.total", 101, "files", "files", "total"),
    ])
    assert verdict("22 files are gemma3:1b benchmark experiments.", facts)[:2] == ("contradicted", "span")
    assert verdict("5 files are gemma3:1b benchmark experiments.", facts)[0] == "unverified"  # within 1-4 +25%


def test_and_joins_the_labels_before_the_first_number() -> None:
    from test_consistency import inventory

    facts = Facts.from_records([*inventory(101, 28, 44, 29),
                                fact("files.by_type.json+md", 73, "files", "json and markdown", "files")])
    assert verdict("The prevalence of JSON and Markdown files (62) is high.", facts)[2] == "files.by_type.json+md"


def test_a_measurement_written_as_key_value_is_a_claim() -> None:
    from pytest_chimera.checks.numbers import find_numbers

    assert [n.form for n in find_numbers("avg_tokens_per_second = 14.1, num_ctx=2048, n_threads: 4")] == \
        ["quantity", "config", "config"]


def test_tokens_per_gigabyte_is_no_throughput() -> None:
    from pytest_chimera.evidence.labels import unit_of

    assert [unit_of(n) for n in ("Tokens per GB", "Efficiency (tok/s per GB)", "tokens_s", "memory_used_gb")] == \
        ["", "", "tok/s", "GB"]


def test_a_model_less_value_does_not_support_a_claim_about_a_model() -> None:
    facts = Facts.from_records([fact("m", 15.58, "ms", "ttft", "p95"),
                                *(fact(f"x{k}", v, "ms", "ttft", "gemma3:1b", "1b") for k, v in
                                  enumerate((500.0, 600.0, 700.0)))])
    assert verdict("gemma3:1b p95 TTFT was 15.58 ms.", facts)[:2] == ("contradicted", "span")


def test_a_precise_value_of_another_statistic_does_not_support_an_average() -> None:
    facts = Facts.from_records([fact("avg1", 13.85, "tok/s", "tokens per second", "average", "mean"),
                                fact("avg2", 20.1, "tok/s", "tokens per second", "average", "mean"),
                                fact("row", 14.2437, "tok/s", "tokens per second", "run")])
    assert verdict("Average tokens per second: 14.2437 tok/s", facts)[0] == "unverified"
    assert verdict("Tokens per second in one run: 14.2437 tok/s", facts)[0] == "supported"


# ---- reading: the shapes of counts, units, code spans -------------------------------------------------------


def inventory_facts() -> Facts:
    from test_consistency import inventory

    return Facts.from_records([*inventory(101, 28, 44, 29),
                               fact("files.by_type.md", 29, "files", "markdown", "markdown files", "files"),
                               fact("files.by_type.json+md", 73, "files", "json and markdown", "files")])


def test_json_and_markdown_is_one_term() -> None:
    assert verdict("JSON and Markdown files make up 62 of them.", inventory_facts())[2] == "files.by_type.json+md"


def test_a_number_after_out_of_is_the_total() -> None:
    checks = check_consistency("Most files are JSON (44 out of 101).", inventory_facts()).numbers
    assert [(n.raw, n.verdict, n.fact.key if n.fact else "") for n in checks] == [
        ("44", "supported", "files.by_type.json"), ("101", "supported", "files.total")]


def test_the_noun_phrase_before_a_bracket_labels_the_number() -> None:
    text = "The dataset is heavily weighted towards JSON files (44), then CSV files (28)."
    assert [n.fact.key if n.fact else "" for n in check_consistency(text, inventory_facts()).numbers] == \
        ["files.by_type.json", "files.by_type.csv"]
    # a wrong count in the same shape is the JSON count's, not the dataset's: contradicted by it
    wrong = "The dataset is heavily weighted towards JSON files (45)."
    assert verdict(wrong, inventory_facts())[::2] == ("contradicted", "files.by_type.json")


def test_the_head_noun_of_a_count_is_its_unit() -> None:
    from pytest_chimera.checks.numbers import find_numbers

    assert [(n.raw, n.unit) for n in find_numbers("a dataset of 101 benchmark files and 5 benchmark runs")] == \
        [("101 benchmark files", "files"), ("5 benchmark runs", "runs")]


def test_a_code_span_keeps_its_words_not_its_digits() -> None:
    from pytest_chimera.checks.claims import clean, tokens
    from pytest_chimera.checks.numbers import find_numbers

    text = clean("`csv_mean_ttft_s`: 0.09 s in `run_2025.json`")
    assert "csv-mean-ttft-s" in tokens(text)
    assert [n.raw for n in find_numbers(text)] == ["0.09 s"]


def test_unit_words_inside_identifiers_and_after_prepositions_are_no_units() -> None:
    from pytest_chimera.checks.claims import infer_unit
    from pytest_chimera.checks.numbers import find_numbers

    def unit(text: str) -> str:
        [num] = find_numbers(text)
        return infer_unit(num, text, num.start)

    assert unit("avg_tokens_per_second: 14.1 - the rate of generation per second") == ""
    assert unit("The overall average TPS of 14.59 across all configurations") == "tok/s"
    assert unit("The JSON files (75) likely represent benchmark results") == "files"


def test_derived_file_facts_name_only_their_own_sets(tmp_path: Path) -> None:
    from pytest_chimera.evidence.corpus import load_corpus
    from pytest_chimera.evidence.facts import compute_facts

    (tmp_path / "reports" / "compilation").mkdir(parents=True)
    (tmp_path / "csv_data").mkdir()
    (tmp_path / "reports" / "compilation" / "conv_bench_1.json").write_text(
        json.dumps({"timing": {"mean_ms": 15.5842, "p": {"p95": 15.5842, "n": 20}}}))
    (tmp_path / "reports" / "compilation" / "conv_bench_1.md").write_text("# x\n")
    (tmp_path / "csv_data" / "a.csv").write_text("x,y\n1,2\n")
    (tmp_path / "csv_data" / "param_tuning.csv").write_text(
        "model,num_gpu,tokens_s\ngemma3:270m,60,280\ngemma3:270m,80,300\ngemma3:1b,80,180\n")
    facts = {f.key: f for f in compute_facts(load_corpus(tmp_path))}
    pair = facts["files.by_type.json+md"]
    assert pair.value == 2 and "markdown" not in pair.labels and "json and markdown" in pair.labels
    assert pair.source.startswith("derived:")
    assert "reports" not in facts["files.by_dir.reports"].labels  # a word of prose names no directory
    assert "csv_data" in facts["files.by_dir.csv_data"].labels
    assert facts["files.by_name.conv_bench"].value == 2
    p95 = facts["json.reports/compilation/conv_bench_1.json.timing.p.p95"]
    assert p95.unit == "ms" and "same value" in p95.source
    assert facts["json.reports/compilation/conv_bench_1.json.timing.p.n"].unit == ""
    assert facts["tuning.csv_data/param_tuning.csv.configurations"].value == 3
    assert facts["table.csv_data/param_tuning.csv.models"].value == 2
    assert facts["models.gemma3:270m.parameters"].value == 270e6
    assert facts["table.csv_data/param_tuning.csv[2].tokens_s"].value == 300


# ---- spans of the facts the words fit best; spreads; generic words ------------------------------------------


def bench_latencies(conv: int = 3) -> list[Fact]:
    """``conv`` conv_bench timings of 1-5 ms and three other latencies of 100-900 ms."""
    rows = [fact(f"conv{k}", 1.0 + 2 * k, "ms", "latency", "conv", "bench", "mean") for k in range(conv)]
    return rows + [fact(f"run{k}", v, "ms", "latency", "run", "mean") for k, v in enumerate((100.0, 400.0, 900.0))]


def test_a_span_rests_on_the_facts_the_metric_words_fit_best() -> None:
    facts = Facts.from_records(bench_latencies())
    n = next(n for n in check_consistency("The conv bench latency was 178.5 ms.", facts).numbers)
    assert (n.verdict, n.rule) == ("contradicted", "span")
    assert "'bench, conv, latency'" in n.explanation and "(3 facts)" in n.explanation
    assert verdict("The latency was 120 ms.", facts)[0] == "unverified"  # every latency: 1-900 ms, 100 near
    # two conv timings say too little: the span is every latency the words name (1-900 ms)
    two = Facts.from_records(bench_latencies(2))
    assert verdict("The conv bench latency was 120 ms.", two)[0] == "unverified"
    assert verdict("The conv bench latency was 5000 ms.", two)[:2] == ("contradicted", "span")


def test_generic_words_name_no_quantity() -> None:
    rows = [fact(f"v{k}", 1.0 + k, "ms", "latency", "value") for k in range(3)]
    rows += [fact(f"r{k}", v, "ms", "latency", "run") for k, v in enumerate((100.0, 400.0, 1000.0))]
    # "value" would narrow the span to 1-3 ms; it names nothing: the span is every latency
    assert verdict("The latency value was 500 ms.", Facts.from_records(rows))[0] == "unverified"
    # nor does it make a table cell's "Value" fact the one a report's "Average Value" column names
    facts = Facts.from_records([fact("cell", 102.85, "tok/s", "throughput", "value"),
                                fact("avg", 14.1063, "tok/s", "throughput")])
    md = "| Metric | Average Value |\n|---|---|\n| Throughput (tok/s) | 14.1 |\n"
    assert verdict(md, facts)[:3] == ("supported", "exact fact", "avg")


def test_a_spread_outside_every_spread_of_the_quantity_is_contradicted() -> None:
    rows = bench_latencies() + [fact(f"x{k}.std", v, "ms", "latency", "std", "standard deviation")
                                for k, v in enumerate((0.1, 0.5, 2.0))]
    rows.append(fact("x.count", 500.0, "ms", "latency", "count"))  # a count of values is no spread
    facts = Facts.from_records(rows)
    n = next(n for n in check_consistency("The latency standard deviation was 65.8 ms.", facts).numbers)
    assert (n.verdict, n.rule) == ("contradicted", "span")
    assert "time spread" in n.explanation and "0.1 ms and 2.0 ms" in n.explanation
    assert verdict("The latency standard deviation was 2.4 ms.", facts)[0] == "unverified"  # inside the margin


def test_the_chance_guard_counts_distinct_values() -> None:
    sizes = [("gemma3:1b", 1e9), ("gemma3:1b-it-qat", 1e9), ("gemma3:270m", 2.7e8)] + \
        [(f"llama3.1:8b-q{k}", 8e9) for k in range(6)]
    facts = Facts.from_records([fact(f"models.{m}.parameters", v, "parameters", "parameters", "model size")
                                for m, v in sizes])
    # 9 facts, 3 values (270M, 1B, 8B) over 7.73 billion: "1 billion" (+/-0.5 billion) is no chance hit
    assert verdict("Model sizes include 1 billion parameters.", facts)[0] == "supported"


def test_a_unit_in_brackets_in_a_table_header_is_the_cells_unit() -> None:
    md = ("| Metric | Min | Max |\n|---|---|---|\n| Latency (ms) | 5.1 | 28.3 |\n"
          "| Model Size (Parameters) | 1,000,000,000 | 270,000,000 |\n")
    facts = Facts.from_records([fact("l", 5.1, "ms", "latency"), fact("p", 1e9, "parameters", "parameters")])
    units = [n.unit for n in check_consistency(md, facts).numbers if n.kind == "claim"]
    assert units == ["ms", "ms", "parameters", "parameters"]  # "Min" is a statistic here, not minutes
    md = "| Metric | Min | Max |\n|---|---|---|\n| Tokens/Second | 9.2 | 25.8 |\n| Duration | 5 | 9 |\n"
    units = [n.unit for n in check_consistency(md, facts).numbers if n.kind == "claim"]
    assert units == ["tok/s", "tok/s", "min", ""]  # a "Min" column of durations: minutes


def test_the_chance_guard_sees_every_best_fit_of_common_words() -> None:
    # 1,001 facts carry "alpha" (a common word: the common-words path), one per ms from 0 to 1000
    facts = Facts.from_records([fact(f"a{k}", float(k), "ms", "alpha") for k in range(1001)])
    assert query.COMMON_DF == 1000
    assert verdict("The alpha was 500 ms.", facts)[:2] == ("unverified", "chance guard")


# ---- JSON snippets taken from the corpus --------------------------------------------------------------------

SNIPPET_FACTS = Facts.from_records([
    fact("json.reports/compilation/conv_bench_1.json.backends.eager.mean_time_ms", 3.8, "", "mean_time_ms", "mean"),
    fact("json.reports/other/run.json.results[0].gpu_usage", 0.85, "", "gpu"),
])


@pytest.mark.parametrize(("lead", "field", "expected"), [
    ("**File:** conv_bench_1.json", "iterations", "contradicted"),  # the file has no such field
    ("**File:** conv_bench_1.json", "mean_time_ms", "supported"),  # it has this one, with this value
    ("**File:** conv_bench_1.json", "gpu_usage", "contradicted"),  # another file has it, this one does not
    ("A sample extracted from a JSON file of the data:", "throughput_ops_s", "contradicted"),  # no file has it
    ("A sample extracted from a JSON file of the data:", "gpu_usage", "supported"),
    ("An example of a schema we propose:", "iterations", "unverified"),  # an example claims nothing
    ("**File:** conv_bench_1.json\n\nOne.\n\nTwo.\n\nThree.", "iterations", "unverified"),  # too far up
    ("**File:** conv_bench_1.json\n\nOne.\n\nTwo.", "iterations", "contradicted"),  # three lines up: read
])
def test_a_json_snippet_from_the_corpus_is_checked_field_by_field(lead: str, field: str, expected: str) -> None:
    value = {"mean_time_ms": "3.8", "gpu_usage": "0.85"}.get(field, "1000")
    md = f"# R\n\n{lead}\n\n```json\n{{\n  \"{field}\": {value}\n}}\n```\n"
    got = verdict(md, SNIPPET_FACTS)
    assert got[0] == expected
    if expected == "contradicted":
        assert got[1] == "derived"


def test_a_lines_lead_label_names_the_numbers_of_a_clause_without_it() -> None:
    facts = Facts.from_records([fact("md", 29, "files", "markdown", "files"), fact("csv", 28, "files", "csv", "files"),
                                fact("json", 44, "files", "json", "files")])
    # "Markdown files" is the lead of the line, not in the number's clause: it still names the count
    assert verdict("- **Markdown files:** varied in size; the corpus holds 29.", facts)[:3] == \
        ("supported", "exact fact", "md")
    assert verdict("- **Markdown files:** varied in size; the corpus holds 28.", facts)[0] == "contradicted"


def test_threads_sharing_a_span_check_extremes_without_corrupting_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """Agents run in threads on one ``Facts`` (``run_multi_agent``), so two checks can sort the same cached span's
    values at once: both must get their verdict, and the span stays usable. The sort of the first two checks is
    held until both are inside it (the widest interleaving)."""
    import sys
    import threading

    import numpy as np

    facts = throughput(*(200.0 + k * 0.37 for k in range(200)))
    verdict("gemma3:270m throughput was 250.55 tok/s.", facts)  # the span is cached, its values not yet sorted
    both_in = threading.Barrier(2, timeout=10)
    real_argsort = np.argsort

    def held_argsort(*args: Any, **kwargs: Any) -> Any:
        if sys._getframe(1).f_code.co_name == "_unobserved" and not both_in.broken:
            both_in.wait()
        return real_argsort(*args, **kwargs)

    monkeypatch.setattr(np, "argsort", held_argsort)
    got: dict[int, Any] = {}

    def check(i: int) -> None:
        try:
            got[i] = verdict(f"gemma3:270m peak throughput was {220 + 20 * i}.55 tok/s.", facts)[:2]
        except Exception as exc:  # noqa: BLE001 - reported below
            got[i] = exc

    threads = [threading.Thread(target=check, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert got == {0: ("contradicted", "derived"), 1: ("contradicted", "derived")}
    assert verdict("gemma3:270m peak throughput was 260.55 tok/s.", facts)[:2] == ("contradicted", "derived")


def test_a_claim_beyond_a_floats_range_is_judged_without_crashing() -> None:
    """A report may hold a run of 300+ digits (a model that loops on "9"): 1e306 s is 1e309 ms, no float, and a
    310-digit number is none either; neither may crash the check."""
    facts = Facts.from_records([fact(f"lat{k}", v, "ms", "latency", "run") for k, v in enumerate((10.0, 20.0, 30.0))])
    assert verdict(f"The minimum run latency was {'9' * 306} s.", facts)[:2] == ("contradicted", "span")
    import numpy as np

    from pytest_chimera.checks.ranges import _unobserved_in

    huge = query.Query(float("9" * 306), "s", 0.5, "", set(), [], frozenset())  # the span rule sees it first
    decision = _unobserved_in(huge, np.arange(3), np.array([10.0, 20.0, 30.0]), "time figure", 1000.0, "minimum")
    assert decision is not None and decision.verdict == "contradicted"
    assert [n for n in check_consistency(f"The minimum run latency was {'9' * 400} ms.", facts).numbers
            if n.kind == "claim"] == []


def test_a_claimed_extreme_outside_the_span_is_told_by_the_span() -> None:
    """A maximum of 5 tok/s where every figure is 212-304 is contradicted by the span (as before the extreme
    rule), which says more than "no figure is 5"."""
    facts = throughput(212.0, 250.0, 303.9)
    assert verdict("gemma3:270m peak throughput was 5 tok/s.", facts)[:2] == ("contradicted", "span")
    assert verdict("gemma3:270m peak throughput was 280.5 tok/s.", facts)[:2] == ("contradicted", "derived")


def test_a_list_of_file_types_names_the_counts_by_type(tmp_path: Path) -> None:
    """"Data Types: CSV (3)": the type words ("type", "format", ...) name the per-type file counts, so a wrong
    count is contradicted by the CSV count rather than left unverified among columns whose names hold "type"."""
    from pytest_chimera.evidence.corpus import load_corpus
    from pytest_chimera.evidence.facts import compute_facts

    (tmp_path / "a.csv").write_text("ram_type,handle_type\n17,3\n17,3\n")
    (tmp_path / "b.csv").write_text("x,y\n1,2\n")
    (tmp_path / "d.csv").write_text("k,v\n5,6\n")
    (tmp_path / "e.json").write_text('{"n": 4}')
    facts = compute_facts(load_corpus(tmp_path))
    for text, verdicts in (("* **Data Types:** CSV (3), JSON (1)", ["supported", "supported"]),
                           ("* **Data Types:** CSV (7), JSON (1)", ["contradicted", "supported"]),
                           ("* **File formats:** CSV (7)", ["contradicted"])):
        claims = [n for n in check_consistency(text, facts).numbers if n.kind == "claim"]
        assert [n.verdict for n in claims] == verdicts, text
        assert claims[0].fact is not None and claims[0].fact.key == "files.by_type.csv"


def test_a_span_cache_cleared_by_another_thread_between_lookups_is_no_error() -> None:
    """Threads share a ``Facts``'s index and its span cache, which is cleared when full: a span looked up as
    present must not be read again (another thread's clear in between raised KeyError)."""
    from pytest_chimera.checks.index import index_of

    facts = throughput(*(200.0 + k * 0.37 for k in range(200)))
    first = verdict("gemma3:270m peak throughput was 250.55 tok/s.", facts)  # the span is cached

    class ClearedMeanwhile(dict):  # type: ignore[type-arg]
        def __contains__(self, key: object) -> bool:
            found = super().__contains__(key)
            self.clear()  # another thread, at CANDIDATE_CACHE entries, clears the cache now
            return found

    index = index_of(facts)
    index.spans = ClearedMeanwhile(index.spans)
    assert len(index.spans) >= 1
    assert verdict("gemma3:270m peak throughput was 250.55 tok/s.", facts) == first


def test_the_words_between_a_count_and_its_noun_say_which_count_it_is() -> None:
    """"The corpus holds 28 CSV files": "corpus" is carried by the total only and "CSV files" by every model's CSV
    count too, so by weight the total would be the fact named (and 28 contradicted by 101); the words between the
    number and its count noun decide instead. Without such words the clause's other words decide as before."""
    facts = Facts.from_records([
        fact("files.total", 101, "files", "files", "file", "total", "dataset", "corpus", "data files"),
        fact("files.by_type.csv", 28, "files", "csv", "csv files", "files", "file"),
        fact("files.by_type.json", 44, "files", "json", "json files", "files", "file"),
        *(fact(f"files.by_model.m{k}:1b.csv", k, "files", f"m{k}:1b", "csv", "csv files", "files", "file")
          for k in range(1, 9))])
    assert verdict("The corpus holds 28 CSV files.", facts)[::2] == ("supported", "files.by_type.csv")
    assert verdict("The dataset has 35 CSV files.", facts)[0] != "supported"
    assert verdict("The corpus holds 101 data files.", facts)[::2] == ("supported", "files.total")
    assert verdict("The corpus holds 101 files.", facts)[::2] == ("supported", "files.total")
    # a count in brackets after words that name the total ("number of files", as the real corpus's total has
    # it): its own noun phrase follows the bracket
    facts = Facts.from_records([*facts, fact("files.total.named", 101, "files", "number of files", "files")])
    assert verdict("A notable number of files (28) are CSV files.", facts)[::2] == ("supported", "files.by_type.csv")
    assert verdict("A notable number of files (35) are CSV files.", facts)[0] != "supported"
    assert verdict("The number of files (101) is large.", facts)[0] == "supported"


# ---- classes of failure of the unseen set's first look (tests/data/unseen, half A) -------------------------


def small_corpus(root: Path) -> Facts:
    """2 CSV, 3 JSON and 1 Markdown file: 5 under reports/, 1 under csv_data/; models of 270M, 1B, 8B parameters."""
    from pytest_chimera.evidence.corpus import load_corpus
    from pytest_chimera.evidence.facts import compute_facts

    (root / "reports").mkdir()
    (root / "csv_data").mkdir()
    (root / "csv_data" / "a.csv").write_text("model,tokens_s\ngemma3:270m,280\ngemma3:1b,180\nllama3.1:8b,80\n")
    (root / "reports" / "b.csv").write_text("x,y\n1,2\n")
    for k in range(3):
        (root / "reports" / f"r{k}.json").write_text(json.dumps({"n": k}))
    (root / "reports" / "notes.md").write_text("# notes\n")
    return compute_facts(load_corpus(root))


def test_a_list_of_single_words_is_one_phrase(tmp_path: Path) -> None:
    """"CSV, JSON, and Markdown" names every file type: the total, not the CSV count its first word names (its
    commas split no clause, and no nearest words stop inside it)."""
    facts = small_corpus(tmp_path)
    assert verdict("6 files in CSV, JSON, and Markdown formats.", facts)[:2] == ("supported", "exact fact")
    assert verdict("There are over 5 files spanning CSV, JSON and Markdown.", facts)[0] == "supported"
    assert verdict("CSV, JSON and Markdown files: 6", facts)[2] == "files.total"
    assert verdict("JSON and Markdown files: 4", facts)[2] == "files.by_type.json+md"  # the pair as before


def test_a_list_ends_no_quantity_it_does_not_hold() -> None:
    from pytest_chimera.checks.claims import clause_splits

    sentence = "Throughput was 40 tok/s, latency 20 ms, and TTFT 0.5 s"
    assert len(clause_splits(sentence)) == 2  # quantities, not a list of words: both commas split
    assert len(clause_splits("Throughput reached 40 tok/s, memory, and TTFT stayed flat")) == 2  # "s" is a unit
    assert clause_splits("CSV, JSON, and Markdown files: 6") == []
    assert len(clause_splits("It covers CSV, JSON, and Markdown; 6 files")) == 1  # the ";" still splits


def test_the_document_itself_is_no_directory(tmp_path: Path) -> None:
    """A top-level directory of a prose name ("reports") is named by "reports directory" or "reports folder",
    never by the word alone: "this report" is the document."""
    facts = small_corpus(tmp_path)
    assert verdict("This report analyzes the 6 files of the dataset.", facts)[2] == "files.total"
    assert verdict("This report analyzes 6 files.", facts)[0] != "contradicted"  # was: "the fact it names is 5"
    assert verdict("The reports directory holds 5 files.", facts)[2] == "files.by_dir.reports"
    assert not {"reports", "reports/"} & set(next(f for f in facts if f.key == "files.by_dir.reports").labels)


def test_a_model_size_said_to_be_a_size_is_a_claim(tmp_path: Path) -> None:
    facts = small_corpus(tmp_path)
    checked = {n.raw: n for n in check_consistency("The data includes a range of model sizes - 270M, 1B, 7B, and 13B.",
                                                   facts).numbers}
    assert checked["7B"].verdict == "unverified" and "nearest 8,000,000,000 parameters" in checked["7B"].explanation
    assert (checked["270M"].kind, checked["270M"].verdict, checked["270M"].unit) == ("claim", "supported",
                                                                                     "parameters")
    assert checked["1B"].verdict == "supported"  # a nominal size is exact: no chance guard over +/-0.5B
    assert checked["13B"].verdict == "contradicted" and checked["13B"].rule == "span"
    ranged = {n.raw: (n.verdict, n.rule) for n in check_consistency("From 270M to 13B parameters", facts).numbers}
    assert ranged == {"270M": ("supported", "derived"), "13B": ("contradicted", "span")}  # not "names 270M"
    gemma = {n.raw: n.verdict for n in check_consistency("The gemma3 model sizes (1B, 270M) differ.", facts).numbers}
    assert gemma == {"1B": "supported", "270M": "supported"}  # exact: within +/-0.5B both would be chance
    for line in ("Sizes: gemma3 270M reached 280 tok/s.", "Model sizes: Gemma 3 1B reached 180 tok/s.",
                 "The 1B model is slower.", "gemma3:1b and the 270M model, 7B too"):  # names, not sizes
        sizes = [n.kind for n in check_consistency(line, facts).numbers if n.raw[-1] in "MB"]
        assert sizes and set(sizes) == {"other"}, line


def test_a_unit_a_table_row_states_in_brackets_is_its_cells_unit() -> None:
    """"GPU Utilization (%)" in a row's first cell makes its bare cells percentages: not the plain 60 of a
    num_gpu option."""
    facts = Facts.from_records([fact("opt", 60, "", "num_gpu", "gpu"),
                                *(fact(f"u{k}", 30.0 + k, "%", "gpu", "utilization") for k in range(4))])
    table = "| Metric | Mean | Range |\n|---|---|---|\n| GPU Utilization (%) | 31.0 | 60.0 |\n"
    checked = {n.raw: n for n in check_consistency(table, facts).numbers}
    assert checked["60.0"].unit == "%" and checked["60.0"].verdict != "supported"
    assert checked["31.0"].verdict == "supported"


def test_a_model_written_as_a_file_name_writes_it_is_that_model(tmp_path: Path) -> None:
    """"gemma3_270m" and "gemma3-270m" are gemma3:270m (as file names write it), not the family alone."""
    from pytest_chimera.checks.claims import models_named

    assert models_named("gemma3_270m") == models_named("gemma3-270m") == models_named("gemma3:270m")
    facts = small_corpus(tmp_path)
    line = "Models range from 270 million parameters (gemma3_270m) to 1 billion parameters (gemma3_1b)."
    assert {n.raw: n.verdict for n in check_consistency(line, facts).numbers} == {
        "270 million parameters": "supported", "1 billion parameters": "supported"}


def test_a_file_name_short_form_is_named_by_its_full_word(tmp_path: Path) -> None:
    """Files named "param_tuning" are the "parameter tuning files" of prose; and "parameter", singular before
    another word, modifies the noun after it: "10 parameter tuning files" counts files, not parameters."""
    small_corpus(tmp_path)
    for k in range(2):
        (tmp_path / "reports" / f"gemma3_param_tuning_{k}.csv").write_text("x,y\n1,2\n")
    from pytest_chimera.evidence.corpus import load_corpus
    from pytest_chimera.evidence.facts import compute_facts

    facts = compute_facts(load_corpus(tmp_path))
    assert verdict("There are 2 parameter tuning files.", facts)[:3] == ("supported", "derived",
                                                                         "files.by_name.param_tuning")
    assert verdict("Parameter tuning: 5 files are dedicated to parameter tuning.", facts)[0] == "contradicted"
    [n] = [n for n in check_consistency("There are 2 parameter tuning files.", facts).numbers]
    assert n.unit == "files"


def test_what_most_counted_things_are_does_not_name_the_count(tmp_path: Path) -> None:
    facts = small_corpus(tmp_path)
    assert verdict("The data, comprising 6 files (primarily JSON and Markdown), shows a focus.", facts)[2] == \
        "files.total"
    assert verdict("The corpus is mostly JSON (3 files).", facts)[2] == "files.by_type.json"  # said before it


def test_a_participle_before_per_second_keeps_the_unit() -> None:
    from pytest_chimera.checks.numbers import canonical_unit

    assert canonical_unit("Tokens Generated Per Second") == canonical_unit("tokens processed per second") == "tok/s"
    facts = Facts.from_records([fact("tps", 14.1063399029013, "tok/s", "tokens", "per second"),
                                *(fact(f"n{k}", 19.4 + k, "tokens", "tokens", "generated") for k in range(3))])
    table = "| Metric | Value |\n|---|---|\n| Tokens Generated Per Second | 14.1063399029013 |\n"
    [n] = check_consistency(table, facts).numbers
    assert (n.unit, n.verdict) == ("tok/s", "supported")


def test_a_row_that_names_its_statistic_is_that_statistic_under_an_average_column() -> None:
    """"Latency p99 (ms)" under "Average Value" is the p99 latency, not an average of p99s that a column
    statistic's words fit better."""
    facts = Facts.from_records([fact("p99", 15.584, "ms", "latency", "p99", "percentile"),
                                fact("colstat", 3.0, "ms", "mean", "average", "latency", "p99", "median"),
                                *(fact(f"x{k}", 40.0 + k, "ms", "latency", "run") for k in range(4))])
    table = "| Metric | Average Value |\n|---|---|\n| Latency p99 (ms) | 15.58 |\n| Latency (ms) | 3.0 |\n"
    checked = {n.raw: n for n in check_consistency(table, facts).numbers}
    assert checked["15.58"].verdict == "supported" and checked["15.58"].fact.key == "p99"
    assert checked["3.0"].fact is not None and checked["3.0"].fact.key == "colstat"  # no statistic: the average


def test_a_total_s_words_end_at_its_verb(tmp_path: Path) -> None:
    """"3 out of 6 files are JSON files": what follows the verb says what the 3 are, not the 6."""
    facts = small_corpus(tmp_path)
    checked = {n.raw: n for n in check_consistency("JSON Dominance: 3 out of 6 files are JSON files.",
                                                   facts).numbers}
    assert checked["6 files"].verdict == "supported" and checked["6 files"].fact.key == "files.total"
    assert checked["3"].fact is not None and checked["3"].fact.key == "files.by_type.json"


def test_what_most_counted_things_are_may_be_said_with_a_noun(tmp_path: Path) -> None:
    facts = small_corpus(tmp_path)
    assert verdict("Data Volume & Type: the number of files (6) and the predominance of JSON suggest detail.",
                   facts)[2] == "files.total"


def test_what_the_new_rules_leave_alone(tmp_path: Path) -> None:
    """Shapes a review found the fifth to ninth rounds' rules misread, each now read as before them or better."""
    facts = small_corpus(tmp_path)
    minutes = Facts.from_records([fact("d.mean", 5.0, "min", "duration", "mean", "average"),
                                  fact("d.min", 2.0, "min", "duration", "min", "minimum"),
                                  fact("d.max", 9.0, "min", "duration", "max", "maximum")])
    table = "| Metric | Average |\n|---|---|\n| Duration (min) | 5.0 |\n"
    assert verdict(table, minutes)[:3] == ("supported", "exact fact", "d.mean")  # "(min)": minutes
    [n] = check_consistency("Each benchmark saved 1 file per model.", facts).numbers
    assert n.unit == "files"  # "per" joins no noun to the count
    for line in ("File sizes range from 1M to 5M.", "The dataset size grew from 1M to 2M rows.",
                 "It is far smaller than 70B parameter models such as GPT-3."):
        assert {n.kind for n in check_consistency(line, facts).numbers} == {"other"}, line
    sized = {n.raw: n.verdict for n in check_consistency("gemma3:270m (270M parameters) is faster than llama3.1:8b.",
                                                         facts).numbers}
    assert sized == {"270M": "supported"}  # the 8b of llama3.1:8b is its name, not the subject's size
    paired = {n.raw: (n.verdict, n.fact.key if n.fact else "")
              for n in check_consistency("CSV, JSON and Markdown files: 2, 3 and 1.", facts).numbers}
    assert paired == {"2": ("supported", "files.by_type.csv"), "3": ("supported", "files.by_type.json"),
                      "1": ("supported", "files.by_type.md")}  # in order: not each the total


def test_a_units_column_beats_a_header_s_bracketed_unit() -> None:
    """"| Value (Bytes) | Units |" with "Seconds" in the row's Units cell: the cell is in seconds."""
    facts = Facts.from_records([fact("t", 0.0703272, "s", "ttft", "ttft_s", "results"),
                                fact("b", 429472.0, "B", "bytes", "size", "total")])
    table = ("| Metric | Value (Bytes) | Units |\n|---|---|---|\n| results[4].ttft_s | 0.0703272 | Seconds |\n"
             "| Total size | 429472 | Bytes |\n")
    checked = {n.raw: n for n in check_consistency(table, facts).numbers}
    assert (checked["0.0703272"].unit, checked["0.0703272"].verdict) == ("s", "supported")
    assert (checked["429472"].unit, checked["429472"].verdict) == ("B", "supported")


def test_what_a_second_review_found(tmp_path: Path) -> None:
    """A model size is checked against every model's size, whichever model its clause is about (its clause's
    subject is often another model); a list pairs only with a list of numbers; a Units cell beats only a value
    column's bracketed unit."""
    facts = small_corpus(tmp_path)
    for line in ("gemma3:270m is smaller than llama3.1:8b, which has 8B parameters.",
                 "gemma3:270m is faster than llama3.1 8B (8B parameters).",
                 "gemma3:270m (270M parameters) is faster than the 8B model (8B parameters)."):
        assert {n.raw: n.verdict for n in check_consistency(line, facts).numbers if n.kind == "claim"}["8B"] == \
            "supported", line
    counted = {n.raw: n.fact.key if n.fact else "" for n in check_consistency(
        "CSV, JSON and Markdown files: 6 files, 2 of them CSV, 3 of them JSON.", facts).numbers}
    assert counted["6 files"] == "files.total"  # no list of numbers: nothing paired
    both = Facts.from_records([fact("lat", 5.0, "ms", "latency", "mean"), fact("chg", 10.0, "%", "latency", "change")])
    table = "| Metric | Value | Units | Change (%) |\n|---|---|---|---|\n| Latency | 5 | ms | 10 |\n"
    assert {n.raw: (n.unit, n.verdict) for n in check_consistency(table, both).numbers} == {
        "5": ("ms", "supported"), "10": ("%", "supported")}


def test_the_corpus_total_is_not_contradicted_by_a_model_s_files(chimeraforge_corpus: Path) -> None:
    """The whole corpus is about whatever model a clause names: its total count said with a model is supported
    by the total, not contradicted by that model's few files (gemma3's 1-17 on the real corpus; 218 numbers
    with "101" in the read sets, all right); a count of a subset ("101 CSV files") is not the total's, and a
    count no corpus-wide figure has is still contradicted."""
    from pytest_chimera.evidence.corpus import load_corpus
    from pytest_chimera.evidence.facts import compute_facts

    facts = compute_facts(load_corpus(chimeraforge_corpus))
    line = "This report analyzes benchmark data derived from {} files related to an LLM (likely gemma3) evaluation."
    assert verdict(line.format(101), facts) == ("supported", "exact fact", "files.total")
    assert verdict(line.format(99), facts)[:2] == ("contradicted", "span")
    assert verdict("The gemma3 models had 101 CSV files.", facts)[0] == "unverified"


def test_a_table_row_that_is_one_file_counts_no_files() -> None:
    """"| File Name | Metric | Value |": a row is one file, its cells are its values, not counts of files;
    "| File Type | Number of Files |": the row says which files the column counts, not the corpus's total."""
    facts = Facts.from_records([fact("files.total", 101, "files", "files", "total", "number of files"),
                                fact("files.by_type.json", 44, "files", "json", "files"),
                                fact("files.by_type.md", 29, "files", "md", "markdown", "files")])
    one_file = "| File Name | Metric | Value |\n|---|---|---|\n| bench_001.json | tokens | 44.0 |\n"
    [cell] = [n for n in check_consistency(one_file, facts).numbers if n.kind == "claim"]
    assert cell.unit == ""  # a bare value of the file's (its "tokens"), no count of files
    counts = "| File Type | Number of Files |\n|---|---|\n| JSON | 44 |\n| Markdown | 44 |\n| Total | 101 |\n"
    assert {n.line: (n.verdict, n.fact.key if n.fact else "") for n in check_consistency(counts, facts).numbers} \
        == {3: ("supported", "files.by_type.json"), 4: ("contradicted", "files.by_type.md"),
            5: ("supported", "files.total")}


def test_a_value_of_another_measure_does_not_support_a_claim() -> None:
    """A TTFT's value written as a compile time (or a throughput as a TTFT) is copied from the wrong column:
    neither the precise-value rule nor the named fact supports it."""
    facts = Facts.from_records([
        fact("ttft", 0.0941341, "s", "ttft_s", "ttft", "time to first token", "mean", "gemma3:1b"),
        fact("ttft2", 2.31, "s", "ttft_s", "ttft", "time to first token", "max", "gemma3:1b"),
        fact("compile", 40.5, "s", "compile time", "compile", "compilation time", "mean", "gemma3:1b"),
        fact("tps", 14.590837494496077, "tok/s", "tokens_per_second", "tokens per second", "mean"),
    ])
    assert verdict("Mean TTFT: 0.0941341 s", facts)[0] == "supported"
    assert verdict("Mean compilation time: 0.0941341 s", facts)[0] != "supported"
    assert verdict("gemma3:1b max TTFT: 2.31 s", facts)[0] == "supported"
    assert verdict("gemma3:1b max compilation time: 2.31 s", facts)[0] != "supported"
    assert verdict("`mean_ttft_s`: 14.590837494496077", facts)[0] != "supported"
    assert verdict("`mean_tokens_per_second`: 14.590837494496077", facts)[0] == "supported"


def test_a_measure_is_named_by_its_words_in_a_row() -> None:
    """"first token" names a TTFT, "token ... first" does not; a word piece of an identifier counts."""
    def measures(text: str) -> frozenset[str]:
        seq, bag = query.context(text)
        return query.metric_kinds(query.Query(1.0, "", 0.0, "", bag, seq, frozenset()))

    assert measures("the first token arrived") == {"ttft"}
    assert measures("the token of the first run") == frozenset()
    assert measures("tokens per second and `mean_ttft_s`") == {"throughput", "ttft"}
    assert measures("per second, the tokens") == frozenset()
    assert measures("compilation time") == {"compile"} and measures("compilation benchmarks") == frozenset()
    assert measures("12 tps on average") == {"throughput"}
    assert "total-tokens" in query.context("`csv_total_tokens` and `md_sections`")[1]
    assert "sections" in query.context("`md_sections`")[1]


def test_a_value_in_a_gap_of_its_span_is_contradicted() -> None:
    """A span is the union of SPAN_MARGIN around each value, not the hull: 120 tok/s for gemma3 lies inside
    60-190 but more than 25% from every figure; a value within 25% of one of them is not contradicted."""
    facts = Facts.from_records([fact(f"t{k}", v, "tok/s", "throughput", "gemma3:270m", "gemma3")
                                for k, v in enumerate((60.0, 78.0, 180.0, 190.0))])
    assert verdict("gemma3:270m throughput was 120 tok/s.", facts)[:2] == ("contradicted", "span")
    assert verdict("gemma3:270m throughput was 99 tok/s.", facts)[0] == "contradicted"  # 78 * 1.25 = 97.5
    assert verdict("gemma3:270m throughput was 97 tok/s.", facts)[0] == "unverified"
    assert verdict("gemma3:270m throughput was 133 tok/s.", facts)[0] == "contradicted"  # 180 * 0.75 = 135
    assert verdict("gemma3:270m throughput was 136 tok/s.", facts)[0] == "unverified"
    assert verdict("gemma3:270m reached a maximum throughput of 120 tok/s.", facts)[:2] == ("contradicted", "derived")


def test_a_gap_contradicts_only_a_measure() -> None:
    """Counts (a model's 2-40 files) and unitless figures are no measure whose values cluster: a value between
    them is not contradicted by the gap rule."""
    files = Facts.from_records([fact(f"f{k}", v, "files", "files", "gemma3:270m", "csv") for k, v in
                                enumerate((2.0, 3.0, 40.0))])
    assert verdict("gemma3:270m has 12 CSV files.", files)[0] == "unverified"
    bare = Facts.from_records([fact(f"e{k}", v, "", "analysis", "technical", "gemma3") for k, v in
                               enumerate((19.0, 75.0, 1048.0))])
    assert verdict("## Technical Report 108: Gemma3 Model Benchmark Analysis", bare)[0] == "unverified"


def test_a_gap_is_read_among_levels_not_spreads(chimeraforge_corpus: Path) -> None:
    """A clause that names a variability takes the spreads' span; a range of values there is not contradicted by
    a gap between the spreads (on the real corpus: TTFT spreads have none within 25% of 0.070 s)."""
    from pytest_chimera.evidence.corpus import load_corpus
    from pytest_chimera.evidence.facts import compute_facts

    facts = compute_facts(load_corpus(chimeraforge_corpus))
    checked = check_consistency("* **High Variability:** The substantial range in ttft_s values (0.070 - 0.24 seconds) "
                                "highlights the need for in-depth investigation into the causes of this variability.",
                                facts).numbers
    assert [n.verdict for n in checked] == ["unverified", "unverified"]


def test_a_time_header_s_bracketed_s_is_seconds() -> None:
    """"Latency (s)" is in seconds; "(s)" after any other word is a plural ("Score(s)")."""
    facts = Facts.from_records([fact("lat", 15.6, "s", "latency", "mean"), fact("n", 15.6, "", "score", "mean")])
    table = "| Config | Latency (s) | Score(s) |\n|---|---|---|\n| a | 15.6 | 15.6 |\n"
    assert [n.unit for n in check_consistency(table, facts).numbers] == ["s", ""]


def test_a_key_prefixed_with_its_file_type_names_the_key(chimeraforge_corpus: Path) -> None:
    """"json_total_tokens: 225.0": the agents flatten the data with its type first; the key is "total_tokens" (on
    the real corpus, the words "json" and "total" alone fit a unitless "total_improvement" better)."""
    from pytest_chimera.evidence.corpus import load_corpus
    from pytest_chimera.evidence.facts import compute_facts

    facts = compute_facts(load_corpus(chimeraforge_corpus))
    assert verdict("*   `json_total_tokens`: 225.0", facts)[:3] == (
        "supported", "exact fact", "json.csv_data/baseline_test_results_1759098967.json.total_tokens")


def test_what_a_third_review_found(chimeraforge_corpus: Path) -> None:
    """A gap is no reason against a mean or a median (a report's own mean of two clusters lies between them), nor
    against a value of a file that names only the model's family; it is measured from the written value's whole
    interval ("0.3 s" may be a cut 0.38); the measures are part of the candidates' cache key; a bare extension or a
    glob is a file type, not one file."""
    from pytest_chimera.evidence.corpus import load_corpus
    from pytest_chimera.evidence.facts import compute_facts

    real = compute_facts(load_corpus(chimeraforge_corpus))
    for line in ("In the baseline runs, the mean TTFT of gemma3:latest was 0.567 s.",  # a gemma3_baseline.csv mean
                 "Across all runs, gemma3:latest averaged a TTFT of 0.675 s.",  # the runs' own mean
                 "gemma3:latest TTFT was 0.567 s in the baseline runs."):
        assert verdict(line, real)[0] == "unverified", line
    assert verdict("gemma3 reached 14.24 tok/s.", real)[:2] == ("contradicted", "span")
    gaps = Facts.from_records([fact(f"t{k}", v, "s", "ttft", "gemma3:270m", "gemma3") for k, v in
                               enumerate((0.054, 0.5, 1.0, 2.0))])
    assert verdict("gemma3:270m TTFT was 0.3 s.", gaps)[0] == "unverified"  # 0.3 may be 0.38: within 25% of 0.5
    assert verdict("gemma3:270m TTFT was 0.30 s.", gaps)[:2] == ("contradicted", "span")
    assert verdict("gemma3:270m TTFT was 0.04 s.", gaps)[0] == "unverified"  # 0.049 is within 25% of 0.054
    low = Facts.from_records([fact(f"t{k}", v, "s", "ttft", "gemma3:270m", "gemma3") for k, v in
                              enumerate((0.054, 0.46, 2.0, 3.0))])
    assert verdict("gemma3:270m TTFT was 0.6 s.", low)[0] == "unverified"  # 0.55 is within 25% of 0.46
    assert verdict("The mean TTFT of gemma3:270m was 1.1 s.", low)[0] == "unverified"  # a mean of two clusters
    assert verdict("The TTFT of gemma3:270m was 1.1 s.", low)[:2] == ("contradicted", "span")
    family = Facts.from_records([*(fact(f"l{k}", v, "s", "ttft", "gemma3:latest", "gemma3") for k, v in
                                   enumerate((0.1, 0.13, 29.9))), fact("f", 0.5667, "s", "ttft", "gemma3", "baseline")])
    assert verdict("gemma3:latest TTFT was 0.567 s in the baseline runs.", family)[0] != "contradicted"
    assert verdict("gemma3:latest TTFT was 5.67 s in the baseline runs.", family)[:2] == ("contradicted", "span")
    deltas = Facts.from_records([fact(f"d{k}", v, "ms", "ttft", "delta") for k, v in enumerate((-60, -10, 40, 50))])
    assert verdict("The TTFT delta was -30 ms.", deltas)[0] == "unverified"  # no gap below zero: margins flip there
    leak = Facts.from_records([fact("ttft", 0.0941341, "s", "ttft", "gemma3:1b", "delay"),
                               fact("compile", 40.5, "s", "compile", "gemma3:1b", "delay"),
                               fact("ttft2", 2.5, "s", "ttft", "gemma3:1b", "delay")])
    both = check_consistency("gemma3:1b delay: 0.0941341 s\n\ngemma3:1b throughput-run delay: 0.0941341 s\n", leak)
    alone = check_consistency("gemma3:1b throughput-run delay: 0.0941341 s\n", leak)
    assert [n.verdict for n in both.numbers][1] == alone.numbers[0].verdict != "supported"
    types = "| File Type | Count |\n|---|---|\n| .json | 50 |\n| *.csv | 20 |\n| bench_001.json | 44 |\n"
    assert [n.unit for n in check_consistency(types, real).numbers] == ["files", "files", ""]


def test_a_leaf_that_takes_its_unit_from_a_sibling_is_named_by_it(chimeraforge_corpus: Path) -> None:
    """"latency_percentiles.p50" has no unit of its own: it repeats a "mean_ms" leaf, so it is in ms and carries
    "ms" like that leaf; "The p50 latency was 15.50 ms" was unverified (the ms-named p50s of other files fit
    better, none with 15.50) though the corpus's p50 of 15.502 ms is the one it copies."""
    from pytest_chimera.evidence.corpus import load_corpus
    from pytest_chimera.evidence.facts import compute_facts

    facts = compute_facts(load_corpus(chimeraforge_corpus))
    assert verdict("The p50 latency was 15.50 ms.", facts) == (
        "supported", "exact fact",
        "json.csv_data/baselines/comprehensive_baseline_1759186313.json.timing_stats.latency_percentiles.p50")
    assert verdict("The p50 latency was 17.50 ms.", facts)[0] != "supported"


def test_a_value_of_four_digits_overrules_a_best_fit_the_words_do_not_name() -> None:
    """"| P50 Latency (ms) | 15.50 |": the median of a "latency (ms)" column fits the words best, but "p50",
    "latency" and "ms" are each on too many facts to name it; a p50 of 15.502 ms is named by "p50" too, and
    four written digits make a chance match unlikely. Three digits ("15.5") do not overrule the best fit, nor
    does any value overrule a best fit the words name (``test_one_best_fit_with_another_value_is_not_overruled_
    by_a_coincidence``). From the read sets' right numbers: the p50 the agents copy as "15.50"."""
    facts = Facts.from_records([
        fact("median", 1.138, "ms", "latency", "ms", "p50", "median", "triton"),
        *(fact(f"lat{k}", v, "ms", "latency", "ms") for k, v in enumerate((1, 5, 10, 14, 17, 20))),
        *(fact(f"p{k}", 20 + k, "ms", "p50", "median") for k in range(6)),
        fact("percentiles.p50", 15.502165, "ms", "p50", "percentiles")])
    table = "| Metric | Value |\n|---|---|\n| P50 Latency (ms) | {} |\n"
    assert verdict(table.format("15.50"), facts) == ("supported", "exact fact", "percentiles.p50")
    assert verdict("The p50 latency was 15.50 ms.", facts) == ("supported", "exact fact", "percentiles.p50")
    assert verdict("The p50 latency was 15.5 ms.", facts)[::2] == ("unverified", "median")
    assert verdict("The p50 latency was 15.60 ms.", facts)[::2] == ("unverified", "median")
    # "triton" is on that median alone: the words name it, and no copied value elsewhere overrules it
    assert verdict("The triton p50 latency was 15.50 ms.", facts)[::2] == ("contradicted", "median")


def test_a_table_cell_keeps_its_leading_bound_sign() -> None:
    """"| p99 latency | > 1000 ms |": a cell has no quote or bullet marker to strip, so its ">" is the bound
    (the line's marker strip took it, and 1000 was held to 1024 exactly)."""
    facts = Facts.from_records([fact("p99", 1024.0, "ms", "p99", "latency"),
                                fact("p50", 15.5, "ms", "p50", "latency")])
    table = "| Metric | Value |\n|---|---|\n| p99 latency | {} |\n"
    assert verdict(table.format("> 1000 ms"), facts)[0] == "supported"
    assert verdict(table.format("> 2000 ms"), facts)[0] == "contradicted"
    assert verdict(table.format("1000 ms"), facts)[0] == "contradicted"


def test_the_chance_of_a_precise_value_is_among_the_facts_named_as_well(chimeraforge_corpus: Path) -> None:
    """A precise value found among facts the words name less well: its chance is counted among the facts named
    as well as the one that has it (every clause word it carries), not among every fact any one word names.
    "| **Latency (p50)** | 15.50 |" is the p50 of 15.502 ms: few p50 latencies lie near 15.5, though hundreds
    of latencies do (unverified while those counted). Where the facts named as well crowd near the value, the
    guard still holds."""
    from pytest_chimera.evidence.corpus import load_corpus
    from pytest_chimera.evidence.facts import compute_facts

    real = compute_facts(load_corpus(chimeraforge_corpus))
    table = "| Metric | Value | Std Dev |\n|---|---|---|\n| **Latency (p50)** | {} | 1.88 |\n"
    assert check_consistency(table.format("15.50"), real).numbers[0].verdict == "supported"
    crowd = Facts.from_records([fact("p50", 15.502, "ms", "p50", "latency"),
                                fact("p50b", 30.0, "ms", "p50", "latency", "other"),
                                fact("p50c", 31.0, "ms", "p50", "latency", "other"),
                                *(fact(f"l{k}", 8 + k * 0.23, "ms", "latency", "p50", "crowd") for k in range(100))])
    assert verdict("The p50 latency of the other runs was 15.50 ms.", crowd)[0] == "unverified"
    # two words each on a crowd of facts near the value, together on few: the few are the population
    pair = Facts.from_records([fact("target", 15.502, "ms", "alpha", "beta"),
                               *(fact(f"best{k}", 30.0 + k, "ms", "alpha", "beta", "gamma") for k in range(3)),
                               *(fact(f"a{k}", 8 + k * 0.23, "ms", "alpha") for k in range(100)),
                               *(fact(f"b{k}", 8 + k * 0.23, "ms", "beta") for k in range(100))])
    assert verdict("The alpha beta gamma figure was 15.50 ms.", pair)[::2] == ("supported", "target")
