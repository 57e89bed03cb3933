"""What a number's clause and its line's structure say it is about, on made-up facts: which of the models a
clause names the number belongs to (``checks.subjects``), a nested bullet read with its parent's lead words,
and a bare number copied with many digits."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_chimera.checks.consistency import check_consistency
from pytest_chimera.checks.numbers import find_numbers
from pytest_chimera.checks.subjects import Mentions
from pytest_chimera.evidence.facts import Fact, Facts


def fact(key: str, value: float, unit: str, *labels: str) -> Fact:
    return Fact(key, value, unit, f"test: {key}", labels)


def verdicts(markdown: str, facts: Facts) -> list[tuple[str, str | None, str]]:
    """(number, verdict, fact key) of every claim of ``markdown``."""
    return [(n.raw, n.verdict, n.fact.key if n.fact else "") for n in check_consistency(markdown, facts).numbers
            if n.kind == "claim"]


# ---- which model a number is about ----------------------------------------------------------------------------

# gemma3:1b runs at 38-42 tok/s, gemma3:270m at 68-72 tok/s
TWO_MODELS = Facts.from_records([
    *(fact(f"b1.{s}", v, "tok/s", "throughput", s, "gemma3:1b", "1b", "gemma3")
      for s, v in (("mean", 40.0), ("max", 42.0), ("min", 38.0))),
    *(fact(f"m270.{s}", v, "tok/s", "throughput", s, "gemma3:270m", "270m", "gemma3")
      for s, v in (("mean", 70.0), ("max", 72.0), ("min", 68.0))),
])


@pytest.mark.parametrize("sentence", [
    "Unlike gemma3:1b the gemma3:270m throughput reached 40 tok/s.",
    "Unlike gemma3:1b, the gemma3:270m throughput reached 40 tok/s.",
    "Compared to gemma3:1b, gemma3:270m averaged 40 tok/s.",
    "gemma3:270m reached 40 tok/s unlike gemma3:1b.",
    "The gemma3:270m throughput reached 40 tok/s, unlike gemma3:1b.",
    "gemma3:270m was faster than gemma3:1b and gemma3:4b with 40 tok/s of throughput overall.",
    "gemma3:270m throughput (40 tok/s) was higher than that of gemma3:1b.",
    "Throughput was 40 tok/s for gemma3:270m versus gemma3:1b.",
])
def test_the_model_a_contrast_word_marks_is_the_other_one(sentence: str) -> None:
    """40 tok/s is gemma3:1b's figure, but each sentence says it of gemma3:270m (68-72): never supported by 1b."""
    [(_, got, key)] = verdicts(sentence, TWO_MODELS)
    assert got == "contradicted" and key.startswith("m270."), (sentence, got, key)


def test_a_number_right_after_a_model_name_is_that_models() -> None:
    wrong = verdicts("gemma3:1b's 70 tok/s is higher than gemma3:270m's 40 tok/s.", TWO_MODELS)
    assert [(raw, v, key[:3]) for raw, v, key in wrong] == [("70 tok/s", "contradicted", "b1."),
                                                            ("40 tok/s", "contradicted", "m27")]
    right = verdicts("gemma3:270m's 70 tok/s is higher than gemma3:1b's 40 tok/s.", TWO_MODELS)
    assert right == [("70 tok/s", "supported", "m270.mean"), ("40 tok/s", "supported", "b1.mean")]
    assert verdicts("gemma3:270m is faster than gemma3:1b (40 tok/s).", TWO_MODELS)[0][1:] == \
        ("supported", "b1.mean")  # a bracket right after the other model: its figure


def test_a_model_after_a_preposition_owns_the_number_before_it() -> None:
    got = verdicts("Throughput was 70 tok/s for gemma3:270m and 40 tok/s for gemma3:1b.", TWO_MODELS)
    assert got == [("70 tok/s", "supported", "m270.mean"), ("40 tok/s", "supported", "b1.mean")]
    got = verdicts("Throughput was 40 tok/s for gemma3:270m and 70 tok/s for gemma3:1b.", TWO_MODELS)
    assert [v for _, v, _ in got] == ["contradicted", "contradicted"]


