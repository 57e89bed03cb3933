"""Numbers in reports: extraction, classification, matching to facts, verdicts, run checks, assertions."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_chimera.agent.runs import CallRecord, ReportRun
from pytest_chimera.backends.base import CallMetrics
from pytest_chimera.checks.assertions import assert_consistent
from pytest_chimera.checks.consistency import KINDS, ConsistencyResult, check_consistency
from pytest_chimera.checks.numbers import find_numbers, parse_number
from pytest_chimera.evidence.facts import Fact, Facts

# ---- number formats -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value", "unit", "tolerance"),
    [
        ("1,234.5", 1234.5, "", 0.05),
        ("12.5k tokens", 12500.0, "tokens", 50.0),
        ("45ms", 45.0, "ms", 0.5),
        ("1.2 s", 1.2, "s", 0.05),
        ("28.3%", 28.3, "%", 0.05),
        ("9.8 samples/second", 9.8, "samples/s", 0.05),
        ("0.06 seconds", 0.06, "s", 0.005),
        ("41.45 tok/s", 41.45, "tok/s", 0.005),
        ("303.9 tokens per second", 303.9, "tok/s", 0.05),
        ("16 GB", 16.0, "GB", 0.5),
        ("44 files", 44.0, "files", 0.5),
        ("303.9 tokens  per   second", 303.9, "tok/s", 0.05),  # any run of spaces inside a unit
        ("-12.5%", -12.5, "%", 0.05),  # a sign is part of the value
        ("\u22123 ms", -3.0, "ms", 0.5),
    ],
)
def test_number_forms(text: str, value: float, unit: str, tolerance: float) -> None:
    [n] = find_numbers(f"it was {text} here")
    assert (n.value, n.unit, n.tolerance, n.form) == (pytest.approx(value), unit, pytest.approx(tolerance),
                                                      "quantity")


@pytest.mark.parametrize(
    ("text", "forms"),
    [
        ("Date: 2025-11-15", [("2025-11-15", "date")]),
        ("Latest modified: 2025-11-14 18:53:30 UTC", [("2025-11-14 18:53:30 UTC", "date")]),
        ("on November 14th, 2025 we ran 3 tests", [("November 14th, 2025", "date"), ("3 tests", "quantity")]),
        ("num_gpu=80, num_ctx=2048, temp=1", [("80", "config"), ("2048", "config"), ("1", "config")]),
        ("num_keep=5, n_seq=2, avg_tokens=14.1", [("5", "config"), ("2", "config"), ("14.1", "quantity")]),
        ("run-7 and step:3 took 5 ms, 44/101 files", [("5 ms", "quantity"), ("44", "quantity"),
                                                        ("101 files", "quantity")]),
        ("gemma3_1b took 5 ms, v1.2.3 then 7 files", [("5 ms", "quantity"), ("7 files", "quantity")]),
        ("1. Implement tuning", [("1", "ordinal")]),
        ("the gemma3-1b and 270m models", [("270m", "model")]),
        ("see reports/gemma3/gemma3_1b-it-qat_baseline.csv and v1.2.3", []),
        ("from 12 to 35 seconds and 8GB - 16GB", [("12", "quantity"), ("35 seconds", "quantity"),
                                                 ("8GB", "quantity"), ("16GB", "quantity")]),
    ],
)
def test_number_kinds(text: str, forms: list[tuple[str, str]]) -> None:
    assert [(n.raw, n.form) for n in find_numbers(text)] == forms


def test_range_start_takes_the_unit_of_its_end() -> None:
    first, second = find_numbers("ranging from 12 to 35 seconds")
    assert first.unit == second.unit == "s"


separators = st.sampled_from([",", "\u202f", "\u00a0", "\u2009", "_", "'"])
spaces = st.sampled_from(["", " ", "\u00a0"])
units = st.sampled_from(["ms", "s", "%", "tok/s", "GB", "files", "seconds", "samples/second", "tokens per second"])


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=10**9), st.integers(min_value=0, max_value=999), separators, spaces, units)
def test_same_value_whatever_separators_units_and_spacing(whole: int, frac: int, sep: str, space: str,
                                                          unit: str) -> None:
    plain = f"{whole}.{frac:03d}"
    grouped = f"{whole:,}".replace(",", sep) + f".{frac:03d}"
    expected = float(plain)
    for written in (plain, grouped):
        [n] = find_numbers(f"measured {written}{space}{unit} overall")
        assert n.value == pytest.approx(expected)
        assert n.form == "quantity"
        assert n.tolerance == pytest.approx(0.0005)
        assert parse_number(f"{written}{space}{unit}") == pytest.approx(expected)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_any_text_yields_numbers_without_crashing(text: str) -> None:
    for n in find_numbers(text):
        assert 0 <= n.start <= n.end <= len(text)


# ---- matching against facts ---------------------------------------------------------------------------------

FACTS = Facts.from_records([
    Fact("files.total", 101, "files", "count of files", ("files", "total", "files analyzed", "dataset")),
    Fact("files.by_type.md", 29, "files", "count of .md files", ("markdown", "md", "files")),
    Fact("files.by_type.md.pct", 28.712871, "%", "29/101*100", ("markdown", "md", "files", "percent", "share")),
    Fact("files.by_type.csv.pct", 27.722772, "%", "28/101*100", ("csv", "files", "percent")),
    Fact("table.a.csv.ttft_s.mean", 0.0812, "s", "a.csv: mean of ttft_s",
         ("ttft", "latency", "mean", "average", "gemma3:270m", "gemma3-270m", "270m", "gemma3")),
    Fact("table.b.csv.ttft_s.mean", 0.1507, "s", "b.csv: mean of ttft_s",
         ("ttft", "latency", "mean", "average", "gemma3:1b", "gemma3-1b", "1b", "gemma3")),
    Fact("table.b.csv.tokens_s.mean", 102.85, "tok/s", "b.csv: mean of tokens_s",
         ("throughput", "tokens per second", "mean", "average", "gemma3:1b", "gemma3-1b", "1b", "gemma3")),
])


def verdicts(markdown: str, facts: Facts = FACTS, run: ReportRun | None = None) -> list[tuple[str, str | None]]:
    return [(n.raw, n.verdict) for n in check_consistency(markdown, facts, run).numbers if n.kind != "other"]


def test_supported_within_written_precision_only() -> None:
    assert verdicts("Markdown: 29 files (28.7%).") == [("29 files", "supported"), ("28.7%", "supported")]
    assert verdicts("Markdown files are 28.71% of all.") == [("28.71%", "supported")]
    assert verdicts("Markdown files are 28.72% of all.") == [("28.72%", "contradicted")]


def test_contradicted_shows_the_true_value_and_source() -> None:
    [n] = check_consistency("Markdown share: 28.3%", FACTS).numbers
    assert n.verdict == "contradicted"
    assert n.fact is not None and n.fact.key == "files.by_type.md.pct"
    assert "28.7%" in n.explanation
    assert "29/101*100" in n.describe() and "line 1" in n.describe()


def test_unit_conversion_seconds_and_milliseconds() -> None:
    assert verdicts("The 270m model's mean TTFT was 81 ms.") == [("81 ms", "supported")]
    assert verdicts("The 270m model's mean TTFT was 0.08 s.") == [("0.08 s", "supported")]
    assert verdicts("The 270m model's mean TTFT was 95 ms.") == [("95 ms", "contradicted")]


def test_the_model_named_in_the_sentence_picks_the_fact() -> None:
    assert verdicts("gemma3-1b averaged a TTFT of 151 ms") == [("151 ms", "supported")]
    assert verdicts("gemma3-1b averaged a TTFT of 81 ms") == [("81 ms", "contradicted")]


def test_ambiguous_or_unknown_quantities_are_unverified_not_supported() -> None:
    # two facts fit "average latency" equally, neither has 45 ms: nothing to support or contradict
    [n] = check_consistency("Average latency across all runs is 45ms.", FACTS).numbers
    assert n.verdict == "unverified" and "several facts" in n.explanation
    # no fact has a compatible unit
    [n] = check_consistency("The average speed is 12.5 samples/second.", FACTS).numbers
    assert n.verdict == "unverified" and "samples/s" in n.explanation and n.fact is None
    # compatible unit, but no label word of the sentence names any fact
    assert verdicts("Compilation took 12 seconds.") == [("12 seconds", "unverified")]


def test_qualifiers_widen_or_bound_the_value() -> None:
    assert verdicts("Markdown is approximately 30% of the files") == [("30%", "supported")]
    assert verdicts("Markdown is over 25% of the files") == [("25%", "supported")]
    assert verdicts("Markdown is under 25% of the files") == [("25%", "contradicted")]


def test_numbers_that_are_not_claims_get_no_verdict() -> None:
    result = check_consistency("# R\n\n**Date:** 2025-11-15\n\n1. Keep 29 files of markdown.\n", FACTS)
    kinds = [(n.raw, n.kind, n.verdict) for n in result.numbers]
    assert kinds == [("2025-11-15", "date", None), ("1", "ordinal", None), ("29 files", "claim", "supported")]
    assert result.counts() == {"supported": 1, "contradicted": 0, "unverified": 0}


def test_table_cells_use_their_row_and_column_as_context() -> None:
    md = "| model | mean TTFT (ms) |\n|---|---|\n| gemma3:270m | 81 |\n| gemma3:1b | 99 |\n"
    assert verdicts(md) == [("81", "supported"), ("99", "contradicted")]


@pytest.mark.parametrize("depth", [1, 19, 20, 21, 50, 300])
@pytest.mark.parametrize("shape", ["quote", "list", "mixed"])
def test_nesting_never_hides_a_number(depth: int, shape: str) -> None:
    """The markdown parser stops at 20 levels of nested blockquotes or lists; lines no block covers are read
    as plain lines (issue 14, item 5: at depth 20 a false claim gave "0 checked numbers")."""
    claim = "Markdown share: 28.3% of the files"
    if shape == "quote":
        md = "> " * depth + claim
    elif shape == "list":
        md = "".join("  " * i + "- level\n" for i in range(depth)) + "  " * depth + "- " + claim
    else:
        md = "".join("> " if i % 2 else "- " for i in range(depth)) + claim
    [n] = check_consistency(f"# R\n\n{md}\n", FACTS).numbers
    assert (n.raw, n.verdict) == ("28.3%", "contradicted")
    assert n.line == md.count("\n") + 3


def test_a_number_outside_every_block_keeps_its_part() -> None:
    from pytest_chimera.checks.claims import units_of
    from pytest_chimera.checks.report import parse_report

    md = "# R\n\n" + "> " * 25 + "Markdown share: 28.3%\n"
    [unit] = [u for u in units_of(parse_report(md)) if "28.3" in u.text]
    assert unit.text == "Markdown share: 28.3%" and unit.part == "body"


# ---- which number a label word belongs to -------------------------------------------------------------------


def inventory(total: int, csv: int, json: int, md: int) -> Facts:
    """File-count facts labelled the way ``compute_facts`` labels them."""
    file = ("files", "file")
    return Facts.from_records([
        Fact("files.total", total, "files", "count of files",
             ("files", "file", "total", "total files", "files analyzed", "analyzed", "dataset", "corpus")),
        Fact("files.by_type.csv", csv, "files", "count of .csv files",
             ("csv", "csv files", "csv file", "tables", *file)),
        Fact("files.by_type.json", json, "files", "count of .json files", ("json", "json files", "json file", *file)),
        Fact("files.by_type.md", md, "files", "count of .md files",
             ("markdown", "md", "markdown files", "md files", "documents", *file)),
        Fact("files.by_type.csv.pct", 100 * csv / total, "%", f"{csv}/{total}*100",
             ("csv", "csv files", "files", "file", "percent", "share")),
        Fact("files.by_type.json.pct", 100 * json / total, "%", f"{json}/{total}*100",
             ("json", "json files", "files", "file", "percent", "share")),
    ])


INVENTORY = inventory(28, 8, 12, 8)


def checked(markdown: str, facts: Facts = INVENTORY) -> list[tuple[str, str | None, str | None]]:
    return [(n.raw, n.verdict, n.fact.key if n.fact else None) for n in check_consistency(markdown, facts).numbers]


def test_a_label_next_to_another_number_is_that_numbers() -> None:
    # "CSV" follows the 8, not the 28: the 28 is the total, not a contradicted CSV count
    got = checked("The repository contains 28 files (8 CSV, 12 JSON, 8 MD) with a total of 3056 characters.")
    assert got[:4] == [("28 files", "supported", "files.total"), ("8", "supported", "files.by_type.csv"),
                       ("12", "supported", "files.by_type.json"), ("8", "supported", "files.by_type.md")]
    assert all(verdict != "contradicted" for _, verdict, _ in got)
    assert checked("The 28 files split into 8 CSV and 12 JSON files.") == [
        ("28 files", "supported", "files.total"), ("8", "supported", "files.by_type.csv"),
        ("12", "supported", "files.by_type.json")]
    # label before its number ("CSV: 8"), and a wrong part is still caught, against its own fact only
    assert checked("The corpus has CSV: 8 files and JSON: 12 files.") == [
        ("8 files", "supported", "files.by_type.csv"), ("12 files", "supported", "files.by_type.json")]
    assert checked("The repository contains 28 files (9 CSV, 12 JSON, 8 MD).")[:2] == [
        ("28 files", "supported", "files.total"), ("9", "contradicted", "files.by_type.csv")]


def test_a_bracketed_restatement_keeps_the_label_of_its_number() -> None:
    # "JSON: 44 files (43.6%)" shape: the percentage belongs to the label its count has
    assert checked("JSON: 12 files (42.9%)") == [("12 files", "supported", "files.by_type.json"),
                                                 ("42.9%", "supported", "files.by_type.json.pct")]
    assert checked("The corpus holds JSON at 12 files (42.9%) and CSV at 8 files (27.6%).") == [
        ("12 files", "supported", "files.by_type.json"), ("42.9%", "supported", "files.by_type.json.pct"),
        ("8 files", "supported", "files.by_type.csv"), ("27.6%", "contradicted", "files.by_type.csv.pct")]


@pytest.mark.parametrize(
    ("text", "which", "kept", "dropped"),
    [
        ("The repository contains 28 files (8 CSV", 0, ["repository", "28 files"], ["CSV"]),
        ("The repository contains 28 files (8 CSV", 1, ["repository", "28 files", "CSV"], []),
        ("The 28 files split into 8 CSV and 12 JSON files", 1, ["The", "split into", "CSV"], ["28", "JSON"]),
        ("The average TTFT was 81 ms for 270m and 151 ms for 1b", 1, ["average TTFT was", "151 ms", "for 1b"],
         ["81 ms", "270m"]),
        ("Responses ran 272-883 tokens per response for 5 runs", 0, ["Responses ran", "tokens per response"],
         ["5 runs"]),
        ("Gemma was faster (102.85 vs 76.59 tok/s) at 40 layers", 0, ["faster", "vs", "tok/s"], ["40 layers"]),
        ("Gemma was faster (102.85 vs 76.59 tok/s) at 40 layers", 2, ["Gemma was faster", "at", "40 layers"],
         ["vs", "tok/s"]),
        ("Lower TTFT (~0.12s) than at 999 layers", 0, ["Lower TTFT"], ["999 layers"]),
        ("At 999 layers a lower TTFT (~0.12s)", 1, ["At", "lower TTFT"], ["999 layers"]),
        ("Tests 1 and 2 ran 8 CSV and 12 JSON respectively", 0, ["CSV", "JSON"], []),
    ],
)
def test_clause_split_into_per_number_spans(text: str, which: int, kept: list[str], dropped: list[str]) -> None:
    from pytest_chimera.checks.clauses import own_clause as _own_clause

    nums = find_numbers(text)
    quantities = [k for k, n in enumerate(nums) if n.form == "quantity"]
    own = _own_clause(text, nums, quantities[which], 0, len(text))
    assert len(own) == len(text)
    for words in kept:
        assert words in own, (words, own)
    for words in dropped:
        assert words not in own, (words, own)


TYPES = ("CSV", "JSON", "MD")


@settings(max_examples=120, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=400), min_size=3, max_size=3), st.permutations(range(3)),
       st.sampled_from(["The repository contains {n} files ({parts}).", "There are {n} files in total ({parts}).",
                        "- **Total files:** {n} ({parts})", "We found {n} files ({parts}) in the corpus."]),
       st.sampled_from(["{v} {t}", "{t}: {v}"]), st.integers(min_value=-1, max_value=2))
def test_generated_inventories_give_each_count_to_its_own_fact(counts: list[int], order: list[int], template: str,
                                                              part: str, wrong: int) -> None:
    """"N files (a CSV, b JSON, c MD)" with the true counts: nothing contradicted, each part supported by its
    own fact, N by files.total (or, when the counts leave it to chance, unverified); one wrong part
    (``wrong`` >= 0 picks it) is never supported and takes no other number down with it."""
    total = sum(counts)
    facts = inventory(total, *counts)
    written = [c + (3 if k == wrong else 0) for k, c in enumerate(counts)]
    parts = ", ".join(part.format(v=written[k], t=TYPES[k]) for k in order)
    result = check_consistency(template.format(n=total, parts=parts), facts).numbers
    assert [n.value for n in result] == [total, *(written[k] for k in order)]
    head, *rest = result
    assert head.verdict in ("supported", "unverified")
    if head.verdict == "supported" or "total" in template.lower():
        assert head.verdict == "supported" and head.fact is not None and head.fact.key == "files.total"
    for k, n in zip(order, rest, strict=True):
        key = f"files.by_type.{TYPES[k].lower()}"
        if k == wrong:
            assert n.verdict in ("contradicted", "unverified")
            assert n.fact is None or n.fact.key == key
        else:
            assert n.verdict == "supported" and n.fact is not None and n.fact.key == key


# ---- run metrics and config ---------------------------------------------------------------------------------

SEED_TAIL = """\
# R

