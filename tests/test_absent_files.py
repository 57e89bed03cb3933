"""A number said of a file the corpus does not hold is not verified by another file's fact (``absentfiles``)."""

from __future__ import annotations

import pytest
from test_verdict_rules import fact

from pytest_chimera.checks.absentfiles import absent_files, called_examples
from pytest_chimera.checks.consistency import check_consistency
from pytest_chimera.checks.index import index_of
from pytest_chimera.evidence.facts import Fact, Facts


def sourced(key: str, value: float, unit: str, source: str, *labels: str) -> Fact:
    return Fact(key, value, unit, source, labels)


def corpus() -> Facts:
    """One real file's p50 latency and TTFT (a fresh ``Facts``: its own fact index)."""
    return Facts.from_records([
        sourced("json.reports/compilation/conv_bench_20251002.json.p50", 15.502165, "ms",
                "reports/compilation/conv_bench_20251002.json: p50", "p50", "latency", "p50 latency"),
        sourced("table.reports/gemma3/runs.csv[2].ttft_s", 0.1258889, "s", "reports/gemma3/runs.csv: row 2",
                "ttft_s", "ttft"),
        fact("files.total", 2, "files", "files", "total"),
    ])


CORPUS = corpus()


def claim(markdown: str) -> tuple[str | None, str]:
    [n] = [n for n in check_consistency(markdown, CORPUS).numbers if n.kind == "claim"]
    return n.verdict, n.explanation


@pytest.mark.parametrize(("text", "expected"), [
    ("`conv_bench_it_qat_1b.json` - p50 = 15.502165", ["conv_bench_it_qat_1b.json"]),
    ("| cuda_bench_results_medium.json | 0.15 |", ["cuda_bench_results_medium.json"]),
    ("`conv_bench_20251002.json` - p50 = 15.502165", []),  # held by the corpus
    ("reports/compilation/conv_bench_20251002.json: p50 15.502165", []),  # a held file by its path
    ("`made_up.json` and `conv_bench_20251002.json`: p50 15.5", []),  # one of them is held
    ("every `conv_bench_*.json` has a p50 of 15.5", []),  # a glob names no one file
    ("every `conv_bench_*1002.json` has a p50 of 15.5", []),
    ("the .json files have a p50 of 15.5", []),
    ("no file here: p50 of 15.5 ms", []),
    ("`quantization_report.md`: p50 of 15.5", []),  # a Markdown file need not give facts: not judged
    ("raw logs in `baseline_run.jsonl`: p50 of 15.5", []),
])
def test_the_files_a_line_names_that_the_corpus_lacks(text: str, expected: list[str]) -> None:
    assert absent_files(text, index_of(CORPUS)) == expected


def test_a_value_of_a_file_the_corpus_lacks_is_not_verified() -> None:
    verdict, why = claim("# R\n\n* `conv_bench_it_qat_1b.json` - p50 = 15.502165\n")
    assert verdict == "unverified"
    assert why.startswith("the line is about conv_bench_it_qat_1b.json, which the corpus does not hold")
    assert claim("# R\n\n* `conv_bench_20251002.json` - p50 = 15.502165\n")[0] == "supported"


def test_a_file_named_after_the_number_is_not_what_it_is_about() -> None:
    """"p50 = 15.502165; the raw logs were saved to `made_up.json`": the file is where the report wrote, not
    what the number is of."""
    assert claim("# R\n\nThe p50 latency was 15.502165 ms; raw logs were saved to `made_up.json`.\n")[0] == \
        "supported"


TABLE = "| File | p50 latency (ms) |\n|---|---|\n| bench_results_003.json | 15.502165 |\n"


@pytest.mark.parametrize(("caption", "expected"), [
    ("**Example Data Points (Extracted from Representative JSON Files):**", "supported"),
    ("Illustrative rows, for instance:", "supported"),
    ("Data points (e.g. from these JSON files):", "supported"),
    ("**Per-file results:**", "unverified"),
    ("", "unverified"),
])
def test_file_names_a_caption_calls_examples_stand_for_the_corpus_s(caption: str, expected: str) -> None:
    """A table the line before it calls examples names files only to illustrate: its values are judged as
    values of the corpus."""
    assert claim(f"# R\n\n{caption}\n\n{TABLE}")[0] == expected


def test_a_caption_is_the_first_line_above_the_rows_and_items() -> None:
    lines = ["**Examples:**", "", "| a | b |", "|---|---|", "| x.json | 1 |", "* an item", "- another", "1. third"]
    assert all(called_examples(lines, k) for k in range(3, 9))
    assert not called_examples(["**Results:**", "", "| x.json | 1 |"], 3)
    assert not called_examples(["Examples follow.", "**Results:**", "| x.json | 1 |"], 3)  # bold is no item
    assert not called_examples(["For example, see below.", "", "The `x.json` p50 is 1 ms."], 3)  # prose: no list


def test_a_contradiction_on_a_line_about_an_absent_file_stands() -> None:
    """Only a supported claim is unverified for naming a file the corpus lacks: a contradicted one stays
    contradicted (a mutmut survivor of ``_of_absent_files``, ``or`` -> ``and``, showed no test held this)."""
    line = "# R\n\n* `conv_bench_it_qat_1b.json` - p50 = 15.502165; the corpus holds 9 files in total\n"
    got = [(n.verdict, n.explanation) for n in check_consistency(line, CORPUS).numbers if n.kind == "claim"]
    assert got[0][0] == "unverified" and got[0][1].startswith("the line is about")
    assert got[1][0] == "contradicted" and "the line is about" not in got[1][1]
