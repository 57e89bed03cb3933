"""From inputs to a page: one ``ReportView`` per run JSON, the comparison and the trend, then the HTML.

Both the pytest plugin (``--chimera-html``) and ``pytest-chimera html`` call :func:`make_page`; the plugin adds
what only a live session knows (each test's id and outcome, the gate's comparison, this run's benchmarks).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pytest_chimera.gating.compare import Comparison
from pytest_chimera.gating.saved import SavedRun
from pytest_chimera.view.inputs import FactsLoader
from pytest_chimera.view.model import Page, ReportView, view_from_json
from pytest_chimera.view.page import build_page

DEFAULT_TITLE = "pytest-chimera report"
MAX_TREND_RUNS = 30


def views_from_runs(
    runs: Sequence[tuple[Path, Mapping[str, Any]]],
    facts: FactsLoader,
    *,
    names: Mapping[Path, str] | None = None,
    outcomes: Mapping[str, str] | None = None,
    shown: Mapping[Path, str] | None = None,
    verdicts: Mapping[str, Sequence[bool]] | None = None,
) -> list[ReportView]:
    """One view per run JSON. The test id is ``names[path]``, else the run's ``test``, else the file's stem;
    ``outcomes`` and ``verdicts`` (each sample's pass or fail, from the run record) by test id; ``shown`` the
    path to print for each file (default: as given)."""
    views = []
    for path, data in runs:
        test = (names or {}).get(path) or str(data.get("test") or data.get("nodeid") or path.stem)
        data = with_verdicts(data, (verdicts or {}).get(test, ()))
        found, note = facts.facts_for(data.get("corpus"))
        views.append(view_from_json(data, test=test, source=(shown or {}).get(path, str(path)), facts=found,
                                    outcome=(outcomes or {}).get(test), notes=[note] if note else []))
    return views


def with_verdicts(data: Mapping[str, Any], verdicts: Sequence[bool]) -> Mapping[str, Any]:
    """The run data with each sample's recorded verdict (``passed``), when there is one per sample."""
    samples = data.get("samples")
    if isinstance(samples, list) and len(samples) == len(verdicts) and all(isinstance(x, Mapping) for x in samples):
        return {**data, "samples": [{**x, "passed": v} for x, v in zip(samples, verdicts, strict=True)]}
    if not isinstance(samples, list) and len(verdicts) == 1:
        return {**data, "passed": verdicts[0]}
    return data


def tests_by_stem(saved: Sequence[SavedRun]) -> dict[str, tuple[str, tuple[bool, ...]]]:
    """Per run-file stem (the sanitised test id): the test id and its samples' verdicts, from the newest saved
    run that names the test."""
    from pytest_chimera.agent.artifacts import sanitize_test_id

    out: dict[str, tuple[str, tuple[bool, ...]]] = {}
    for run in sorted(saved, key=lambda r: r.datetime):
        for name, metrics in run.tests.items():
            out[sanitize_test_id(name)] = (name, tuple(metrics.verdicts))
    return out


def pick_trend(records: Sequence[SavedRun], benchmarks: Sequence[SavedRun]) -> list[SavedRun]:
    """The saved runs to draw, oldest first: chimera run records or pytest-benchmark files, whichever holds more
    runs (records on a tie: every session that ran a chimera test writes one)."""
    chosen = records if len(records) >= len(benchmarks) else benchmarks
    return sorted(chosen, key=lambda r: r.datetime)


def make_page(
    views: list[ReportView],
    *,
    title: str = DEFAULT_TITLE,
    comparison: Comparison | None = None,
    comparison_note: str = "",
    trend: Sequence[SavedRun] = (),
    notes: Sequence[str] = (),
    generated: str | None = None,
) -> str:
    """The HTML page; the trend keeps the newest :data:`MAX_TREND_RUNS` runs."""
    kept = list(trend)[-MAX_TREND_RUNS:]
    all_notes = list(notes)
    if len(trend) > len(kept):
        all_notes.append(f"the trend shows the newest {len(kept)} of {len(trend)} saved runs")
    page = Page(
        title=title,
        tests=views,
        comparison=comparison,
        comparison_note=comparison_note,
        trend=kept,
        notes=all_notes,
        generated=generated or datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
    )
    return build_page(page)
