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
) -> list[ReportView]:
    """One view per run JSON. The test id is ``names[path]``, else the run's ``test``, else the file's stem;
    ``outcomes`` by test id; ``shown`` the path to print for each file (default: as given)."""
    views = []
    for path, data in runs:
        test = (names or {}).get(path) or str(data.get("test") or data.get("nodeid") or path.stem)
        found, note = facts.facts_for(data.get("corpus"))
        views.append(view_from_json(data, test=test, source=(shown or {}).get(path, str(path)), facts=found,
                                    outcome=(outcomes or {}).get(test), notes=[note] if note else []))
    return views


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
