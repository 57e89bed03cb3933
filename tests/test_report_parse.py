"""ParsedReport: sections (headings and bold-led paragraphs), items, tables, callouts, parts, word counts."""

from __future__ import annotations

import json
import re
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_chimera.checks.report import count_words, parse_report

REPORT = """\
# Throughput Review

## 1. Executive Summary

The **gemma3:270m** model reached **283 tok/s** on the bench.

## 2. Recommendations

1. Raise num_ctx.
2. Pin the **seed**.
3. Cache prompts.

## 3. Risks

| Risk | Mitigation |
|---|---|
| OOM | smaller batch |
| Drift | pin versions |

- **TTFT:** 45 ms
- plain bullet
"""


def test_headings_are_sections_with_numbers_items_and_tables() -> None:
    r = parse_report(REPORT)
    assert r.title == "Throughput Review"
    assert r.layout == "plain"
    assert [(s.level, s.number, s.title) for s in r.sections] == [
        (1, None, "Throughput Review"), (2, "1", "Executive Summary"), (2, "2", "Recommendations"), (2, "3", "Risks")]
    rec = r.sections[2]
    assert rec.numbered_items == ["Raise num_ctx.", "Pin the seed.", "Cache prompts."]
    assert r.recommendations == rec.numbered_items
    assert r.tables[0].header == ["Risk", "Mitigation"]
    assert r.tables[0].rows == [["OOM", "smaller batch"], ["Drift", "pin versions"]]
    assert r.sections[3].tables == [0]
    assert r.sections[3].bullet_items == ["TTFT: 45 ms", "plain bullet"]
    assert r.parts == {"body": {"line_start": 1, "line_end": REPORT.count("\n") + 1}}


def test_bold_spans_and_metric_callouts() -> None:
    r = parse_report(REPORT)
    assert [b.text for b in r.bold] == ["gemma3:270m", "283 tok/s", "seed", "TTFT:"]
    # a bold span with a quantity, and a bold-led line with one; a bold model name is no metric
    assert [(c.text, c.line) for c in r.callouts] == [("283 tok/s", 5), ("TTFT: 45 ms", 20)]


def test_bold_led_paragraphs_are_sections_one_level_below_the_heading() -> None:
    md = "## Report\n\n**Executive Summary:**\n\nText here.\n\n**1. Data Ingestion Summary:**\n\n* **Files:** 101\n"
    r = parse_report(md)
    assert [(s.level, s.number, s.title, s.kind) for s in r.sections] == [
        (2, None, "Report", "heading"), (3, None, "Executive Summary", "bold"),
        (3, "1", "Data Ingestion Summary", "bold")]
    assert r.sections[1].text == "Text here."
    assert r.sections[2].bullet_items == ["Files: 101"]


def test_a_bold_span_inside_a_sentence_is_no_section() -> None:
    r = parse_report("Some **bold** words.\n\n- **Only bold in a list**\n")
    assert r.sections == []
    assert r.bullet_items == ["Only bold in a list"]


def test_seed_layout_parts(seed_report: Path) -> None:
    r = parse_report(seed_report.read_text(encoding="utf-8"))
    assert r.layout == "chimera"
    assert list(r.parts) == ["header", "body", "workflow_summary", "metrics", "key_findings", "recommendations",
                             "persona_prompt"]
    assert r.parts["header"] == {"line_start": 1, "line_end": 10}
    assert r.parts["metrics"]["line_start"] == 116
    body = [s for s in r.sections if s.part == "body"]
    assert [(s.number, s.title) for s in body if s.kind == "bold"][:3] == [
        (None, "Executive Summary"), ("1", "Data Ingestion Summary"), ("2", "Performance Analysis")]
    # the model's own recommendations (six, numbered) come first, not the layout's bullets
    assert len(r.recommendations) == 6 and r.recommendations[0].startswith("Implement Automated")
    assert 600 < r.body_word_count < 800
    assert r.body_word_count < r.word_count
    assert r.part_of_line(117) == "metrics"
    json.dumps(r.to_json())  # plain JSON


def test_without_workflow_summary_everything_is_body() -> None:
    md = "# T\n\n**Date:** 2025-01-01\n\n---\n\n## Metrics\n\n- x: 1\n"
    r = parse_report(md)
    assert r.layout == "plain" and list(r.parts) == ["body"]


def test_word_count() -> None:
    assert count_words("gemma3:270m reached 283 tok/s, twice 1,234.5") == 6
    assert count_words("") == 0


markdownish = st.lists(
    st.sampled_from(list("ab 1.|-*#>`_[]()!\n\t:%") + ["**", "```", "| --- |", "1. ", "- ", "\n\n", "---"]),
    max_size=200,
).map("".join)


@settings(max_examples=150, deadline=None)
@given(st.one_of(markdownish, st.text(max_size=300)))
def test_any_markdown_parses_to_plain_json(text: str) -> None:
    r = parse_report(text)
    json.dumps(r.to_json())
    assert r.body_word_count >= 0


def test_huge_lines_and_deep_nesting_parse() -> None:
    deep = "".join("  " * k + "- item\n" for k in range(60)) + ">" * 80 + " quote\n"
    huge = "word " * 50_000 + "\n| a |\n|---|\n" + "| 1 | 2 | 3 |\n" * 200
    for text in (deep, huge, "| broken | table\n|---\n| x"):
        json.dumps(parse_report(text).to_json())


def test_every_parsed_report_field_is_documented_in_the_readme() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Report checks", 1)[1].split("\n## ", 1)[0]
    data = parse_report(REPORT).to_json()
    fields = set(data) | set(data["sections"][0]) | set(data["tables"][0]) | set(data["blocks"][0])
    fields |= set(data["bold"][0]) | set(data["callouts"][0])
    missing = sorted(f for f in fields if not re.search(rf"[`{{ ]{f}\b", section))
    assert missing == []
