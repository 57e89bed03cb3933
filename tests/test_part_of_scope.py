"""Numbers read in the scope the sentence gives them (the eighteenth round):

- a claimed maximum (minimum) that one fact has, where the quantity's span reaches higher (lower), is the extreme
  of a part only: ``unverified`` (``ranges.part_extreme``), not ``supported``;
- "documents" counts files ("44 JSON documents");
- a bracketed number after "tokens per second" is a throughput, not seconds;
- a count noun outside a precise number's own phrase is not its unit ("in some runs (average p99 latency of
  15.58403500039276)"), but one inside it is ("average token count 187.17529");
- a JSON path followed by a range ("`json_results[2].tokens_s` fluctuating between A and B") names A."""

from __future__ import annotations

import pytest
from test_count_words import CORPUS
from test_verdict_rules import fact

from pytest_chimera.checks import ranges
from pytest_chimera.checks.consistency import check_consistency
from pytest_chimera.evidence.facts import Facts


def claims(markdown: str, facts: Facts) -> list[tuple[str, str | None, str, str]]:
    """(raw, verdict, rule, explanation) of each claim of ``markdown``."""
    return [(n.raw, n.verdict, n.rule, n.explanation)
            for n in check_consistency(markdown, facts).numbers if n.kind == "claim"]


def throughputs() -> Facts:
    """Two files' tokens/s maxima (187.18 and 303.9) and their other levels, and a file's lowest latency of 70.3
    ms beside lower ones."""
    return Facts.from_records([
        fact("a.tokens_s.max", 187.1752905464622, "tok/s", "tokens_s", "tps", "throughput", "max", "maximum",
             "highest", "peak"),
        fact("a.tokens_s.mean", 150.2, "tok/s", "tokens_s", "tps", "throughput", "mean", "average"),
        fact("b.tokens_s.max", 303.9, "tok/s", "tokens_s", "tps", "throughput", "max", "maximum", "highest", "peak"),
        fact("b.tokens_s.mean", 250.7, "tok/s", "tokens_s", "tps", "throughput", "mean", "average"),
        fact("c.latency.min", 70.3, "ms", "latency", "min", "minimum", "lowest"),
        fact("d.latency.min", 12.5, "ms", "latency", "min", "minimum", "lowest"),
        fact("d.latency.mean", 40.0, "ms", "latency", "mean", "average"),
        fact("e.latency.min", 9.1, "ms", "latency", "min", "minimum", "lowest"),
    ])


@pytest.mark.parametrize("sentence", ["The highest TPS recorded was 187.1752905464622.",
                                      "The maximum throughput observed was 187.18 tokens/s."])
def test_a_maximum_one_fact_has_is_unverified_where_the_span_reaches_higher(sentence: str) -> None:
    [(_, got, rule, why)] = claims(f"# R\n\n{sentence}\n", throughputs())
    assert (got, rule) == ("unverified", "span")
    assert "the highest tok/s figure" in why and "303.9 tok/s" in why and "of a part only?" in why


def test_the_span_s_own_maximum_and_a_plain_level_stay_supported() -> None:
    got = claims("# R\n\nThe highest TPS recorded was 303.9 tok/s. The average TPS was 150.2 tok/s.\n",
                 throughputs())
    assert [v for _, v, _, _ in got] == ["supported", "supported"]


def test_a_minimum_one_fact_has_is_unverified_where_the_span_reaches_lower() -> None:
    [(_, got, rule, why)] = claims("# R\n\nThe lowest latency was 12.5 ms.\n", throughputs())
    assert (got, rule) == ("unverified", "span")
    assert "the lowest time figure" in why and "9.1 ms" in why


def test_a_maximum_within_the_margin_of_the_span_s_is_supported() -> None:
    """A fact rounded to one decimal (187.2) is no higher maximum than 187.1753: ``EXTREME_MARGIN``."""
    assert ranges.EXTREME_MARGIN == 0.01
    claim = "# R\n\nThe highest TPS recorded was 187.1752905464622.\n"
    one_file = [f for f in throughputs() if not f.key.startswith("b.")]
    for top, expected in ((187.2, "supported"), (187.1752905464622 * 1.009, "supported"),
                          (187.1752905464622 * 1.011, "unverified")):
        facts = Facts.from_records([*one_file, fact("c.peak", top, "tok/s", "tokens_s", "tps", "max", "highest")])
        [(_, got, _, _)] = claims(claim, facts)
        assert got == expected, top


