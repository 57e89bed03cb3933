"""Values copied from the corpus, and units read as the report means them (the sixteenth round):

- a precise value some fact of the same metric words holds, outside the span of the facts those words fit best,
  is not ``contradicted`` by that span: it was copied, perhaps from the wrong scope (``ranges._copied_from``);
  a span scoped to a model still contradicts another model's value;
- a value agrees with a fact only to the coarser of the two precisions (``ranges._as_precise_as``): float noise
  such as "0.021999999999999995" does not make a two-digit fact a precise match;
- data rates ("13.8KB/s") are numbers with a unit of their own;
- a table row named as a rate ("Token Per Second") keeps its rate when its Units cell says "tokens";
- a throughput's span, which any tok/s fact forms, is that of a field's own facts where the clause names the
  field ("`mean_tokens_s` averaged 13.603 tokens/s" against the means, not the per-run banter rates)."""

from __future__ import annotations

import pytest
from test_verdict_rules import fact

from pytest_chimera.checks import query
from pytest_chimera.checks.consistency import check_consistency
from pytest_chimera.checks.numbers import dimension, find_numbers
from pytest_chimera.checks.query import Query
from pytest_chimera.checks.ranges import _as_precise_as
from pytest_chimera.evidence.facts import Facts

COPIED = 26.758380952380953


def claims(markdown: str, facts: Facts) -> list[tuple[str, str | None, str, str]]:
    """(raw, verdict, rule, explanation) of each claim of ``markdown``."""
    return [(n.raw, n.verdict, n.rule, n.explanation)
            for n in check_consistency(markdown, facts).numbers if n.kind == "claim"]


def latencies(extra: tuple[object, ...] = ()) -> Facts:
    """Four inference latencies (0.07-10.9 ms: the span "inference latency" fits best) and a self-healing run's
    latency of 26.758... ms, named "latency" but not "inference"."""
    rows = [fact(f"infer{k}", v, "ms", "inference latency", "inference", "latency")
            for k, v in enumerate((0.0696, 1.5, 4.2, 10.9473))]
    rows.append(fact("healing.latency_ms", COPIED, "ms", "latency_ms", "latency", "self healing"))
    return Facts.from_records([*rows, *extra])  # type: ignore[list-item]


def test_a_copied_value_outside_the_span_of_its_words_is_unverified_not_contradicted() -> None:
    [(_, got, rule, why)] = claims(f"# R\n\nThe average inference latency was {COPIED} ms.\n", latencies())
    assert (got, rule) == ("unverified", "span")
    assert why.startswith("test: healing.latency_ms has this value, but every time figure named by")
    assert "copied from another quantity?" in why


@pytest.mark.parametrize("written", ["26.5 ms", "26.9 ms", "27 ms", "90 ms"])  # 26.7 could be 26.758 cut short
def test_a_value_no_fact_holds_is_still_contradicted_by_the_span(written: str) -> None:
    [(_, got, rule, _why)] = claims(f"# R\n\nThe average inference latency was {written}.\n", latencies())
    assert (got, rule) == ("contradicted", "span")


def test_a_value_held_only_where_chance_explains_it_is_still_contradicted() -> None:
    # 200 latencies over 20-40 ms: "26.76" (26.755-26.77) would hit one of them by chance; "26.758" would not
    crowd = tuple(fact(f"other{k}", 20.0 + k / 10, "ms", "latency") for k in range(200))
    assert query.VALUE_CHANCE == 0.05
    [(_, got, _, _)] = claims("# R\n\nThe average inference latency was 26.76 ms.\n", latencies(crowd))
    assert got == "contradicted"
    [(_, got, _, _)] = claims("# R\n\nThe average inference latency was 26.758 ms.\n", latencies(crowd))
    assert got == "unverified"


def test_a_model_span_contradicts_another_scope_copied_value() -> None:
    forms = ("gemma3:1b", "gemma3-1b", "1b", "gemma3")
    rows = [fact(f"lat{k}", v, "ms", "latency", *forms) for k, v in enumerate((108.8, 150.0, 187.2))]
    rows.append(fact("timing.p99", 15.584035, "ms", "latency", "p99"))  # a model-less test's latency
    facts = Facts.from_records(rows)
    [(_, got, rule, _)] = claims("# R\n\ngemma3:1b had a latency of 15.584 ms.\n", facts)
    assert (got, rule) == ("contradicted", "span")  # the model's own latencies: 108.8-187.2 ms
    [(_, got, _, _)] = claims("# R\n\nThe latency was 15.584 ms.\n", facts)
    assert got == "supported"  # no model named: the model-less test's latency is one of the facts


def q(value: float, tolerance: float) -> Query:
    return Query(value, "ms", tolerance, "", set(), [], frozenset())