**Configuration:** num_gpu=80, num_ctx=2048, temp=1

Body.

## Workflow Summary
- Files analyzed: 101
- Execution time: 56.46s (ingest 0.03s | analysis 26.44s | report 29.99s)

## Metrics
- Throughput: 41.45 tok/s
- TTFT: 814.05 ms
- Tokens Generated: 2231
"""


def make_run(markdown: str = SEED_TAIL) -> ReportRun:
    calls = [
        CallRecord("analysis", "a", CallMetrics(ttft_ms=814.05, eval_count=1000, eval_ms=24_000.0, total_ms=26_000)),
        CallRecord("report", "b", CallMetrics(ttft_ms=700.0, eval_count=1231, eval_ms=29_824.78, total_ms=30_000)),
    ]
    return ReportRun(markdown=markdown, persona="insight", model="gemma3:270m", backend="replay",
                     options={"num_gpu": 80, "num_ctx": 4096, "temperature": 1.0},
                     stages={"ingest_ms": 30.0, "analysis_ms": 26_440.0, "report_ms": 29_990.0, "total_ms": 56_460.0},
                     calls=calls)


def test_run_metrics_and_config_unchecked_without_a_run() -> None:
    result = check_consistency(SEED_TAIL, FACTS)
    by_raw = {n.raw: n for n in result.numbers}
    assert by_raw["41.45 tok/s"].kind == "run_metric" and by_raw["41.45 tok/s"].verdict is None
    assert by_raw["0.03s"].kind == "run_metric"
    assert by_raw["101"].kind == "claim" and by_raw["101"].verdict == "supported"
    assert by_raw["2048"].kind == "config" and "no run given" in by_raw["2048"].explanation


def test_run_metrics_and_config_checked_against_the_run() -> None:
    run = make_run()
    assert run.metrics["tokens_per_s"] == pytest.approx(2231 / 53.82478)
    got = {n.raw: (n.kind, n.verdict) for n in check_consistency(SEED_TAIL, FACTS, run=run).numbers}
    assert got["41.45 tok/s"] == ("run_metric", "supported")
    assert got["814.05 ms"] == ("run_metric", "supported")
    assert got["2231"] == ("run_metric", "supported")
    assert got["56.46s"] == ("run_metric", "supported")
    assert got["26.44s"] == ("run_metric", "supported")
    assert got["80"] == ("config", "supported")
    assert got["2048"] == ("config", "contradicted")  # the run used num_ctx=4096
    assert got["1"] == ("config", "supported")  # temp -> temperature
    # the run's JSON works the same
    again = {n.raw: n.verdict for n in check_consistency(SEED_TAIL, FACTS, run=run.to_json()).numbers}
    assert again["2048"] == "contradicted" and again["41.45 tok/s"] == "supported"


def test_an_option_the_run_lacks_and_counts_of_several_verdicts() -> None:
    markdown = "We ran with num_batch=8.\n\nMarkdown: 29 files.\n\nThe corpus has 101 files in total.\n"
    result = check_consistency(markdown, FACTS, run={"options": {"num_ctx": 4096}})
    [option] = [n for n in result.numbers if n.kind == "config"]
    assert (option.verdict, option.explanation) == ("unverified", "the run has no option 'num_batch'")
    assert result.counts() == {"supported": 2, "contradicted": 0, "unverified": 1}


@pytest.mark.parametrize("metrics", [{"": 0}, {"...": 1.5}, {"-": 3, "_": 4}, {"a": 2}])
def test_a_run_metric_named_without_a_label_word_is_kept_plainly_never_a_crash(metrics: dict[str, float]) -> None:
    """A run JSON's metric names are input: one that yields no label word gives a fact no sentence names."""
    result = check_consistency("# R\n\nThe run took **0 ms**, at 3 tok/s.\n", FACTS, run={"metrics": metrics})
    assert {n.raw for n in result.numbers} == {"0 ms", "3 tok/s"}
    assert all(n.verdict != "contradicted" for n in result.numbers)


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.text(max_size=6), st.floats(allow_nan=False, allow_infinity=False, width=32), max_size=4))
def test_any_run_metric_names_check_without_error(metrics: dict[str, float]) -> None:
    check_consistency("# R\n\nTTFT was **120 ms** and throughput 41.5 tok/s over 101 files.\n", FACTS,
                      run={"metrics": metrics})