def test_a_span_whose_lowest_is_not_positive_has_no_lowest_to_compare_with() -> None:
    clocks = Facts.from_records([*throughputs(), fact("f.latency.min", -32671.0, "ms", "latency", "min", "lowest")])
    [(_, got, _, _)] = claims("# R\n\nThe lowest latency was 12.5 ms.\n", clocks)
    assert got == "supported"


@pytest.mark.parametrize(("sentence", "expected"), [
    ("The corpus holds 44 JSON documents.", "supported"),
    ("* **Total Files Analyzed:** 44 Documents", "contradicted"),
    ("A total of 101 documents were analysed.", "supported"),
])
def test_documents_are_files(sentence: str, expected: str) -> None:
    [number] = [n for n in check_consistency(f"# R\n\n{sentence}\n", CORPUS).numbers if n.kind == "claim"]
    assert (number.verdict, number.unit) == (expected, "files")
    assert number.fact is not None and number.fact.key.startswith("files.")


def rates() -> Facts:
    return Facts.from_records([
        fact("run.overall_tokens_per_second", 14.590837494496077, "tok/s", "overall_tokens_per_second",
             "overall tokens per second", "tokens per second", "overall"),
        *(fact(f"t{k}.ttft_s", 14.2 + k / 100, "s", "ttft_s", "ttft", "time to first token", "seconds")
          for k in range(30)),
    ])


def test_a_bracketed_number_after_tokens_per_second_is_a_throughput() -> None:
    [(raw, got, _, _)] = claims("# R\n\nFindings show a substantial average tokens per second (14.59) overall.\n",
                                rates())
    assert (raw, got) == ("14.59", "supported")
    [number] = [n for n in check_consistency("# R\n\nThe average tokens per second (14.59) is good.\n",
                                             rates()).numbers if n.kind == "claim"]
    assert number.fact is not None and number.fact.unit == "tok/s"


def percentiles() -> Facts:
    return Facts.from_records([
        fact("timing.latency_percentiles.p99", 15.58403500039276, "ms", "p99", "99th percentile", "latency",
             "latency percentiles"),
        *(fact(f"suite{k}.runs", float(k), "runs", "runs", "run count") for k in range(1, 8)),
        fact("run.ttft_s", 0.09413410000000001, "s", "ttft_s", "ttft", "latency"),
        fact("rate.mean_tokens_s", 187.17529, "tok/s", "mean_tokens_s", "tokens", "mean", "average"),
        *(fact(f"gen{k}.eval_count", 100.0 + 7 * k, "tokens", "eval_count", "token count", "tokens", "mean",
               "average") for k in range(12)),
    ])


@pytest.mark.parametrize("said", ["average p99 latency of 15.58403500039276", "a ttft latency of 0.09413410000000001"])
def test_a_count_noun_outside_a_precise_number_s_phrase_is_not_its_unit(said: str) -> None:
    """Nor is it the unit the value is looked up in: the fact in seconds is found by its value as written."""
    text = f"# R\n\n* **Latency:** High latency reported in some runs ({said}).\n"
    [(_, got, _, why)] = claims(text, percentiles())
    assert got == "supported" and "exact value" in why


@pytest.mark.parametrize("sentence", ["The average token count was 187.17529 per response.",
                                      "Each response held an average of 187.17529 tokens."])
def test_a_count_noun_inside_a_precise_number_s_phrase_or_written_with_it_stays_its_unit(sentence: str) -> None:
    [(_, got, _, _)] = claims(f"# R\n\n{sentence}\n", percentiles())
    assert got != "supported"


PATH_FACTS = Facts.from_records([
    fact("json.a.json.results[2].tokens_s", 184.2363135373321, "tok/s", "results", "tokens_s", "tokens s"),
    fact("json.a.json.results[0].tokens_s", 182.66757650517033, "tok/s", "results", "tokens_s", "tokens s"),
    fact("json.b.json.results[2].tokens_s", 102.041, "tok/s", "results", "tokens_s", "tokens s"),
])


