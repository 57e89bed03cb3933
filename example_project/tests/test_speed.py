"""Speed as a benchmark: TTFT, tokens/s and the other per-call timings, captured by pytest-benchmark.

Requesting ``benchmark`` (or ``rounds=N`` on the marker) runs the agent N counted rounds after one
uncounted warm-up round, so model load is not in the figures. Save with ``--benchmark-autosave`` and
compare the next run with ``--chimera-compare=latest`` to gate a merge on a speed or quality regression.
"""

from __future__ import annotations

from typing import Any

import pytest

from pytest_chimera import ReportRun


# 6 counted rounds: the fewest for which the gate adds a Mann-Whitney U test to a timing regression, so
# runner noise alone does not fail the CI speed job (.github/workflows/chimera.yml), which runs this file.
@pytest.mark.chimera(persona="collector", rounds=6, options={"num_predict": 48})
def test_collector_speed(chimera_report: ReportRun, benchmark: Any) -> None:
    captured = benchmark.extra_info["chimera"]
    assert captured["summary"]["tokens_per_s"]["median"] > 0
    assert captured["rounds"] == 6 and len(captured["per_round"]["ttft_ms"]) == 6
    assert captured["timings"] and not captured["replayed"]
