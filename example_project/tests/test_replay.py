"""Replay: recorded model calls (cassettes/) make a test repeatable and fast, with no model at all.

Recorded with ``pytest --chimera --chimera-record-mode=record tests/test_replay.py``. Replayed calls keep
their recorded timings with ``replayed: true``: the benchmark capture never counts them as timings.
"""

from __future__ import annotations

import pytest

from pytest_chimera import Facts, ReportRun


@pytest.mark.chimera(backend="replay", agent="agents:brief_agent", options={"num_predict": 48})
def test_replayed_brief(chimera_report: ReportRun, chimera_facts: Facts) -> None:
    assert chimera_report.replayed
    chimera_report.assert_consistent(chimera_facts, max_contradicted=0)
