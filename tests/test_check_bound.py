"""Big reports: repeated lines are read once (``checks.memo``), with exactly the verdicts of reading them
afresh, and ``pytest-chimera check --max-numbers`` ends a report with too many numbers with exit 2."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_chimera.checks import memo
from pytest_chimera.checks.consistency import check_consistency
from pytest_chimera.cli import main
from pytest_chimera.evidence.facts import Fact, Facts

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"


def _afresh(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every line read afresh: the memo of ``Repeats`` off."""
    monkeypatch.setattr(memo.Repeats, "repeat", lambda self, unit: None)


def _both(markdown: str, facts: Facts, monkeypatch: pytest.MonkeyPatch, **kw: Any) -> tuple[Any, Any]:
    with_memo = check_consistency(markdown, facts, **kw).to_json()
    with monkeypatch.context() as m:
        _afresh(m)
        afresh = check_consistency(markdown, facts, **kw).to_json()
    return with_memo, afresh


FACTS = Facts.from_records([
    Fact("files.total", 101, "files", "count of files", ("files", "total")),
    Fact("t.ttft.mean", 81.2, "ms", "t.csv: mean of ttft", ("ttft", "mean", "gemma3:270m")),
    Fact("t.tps.mean", 283.0, "tok/s", "t.csv: mean of tokens_s", ("throughput", "mean", "gemma3:270m")),
    Fact("u.tps.mean", 120.0, "tok/s", "u.csv: mean of tokens_s", ("throughput", "mean", "gemma3:1b")),
])
TABLE = ("| model | ttft ms | tok/s |\n|---|---|---|\n| gemma3:270m | 81.2 | 283 |\n| gemma3:1b | 81.2 | 283 |\n"
         "| gemma3:270m | 283 | 81.2 |\n| gemma3:270m | 81.2 | 283 |\n| gemma3:270m | 81.2 | 999 |\n\n"
         "| run | model | throughput (tok/s) |\n|---|---|---|\n| 1 | gemma3:270m | 283 |\n| 1 | gemma3:1b | 283 |\n")