def test_models_named_together_share_a_number() -> None:
    """"A and B both averaged N": checked against either model's facts (documented choice), as before."""
    assert verdicts("gemma3:1b and gemma3:270m both averaged 40 tok/s.", TWO_MODELS)[0][1] == "supported"
    assert verdicts("gemma3:1b and gemma3:270m both averaged 70 tok/s.", TWO_MODELS)[0][1] == "supported"
    assert verdicts("gemma3:1b and gemma3:270m both averaged 5 tok/s.", TWO_MODELS)[0][1] != "supported"


def test_a_clause_without_a_model_takes_the_sentences_non_contrast_models() -> None:
    got = verdicts("gemma3:270m, unlike gemma3:1b, reached 40 tok/s.", TWO_MODELS)
    assert got[0][1] == "contradicted" and got[0][2].startswith("m270.")


def test_mentions_are_models_families_and_sizes_each_once() -> None:
    text = "Unlike codellama:7b and tinyllama, the 270m model and Gemma3-1B beat llama3.1:8b-q4_0 than gemma3"
    mentions = Mentions(text)
    assert [(text[m.start:m.end], m.contrast) for m in mentions.found] == [
        ("codellama:7b", True), ("tinyllama", True), ("270m", False), ("Gemma3-1B", False),
        ("llama3.1:8b-q4_0", False), ("gemma3", True)]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["gemma3:1b", "unlike", "than", "40 tok/s", "and", ",", "the", "for", "'s",
                                 "llama3.1:8b", "270m", "respectively", "(", "5 ms", "of"]), max_size=30))
def test_a_number_is_about_mentions_of_its_own_clause(words: list[str]) -> None:
    """Whatever the sentence, the models a number is about are mentions inside its clause, none marked as the
    other side unless the number is attached to it."""
    text = " ".join(words)
    found = find_numbers(text)
    mentions = Mentions(text, found)
    for n in [n for n in found if n.form == "quantity"]:
        about = mentions.about(0, len(text), n.start, n.end)
        if about is None:
            continue
        assert about and all(word in text for word in about.split())


# ---- a nested list item read with its parents' lead words ----------------------------------------------------

FILES = Facts.from_records([
    fact("files.total", 101, "files", "files", "file", "total", "data files", "corpus"),
    fact("files.by_type.csv", 28, "files", "csv", "csv files", "files", "file"),
    fact("files.by_type.json", 44, "files", "json", "json files", "files", "file"),
    *(fact(f"files.by_model.{m}.csv", k, "files", m, "csv", "csv files", "files", "file")
      for k, m in enumerate(["gemma3:1b", "gemma3:270m", "llama3.1:8b", "qwen2.5:7b"])),
])


def test_a_nested_items_lines_carry_the_lead_words_of_every_item_above() -> None:
    from pytest_chimera.checks.claims import units_of
    from pytest_chimera.checks.report import outline

    markdown = ("- **File Distribution:** by type\n  - CSV: 35\n    * gemma3: 4\n  - JSON: 44\n"
                "- File types: all\n    + Markdown: 29\n\nA paragraph 7.\n\n1. **Latency**\n   - mean: 81 ms\n")
    parents = {u.line: u.parents for u in units_of(outline(markdown))}
    assert parents == {1: "", 2: "File Distribution", 3: "CSV File Distribution", 4: "File Distribution",
                       5: "", 6: "File types", 8: "", 10: "", 11: "Latency"}
    # a paragraph at the margin ends the list: its items' leads reach no later list
    later = {u.line: u.parents for u in units_of(outline("- Files:\n\nText 3.\n\n  - CSV: 28\n"))}
    assert later[5] == ""
    later = {u.line: u.parents for u in units_of(outline("- Files:\n\n# Part 2\n\n  - CSV: 28\n"))}
    assert later[5] == ""


def test_a_nested_count_is_read_with_its_parents_lead() -> None:
    """"CSV: 35" alone names no count for sure; under "File Distribution:" it is the CSV file count (28)."""
    assert verdicts("- CSV: 35\n", FILES)[0][1] == "unverified"
    assert verdicts("- **File Distribution:**\n  - CSV: 35\n", FILES)[0][1:] == ("contradicted", "files.by_type.csv")
    assert verdicts("- File Distribution:\n    * CSV: 28\n", FILES)[0][1:] == ("supported", "files.by_type.csv")