@pytest.mark.parametrize("between", ["fluctuating between", "ranging from", "between", "from", "varies from"])
def test_a_json_path_before_a_range_names_its_first_end(between: str) -> None:
    text = f"# R\n\nRuns vary (e.g., `json_results[2].tokens_s` {between} 182.66757650517033 and 184.2363135373321).\n"
    first = claims(text, PATH_FACTS)[0]
    assert first[:3] == ("182.66757650517033", "contradicted", "exact fact")
    assert "at results[2].tokens_s" in first[3]


def durations() -> Facts:
    return Facts.from_records([fact("d.min", 12.5, "min", "duration", "min", "minimum", "lowest"),
                               fact("d.mean", 40.0, "min", "duration", "mean", "average"),
                               fact("e.min", 9.1, "min", "duration", "min", "minimum", "lowest")])


def test_minutes_are_no_minimum_but_a_minimum_word_beside_them_is() -> None:
    table = "# R\n\n| Metric | Average |\n|---|---|\n| Duration (min) | 40.0 |\n"
    assert [v for _, v, _, _ in claims(table, durations())] == ["supported"]
    [(_, got, rule, _)] = claims("# R\n\nThe lowest duration was 12.5 min.\n", durations())
    assert (got, rule) == ("unverified", "span")


def test_a_range_s_end_is_left_to_the_range_rules() -> None:
    got = claims("# R\n\nThe lowest latency ranged from 12.5 to 70.3 ms across files.\n", throughputs())
    assert got[0][:2] == ("12.5", "supported")


# ---- a review's findings ------------------------------------------------------------------------------------


def test_the_words_that_single_a_fact_out_narrow_the_extreme_to_its_part() -> None:
    """"the highest throughput in the baseline" is the baseline's, not the corpus's; the words of the unit
    ("tokens/second") single out no part; a difference ("Throughput Delta") is no level."""
    facts = Facts.from_records([
        *throughputs(),
        fact("base.tokens_s.max", 299.19, "tok/s", "tokens_s", "tps", "throughput", "max", "highest", "baseline"),
        fact("summary.Tokens per Second.max", 14.3, "tok/s", "tokens per second", "token", "second", "throughput",
             "max", "maximum"),
    ])
    [(_, got, _, _)] = claims("# R\n\nThe highest throughput in the baseline was 299.19 tok/s.\n", facts)
    assert got == "supported"
    [(_, got, rule, _)] = claims("# R\n\nThe maximum throughput is approximately 14.3 tokens/second.\n", facts)
    assert (got, rule) == ("unverified", "span")
    lows = Facts.from_records([fact(f"t{k}.tokens_s", v, "tok/s", "tokens_s", "throughput", "min", "lowest")
                               for k, v in enumerate((180.25, 181.97, 184.24))]
                              + [fact("report.Throughput Delta", 108.8, "tok/s", "throughput", "delta")])
    [(_, got, _, _)] = claims("# R\n\nThe lowest throughput was 180.25 tok/s.\n", lows)
    assert got == "supported"


def test_a_count_noun_of_the_line_s_lead_is_the_number_s_unit_a_gloss_s_is_not() -> None:
    facts = Facts.from_records([*percentiles(),
                                fact("run.ttft_s.max", 2.3189992000000004, "s", "ttft_s", "ttft", "latency", "max"),
                                *(fact(f"suite{k}.samples", float(k), "samples", "samples") for k in range(1, 6))])
    for lead in ("Total tokens generated", "Tokens generated"):
        [(_, got, _, _)] = claims(f"# R\n\n- {lead}: 187.17529\n", facts)
        assert got != "supported", lead
    [(_, got, _, _)] = claims("# R\n\n- Latency (TTFS - Time To First Sample): 2.3189992000000004\n", facts)
    assert got == "supported"


def test_documents_followed_by_an_object_is_a_verb() -> None:
    [number] = [n for n in check_consistency("# R\n\nTechnical Report 108 documents the gemma3 results.\n",
                                             CORPUS).numbers if n.kind == "claim"]
    assert number.unit != "files"