def test_a_repeated_table_cell_is_read_in_its_own_column_and_row(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same cell text under another header, row label or model cell is another claim; a repeated cell
    takes the earlier one's verdict on its own line, with its own row as the excerpt."""
    markdown = "# R\n\n" + TABLE
    with_memo, afresh = _both(markdown, FACTS, monkeypatch)
    assert with_memo == afresh
    row = {line: [(n["raw"], n["verdict"]) for n in with_memo if n["line"] == line] for line in range(5, 16)}
    assert row[5] == row[8] == [("81.2", "supported"), ("283", "supported")]
    assert row[6] == [("81.2", "unverified"), ("283", "unverified")]  # gemma3:1b: another row label
    assert row[7] == [("283", "contradicted"), ("81.2", "unverified")]  # under the other headers
    assert [n["text"] for n in with_memo if n["line"] == 8] == ["gemma3:270m | 81.2 | 283"] * 2
    assert [n["text"] for n in with_memo if n["line"] == 9][0] == "gemma3:270m | 81.2 | 999"
    assert row[13][-1] == ("283", "supported") and row[14][-1] == ("283", "unverified")  # the model cell differs


def test_a_repeated_code_line_is_read_afresh_under_its_own_snippet() -> None:
    """A JSON field's verdict depends on the file the lines above its snippet name: the same code line is
    contradicted under a corpus file that lacks the field and unverified under an example schema."""
    facts = Facts.from_records([Fact("json.reports/conv_bench_1.json.backends.eager.mean_time_ms", 3.8, "",
                                     "mean_time_ms", ("mean_time_ms", "mean"))])
    snippet = '```json\n{\n  "iterations": 1000\n}\n```\n'
    markdown = f"# R\n\n**File:** conv_bench_1.json\n\n{snippet}\nAn example of a schema we propose:\n\n{snippet}"
    assert [(n.line, n.verdict) for n in check_consistency(markdown, facts).numbers] == \
        [(7, "contradicted"), (15, "unverified")]


@pytest.mark.parametrize("path", sorted((SHARED / "real_reports").glob("*_*.md"))
                         + sorted((Path(__file__).parent / "data" / "looped").glob("*.md")), ids=lambda p: p.name[:40])
def test_memos_give_the_verdicts_of_reading_afresh_on_real_reports(path: Path, chimeraforge_corpus: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Every field of every number (explanations included), on the real reports and on looping ones, doubled
    so that every line repeats."""
    from pytest_chimera.evidence.corpus import load_corpus
    from pytest_chimera.evidence.facts import compute_facts

    facts = compute_facts(load_corpus(chimeraforge_corpus))
    text = path.read_text(encoding="utf-8")
    with_memo, afresh = _both(text + "\n" + text, facts, monkeypatch)
    assert with_memo == afresh and len(with_memo) >= 2


LINES = st.sampled_from([
    "# Report 1", "## Workflow Summary", "## Metrics", "## 2. Findings", "The model reached **283 tok/s** in 12 runs.",
    "- **TTFT:** 81.2 ms", "- gemma3:1b reached 120 tok/s", "1. Raise num_ctx=2048 to 4096.", "2) second item, 14.5%",
    "> quoted 99 ms", "", "---", "```", "    code 42", '{"ttft": 81.2}', "| model | ttft ms |", "|---|---|",
    "| gemma3:270m | 81.2 |", "| gemma3:1b | 283 |", "The corpus holds 101 files.", "The corpus holds 102 files.",
    "-0 ms and 0 ms", "- **Throughput:** 283 tok/s, 2x faster than gemma3:1b",
])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(LINES, min_size=1, max_size=40))
def test_memos_give_the_verdicts_of_reading_afresh_on_generated_markdown(lines: list[str]) -> None:
    run = {"markdown": "", "metrics": {"ttft_ms": 81.2}, "stages": {}, "options": {}}
    with pytest.MonkeyPatch.context() as monkeypatch:
        with_memo, afresh = _both("\n".join(lines) + "\n", FACTS, monkeypatch, run=run)
    assert with_memo == afresh


# ---- the bound -------------------------------------------------------------------------------------------------


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    root.mkdir()
    (root / "gemma3_270m_baseline.csv").write_text("run,ttft_ms,tokens_per_s\n1,80,100\n2,82,104\n")
    return root


def _report(tmp_path: Path, distinct: int, repeats: int = 1) -> Path:
    """``distinct`` lines of two numbers each, the whole repeated ``repeats`` times."""
    lines = [f"- The model reached {100 + k} tok/s in {k + 1} ms." for k in range(distinct)]
    path = tmp_path / "big report.md"
    path.write_text("# Report\n\n" + "\n".join(lines * repeats) + "\n")
    return path


def test_more_numbers_than_the_limit_exit_2_naming_file_count_and_option(
        tmp_path: Path, corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = _report(tmp_path, 30)  # 60 numbers
    assert main(["check", str(report), "--corpus", str(corpus), "--max-numbers", "59"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    message = captured.err.strip()
    assert message.startswith(f"pytest-chimera check: error: REPORT.md {report}: more than 59 numbers to check")
    assert "line 32 of 32" in message  # 32 lines, the last ending with a newline
    assert "raise the limit with --max-numbers N (0: no limit)" in message
    assert main(["check", str(report), "--corpus", str(corpus), "--max-numbers", "60", "--json"]) in (0, 1)
    assert len(json.loads(capsys.readouterr().out)["numbers"]) == 60


def test_repeated_lines_do_not_count_and_zero_is_no_limit(tmp_path: Path, corpus: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """A looping report of 10 distinct lines written 50 times is checked in full under a limit of 20."""
    report = _report(tmp_path, 10, repeats=50)
    assert main(["check", str(report), "--corpus", str(corpus), "--max-numbers", "20", "--json"]) in (0, 1)
    numbers = json.loads(capsys.readouterr().out)["numbers"]
    assert len(numbers) == 1000 and numbers[-1]["line"] == 502
    assert main(["check", str(_report(tmp_path, 30)), "--corpus", str(corpus), "--max-numbers", "0"]) in (0, 1)
    capsys.readouterr()
    with pytest.raises(SystemExit) as exited:
        main(["check", str(report), "--corpus", str(corpus), "--max-numbers", "-1"])
    assert exited.value.code == 2
    assert "--max-numbers: expected a whole number >= 0, got '-1'" in capsys.readouterr().err


def test_the_default_limit_is_passed_to_the_check(tmp_path: Path, corpus: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    import pytest_chimera.checks.consistency as consistency

    seen: list[int | None] = []

    def spy(*args: Any, max_numbers: int | None = None, **kw: Any) -> Any:
        seen.append(max_numbers)
        return check_consistency(*args, max_numbers=max_numbers, **kw)

    monkeypatch.setattr(consistency, "check_consistency", spy)
    main(["check", str(_report(tmp_path, 3)), "--corpus", str(corpus)])
    assert seen == [memo.DEFAULT_MAX_NUMBERS] and 10_000 <= memo.DEFAULT_MAX_NUMBERS <= 100_000
    capsys.readouterr()


def test_the_library_raises_too_many_numbers() -> None:
    markdown = "".join(f"- {k} files and {k} ms\n" for k in range(5))
    with pytest.raises(memo.TooManyNumbers, match=r"more than 9 numbers to check \(the limit is passed on line 5 of 5"):
        check_consistency(markdown, FACTS, max_numbers=9)
    assert len(check_consistency(markdown, FACTS, max_numbers=10).numbers) == 10
    with pytest.raises(memo.TooManyNumbers, match=r"passed on line 5 of 5;"):  # no final newline: still 5 lines
        check_consistency(markdown.rstrip("\n"), FACTS, max_numbers=9)


def test_the_units_of_many_tables_look_each_table_up_once() -> None:
    """``iter_units`` finds each table block's table in one pass over the tables, not one search per table:
    quadratic, 20,000 small tables (0.7 MB) took 4 s before the first unit and 10 MB of them about 15 minutes,
    all before ``--max-numbers`` could stop the check."""
    from pytest_chimera.checks import claims as cl
    from pytest_chimera.checks.report import outline

    class Counted(list):  # type: ignore[type-arg]
        visits = 0

        def __iter__(self) -> Any:
            for item in super().__iter__():
                Counted.visits += 1
                yield item

    markdown = "# R\n\n" + "".join(f"| a | b |\n|---|---|\n| x | {k} |\n\n" for k in range(50))
    parsed = outline(markdown)
    expected = [(u.line, u.text, u.context) for u in cl.units_of(parsed)]
    parsed.tables = Counted(parsed.tables)
    assert [(u.line, u.text, u.context) for u in cl.units_of(parsed)] == expected
    assert len(expected) == 101 and Counted.visits <= 2 * len(parsed.tables)


def test_a_repeated_cell_under_another_unit_cell_is_read_in_that_unit(monkeypatch: pytest.MonkeyPatch) -> None:
    """Same text, row label, header and model cells: only the row's "Units" cell (the hint) differs, and with
    it the unit and the verdict (the memo's key must hold the hint)."""
    markdown = "# R\n\n| metric | units | gemma3:270m |\n|---|---|---|\n| mean | tok/s | 283 |\n| mean | ms | 283 |\n"
    with_memo, afresh = _both(markdown, FACTS, monkeypatch)
    assert with_memo == afresh
    assert [(n["line"], n["unit"], n["verdict"]) for n in with_memo if n["raw"] == "283"] == \
        [(5, "tok/s", "supported"), (6, "ms", "contradicted")]