def test_a_parents_words_make_no_phrase_with_the_items_own() -> None:
    """"... performance data" then the parent's "Files": no "data files" (the total's words) across the two."""
    got = verdicts("- **Files:**\n  - Metrics (CSV): 14 files - performance data\n", FILES)
    assert got[0][1:] == ("contradicted", "files.by_type.csv")


def test_a_nested_item_is_about_the_model_its_parent_names() -> None:
    assert verdicts("- throughput: 40 tok/s\n", TWO_MODELS)[0][1] != "contradicted"
    got = verdicts("- **gemma3:270m:**\n  - throughput: 40 tok/s\n", TWO_MODELS)
    assert got[0][1] == "contradicted" and got[0][2].startswith("m270.")


# ---- a bare number copied with every digit -------------------------------------------------------------------

COPIED = Facts.from_records([
    fact("lat.p50", 15.502165000179957, "ms", "latency", "percentiles", "p50", "50th percentile", "median"),
    fact("lat.p95", 15.58403500039276, "ms", "latency", "percentiles", "p95", "95th percentile"),
    fact("lat.mean", 15.7, "ms", "latency", "mean", "average"),
    fact("runs.samples", 20, "", "latency", "percentiles", "samples"),
    fact("other.samples", 30, "", "throughput", "samples"),
    *(fact(f"filler.{k}", k / 7, "", "widget") for k in range(3000)),  # a corpus of some size
])


def test_a_bare_number_copied_with_every_digit_is_supported_by_the_fact_it_copies() -> None:
    """No unit: its words' one unitless fact (20 samples) is no reason to doubt a value only a copy explains."""
    got = verdicts("The latency percentiles show values around 15.502165000179955.", COPIED)
    assert got[0][1:] == ("supported", "lat.p50")
    # the statistics of a list ("The 50th, 95th and 99th ... A, B and C") may be read in any order
    got = verdicts("- **Latency percentiles:** The 50th (P50), 95th (P95), and 99th (P99) show values around "
                   "15.502165000179955, 15.58403500039276, and 15.58403500039276.", COPIED)
    assert [(v, key) for _, v, key in got] == [("supported", "lat.p50"), ("supported", "lat.p95"),
                                               ("supported", "lat.p95")]


def test_a_copied_value_of_a_statistic_its_sentence_does_not_name_is_not_supported() -> None:
    assert verdicts("The average latency percentiles were 15.502165000179955.", COPIED)[0][1] != "supported"


def test_a_bare_number_with_few_digits_is_no_copy() -> None:
    """Four digits against 3,000 facts: a chance hit is possible, so the unitless fact the words name decides,
    as before (against 5 facts the same digits would be a copy)."""
    assert verdicts("The latency percentiles show values around 15.50.", COPIED)[0][1] != "supported"


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=1, max_value=12), st.floats(min_value=0.001, max_value=1e6))
def test_a_copy_is_unmistakable_exactly_when_every_fact_as_a_neighbour_would_hit_it_rarely(digits: int,
                                                                                      value: float) -> None:
    """``n * (hi - lo) / (v / 2) < VALUE_CHANCE``: the fact count at which a number written with these digits
    stops being unmistakable is the chance guard's, within one fact."""
    from pytest_chimera.checks.numbers import parse_number
    from pytest_chimera.checks.query import VALUE_CHANCE, Query, interval, unmistakable

    raw = f"{value:.{digits}g}"
    [n] = find_numbers(f"it was {raw} here") or [None]
    if n is None or n.value == 0 or parse_number(raw) is None:
        return
    q = Query(n.value, "", n.tolerance, "", set(), [], frozenset())
    lo, hi = interval(q, widen=False)
    limit = VALUE_CHANCE * (abs(n.value) / 2) / (hi - lo)  # facts at which the chance reaches VALUE_CHANCE
    if n.tolerance >= 0.5:  # a whole number is never a copy
        assert not unmistakable(q, 1)
        return
    if limit > 2:
        assert unmistakable(q, int(limit * 0.999) - 1)
    assert not unmistakable(q, int(limit * 1.001) + 1)
    assert not unmistakable(Query(n.value, "ms", n.tolerance, "", set(), [], frozenset()), 1)  # a unit: no


