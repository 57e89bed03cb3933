"""The built-in Chimera agent as tests: one agent run per test, configured by the marker.

Each run's markdown and run JSON land in .chimera/, named after the test id; `-v` shows one line per
report, and the session ends with a scorecard.
"""

from __future__ import annotations

import pytest

from pytest_chimera import Facts, ReportRun, parse_report
from pytest_chimera.agent.runs import aggregate

SEED_PARTS = ["header", "body", "workflow_summary", "metrics", "key_findings", "recommendations", "persona_prompt"]


@pytest.mark.chimera(persona="insight")
def test_insight_report_follows_the_chimera_layout(chimera_report: ReportRun) -> None:
    parsed = parse_report(chimera_report.markdown)
    assert parsed.layout == "chimera"
    assert [p for p in SEED_PARTS if p in parsed.parts] == SEED_PARTS
    # The Metrics block is computed from the captured calls: throughput = tokens / eval time.
    metrics = aggregate([c.metrics for c in chimera_report.calls])
    assert f"- Throughput: {metrics['tokens_per_s']:.2f} tok/s" in chimera_report.markdown
    assert [c.stage for c in chimera_report.calls] == ["analysis", "report"]


@pytest.mark.chimera(persona="insight", options={"num_predict": 600})
@pytest.mark.needs_strong_model(
    reason="the base model does not write 3 recommendations, a risk table and 300-400 words"
)
def test_insight_report_meets_the_insight_spec(chimera_report: ReportRun) -> None:
    chimera_report.assert_structure("insight")


@pytest.mark.chimera(persona="collector", options={"num_predict": 320})
@pytest.mark.needs_strong_model(reason="the base model does not write a file inventory with counts and gaps")
def test_collector_report_meets_the_collector_spec(chimera_report: ReportRun) -> None:
    chimera_report.assert_structure("collector")


@pytest.mark.chimera(persona="insight", grounding=True)
def test_grounded_report_contradicts_no_fact(chimera_report: ReportRun, chimera_facts: Facts) -> None:
    # Grounded: the key figures are in the prompt, so the numbers the model copies are true ones. The default
    # min_checked=1 also fails a report in which the model wrote no number to check.
    chimera_report.assert_consistent(chimera_facts, max_contradicted=0)
