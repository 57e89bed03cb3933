"""The nineteenth round (set J read): a written sum is arithmetic, and a model named in code is a model.

- each term of "44 JSON + 29 Markdown = 73 files" is read in its own clause, with the result's count noun and
  its own words as the count's qualifier; the result is `contradicted` when its terms add up to another value
  and `supported` (rule "derived") when they add up to it and each is supported (``checks.sums``);
- an inline code span that is a model's name ("`gemma3_270m`") keeps its digits: it names that model."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_count_words import CORPUS
from test_verdict_rules import fact

from pytest_chimera.checks.claims import clean
from pytest_chimera.checks.consistency import check_consistency
from pytest_chimera.checks.numbers import find_numbers
from pytest_chimera.checks.sums import clause_cuts, sums
from pytest_chimera.evidence.corpus import load_corpus
from pytest_chimera.evidence.facts import Facts, compute_facts


def claims(markdown: str, facts: Facts = CORPUS) -> list[tuple[str, str | None, str, str]]:
    """(raw, verdict, rule, explanation) of each claim of ``markdown``."""
    return [(n.raw, n.verdict, n.rule, n.explanation)
            for n in check_consistency(markdown, facts).numbers if n.kind == "claim"]


def test_each_term_of_a_sum_is_its_own_count_and_the_result_their_sum() -> None:
    got = claims("# R\n\nThe JSON and Markdown files are a large part (44 JSON + 29 Markdown = 73 files).\n")
    assert [(raw, v) for raw, v, _, _ in got] == [("44", "supported"), ("29", "supported"),
                                                  ("73 files", "supported")]
    assert got[2][2] == "derived" and "the sum of its terms (44 + 29), each supported" in got[2][3]


def test_a_result_its_terms_do_not_add_up_to_is_contradicted() -> None:
    got = claims("# R\n\nThe total is 28 CSV + 44 JSON + 29 Markdown = 103 files.\n")
    assert [v for _, v, _, _ in got] == ["supported", "supported", "supported", "contradicted"]
    assert got[3][2] == "derived" and "its terms add up to 101 (28 + 44 + 29), not 103 files" in got[3][3]


def test_a_result_a_fact_supports_keeps_its_fact() -> None:
    [*_, total] = check_consistency("# R\n\nThe total is 28 CSV + 44 JSON + 29 Markdown = 101 files.\n",
                                    CORPUS).numbers
    assert (total.verdict, total.rule) == ("supported", "exact fact")
    assert total.fact is not None and total.fact.key == "files.total"


def test_a_result_beside_an_unverified_term_keeps_its_own_verdict() -> None:
    got = claims("# R\n\nThe total is 28 CSV + 45 widgets + 29 Markdown = 102 files.\n")
    assert got[3][1] != "supported"


def test_decimals_add_up_to_their_written_precision() -> None:
    """14.5 + 3.25 = 17.75, written 17.8: within the precision of all three; 17.9 is not."""
    facts = Facts.from_records([fact("a", 14.5, "ms", "alpha", "latency"), fact("b", 3.25, "ms", "beta", "latency"),
                                fact("c", 900.0, "ms", "gamma", "latency")])
    right = claims("# R\n\nLatency: 14.5 ms + 3.25 ms = 17.8 ms.\n", facts)
    assert right[2][1] != "contradicted"
    wrong = claims("# R\n\nLatency: 14.5 ms + 3.25 ms = 17.9 ms.\n", facts)
    assert wrong[2][:3] == ("17.9 ms", "contradicted", "derived")


def test_whole_numbers_add_up_exactly() -> None:
    got = claims("# R\n\nFiles: 28 CSV + 44 JSON = 73 files.\n")
    assert got[2][:3] == ("73 files", "contradicted", "derived")


def test_terms_of_other_units_are_no_sum() -> None:
    got = claims("# R\n\nThe corpus: 28 CSV + 27.7% = 101 files.\n")
    assert got[-1][2] != "derived"


@pytest.mark.parametrize("line", ["num_ctx = 2048 and avg_tokens_per_second = 14.1",
                                  "a + b = c holds for 3 models", "the ratio 3 / 4 = 0.75"])
def test_no_sum_where_no_number_precedes_the_operator(line: str) -> None:
    assert sums(line, find_numbers(line)) == []


@given(st.lists(st.integers(0, 10_000), min_size=2, max_size=5), st.integers(-3, 3))
def test_sums_of_any_terms_are_found_and_cut_into_clauses(terms: list[int], off: int) -> None:
    line = " + ".join(f"{t} widgets" for t in terms) + f" = {sum(terms) + off} widgets"
    found = sums(line, find_numbers(line))
    assert found == [(list(range(len(terms))), len(terms))]
    assert [line[a:b] for a, b in clause_cuts(line)] == ["+"] * (len(terms) - 1) + ["="]


def test_a_model_named_in_code_keeps_its_digits_and_other_code_does_not() -> None:
    assert "gemma3_270m" in clean("- `gemma3_270m`: a smaller model (270 million parameters).")
    assert "20251002" not in clean("- `conv_bench_20251002-170837.json`: 5 runs")
    sizes = Facts.from_records([fact("models.gemma3:270m.parameters", 270e6, "parameters", "gemma3:270m",
                                     "gemma3-270m", "270m", "parameters", "model size")])
    nested = "# R\n\n* **Patterns:**\n    * `gemma3_270m`: Represents a smaller model (270 million parameters).\n"
    [(_, got, _, _)] = claims(nested, sizes)
    assert got == "supported"


def test_the_corpus_total_is_not_contradicted_by_a_file_name_compound_s_count() -> None:
    """The twentieth round (set K read): "benchmark runs (101 files)" is the corpus's total in prose words that
    happen to make up a file-name compound (3 files named benchmark_runs): `unverified`, the total named; a count
    the total does not agree with is still contradicted by the compound's count."""
    facts = Facts.from_records([*CORPUS, fact("files.by_name.benchmark_runs", 3, "files", "benchmark_runs",
                                              "benchmark runs", "benchmark", "runs", "files")])
    [(_, got, _, why)] = claims("# R\n\nThe data holds many benchmark runs (101 files).\n", facts)
    assert got == "unverified" and why.startswith("the corpus's total agrees; the words may instead name")
    [(_, got, _, _)] = claims("# R\n\nThe data holds many benchmark runs (over 100 files).\n", facts)
    assert got == "unverified"
    [(_, got, _, _)] = claims("# R\n\nThe data holds many benchmark runs (40 files).\n", facts)
    assert got == "contradicted"


