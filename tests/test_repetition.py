"""The repetition measure and the built-in specs' "no repetition loop" rule, tuned on real text."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_chimera.checks.repetition import NGRAM, PASSAGE_CHARS, measure_repetition
from pytest_chimera.checks.report import parse_report
from pytest_chimera.checks.structure import check_structure

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
LOOPED = sorted(p for p in (Path(__file__).parent / "data" / "looped").glob("*.md") if p.name != "README.md")
RULE = "no-repetition-loop"


def real_reports() -> list[Path]:
    reports = sorted((SHARED / "real_reports").glob("tr*.md")) + [SHARED / "seed" / "chimera_agent_b_report.md"]
    if not all(p.is_file() for p in reports) or len(reports) != 25:
        pytest.skip(f"the 24 real reports and the seed report are not at {SHARED} (they live in ../shared)")
    return reports


def loop_rule(markdown: str, spec: str = "insight") -> tuple[bool, str]:
    rule = next(r for r in check_structure(markdown, spec).rules if r.rule == RULE)
    return rule.ok, rule.detail


def words(n: int, lead: str = "w") -> list[str]:
    """``n`` distinct made-up words."""
    return [lead + "".join(chr(97 + (i // 26**k) % 26) for k in range(3)) for i in range(n)]


# --- tuned on real text -------------------------------------------------------------------------------------


def test_no_real_report_trips_the_rule() -> None:
    for path in real_reports():
        markdown = path.read_text(encoding="utf-8")
        rep = parse_report(markdown).repetition
        assert rep.share <= 0.08 and not rep.loop_at_end, (path.name, rep)
        for spec in ("insight", "collector"):
            assert loop_rule(markdown, spec)[0], (path.name, spec)


def test_every_looped_output_of_the_embedded_model_trips_it_and_the_failure_quotes_the_loop() -> None:
    assert len(LOOPED) == 4
    for path in LOOPED:
        markdown = path.read_text(encoding="utf-8")
        rep = parse_report(markdown).repetition
        assert rep.share > 0.2 and rep.loop_at_end, (path.name, rep)
        ok, detail = loop_rule(markdown)
        assert not ok, path.name
        assert f"'count': {rep.count}" in detail and repr(rep.passage) in detail
        assert rep.count >= 2 and rep.passage.split()[0].lower() in markdown.lower()


def test_the_issue_loop_is_quoted_with_its_count() -> None:
    markdown = (Path(__file__).parent / "data" / "looped" / "insight_grounded_real_ctx4096_t0_n300.md").read_text()
    rep = parse_report(markdown).repetition
    assert rep.passage.startswith("should be written in a clear and concise manner")
    assert rep.count == 6 and rep.share > 0.7
    assert "occurs 6 times" in rep.describe() and "loops to the end" in rep.describe()


# --- the measure -------------------------------------------------------------------------------------------


def test_a_short_or_plain_text_does_not_repeat() -> None:
    assert measure_repetition("").share == 0.0
    assert measure_repetition(" ".join(["same"] * (2 * NGRAM - 1))).share == 0.0  # too short to say
    assert measure_repetition(" ".join(words(300))).share == 0.0


def test_lines_of_the_same_shape_with_different_figures_do_not_repeat() -> None:
    lines = [f"- Median throughput of gemma3:{m}: {v} tok/s (parameter tuning)." for m, v in
             (("270m", "289.68"), ("1b", "183.99"), ("4b", "101.98"))]
    assert measure_repetition("\n".join(lines)).share == 0.0


def test_a_loop_is_measured_and_its_passage_quoted() -> None:
    intro = " ".join(words(60, "i"))
    unit = "The executive summary is also called the Executive Summary and it summarizes the report."
    rep = measure_repetition(intro + "\n" + "\n".join([unit] * 8))
    assert rep.share == pytest.approx(7 * 14 / (60 + 8 * 14), abs=0.01)  # all but the first saying repeats
    assert rep.loop_at_end and rep.count == 8
    assert rep.passage == unit[: PASSAGE_CHARS - 3].rstrip() + "..."


def test_a_repeat_early_in_the_text_is_no_loop_at_the_end() -> None:
    unit = " ".join(words(10, "u"))
    rep = measure_repetition(f"{unit} {unit} " + " ".join(words(200)))
    assert rep.count == 2 and not rep.loop_at_end and rep.share < 0.1


@settings(max_examples=50, deadline=None)
@given(n=st.integers(min_value=2 * NGRAM, max_value=200), times=st.integers(min_value=2, max_value=6))
def test_share_of_a_text_said_k_times_is_about_k_minus_1_over_k(n: int, times: int) -> None:
    once = " ".join(words(n))
    assert measure_repetition(once).share == 0.0
    rep = measure_repetition(" ".join([once] * times))
    assert rep.share == pytest.approx((times - 1) / times, abs=0.01)
    assert rep.loop_at_end and rep.count == times


def test_the_rule_fails_on_either_condition_alone() -> None:
    unit = " ".join(words(30, "u"))
    early = f"# R\n\n{unit}\n\n{unit}\n\n{unit}\n\n" + " ".join(words(200))  # 60 of 290 words repeat, early
    rep = parse_report(early).repetition
    assert rep.share > 0.2 and not rep.loop_at_end
    assert not loop_rule(early)[0] and not loop_rule(early, "collector")[0]
    late = "# R\n\n" + " ".join(words(400)) + "\n\n" + " ".join(words(60))  # the last 60 words say 60 again
    rep = parse_report(late).repetition
    assert rep.share < 0.2 and rep.loop_at_end
    assert not loop_rule(late)[0] and not loop_rule(late, "collector")[0]
    fine = "# R\n\n" + " ".join(words(400)) + "\n\n" + " ".join(words(60)) + " " + " ".join(words(40, "z"))
    rep = parse_report(fine).repetition
    assert rep.share < 0.2 and not rep.loop_at_end and loop_rule(fine)[0] and loop_rule(fine, "collector")[0]
