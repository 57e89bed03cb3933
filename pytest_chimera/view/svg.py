"""Trend charts as inline SVG, drawn here (no plotting library at build or view time).

One chart per metric: the median of each test in each saved run, in run order, one line per test. Tests
differ by colour (the Okabe-Ito palette, safe for colour-blind readers) and by marker shape, and every point
has a ``<title>`` (its test, run and value); the chart is an ``img`` with a title and a description, and the
same numbers follow in a table for screen readers and for copying.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

from pytest_chimera.gating.saved import SavedRun

PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442")
SHAPES = ("circle", "square", "triangle", "diamond")
WIDTH, HEIGHT = 640, 200
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 12, 36


def _fmt(value: float) -> str:
    if value == int(value) and abs(value) < 1e15:
        return f"{value:.0f}"
    return f"{value:.4g}" if abs(value) < 1000 else f"{value:.0f}"


def marker(shape: str, x: float, y: float, color: str, size: float = 4.5) -> str:
    """An SVG marker of ``shape`` centred on (x, y)."""
    if shape == "square":
        return f'<rect x="{x - size:.1f}" y="{y - size:.1f}" width="{2 * size:.1f}" height="{2 * size:.1f}" ' \
               f'fill="{color}"/>'
    if shape == "triangle":
        pts = f"{x:.1f},{y - size * 1.2:.1f} {x - size * 1.1:.1f},{y + size:.1f} {x + size * 1.1:.1f},{y + size:.1f}"
        return f'<polygon points="{pts}" fill="{color}"/>'
    if shape == "diamond":
        pts = f"{x:.1f},{y - size * 1.3:.1f} {x + size:.1f},{y:.1f} {x:.1f},{y + size * 1.3:.1f} {x - size:.1f},{y:.1f}"
        return f'<polygon points="{pts}" fill="{color}"/>'
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{size:.1f}" fill="{color}"/>'


def style_of(index: int) -> tuple[str, str]:
    """(colour, shape) of the index-th test."""
    return PALETTE[index % len(PALETTE)], SHAPES[(index // len(PALETTE) + index) % len(SHAPES)]


def legend_swatch(index: int) -> str:
    color, shape = style_of(index)
    return f'<svg class="swatch" width="14" height="14" aria-hidden="true">{marker(shape, 7, 7, color, 5)}</svg>'


def series(runs: Sequence[SavedRun], metric: str, tests: Sequence[str]) -> list[list[float | None]]:
    """Per test, the median of ``metric`` in each run (None where the run lacks it)."""
    out = []
    for test in tests:
        values: list[float | None] = []
        for run in runs:
            tm = run.tests.get(test)
            value = tm.median(metric) if tm is not None else None
            values.append(value if value is not None and math.isfinite(value) else None)
        out.append(values)
    return out


def chart(runs: Sequence[SavedRun], metric: str, tests: Sequence[str], chart_id: str) -> str:
    """An ``<svg>`` of ``metric`` across ``runs`` for ``tests`` (legend and table are the caller's)."""
    data = series(runs, metric, tests)
    values = [v for row in data for v in row if v is not None]
    lo, hi = (min(values), max(values)) if values else (0.0, 1.0)
    if hi == lo:
        lo, hi = lo - (abs(lo) * 0.1 or 1), hi + (abs(hi) * 0.1 or 1)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    n = len(runs)

    def x_at(i: int) -> float:
        return LEFT + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)

    def y_at(v: float) -> float:
        return TOP + plot_h * (1 - (v - lo) / (hi - lo))

    title = html.escape(f"{metric}: median per saved run, oldest first")
    desc = html.escape(f"{len(tests)} test(s) over {n} run(s); values from {_fmt(lo)} to {_fmt(hi)}")
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" role="img" '
        f'aria-labelledby="{chart_id}-t {chart_id}-d"><title id="{chart_id}-t">{title}</title>'
        f'<desc id="{chart_id}-d">{desc}</desc>',
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}" stroke="#666"/>',
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{LEFT + plot_w}" y2="{TOP + plot_h}" stroke="#666"/>',
    ]
    for v in (lo, (lo + hi) / 2, hi):
        y = y_at(v)
        parts.append(f'<line x1="{LEFT - 4}" y1="{y:.1f}" x2="{LEFT + plot_w}" y2="{y:.1f}" stroke="#ddd"/>'
                     f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11">{_fmt(v)}</text>')
    step = max(1, math.ceil(n / 8))
    for i in range(n):
        if i % step == 0 or i == n - 1:
            parts.append(f'<text x="{x_at(i):.1f}" y="{HEIGHT - 14}" text-anchor="middle" font-size="11">'
                         f'{html.escape(f"#{i + 1}")}</text>')
    for k, (test, row) in enumerate(zip(tests, data, strict=True)):
        color, shape = style_of(k)
        points = [(x_at(i), y_at(v), i, v) for i, v in enumerate(row) if v is not None]
        if len(points) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _, _ in points)
            parts.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
        for x, y, i, v in points:
            label = html.escape(f"{test} · run #{i + 1} {runs[i].label}: {metric} {_fmt(v)}")
            parts.append(f"<g>{marker(shape, x, y, color)}<title>{label}</title></g>")
    parts.append("</svg>")
    return "".join(parts)


def _cell(value: float | None) -> str:
    return "-" if value is None else _fmt(value)


def table(runs: Sequence[SavedRun], metric: str, tests: Sequence[str]) -> str:
    """The chart's numbers as an HTML table: one row per run, one column per test."""
    data = series(runs, metric, tests)
    head = "".join(f'<th scope="col">{html.escape(t)}</th>' for t in tests)
    rows = []
    for i, run in enumerate(runs):
        cells = "".join(f"<td>{_cell(row[i])}</td>" for row in data)
        rows.append(f'<tr><th scope="row">#{i + 1} {html.escape(run.label)}</th>{cells}</tr>')
    return (f'<table class="data"><caption>{html.escape(metric)} medians</caption><thead><tr><th scope="col">run'
            f"</th>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>")