# ---- a review's findings (each a line the first version of these rules misread) ---------------------------


def test_a_correct_sum_does_not_overrule_a_fact_that_contradicts_its_result() -> None:
    """"28 CSV + 44 JSON = 72 files" forgets the Markdown: the corpus's total still contradicts "72 files"."""
    got = claims("# R\n\n- Total files analyzed: 28 CSV + 44 JSON = 72 files.\n")
    assert got[2][:2] == ("72 files", "contradicted") and got[2][2] != "derived"


@pytest.mark.parametrize("result", ["100+ files", "over 100 files", "over 90 files", "under 120 files",
                                    "approximately 100 files", "≈ 100 files"])
def test_a_result_written_as_a_bound_or_an_estimate_holds_by_its_bound(result: str) -> None:
    sep = " " if result.startswith("≈") else " = "
    got = claims(f"# R\n\n- 28 CSV + 44 JSON + 29 Markdown{sep}{result}.\n")
    assert got[3][1] != "contradicted"


@pytest.mark.parametrize("result", ["over 120 files", "about 90 files", "under 90 files"])
def test_a_bound_the_terms_break_is_contradicted(result: str) -> None:
    got = claims(f"# R\n\n- 28 CSV + 44 JSON + 29 Markdown = {result}.\n")
    assert got[3][1:3] == ("contradicted", "derived")


def test_shares_add_up_to_their_rounding() -> None:
    shares = Facts.from_records([*CORPUS, fact("files.by_type.md.pct", 28.712871, "%", "markdown", "md",
                                               "markdown files", "files", "file", "percent", "share")])
    got = claims("# R\n\n- 28% CSV + 44% JSON + 29% Markdown = 100% of the files.\n", shares)
    assert got[3][1] != "contradicted"


@pytest.mark.parametrize("line", ["Technical Reports 108 + 109 + 110 = 3 legacy reports.",
                                  "2 × 14 CSV + 44 JSON = 72 files.", "Tests #4 + 5 = 2 runs."])
def test_identifiers_and_products_are_no_sums(line: str) -> None:
    assert sums(line, find_numbers(line)) == []


def test_signed_terms_and_an_approximate_result_make_a_sum() -> None:
    line = "Net: -30 + 227.5 ≈ 197.5 tok/s"
    assert sums(line, find_numbers(line)) == [([0, 1], 2)]


def test_a_measure_s_terms_keep_their_words_a_count_s_do_not() -> None:
    """A sum of tok/s keeps its clause ("baseline min and max"); a sum of counts or shares is cut into terms."""
    assert clause_cuts("Combined gemma3:270m baseline min and max: 238.24 + 299.19 = 537.43 tok/s") == []
    assert len(clause_cuts("44 JSON + 29 Markdown = 73 files")) == 2
    assert len(clause_cuts("28% CSV + 44% JSON = 72%")) == 2


def test_a_long_line_with_a_sum_costs_linear_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """The first version matched each term from its start to the end of the line, rescanning a long run of digits
    and commas from every number: the text the gap pattern may read must grow with the line, not its square."""
    from pytest_chimera.checks import sums as module

    real = module._GAP
    read = 0

    class Counted:
        def match(self, text: str, pos: int = 0, endpos: int | None = None) -> re.Match[str] | None:
            nonlocal read
            read += (len(text) if endpos is None else endpos) - pos
            return real.match(text, pos, len(text) if endpos is None else endpos)

    monkeypatch.setattr(module, "_GAP", Counted())

    def cost(n: int) -> int:
        nonlocal read
        read = 0
        line = "Sum: 28 CSV + 44 JSON = 72 files; values " + "1," * n + "2."
        sums(line, find_numbers(line))
        return read

    assert cost(2000) <= 2.2 * cost(1000)


def test_the_total_in_a_compound_written_as_an_identifier_is_contradicted_by_its_count() -> None:
    facts = Facts.from_records([*CORPUS, fact("files.by_name.prompt_suite", 11, "files", "prompt_suite",
                                              "prompt suite", "prompt", "suite", "files")])
    [(_, got, _, _)] = claims("# R\n\n- The `prompt_suite` files (101 files) cover prompts.\n", facts)
    assert got == "contradicted"


@pytest.fixture(scope="module")
def real(chimeraforge_corpus: Path) -> Facts:
    return compute_facts(load_corpus(chimeraforge_corpus))


def test_a_term_counts_what_the_result_counts_and_its_own_words_say_which(real: Facts) -> None:
    """"The corpus holds 44 JSON + ...": without the result's noun the 44 is a bare number about the corpus, and
    without its own words as the count's qualifier it is the corpus's total (the real corpus: its facts compete)."""
    got = claims("# R\n\nThe corpus holds 44 JSON + 29 Markdown = 73 files.\n", real)
    assert [v for _, v, _, _ in got] == ["supported", "supported", "supported"]