def test_report_run_methods() -> None:
    run = make_run()
    with pytest.raises(AssertionError, match="1 contradicted"):
        run.assert_consistent(FACTS)
    assert isinstance(run.assert_consistent(FACTS, max_contradicted=1), ConsistencyResult)
    with pytest.raises(AssertionError, match="insight spec: 6 of 7 rules failed"):
        run.assert_structure("insight")


# ---- the real corpus and the seed report --------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_facts(chimeraforge_corpus: Path) -> Facts:
    from pytest_chimera.evidence.corpus import load_corpus
    from pytest_chimera.evidence.facts import compute_facts

    return compute_facts(load_corpus(chimeraforge_corpus))


def test_seed_report_golden_lines(seed_report: Path, real_facts: Facts) -> None:
    lines = seed_report.read_text(encoding="utf-8").split("\n")
    result = check_consistency("\n".join(lines), real_facts)

    def on(fragment: str, raw: str) -> str | None:
        line = next(k for k, text in enumerate(lines, 1) if fragment in text)
        return next(n.verdict for n in result.numbers if n.line == line and n.raw == raw)

    assert on("Markdown: 29 files (28.3%)", "28.3%") == "contradicted"
    md = next(n for n in result.numbers if n.raw == "28.3%")
    assert md.fact is not None and md.fact.key == "files.by_type.md.pct" and "28.7%" in md.explanation
    assert on("is 12.5 samples/second", "12.5 samples/second") in ("contradicted", "unverified")
    assert on("Total Files Analyzed:", "101") == "supported"
    assert on("JSON: 44 files (43.6%)", "44 files") == "supported"
    assert on("JSON: 44 files (43.6%)", "43.6%") == "supported"
    assert on("CSV: 28 files (27.7%)", "28 files") == "supported"
    assert on("CSV: 28 files (27.7%)", "27.7%") == "supported"
    assert on("Markdown: 29 files (28.3%)", "29 files") == "supported"
    assert on("heavily weighted towards JSON files (44)", "44") == "supported"
    assert on("heavily weighted towards JSON files (44)", "28") == "supported"
    assert on("heavily weighted towards JSON files (44)", "29") == "supported"
    kinds = {n.kind for n in result.numbers}
    assert kinds == {"claim", "config", "run_metric", "date", "ordinal", "other"}
    # the Persona Prompt's "300-400 words" is an instruction, not a claim
    assert all(n.verdict is None for n in result.numbers if n.part == "persona_prompt")


