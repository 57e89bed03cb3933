"""The HTML page: a summary table (filterable to failures), the baseline comparison, trend charts, then one
section per test with its annotated report, structure rules, model-call timings and samples.

Everything that comes from a report, the corpus, a test id or a saved run is escaped here or in
:mod:`pytest_chimera.view.markdown`; the page's only style and script are inline and allowed by hash in its
Content-Security-Policy (:mod:`pytest_chimera.view.assets`). Verdicts are told by text and icon as well as
colour, numbers are focusable and their tooltips are tied to them with ``aria-describedby``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any

from pytest_chimera.agent.artifacts import sanitize_test_id
from pytest_chimera.gating.compare import Comparison, Row
from pytest_chimera.gating.rules import DIRECTION
from pytest_chimera.view import assets, svg
from pytest_chimera.view.markdown import render_markdown
from pytest_chimera.view.model import NUMBERING, VERDICTS, Page, ReportView, Sample, verdict_of

ICONS = {"supported": "✓", "contradicted": "✗", "unverified": "?", "not checked": "○"}
OUTCOME_ICONS = {"passed": "✓", "failed": "✗", "error": "✗", "skipped": "–", "xfailed": "✗", "xpassed": "!"}
TREND_METRICS = ("ttft_ms", "tokens_per_s", "contradicted", "structure_failed")
VERDICT_BADGES = {"regression": ("bad", "✗ regression"), "improved": ("good", "✓ improved"),
                  "worse": ("warn", "! worse")}
CALL_COLUMNS = (("TTFT ms", "ttft_ms"), ("tokens/s", "tokens_per_s"), ("prompt eval ms", "prompt_eval_ms"),
                ("prompt tokens", "prompt_eval_count"), ("eval ms", "eval_ms"), ("tokens", "eval_count"),
                ("load ms", "load_ms"), ("total ms", "total_ms"))


def fmt(value: float | None, digits: int = 2) -> str:
    """A number for a table cell: ``-`` for none, whole numbers without decimals."""
    if value is None:
        return "-"
    if not math.isfinite(value):
        return str(value)
    if value == int(value) and abs(value) < 1e15:
        return f"{value:.0f}"
    return f"{value:.{digits}f}" if abs(value) < 1e6 else f"{value:.4g}"


def slug(verdict: str) -> str:
    return verdict.replace(" ", "-")


def _attr(text: str) -> str:
    return escape(text, quote=True)


# ---- one test --------------------------------------------------------------------------------------------------


def _fact_line(number: Mapping[str, Any]) -> str:
    fact = number.get("fact")
    if not isinstance(fact, Mapping):
        return ""
    value = fact.get("value")
    shown = f"{value:.6g}" if isinstance(value, float) else str(value)
    unit = f" {fact.get('unit')}" if fact.get("unit") else ""
    return f"{fact.get('key')} = {shown}{unit}"


def tooltip(number: Mapping[str, Any]) -> str:
    """The tooltip's HTML: verdict and explanation, the fact with its value, its source, the line."""
    verdict = verdict_of(number)
    why = number.get("explanation") or number.get("reason") or ""
    lines = [f"<b>{escape(verdict.capitalize())}</b>" + (f" — {escape(str(why))}" if why else "")]
    fact = _fact_line(number)
    if fact:
        lines.append(f"Fact: {escape(fact)}")
        source = number["fact"].get("source")
        if source:
            lines.append(f"Source: {escape(str(source))}")
    lines.append(escape(f"Line {number.get('line')} · {number.get('kind') or 'number'}"))
    return "".join(f'<span class="tip-line">{line}</span>' for line in lines)


def _mark(number: Mapping[str, Any], inner: str, nid: str) -> str:
    verdict = verdict_of(number)
    return (f'<span class="numwrap"><mark class="num v-{slug(verdict)}" id="{nid}" tabindex="0" '
            f'data-verdict="{verdict}" aria-describedby="{nid}-tip">{inner}<span class="vh"> ({verdict})</span>'
            f'<span class="icon" aria-hidden="true">{ICONS[verdict]}</span></mark>'
            f'<span class="tip" role="tooltip" id="{nid}-tip">{tooltip(number)}</span></span>')


def _counts_line(sample: Sample) -> str:
    counts = sample.counts()
    return ", ".join(f"{counts[v]} {v}" for v in VERDICTS)