def test_a_value_agrees_with_a_fact_only_to_the_coarser_precision() -> None:
    noise = q(0.021999999999999995, 5e-19)
    assert _as_precise_as(noise, 0.022).tolerance == pytest.approx(0.0005)  # "0.022": three decimals
    assert query.significant_digits(_as_precise_as(noise, 0.022)) == 2
    precise = q(15.584035, 5e-7)
    assert _as_precise_as(precise, 15.58403500039276) is precise  # the fact has more digits: the claim's own
    assert _as_precise_as(q(44.0, 0.05), 44.0).tolerance == 0.05  # a whole number is exact: 44 tokens


def test_float_noise_is_not_a_precise_match_of_a_short_fact() -> None:
    def facts(jit: float) -> Facts:  # three p99 spreads the row names best; a compile time's spread with ``jit``
        rows = [fact(f"p99std{k}", v, "ms", "std", "standard deviation", "p99", "latency")
                for k, v in enumerate((0.011, 0.013, 0.015))]
        return Facts.from_records([*rows, fact("jit.std", jit, "ms", "std", "standard deviation", "jit")])

    table = ("# R\n\n| Metric | Mean | Standard Deviation |\n|---|---|---|\n"
             "| p99 latency | 15.6 | 0.021999999999999995 |\n")
    [_, (_, got, _, _)] = claims(table, facts(0.022))
    assert got == "unverified"  # "0.022" agrees to two digits, not seventeen
    [_, (_, got, rule, why)] = claims(table, facts(0.021999999999999995))
    assert (got, rule) == ("supported", "exact fact") and "chance match" in why  # every digit agrees


@pytest.mark.parametrize(("text", "unit"), [("13.8KB/s", "KB/s"), ("14.6 MB/s", "MB/s"), ("2 GB/s", "GB/s"),
                                            ("512 bytes/s", "B/s"), ("5 GB", "GB")])
def test_data_rates_have_a_unit_of_their_own(text: str, unit: str) -> None:
    [n] = find_numbers(f"It moved {text} on average.")
    assert n.unit == unit
    assert dimension(unit)[0] == ("bytes/s" if "/" in unit else "bytes")


def test_token_rates_written_in_kilobytes_per_second_are_unverified() -> None:
    facts = Facts.from_records([fact(f"tps{k}", 13.8 + k / 10, "tok/s", "tokens per second", "token rate")
                                for k in range(3)])
    got = claims("# R\n\nToken rates range from about 13.8KB/s to 14.6KB/s.\n", facts)
    assert [(raw, v) for raw, v, _, _ in got] == [("13.8KB/s", "unverified"), ("14.6KB/s", "unverified")]
    assert got[0][3] == "no fact has a unit compatible with KB/s"


def test_a_row_named_as_a_rate_keeps_its_rate_over_a_tokens_units_cell() -> None:
    facts = Facts.from_records([
        fact("results[2].tokens_per_second", 14.106339902901299, "tok/s", "tokens_per_second", "tokens per second",
             "throughput"),
        fact("total_tokens", 225.0, "tokens", "total_tokens", "total tokens", "tokens"),
        *(fact(f"tokens{k}", 40.0 + k, "tokens", "tokens") for k in range(3))])
    table = ("# R\n\n| Metric | Value | Units |\n|---|---|---|\n| Token Per Second | 14.1063399029013 | tokens |\n"
             "| Total Tokens | 225 | tokens |\n")
    got = claims(table, facts)
    assert [(raw, v) for raw, v, _, _ in got] == [("14.1063399029013", "supported"), ("225", "supported")]


def rates() -> Facts:
    """Three per-model means of a summary field (``mean_tokens_s``, 46-304 tok/s) and three per-run rates of
    another file (``tokens_per_second``, 13.3-14.6 tok/s)."""
    means = [fact(f"summary.mean_tokens_s{k}", v, "tok/s", "mean_tokens_s", "mean-tokens-s", "summary", "mean")
             for k, v in enumerate((46.397, 102.3, 303.898))]
    runs = [fact(f"banter.results[{k}].tokens_per_second", v, "tok/s", "tokens_per_second", "tokens-per-second",
                 "tokens per second") for k, v in enumerate((13.27, 13.85, 14.59))]
    return Facts.from_records([*means, *runs])


def test_a_named_field_narrows_a_throughput_span_to_its_own_facts() -> None:
    [(_, got, rule, why)] = claims("# R\n\nThe `mean_tokens_s` averaged 13.603 tokens/s.\n", rates())
    assert (got, rule) == ("contradicted", "span")
    assert "every tok/s figure named by 'mean-tokens-s' in the corpus lies between 46.397" in why
    [(_, got, _, _)] = claims("# R\n\nThe `tokens_per_second` averaged 13.85 tokens/s.\n", rates())
    assert got == "supported"
    for line in ("The throughput averaged 13.603 tokens/s.", "The summary throughput averaged 13.603 tokens/s."):
        [(_, got, _, _)] = claims(f"# R\n\n{line}\n", rates())
        assert got != "contradicted"  # no field named (a file's word is none): every tok/s fact, 13.27-303.898
