"""Saved runs across commits: direction-aware, noise-aware gates on chimera metrics.

Reads pytest-benchmark JSON files (or the in-memory results of the current session), extracts the
``extra_info["chimera"]`` block that :mod:`pytest_chimera.plugin.capture` stores, and compares a baseline run with
a current one under rules such as ``tokens_per_s:-10%,ttft_ms:+20%,contradicted:+0``.

Statistics: with at least :data:`MIN_ROUNDS` rounds on each side a timing regression needs both the
threshold (on medians) and a one-sided Mann-Whitney U test, p < :data:`ALPHA`; with fewer rounds the
threshold on medians decides alone and the row carries a thin-evidence warning. Quality counts compare
exactly (medians over rounds, no test). Improvements never fail. Pure standard library; rules, statistics,
saved runs and rendering live beside this module.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pytest_chimera.gating.rules import DIRECTION, QUALITY_METRICS, TIMING_METRICS, Rule
from pytest_chimera.gating.saved import SavedRun, TestMetrics, identity_differences
from pytest_chimera.gating.stats import ALPHA, MIN_ROUNDS, mann_whitney_greater

# In order of severity. "worse" is informational: a metric without a rule moved the bad way.
VERDICTS = ("improved", "ok", "worse", "not significant", "regression")



def change_pct(baseline: float, current: float) -> float | None:
    """Relative change in percent; None when the baseline is 0 (and the values differ)."""
    if baseline == current:
        return 0.0
    if baseline == 0:
        return None
    return (current - baseline) / abs(baseline) * 100


def judge(rule: Rule | None, metric: str, baseline: float, current: float, p_value: float | None) -> str:
    """The verdict of one metric: ``improved``, ``ok``, ``worse``, ``not significant`` or ``regression``.

    Only ``regression`` fails. ``worse`` marks a metric without a rule that moved the bad way (with
    p < ALPHA where a test applies). ``p_value`` None means no test applies (quality counts, or thin
    evidence): the threshold decides alone.
    """
    if rule is not None and rule.exceeded(baseline, current):
        if p_value is None or p_value < ALPHA:
            return "regression"
        return "not significant"
    direction = DIRECTION.get(metric, 0)
    moved = direction * (current - baseline)
    if moved < 0 and rule is None and (p_value is None or p_value < ALPHA):
        return "worse"
    if direction == 0 or moved <= 0:
        return "ok"
    if rule is None:
        return "improved"
    mirror = Rule(metric, -rule.sign, rule.amount, rule.percent)
    return "improved" if mirror.exceeded(baseline, current) else "ok"


@dataclass(frozen=True)
class Row:
    """One metric of one test, baseline against current."""

    test: str
    metric: str
    baseline: float | None
    current: float | None
    change_pct: float | None
    verdict: str
    p_value: float | None
    rule: str | None = None
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "test": self.test,
            "metric": self.metric,
            "baseline": self.baseline,
            "current": self.current,
            "change_pct": self.change_pct,
            "verdict": self.verdict,
            "p_value": self.p_value,
            "rule": self.rule,
        }


@dataclass
class Comparison:
    """Rows of a baseline-vs-current comparison, with warnings and the identity refusal if any."""

    baseline: str
    current: str
    rows: list[Row] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    @property
    def regressions(self) -> list[Row]:
        return [r for r in self.rows if r.verdict == "regression"]

    def to_json(self) -> dict[str, Any]:
        return {"rows": [r.to_json() for r in self.rows], "regressions": len(self.regressions)}


def compare_test(
    name: str, base: TestMetrics, cur: TestMetrics, rules: Mapping[str, Rule]
) -> tuple[list[Row], list[str]]:
    """Rows for every metric both sides carry; warnings for thin evidence and replayed timings."""
    rows: list[Row] = []
    warnings: list[str] = []
    thin = False
    for metric in (*TIMING_METRICS, *QUALITY_METRICS):
        b_values, c_values = base.per_round.get(metric), cur.per_round.get(metric)
        if not b_values or not c_values:
            continue
        b_med, c_med = statistics.median(b_values), statistics.median(c_values)
        rule = rules.get(metric)
        p_value: float | None = None
        note = ""
        if metric in TIMING_METRICS:
            if len(b_values) >= MIN_ROUNDS and len(c_values) >= MIN_ROUNDS:
                sign = rule.sign if rule else (-DIRECTION[metric] or 1)
                worse, better = (c_values, b_values) if sign > 0 else (b_values, c_values)
                test = mann_whitney_greater(worse, better)
                p_value = test.p_value
                note = f"Mann-Whitney U ({test.method}, one-sided), p={p_value:.4g}"
            else:
                thin = True
                note = f"thin evidence: {len(b_values)} vs {len(c_values)} rounds, medians only"
        rows.append(
            Row(
                test=name,
                metric=metric,
                baseline=b_med,
                current=c_med,
                change_pct=change_pct(b_med, c_med),
                verdict=judge(rule, metric, b_med, c_med, p_value),
                p_value=p_value,
                rule=str(rule) if rule else None,
                note=note,
            )
        )
    if thin:
        warnings.append(
            f"{name}: fewer than {MIN_ROUNDS} rounds on a side; timing verdicts use the threshold on medians "
            f"alone, the evidence is thin (set rounds>={MIN_ROUNDS} for a Mann-Whitney U test)"
        )
    for label, side in (("baseline", base), ("current", cur)):
        if side.replayed:
            warnings.append(f"{name}: the {label} run was replayed from a cassette; only quality is compared")
    return rows, warnings


def compare_runs(
    baseline: SavedRun, current: SavedRun, rules: Mapping[str, Rule], *, compare_any: bool = False
) -> Comparison:
    """Compare every test both runs carry; refuses (``refused`` set, no rows) on an identity mismatch."""
    result = Comparison(baseline=baseline.source, current=current.source)
    diffs = identity_differences(baseline, current)
    if diffs and not compare_any:
        result.refused = diffs
        return result
    if diffs:
        result.warnings.append("compared despite different identity (--compare-any): " + "; ".join(diffs))
    for name in sorted(set(baseline.tests) | set(current.tests)):
        if name not in baseline.tests:
            result.warnings.append(f"{name}: new test, no baseline to compare with")
            continue
        if name not in current.tests:
            result.warnings.append(f"{name}: in the baseline but not in the current run")
            continue
        rows, warnings = compare_test(name, baseline.tests[name], current.tests[name], rules)
        result.rows.extend(rows)
        result.warnings.extend(warnings)
    return result