def _rules(sample: Sample) -> str:
    if sample.rules is None:
        return '<p class="note">No structure spec applies to this persona.</p>'
    failed = len(sample.rules_failed)
    head = f"Structure rules (spec {escape(sample.spec or '?')}): {len(sample.rules) - failed} of " \
           f"{len(sample.rules)} passed"
    items = []
    for rule in sample.rules:
        ok = bool(rule.get("ok"))
        state = '<span class="pass">✓ passed</span>' if ok else '<span class="fail">✗ failed</span>'
        detail = "" if ok or not rule.get("detail") else f" — {escape(str(rule.get('detail')))}"
        items.append(f"<li>{state} <b>{escape(str(rule.get('rule')))}</b>: "
                     f"{escape(str(rule.get('description') or ''))}{detail}</li>")
    return f'<h3>{head}</h3><ul class="rules">{"".join(items)}</ul>'


def _calls(sample: Sample) -> str:
    if not sample.calls:
        return '<p class="note">No model calls recorded.</p>'
    head = "".join(f'<th scope="col">{name}</th>' for name, _ in CALL_COLUMNS)
    rows = []
    for call in sample.calls:
        cells = "".join(f'<td class="n">{fmt(call.metrics.get(key))}</td>' for _, key in CALL_COLUMNS)
        stage = escape(call.stage) + (" (replayed)" if call.replayed else "")
        rows.append(f'<tr><th scope="row">{stage}</th>{cells}</tr>')
    if len(sample.calls) > 1 and sample.metrics:
        cells = "".join(f'<td class="n">{fmt(sample.metrics.get(key))}</td>' for _, key in CALL_COLUMNS)
        rows.append(f'<tr><th scope="row">run (TTFT: first call; tokens/s: all tokens over all eval time)</th>'
                    f"{cells}</tr>")
    return (f'<h3>Model calls</h3><table><thead><tr><th scope="col">stage</th>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table>")


def _numbers_table(sample: Sample, prefix: str, unplaced: set[int]) -> str:
    rows = []
    for i, n in enumerate(sample.numbers):
        verdict = verdict_of(n)
        where = ' <span class="note">(not located in the rendered text)</span>' if i in unplaced else ""
        rows.append(
            f'<tr id="{prefix}-n{i}-row"><td class="n">{escape(str(n.get("line")))}</td>'
            f'<td>{escape(str(n.get("raw")))}{where}</td><td>{escape(str(n.get("kind") or ""))}</td>'
            f'<td><span class="num v-{slug(verdict)}">{ICONS[verdict]} {verdict}</span></td>'
            f'<td>{escape(str(n.get("explanation") or n.get("reason") or ""))}</td>'
            f"<td>{escape(_fact_line(n))}</td>"
            f'<td>{escape(str((n.get("fact") or {}).get("source") or ""))}</td></tr>')  # numbers are cleaned
    head = "".join(f'<th scope="col">{h}</th>' for h in ("line", "number", "kind", "verdict", "explanation",
                                                         "fact", "source"))
    return (f"<details><summary>All {len(sample.numbers)} numbers of the report</summary><table>"
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></details>")


def _problems(sample: Sample, prefix: str, unplaced: set[int]) -> str:
    items = []
    for i, n in enumerate(sample.numbers):
        if verdict_of(n) == "contradicted":
            target = f"{prefix}-n{i}-row" if i in unplaced else f"{prefix}-n{i}"
            items.append(f'<li><a href="#{target}">line {escape(str(n.get("line")))}: '
                         f'{escape(str(n.get("raw")))}</a> contradicted — '
                         f'{escape(str(n.get("explanation") or ""))}</li>')
    for rule in sample.rules_failed:
        items.append(f"<li>rule <b>{escape(str(rule.get('rule')))}</b> failed: "
                     f"{escape(str(rule.get('description') or ''))}</li>")
    if not items:
        return '<p class="pass">✓ No contradicted number and no failed structure rule.</p>'
    return f'<h3>Problems</h3><ul class="problems">{"".join(items)}</ul>'


def sample_html(sample: Sample, prefix: str) -> str:
    """One sample: problems, structure rules, model calls, the annotated report and all its numbers."""
    marks: dict[int, str] = {}

    def mark(i: int, inner: str) -> str:
        marks[i] = f"{prefix}-n{i}"
        return _mark(sample.numbers[i], inner, marks[i])

    shown = [{} if n.get("kind") in NUMBERING else n for n in sample.numbers]
    rendered = render_markdown(sample.markdown, shown, mark, heading_offset=3)
    unplaced = set(rendered.unplaced)
    return (f"{_problems(sample, prefix, unplaced)}{_rules(sample)}{_calls(sample)}"
            f"<h3>Report</h3><p>Numbers: {_counts_line(sample)}. Hover over or focus (Tab) a number to see why."
            f'</p><div class="report-body">{rendered.html}</div>{_numbers_table(sample, prefix, unplaced)}')


def _samples_summary(view: ReportView) -> str:
    passed, total = view.pass_rate()
    flipping = ", ".join(view.flipping_rules()) or "none"
    rows = "".join(
        f'<tr><th scope="row">{k + 1}</th><td>{"✓ passed" if s.ok else "✗ failed"}</td>'
        + "".join(f'<td class="n">{s.counts()[v]}</td>' for v in VERDICTS[:3])
        + f'<td class="n">{len(s.rules_failed) if s.rules is not None else "-"}</td>'
        f'<td class="n">{fmt(s.metrics.get("ttft_ms"))}</td><td class="n">{fmt(s.metrics.get("tokens_per_s"))}</td>'
        "</tr>"
        for k, s in enumerate(view.samples))
    return (f"<h3>Samples</h3><p>Pass rate: {passed} of {total} ({passed / total:.0%}); the verdict flipped "
            f"{view.flips()} time(s) between consecutive samples; rules that flip: {escape(flipping)}.</p>"
            '<table><thead><tr><th scope="col">sample</th><th scope="col">verdict</th><th scope="col">supported'
            '</th><th scope="col">contradicted</th><th scope="col">unverified</th><th scope="col">rules failed</th>'
            f'<th scope="col">TTFT ms</th><th scope="col">tokens/s</th></tr></thead><tbody>{rows}</tbody></table>')


def _outcome(view: ReportView) -> str:
    if view.outcome is None:
        return '<span class="note">not known</span>'
    return f"{OUTCOME_ICONS.get(view.outcome, '')} {escape(view.outcome)}"


def section_html(view: ReportView, anchor: str, regressions: Sequence[Row] = ()) -> str:
    """A test's section (also the content of its pytest-html extra)."""
    failing = "true" if view.has_failures(len(regressions)) else "false"
    who = escape(f"{view.agent_name or 'agent'} (persona {view.persona or '?'}), {view.backend} {view.model}")
    parts = [f'<section class="card chimera-report" id="{anchor}" data-failing="{failing}" '
             f'aria-labelledby="{anchor}-h"><h2 id="{anchor}-h">{escape(view.test)}</h2>',
             f'<p class="meta">Outcome: {_outcome(view)} · {who} · data: {escape(view.source)}</p>']
    parts.extend(f'<p class="note">Note: {escape(n)}</p>' for n in view.notes)
    if regressions:
        items = "".join(f"<li>{escape(r.metric)}: {fmt(r.baseline)} → {fmt(r.current)} broke rule "
                        f"{escape(str(r.rule))}</li>" for r in regressions)
        parts.append(f'<p class="fail">✗ Regressions against the baseline:</p><ul>{items}</ul>')
    if len(view.samples) > 1:
        parts.append(_samples_summary(view))
        for k, sample in enumerate(view.samples):
            state = "passed" if sample.ok else "failed"
            parts.append(f"<details{' open' if k == 0 else ''}><summary>Sample {k + 1} ({state})</summary>"
                         f"{sample_html(sample, f'{anchor}-s{k}')}</details>")
    elif view.samples:
        parts.append(sample_html(view.samples[0], f"{anchor}-s0"))
    parts.append("</section>")
    return "".join(parts)


def fragment(view: ReportView) -> str:
    """A test's annotated report for a pytest-html extra: its section with the style it needs."""
    return f"<div><style>{assets.REPORT_CSS}</style>{section_html(view, 'chimera-' + _anchor_id(view.test))}</div>"


def _anchor_id(test: str) -> str:
    return sanitize_test_id(test).replace(".", "-")


# ---- the page --------------------------------------------------------------------------------------------------


def regressions_of(view: ReportView, comparison: Comparison | None) -> list[Row]:
    """The comparison's regressions of this test (matched by test id, or by its run file's name)."""
    if comparison is None:
        return []
    names = {view.test, Path(view.source).stem}
    return [r for r in comparison.regressions if r.test in names or sanitize_test_id(r.test) in names]


def _breakable(test: str) -> str:
    """A test id that may wrap after ``/`` and ``::``."""
    return escape(test).replace("::", "::<wbr>").replace("/", "/<wbr>")


def _median_metric(view: ReportView, key: str) -> float | None:
    values = sorted(v for s in view.samples if (v := s.metrics.get(key)) is not None)
    return values[len(values) // 2] if values else None


def _summary(page: Page, anchors: list[str]) -> str:
    head = ("test", "outcome", "rules passed", "supported", "contra&shy;dicted", "unverified", "not checked",
            "regres&shy;sions", "samples passed", "TTFT ms", "tok/s")
    rows = []
    for view, anchor in zip(page.tests, anchors, strict=True):
        regressions = regressions_of(view, page.comparison)
        failing = view.has_failures(len(regressions))
        structure = view.structure()
        counts = [fmt(view.median_count(v), 1) for v in VERDICTS]
        passed, total = view.pass_rate()
        ttft = fmt(_median_metric(view, "ttft_ms")) + (" (replayed)" if view.replayed else "")
        cells = [
            f'<th scope="row"><a href="#{anchor}">{_breakable(view.test)}</a></th>',
            f"<td>{_outcome(view)}</td>",
            f'<td class="n">{"-" if structure is None else f"{structure[0]}/{structure[1]}"}</td>',
            *(f'<td class="n">{c}</td>' for c in counts[:1]),
            f'<td class="n">{"✗ " if counts[1] != "0" else ""}{counts[1]}</td>',
            *(f'<td class="n">{c}</td>' for c in counts[2:]),
            f'<td class="n">{"✗ " + str(len(regressions)) if regressions else "0"}</td>',
            f'<td class="n">{passed}/{total}</td>',
            f'<td class="n">{ttft}</td><td class="n">{fmt(_median_metric(view, "tokens_per_s"))}</td>',
        ]
        marked = ' data-failing="true" class="failing"' if failing else ' data-failing="false"'
        rows.append(f"<tr{marked}>{''.join(cells)}</tr>")
    n_failing = sum('data-failing="true"' in r for r in rows)
    header = "".join(f'<th scope="col">{h}</th>' for h in head)
    return (
        '<section class="card" id="summary" aria-labelledby="summary-h"><h2 id="summary-h">Summary</h2>'
        f"<p>{len(page.tests)} report test(s), {n_failing} with failures (a failed test, a contradicted number, "
        "a failed structure rule, a sample that did not pass, or a regression). Counts are medians over "
        "samples.</p>"
        '<p class="filter"><label><input type="checkbox" id="only-failures">Show only tests with failures'
        '</label></p><p id="filter-status" role="status" aria-live="polite">Showing all '
        f"{len(page.tests)} tests.</p>"
        '<div class="scroll"><table class="summary" id="summary-table"><caption class="vh">Report tests and their '
        f"verdicts</caption><thead><tr>{header}</tr></thead><tbody>{''.join(rows)}</tbody></table></div></section>"
    )


def _verdict_cell(row: Row) -> str:
    badge = VERDICT_BADGES.get(row.verdict)
    text = f'<span class="badge {badge[0]}">{badge[1]}</span>' if badge else escape(row.verdict)
    if row.verdict == "regression":
        text += f" broke rule {escape(str(row.rule))}"
    return text


def _change(row: Row) -> str:
    if row.change_pct is None and row.baseline is not None and row.current is not None:
        return f"{row.current - row.baseline:+g}"
    return "n/a" if row.change_pct is None else f"{row.change_pct:+.1f}%"


def _row_class(row: Row) -> str:
    return ' class="regression"' if row.verdict == "regression" else ""


def comparison_html(comparison: Comparison | None, note: str) -> str:
    """The comparison with the baseline: per test, each metric's change, p value and verdict."""
    out = ['<section class="card" id="comparison" aria-labelledby="comparison-h">'
           '<h2 id="comparison-h">Comparison with the baseline</h2>']
    if note:
        out.append(f"<p>{escape(note)}</p>")
    if comparison is None:
        return "".join(out) + "</section>"
    out.append(f"<p>Baseline: {escape(comparison.baseline)}; current: {escape(comparison.current)}. "
               f"<b>{len(comparison.regressions)} regression(s)</b>.</p>")
    if comparison.refused:
        items = "".join(f"<li>{escape(d)}</li>" for d in comparison.refused)
        out.append(f'<p class="fail">✗ Refused to compare: the runs differ in identity.</p><ul>{items}</ul>')
    by_test: dict[str, list[Row]] = {}
    for row in comparison.rows:
        by_test.setdefault(row.test, []).append(row)
    head = "".join(f'<th scope="col">{h}</th>' for h in ("metric", "baseline", "current", "change",
                                                         "p value (Mann-Whitney U)", "verdict"))
    for test, rows in by_test.items():
        body = "".join(
            f'<tr{_row_class(r)}><th scope="row">{escape(r.metric)}</th>'
            f'<td class="n">{fmt(r.baseline)}</td><td class="n">{fmt(r.current)}</td>'
            f'<td class="n">{_change(r)}</td><td class="n">{"-" if r.p_value is None else f"{r.p_value:.4g}"}</td>'
            f"<td>{_verdict_cell(r)}</td></tr>" for r in rows)
        out.append(f'<h3>{escape(test)}</h3><table class="compare"><thead><tr>{head}</tr></thead>'
                   f"<tbody>{body}</tbody></table>")
    if comparison.warnings:
        out.append("<ul>" + "".join(f'<li class="note">{escape(w)}</li>' for w in comparison.warnings) + "</ul>")
    return "".join(out) + "</section>"


def trends_html(page: Page) -> str:
    """Trend charts of the main metrics over the saved runs, each with its numbers in a table."""
    runs = page.trend
    out = ['<section class="card" id="trends" aria-labelledby="trends-h"><h2 id="trends-h">Trends</h2>']
    if len(runs) < 2:
        out.append(f"<p>Trend charts need at least two saved benchmark runs; this page has {len(runs)}.</p>")
        return "".join(out) + "</section>"
    tests = sorted({t for r in runs for t in r.tests})
    metrics = [m for m in TREND_METRICS if any(m in r.tests[t].per_round for r in runs for t in r.tests)]
    legend = "".join(f"<li>{svg.legend_swatch(k)}{escape(t)}</li>" for k, t in enumerate(tests))
    out.append(f"<p>Medians of {len(runs)} saved runs, oldest (#1) first: "
               + escape(", ".join(f"#{i + 1} {r.label}" for i, r in enumerate(runs)))
               + f'.</p><ul class="legend" aria-label="tests">{legend}</ul><div class="charts">')
    for k, metric in enumerate(metrics):
        better = {1: "higher is better", -1: "lower is better"}.get(DIRECTION.get(metric, 0), "")
        out.append(f"<figure><figcaption>{escape(metric)} <span class=\"note\">({better})</span></figcaption>"
                   f"{svg.chart(runs, metric, tests, f'chart-{k}')}<details><summary>{escape(metric)} as a table"
                   f"</summary>{svg.table(runs, metric, tests)}</details></figure>")
    return "".join(out) + "</div></section>"


def _legend() -> str:
    items = "".join(f'<li><span class="num v-{slug(v)}">12.3<span class="icon" aria-hidden="true">{ICONS[v]}'
                    f"</span></span> {v}</li>" for v in VERDICTS)
    return f'<ul class="legend" aria-label="how numbers are marked">{items}</ul>'


def build_page(page: Page) -> str:
    """The whole self-contained HTML document."""
    anchors = [f"test-{k + 1}" for k in range(len(page.tests))]
    style, script = assets.page_css(), assets.SCRIPT
    notes = "".join(f"<li>{escape(n)}</li>" for n in page.notes)
    sections = "".join(section_html(view, anchor, regressions_of(view, page.comparison))
                       for view, anchor in zip(page.tests, anchors, strict=True))
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_attr(assets.csp(style, script))}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="referrer" content="no-referrer"><title>{escape(page.title)}</title>'
        f"<style>{style}</style></head><body>"
        '<a class="skip" href="#summary">Skip to the summary</a><main>'
        f'<h1>{escape(page.title)}</h1><p class="meta">Generated {escape(page.generated)} by pytest-chimera. '
        "Each number of a report is marked by its verdict against the corpus facts:</p>"
        f"{_legend()}"
        + (f'<div class="card" role="note"><h2>Input notes</h2><ul>{notes}</ul></div>' if notes else "")
        + _summary(page, anchors)
        + comparison_html(page.comparison, page.comparison_note)
        + trends_html(page)
        + sections
        + f"</main><script>{script}</script></body></html>\n"
    )