def test_assert_consistent_failure_output(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        from pytest_chimera.checks.assertions import Consistent, assert_consistent
        from pytest_chimera.evidence.facts import Fact, Facts

        FACTS = Facts.from_records([
            Fact("files.by_type.md.pct", 28.712871, "%", "29/101*100", ("markdown", "md", "files", "percent")),
        ])
        REPORT = "# R\\n\\nIntro.\\n\\n- Markdown: 28.3% of the files\\n- Speed: 12.5 samples/second\\n"

        def test_function_style():
            assert_consistent(REPORT, FACTS, max_unverified=0)

        def test_comparison_style():
            assert REPORT == Consistent(FACTS)

        def test_within_limits():
            assert_consistent(REPORT, FACTS, max_contradicted=1)
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(failed=2, passed=1)
    result.stdout.fnmatch_lines([
        "*AssertionError: consistency: 1 contradicted (max 0), 1 unverified (max 0), 0 supported of 2 checked*",
        "*line 5: '28.3%' (claim) contradicted: the fact it names is 28.7%*"
        "fact files.by_type.md.pct = 28.7129 %, from 29/101[*]100*",
        "*line 6: '12.5 samples/second' (claim) unverified: no fact has a unit compatible with samples/s*",
    ])
    result.stdout.fnmatch_lines([
        "*assert consistency: 1 contradicted (max 0), 1 unverified (max any)*",
        "*line 5: *28.3%* contradicted*",
    ])


def test_assert_consistent_returns_the_result_when_it_passes() -> None:
    result = assert_consistent("Markdown: 29 files.", FACTS)
    assert result.counts()["supported"] == 1


report_text = st.lists(
    st.one_of(
        st.sampled_from(["**", "|", "---", "\n", "\n\n", "- ", "1. ", "# ", "`", "(", ")", ":", ",", " and ",
                         "ms", "%", "k", " files", " tok/s", "gemma3-1b", "270m", "markdown", "2025-11-14",
                         "num_ctx=", "approximately ", "over "]),
        st.integers(min_value=0, max_value=10**7).map(str),
        st.floats(min_value=0, max_value=1e6, allow_nan=False).map(lambda f: f"{f:.3f}"),
        st.text(max_size=5),
    ),
    max_size=80,
).map("".join)


@settings(max_examples=150, deadline=None)
@given(report_text)
def test_any_report_checks_without_crashing(text: str) -> None:
    result = check_consistency(text, FACTS)
    for n in result.numbers:
        assert n.kind in KINDS
        assert n.verdict in (None, "supported", "contradicted", "unverified")
        assert (n.verdict is None) == (n.kind != "claim")
        assert 1 <= n.line <= text.count("\n") + 1
