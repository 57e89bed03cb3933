"""No vacuous passes: how many model-written numbers a consistency check checked, and ``min_checked``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_chimera.agent.runs import CallRecord, ReportRun
from pytest_chimera.backends.base import CallMetrics
from pytest_chimera.checks.assertions import Consistent, assert_consistent, model_checked
from pytest_chimera.checks.consistency import check_consistency
from pytest_chimera.cli import main
from pytest_chimera.evidence.facts import Fact, Facts

FACTS = Facts.from_records([
    Fact("files.total", 101, "files", "corpus", ("files", "total", "files analyzed")),
    Fact("files.by_type.csv", 28, "files", "corpus", ("csv", "csv files", "files")),
    Fact("files.by_type.md", 29, "files", "corpus", ("markdown", "markdown files", "files")),
])

# The agent's own blocks state true numbers; the model's text (the part between the separators) holds none.
ASSEMBLED = """\
# Chimera Agent B

**Date:** 2026-01-01
**Configuration:** num_ctx=2048

---

{body}

---

## Workflow Summary
- Files analyzed: 101
- Data summary:
```
Total files analyzed: 101
CSV Files (28)
```

## Metrics
- Throughput: 41.00 tok/s

## Persona Prompt
```
Write 3 recommendations.
```
"""
LOOP = "Executive summary:\n- 1. executive summary (summary)\n- 2. key performance findings\n"


def test_a_report_whose_model_wrote_no_number_fails_and_says_why() -> None:
    report = ASSEMBLED.format(body=LOOP * 4)
    result = check_consistency(report, FACTS)
    assert sum(result.counts().values()) >= 2  # the agent's blocks were checked (and are true) ...
    assert model_checked(result) == []  # ... but none of those numbers is the model's
    with pytest.raises(AssertionError) as info:
        assert_consistent(report, FACTS, max_contradicted=0)
    lines = str(info.value).splitlines()
    assert lines[0].endswith("0 of them model-written (min 1)")
    assert lines[1].startswith("  too little checked: 0 number(s) written by the model were checked, fewer than "
                               "min_checked=1;")
    assert "do not count" in lines[1]
    assert assert_consistent(report, FACTS, min_checked=0) is not None  # allowed when asked for
    assert report != Consistent(FACTS)
    assert report == Consistent(FACTS, min_checked=0)


def test_model_written_numbers_count_and_min_checked_is_a_floor() -> None:
    report = ASSEMBLED.format(body="The corpus holds 101 files: 28 CSV files and 29 Markdown files.")
    result = assert_consistent(report, FACTS, min_checked=3)
    assert [n.raw for n in model_checked(result)] == ["101 files", "28", "29"]
    wanted = r"\d+ supported of \d+ checked numbers, 3 of them model-written \(min 4\)"
    with pytest.raises(AssertionError, match=wanted):
        assert_consistent(report, FACTS, min_checked=4)
    comparison = Consistent(FACTS, min_checked=4)
    assert report != comparison
    assert comparison.lines()[0].endswith("3 of them model-written (min 4)")
    assert "min_checked=4" in repr(comparison)


def test_the_same_number_in_the_same_words_counts_once() -> None:
    line = "The corpus holds 101 files: 28 CSV files and 28 Markdown files."
    result = check_consistency(f"# R\n\n{line}\n\n{line}\n\n- {line}\n", FACTS)
    # a loop, or a Key Findings item lifted from the body, says it again: still three writings, of which the
    # two "28"s of one sentence are two
    assert [n.raw for n in model_checked(result)] == ["101 files", "28", "28"]


def test_min_checked_must_be_a_whole_number() -> None:
    for bad in (-1, 1.5, True, "1"):
        with pytest.raises(ValueError, match="min_checked must be a whole number >= 0"):
            assert_consistent("# R\n", FACTS, min_checked=bad)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="min_checked"):
            Consistent(FACTS, min_checked=bad)  # type: ignore[arg-type]


def test_a_report_run_asks_for_min_checked_too() -> None:
    run = ReportRun(markdown=ASSEMBLED.format(body=LOOP), persona="insight", model="m", backend="b",
                    calls=[CallRecord("report", LOOP, CallMetrics(ttft_ms=5.0, eval_count=41, eval_ms=1000.0))])
    with pytest.raises(AssertionError, match="too little checked"):
        run.assert_consistent(FACTS)
    run.assert_consistent(FACTS, min_checked=0)


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    root.mkdir()
    (root / "runs.csv").write_text("run,tokens_per_s\n1,100\n")
    (root / "notes.md").write_text("# Notes\n\nBaseline.\n")
    return root


def test_check_cli_fails_a_check_of_nothing_and_prints_the_count(tmp_path: Path, corpus: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty.md"
    empty.write_text(ASSEMBLED.format(body=LOOP).replace("101", "2").replace("CSV Files (28)", "CSV Files (1)"))
    assert main(["check", str(empty), "--corpus", str(corpus)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].endswith("0 of them model-written (min 1)") and out[1].startswith("  too little checked")
    assert out[-1] == "FAILED"
    assert main(["check", str(empty), "--corpus", str(corpus), "--min-checked", "0"]) == 0
    capsys.readouterr()
    good = tmp_path / "good.md"
    good.write_text("# R\n\nThe corpus holds 2 files: 1 CSV file and 1 Markdown file.\n")
    assert main(["check", str(good), "--corpus", str(corpus), "--json", "--min-checked", "3"]) == 0
    assert json.loads(capsys.readouterr().out)["summary"]["checked"] == 3
    assert main(["check", str(good), "--corpus", str(corpus), "--min-checked", "4"]) == 1


def test_check_cli_rejects_a_bad_min_checked(tmp_path: Path, corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = tmp_path / "r.md"
    report.write_text("# R\n")
    with pytest.raises(SystemExit) as info:
        main(["check", str(report), "--corpus", str(corpus), "--min-checked", "-1"])
    assert info.value.code == 2
    assert "--min-checked: expected a whole number >= 0, got '-1'" in capsys.readouterr().err
