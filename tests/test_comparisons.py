"""Comparisons between two models (``checks.comparisons``): a ratio written "Nx", "N times faster than" or "N times
as fast as", and a difference written in the claim's own unit ("100 tok/s faster than"), each checked against
what the two models' spans allow, never as a level of one side."""

from __future__ import annotations

import pytest
from test_verdict_rules import fact, throughput, verdict

from pytest_chimera.checks.consistency import check_consistency
from pytest_chimera.evidence.facts import Facts

SMALL = throughput(212.0, 250.0, 303.9)  # gemma3:270m
BIG = throughput(110.0, 150.0, 187.0, model="gemma3:1b")
TTFT = [fact(f"ttft{m}{k}", v, "ms", "ttft", "time to first token", m, m.replace(":", "-"), "gemma3")
        for m, values in (("gemma3:270m", (60.0, 70.0, 80.0)), ("gemma3:1b", (100.0, 120.0, 140.0)))
        for k, v in enumerate(values)]
FACTS = Facts.from_records([*SMALL, *BIG, *TTFT])


@pytest.mark.parametrize(("line", "expected"), [
    # 212-303.9 against 110-187: differences 25 to 193.9 tok/s, widened by the 25% margin (18.75 to 242.4)
    ("gemma3:270m was 100.7 tokens per second faster than gemma3:1b.", "unverified"),  # no level of 100.7: not
    ("gemma3:270m was 20 tok/s faster than gemma3:1b on average.", "unverified"),  # the span's 212-303.9
    ("gemma3:270m was 240 tok/s faster than gemma3:1b.", "unverified"),
    ("gemma3:270m was 250 tok/s faster than gemma3:1b.", "contradicted"),
    ("gemma3:270m was 10 tok/s faster than gemma3:1b.", "contradicted"),
    ("gemma3:1b was 100.7 tok/s slower than gemma3:270m.", "unverified"),  # the first side the smaller
    ("gemma3:1b was 250 tok/s slower than gemma3:270m.", "contradicted"),
    # TTFT 100-140 ms against 60-80 ms: 20 to 80 ms higher (15 to 100 with the margin)
    ("gemma3:1b's TTFT was 45 ms higher than gemma3:270m's.", "unverified"),
    ("gemma3:1b's TTFT was 150 ms higher than gemma3:270m's.", "contradicted"),
    # "N times" compares throughput, not time ("times" is no TTFT word), and is read as "Nx": ratios 1.13-2.76
    ("gemma3:270m was 1.55 times faster than gemma3:1b.", "unverified"),
    ("gemma3:270m generated tokens 1.55 times as fast as gemma3:1b.", "unverified"),
    ("gemma3:270m was 9.5 times as fast as gemma3:1b.", "contradicted"),
    ("gemma3:270m was 9.5 times faster than gemma3:1b.", "contradicted"),
    ("gemma3:270m was 9.5x faster than gemma3:1b.", "contradicted"),
])
def test_a_difference_or_ratio_is_checked_against_what_the_spans_allow(line: str, expected: str) -> None:
    got, rule, _ = verdict(line, FACTS)
    assert (got, rule) == (expected, "derived" if expected == "contradicted" else "")


def test_a_difference_is_explained_as_one() -> None:
    [n] = check_consistency("gemma3:270m was 100.7 tokens per second faster than gemma3:1b.", FACTS).numbers
    assert n.explanation.startswith("a difference (faster than) within the differences the corpus allows (25 to")
    [n] = check_consistency("gemma3:270m was 250 tok/s faster than gemma3:1b.", FACTS).numbers
    assert "differ by 25 to 193.9 tok/s; '250 tok/s faster than' is outside" in n.explanation


@pytest.mark.parametrize("line", [
    "gemma3:270m ran 3 times, more than gemma3:1b.",  # a count of runs, a comma before the comparison
    "gemma3:270m reached 250 tok/s, more than gemma3:1b.",  # a level, then a comparison of the models
])
def test_a_number_before_a_comparison_of_its_own_is_no_ratio_or_difference(line: str) -> None:
    [n] = [n for n in check_consistency(line, FACTS).numbers if n.kind == "claim"]
    assert "comparison" not in n.explanation and "difference" not in n.explanation