# ---- a count of a subset the corpus does not count ---------------------------------------------------------

KINDS = Facts.from_records([
    fact("files.total", 101, "files", "files", "file", "total", "corpus"),
    fact("files.by_type.csv", 28, "files", "csv", "csv files", "files", "file"),
    fact("files.by_type.json", 44, "files", "json", "json files", "files", "file"),
    fact("files.by_type.md", 29, "files", "markdown", "markdown files", "files", "file"),
    fact("files.by_type.json+md", 73, "files", "json and markdown", "json & markdown", "files", "file"),
    fact("files.by_name.conv_bench", 2, "files", "conv_bench", "conv bench", "files", "file"),
])


def test_a_count_whose_words_name_an_uncounted_subset_is_never_contradicted() -> None:
    """"20 compilation-benchmark files": no count of the corpus carries those words, so the total (or any other
    count) says nothing against it; a count whose words the corpus does carry is contradicted as before."""
    got = check_consistency("The corpus holds 20 compilation-benchmark files.", KINDS).numbers[0]
    assert got.verdict == "unverified" and "'compilation'" in got.explanation and "'benchmark'" in got.explanation
    assert verdicts("The corpus holds 20 CSV files.", KINDS)[0][1:] == ("contradicted", "files.by_type.csv")
    assert verdicts("The corpus holds 101 compilation files.", KINDS)[0][1:] == ("supported", "files.total")
    # the pieces of a label ("conv_bench") cover the words of a count's name
    assert verdicts("The corpus holds 9 conv-bench files.", KINDS)[0][1:] == \
        ("contradicted", "files.by_name.conv_bench")


def test_another_count_noun_before_a_counts_noun_names_no_subset() -> None:
    """"30 CSV benchmark files" counts CSV files, as "101 benchmark files" counts files (the head noun)."""
    assert verdicts("The corpus holds 30 CSV benchmark files.", KINDS)[0][1:] == ("contradicted", "files.by_type.csv")
    assert verdicts("The corpus holds 120 total test files.", KINDS)[0][1:] == ("contradicted", "files.total")
    assert verdicts("The corpus holds 28 CSV benchmark files.", KINDS)[0][1:] == ("supported", "files.by_type.csv")
    got = check_consistency("The corpus holds 20 compilation benchmark files.", KINDS).numbers[0]
    assert got.verdict == "unverified" and "'compilation'" in got.explanation


def test_a_count_right_after_its_lead_label_is_named_by_it() -> None:
    """"Lead: N files" says what the N counts, as "N lead files" does; the count's own words come first."""
    assert verdicts("- **Compilation Benchmarks (JSON & Markdown):** 20 Files\n", KINDS)[0][1] == "unverified"
    assert verdicts("- **JSON & Markdown:** 20 Files\n", KINDS)[0][1:] == ("contradicted", "files.by_type.json+md")
    # the lead labels only a count right after it
    assert verdicts("- **Compilation Benchmarks:** there are CSV files (20)\n", KINDS)[0][1:] == \
        ("contradicted", "files.by_type.csv")
    # a count with words of its own: the lead is a topic
    assert verdicts("- **Parameter Tuning Dominance:** 20 CSV files\n", KINDS)[0][1:] == \
        ("contradicted", "files.by_type.csv")


def test_a_claims_candidates_do_not_depend_on_the_claims_checked_before() -> None:
    """The candidate facts of a set of words are remembered on the fact index, keyed also by whether the claim's
    unit names the quantity (a count noun) and by a count's own words: a bare "CSV: 35" or a count without
    "CSV" before its noun, checked after "35 CSV files" with the same words, gets what it gets alone."""
    from pytest_chimera.checks.index import FactIndex
    from pytest_chimera.checks.matching import _candidates
    from pytest_chimera.checks.query import Query, context

    seq, bag = context("csv corpus")
    first = Query(35.0, "files", 0.5, "", bag, seq, frozenset(), qualifier=frozenset({"csv"}))
    later = [Query(35.0, "", 0.5, "", bag, seq, frozenset()), Query(35.0, "files", 0.5, "", bag, seq, frozenset())]
    for q in later:
        alone = _candidates(q, FactIndex(FILES), "files", 1.0, 2)[0]
        shared = FactIndex(FILES)
        _candidates(first, shared, "files", 1.0, 2)
        after = _candidates(q, shared, "files", 1.0, 2)[0]
        assert alone is not None and after is not None
        assert [list(map(float, a)) for a in alone] == [list(map(float, a)) for a in after]


