"""Structure specs: built-in insight/collector, user specs by path or mapping, failure output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_chimera.checks.structure import SpecError, check_structure, load_spec, select


def made_up_words(n: int, lead: str = "w") -> str:
    """``n`` distinct made-up words: filler prose that never repeats itself (a repeated sentence would trip
    the no-repetition-loop rule)."""
    return " ".join(lead + "".join(chr(97 + (i // 26**k) % 26) for k in range(3)) for i in range(n))


FILLER = made_up_words(270)

INSIGHT_OK = f"""\
# Insight Report

## 1. Executive Summary

Throughput reached **283 tok/s** with gemma3:270m. {FILLER}

## 2. Recommendations

1. Raise num_ctx to 4096.
2. Pin the seed.
3. Cache the prompt prefix.

## 3. Risks

| Risk | Mitigation |
|---|---|
| Out of memory | Smaller batch |
| Drift | Pin versions |
"""

COLLECTOR_OK = """\
# Data inventory

The corpus holds 101 files: CSV 28, JSON 44 and Markdown 29.
The latest modified file is from 2025-11-14 18:54:07 UTC.

## Gaps

Missing telemetry: no GPU memory was recorded for the llama3 runs.
"""


def test_a_conforming_insight_report_passes_every_rule() -> None:
    result = check_structure(INSIGHT_OK, "insight")
    assert [r.rule for r in result.rules] == ["executive-summary", "three-recommendations", "risk-table",
                                              "body-words", "numbered-sections", "metric-callout",
                                              "no-repetition-loop"]
    assert result.ok, result.lines()
    assert result.summary() == "insight spec: all 7 rules passed"


def test_each_insight_rule_fails_on_its_own_defect() -> None:
    cases = {
        "executive-summary": INSIGHT_OK.replace("Executive Summary", "Overview"),
        "three-recommendations": INSIGHT_OK.replace("3. Cache the prompt prefix.\n", ""),
        "risk-table": INSIGHT_OK.replace("| Drift | Pin versions |\n", ""),
        "body-words": INSIGHT_OK.replace(FILLER, FILLER + " " + made_up_words(270, "v")),
        "numbered-sections": INSIGHT_OK.replace("## 2. ", "## ").replace("## 3. ", "## "),
        "metric-callout": INSIGHT_OK.replace("**283 tok/s**", "283 tok/s"),
        "no-repetition-loop": INSIGHT_OK.replace(FILLER, made_up_words(170) + " " + made_up_words(100)),
    }
    for rule, text in cases.items():
        failed = [r.rule for r in check_structure(text, "insight").failed]
        assert failed == [rule], (rule, failed)


def test_seed_fails_three_insight_rules_with_what_was_found(seed_report: Path) -> None:
    result = check_structure(seed_report.read_text(encoding="utf-8"), "insight")
    lines = result.lines()
    assert lines[0] == "insight spec: 3 of 7 rules failed"
    assert "  three-recommendations: makes exactly three recommendations -- found 6" in lines
    assert any(line.startswith("  risk-table:") and "found []" in line for line in lines)
    assert any(line.startswith("  body-words:") for line in lines)


def test_collector_spec() -> None:
    assert check_structure(COLLECTOR_OK, "collector").ok
    bad = COLLECTOR_OK.replace("JSON 44 and ", "").replace("## Gaps\n\nMissing telemetry: no", "No")
    assert [r.rule for r in check_structure(bad, "collector").failed] == ["file-counts-per-type", "gaps"]
    long = COLLECTOR_OK + made_up_words(260)
    assert [r.rule for r in check_structure(long, "collector").failed] == ["under-250-words"]


def test_user_spec_by_path_and_by_mapping(tmp_path: Path) -> None:
    spec = {"title": "mine", "allOf": [
        {"title": "has-table", "description": "has a table", "x-found": "tables|len",
         "properties": {"tables": {"minItems": 1}}},
        {"description": "title mentions throughput", "properties": {"title": {"pattern": "(?i)throughput"}}},
    ]}
    path = tmp_path / "mine.json"
    path.write_text(json.dumps(spec))
    for s in (spec, str(path), path):
        result = check_structure("# Latency notes\n\ntext\n", s)
        assert [(r.rule, r.ok) for r in result.rules] == [("has-table", False), ("rule-2", False)]
        assert result.rules[0].detail == "found 0"
        assert "title" in result.rules[1].detail


def test_bad_specs_name_the_spec_and_the_fix(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="'nope' not found.*insight, collector"):
        load_spec("nope")
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(SpecError, match="broken.json: not readable JSON"):
        load_spec(broken)
    with pytest.raises(SpecError, match="rule 1 has no 'description'"):
        load_spec({"allOf": [{"properties": {}}]})
    with pytest.raises(SpecError, match="needs an 'allOf' list"):
        load_spec({"type": "object"})
    with pytest.raises(SpecError, match="not a valid JSON Schema"):
        load_spec({"allOf": [{"description": "x", "minItems": "three"}]})


def test_builtin_specs_are_package_data() -> None:
    for name in ("insight", "collector"):
        spec = load_spec(name)
        assert spec["title"] == name and all(rule["description"] for rule in spec["allOf"])


def test_select() -> None:
    data = {"a": [{"b": 1}, {"b": 2}], "n": 3, "s": "xy"}
    assert select(data, "a[*].b") == [1, 2]
    assert select(data, "a|len") == 2
    assert select(data, "n") == 3
    assert select(data, "missing.x") is None


def test_assert_structure_failure_output(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        from pytest_chimera.checks.assertions import Conforms, assert_structure

        REPORT = "# Notes\\n\\n## Recommendations\\n\\n1. One.\\n2. Two.\\n"

        def test_function_style():
            assert_structure(REPORT, "insight")

        def test_comparison_style():
            assert REPORT == Conforms("insight")
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines([
        "*AssertionError: insight spec: 6 of 7 rules failed",
        "*three-recommendations: makes exactly three recommendations -- found 2",
    ])
    result.stdout.fnmatch_lines([
        "*AssertionError: assert insight spec: 6 of 7 rules failed",
        "*executive-summary: has an executive summary section -- found ?'Notes', 'Recommendations'?",
        "*body-words: the body has 300-400 words -- found *",
    ])
