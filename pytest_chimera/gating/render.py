"""Rendering a comparison: the terminal table, a markdown summary and trend lines across saved runs."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

from pytest_chimera.gating.compare import Comparison, Row
from pytest_chimera.gating.saved import SavedRun


def _num(value: float | None) -> str:
    if value is None:
        return "-"
    if not math.isfinite(value):
        return str(value)
    if value == int(value) or abs(value) >= 1000:
        return f"{value:.0f}"
    return f"{value:.2f}"


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.1f}%"


def _change(row: Row) -> str:
    """Relative change, or the absolute one where the baseline is 0."""
    if row.change_pct is None and row.baseline is not None and row.current is not None:
        return f"{row.current - row.baseline:+g}"
    return _pct(row.change_pct)


def _verdict(row: Row) -> str:
    if row.verdict == "regression":
        return f"REGRESSION ({row.rule})"
    if row.verdict == "not measured":
        return "NOT MEASURED"
    return row.verdict


def _p(row: Row) -> str:
    return "-" if row.p_value is None else f"{row.p_value:.4g}"


def table_lines(comparison: Comparison) -> list[str]:
    """Terminal lines: one table per test (metric, baseline, current, change, verdict, p), then warnings."""
    lines: list[str] = []
    if comparison.refused:
        lines.append(f"refusing to compare {comparison.current} with baseline {comparison.baseline}:")
        lines.extend(f"  {d}" for d in comparison.refused)
        lines.append("  compare against a baseline of the same backend, model, model file and machine, "
                     "or pass --chimera-compare-any (CLI: --compare-any)")
        return lines
    headers = ("metric", "baseline", "current", "change", "verdict", "p (MWU)")
    by_test: dict[str, list[Row]] = {}
    for row in comparison.rows:
        by_test.setdefault(row.test, []).append(row)
    for test, rows in by_test.items():
        cells = [(r.metric, _num(r.baseline), _num(r.current), _change(r), _verdict(r), _p(r)) for r in rows]
        widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]
        lines.append(test)
        lines.append("  " + "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
        for c in cells:
            lines.append("  " + "  ".join(v.ljust(w) for v, w in zip(c, widths, strict=True)).rstrip())
    lines.extend(f"warning: {w}" for w in comparison.warnings)
    for row in comparison.failures:
        why = f" ({row.note})" if row.note else ""
        if row.verdict == "not measured":
            lines.append(f"not measured: {row.test} {row.metric}{why}")
            continue
        lines.append(
            f"regression: {row.test} {row.metric} {_num(row.baseline)} -> {_num(row.current)} "
            f"({_change(row)}) broke rule {row.rule}{why}"
        )
    lines.extend(comparison.empty)
    return lines


def markdown(comparison: Comparison) -> str:
    """A Markdown table fit for a pull-request comment or ``$GITHUB_STEP_SUMMARY``."""
    if comparison.refused:
        items = "\n".join(f"- {d}" for d in comparison.refused)
        return f"**Refused to compare** (different identity):\n\n{items}\n"
    out = [
        f"### chimera: `{Path(comparison.current).name}` vs baseline `{Path(comparison.baseline).name}`",
        "",
        "| test | metric | baseline | current | change | verdict | p (Mann-Whitney U) |",
        "|---|---|---:|---:|---:|---|---:|",
    ]
    for r in comparison.rows:
        verdict = f"**{_verdict(r)}**" if r.verdict in ("regression", "not measured") else r.verdict
        test = r.test.replace("|", "\\|")
        out.append(f"| `{test}` | {r.metric} | {_num(r.baseline)} | {_num(r.current)} | {_change(r)} "
                   f"| {verdict} | {_p(r)} |")
    if comparison.warnings or comparison.empty:
        out.append("")
        out.extend(f"> {w}" for w in (*comparison.warnings, *comparison.empty))
    out.append("")
    unmeasured = f", {len(comparison.unmeasured)} not measured" if comparison.unmeasured else ""
    out.append(f"**{len(comparison.regressions)} regression(s){unmeasured}**")
    return "\n".join(out) + "\n"


def trend_lines(
    runs: Sequence[SavedRun], metrics: Sequence[str] = ("ttft_ms", "tokens_per_s", "contradicted")
) -> list[str]:
    """Medians of a few metrics across runs in order, one line per run and test."""
    tests = sorted({name for run in runs for name in run.tests})
    lines: list[str] = []
    for test in tests:
        lines.append(f"{test}  (medians across {len(runs)} runs)")
        lines.append("  " + "run".ljust(32) + "".join(m.rjust(16) for m in metrics))
        for run in runs:
            tm = run.tests.get(test)
            values = [_num(tm.median(m)) if tm else "-" for m in metrics]
            lines.append("  " + run.label[:32].ljust(32) + "".join(v.rjust(16) for v in values))
    return lines