def test_a_model_in_brackets_right_after_a_number_owns_it() -> None:
    right = verdicts("Throughput rose from 40 tok/s (gemma3:1b) to 70 tok/s (gemma3:270m).", TWO_MODELS)
    assert right == [("40 tok/s", "supported", "b1.mean"), ("70 tok/s", "supported", "m270.mean")]
    wrong = verdicts("Throughput rose from 70 tok/s (gemma3:1b) to 40 tok/s (gemma3:270m).", TWO_MODELS)
    assert [(v, key[:3]) for _, v, key in wrong] == [("contradicted", "b1."), ("contradicted", "m27")]
    # a bracket that goes on after the model labels the next number, not this one
    assert verdicts("gemma3:1b reached 40 tok/s (gemma3:270m: 70 tok/s).", TWO_MODELS)[0][1:] == \
        ("supported", "b1.mean")


def test_a_model_whose_possessive_took_its_number_is_not_a_later_numbers() -> None:
    right = verdicts("gemma3:270m beats gemma3:1b's 40 tok/s with 70 tok/s.", TWO_MODELS)
    assert right == [("40 tok/s", "supported", "b1.mean"), ("70 tok/s", "supported", "m270.mean")]
    wrong = verdicts("gemma3:270m beats gemma3:1b's 40 tok/s with 40.5 tok/s.", TWO_MODELS)
    assert wrong[1][1] == "contradicted" and wrong[1][2].startswith("m270.")
    # a possessive followed by words takes no number: the number after them is that model's
    assert verdicts("Next to gemma3:270m the gemma3:1b's throughput reached 40 tok/s.", TWO_MODELS)[0][1:] == \
        ("supported", "b1.mean")


def test_a_margin_between_two_models_is_neither_models_figure() -> None:
    """"A outperformed B by 30 tok/s": a difference (70 - 40), checked against either model, never B's alone."""
    facts = Facts.from_records([fact("b1", 25.0, "tok/s", "throughput", "gemma3:1b", "1b", "gemma3"),
                                fact("m270", 40.0, "tok/s", "throughput", "gemma3:270m", "270m", "gemma3")])
    [(_, got, _)] = verdicts("gemma3:270m outperformed gemma3:1b by 15 tok/s.", facts)
    assert got != "contradicted"
    assert verdicts("gemma3:270m outperformed gemma3:1b at 15 tok/s.", facts)[0][1] == "contradicted"
    assert verdicts("gemma3:1b reached 25 tok/s, beaten by gemma3:270m.", facts)[0][1] == "supported"


_WORDS = ["that", "which", "and", "or", "The", "THAT", "files", "tokens", "tok/s", "(44)", "[x]", "|", ",", ";", " - ",
          "gemma3", "related", "primarily", "vs", "versus", "e.g.", "5.", "x_that", "that_x", "that1", "a.", "Thatcher"]


@given(st.lists(st.sampled_from(_WORDS), max_size=20), st.sampled_from([" ", "  ", ""]))
def test_the_lowercased_stop_pattern_finds_what_the_case_blind_one_finds(words: list[str], sep: str) -> None:
    """``clauses._NEAR_STOP_LOW`` is the faster copy of ``_NEAR_STOP`` for lowercased lines (almost every line):
    both find the same separators (its first-letter filter once lacked the "t" of "that")."""
    from pytest_chimera.checks import clauses

    text = sep.join(words)
    low = [m.span() for m in clauses._NEAR_STOP_LOW.finditer(text.lower())]
    assert low == [m.span() for m in clauses._NEAR_STOP.finditer(text)]
