"""Saved runs across commits: direction-aware, noise-aware gates on chimera metrics.

Compares a baseline run with a current one (chimera run records, pytest-benchmark files, or the current
session) under rules such as ``tokens_per_s:-10%,ttft_ms:+20%,contradicted:+0``.

Statistics, with at least :data:`MIN_ROUNDS` values on each side (else the threshold decides alone):

- timings: the threshold on medians **and** a one-sided Mann-Whitney U test, p < :data:`ALPHA`;
- quality counts per checked run (supported, contradicted, ...): the threshold on medians **and** a one-sided
  Mann-Whitney U test with its exact permutation distribution, ties included (counts tie all the time, and
  samples are small, where the normal approximation is poor);
- pass rate (the share of samples whose test passed): the threshold on the rate **and** a one-sided Fisher's
  exact test on the pass/fail counts (exact for any sample size);
- structure rules: a rule failing in a larger share of runs than before is a regression of
  ``structure_failed`` (Fisher's exact test on the failing counts, with enough runs).

A non-finite value (NaN, Infinity) is a failure to measure, never a pass. A comparison that compares nothing
says why in ``empty``; the gate fails on it unless told otherwise. Improvements never fail.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pytest_chimera.gating.identity import identity_differences, identity_notes
from pytest_chimera.gating.rules import DIRECTION, QUALITY_METRICS, SAMPLE_METRICS, TIMING_METRICS, Rule
from pytest_chimera.gating.saved import SavedRun, TestMetrics
from pytest_chimera.gating.stats import ALPHA, MIN_ROUNDS, exact_greater, fisher_fewer, mann_whitney_greater

# In order of severity. "not compared": one side has no value (its backend could not measure the metric).
# "worse" is informational: a metric without a rule moved the bad way. "regression"
# and "not measured" (a non-finite value: the measurement failed) fail the gate.
VERDICTS = ("not compared", "improved", "ok", "worse", "not significant", "regression", "not measured")
FAILING = frozenset({"regression", "not measured"})



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
    empty: list[str] = field(default_factory=list)  # why nothing (or a rule) compared nothing

    @property
    def regressions(self) -> list[Row]:
        return [r for r in self.rows if r.verdict == "regression"]

    @property
    def unmeasured(self) -> list[Row]:
        return [r for r in self.rows if r.verdict == "not measured"]

    @property
    def compared(self) -> list[Row]:
        """Rows with a verdict from both sides' values."""
        return [r for r in self.rows if r.verdict != "not compared"]

    @property
    def not_compared(self) -> list[Row]:
        """Rows of a metric only one side has (its backend could not measure it): no verdict, never a failure."""
        return [r for r in self.rows if r.verdict == "not compared"]

    @property
    def failures(self) -> list[Row]:
        """Rows that fail the gate: regressions and failures to measure."""
        return [r for r in self.rows if r.verdict in FAILING]

    def to_json(self) -> dict[str, Any]:
        return {"rows": [r.to_json() for r in self.rows], "regressions": len(self.regressions),
                "not_measured": len(self.unmeasured), "not_compared": len(self.not_compared),
                "refused": list(self.refused), "empty": list(self.empty)}


def _finite(values: list[float]) -> bool:
    return all(math.isfinite(v) for v in values)


def _unmeasured(name: str, metric: str, b_values: list[float], c_values: list[float], rule: Rule | None) -> Row:
    sides = [label for label, values in (("baseline", b_values), ("current", c_values)) if not _finite(values)]
    bad = sorted({str(v) for values in (b_values, c_values) for v in values if not math.isfinite(v)})
    b_med = statistics.median(b_values) if _finite(b_values) else math.nan
    c_med = statistics.median(c_values) if _finite(c_values) else math.nan
    return Row(test=name, metric=metric, baseline=b_med, current=c_med, change_pct=None, verdict="not measured",
               p_value=None, rule=str(rule) if rule else None,
               note=f"{' and '.join(sides)} {metric} holds {', '.join(bad)}: a failure to measure, not a value")


def _one_sided(name: str, metric: str, base: TestMetrics, cur: TestMetrics, rule: Rule | None) -> Row | None:
    """A "not compared" row where one side has the metric and the other has none; None where not worth a row.

    A side that measured no timings at all (xdist, replayed, --benchmark-disable) is said elsewhere: no row.
    """
    lacking = [(label, side) for label, side in (("baseline", base), ("current", cur)) if metric not in side.per_round]
    if len(lacking) != 1:
        return None
    label, side = lacking[0]
    if metric in TIMING_METRICS and not side.timings and metric not in side.missing:
        return None
    why = "its backend could not measure it" if metric in side.missing else "it holds no value"
    return Row(test=name, metric=metric, baseline=base.median(metric), current=cur.median(metric), change_pct=None,
               verdict="not compared", p_value=None, rule=str(rule) if rule else None,
               note=f"{metric} not compared: the {label} run has no value ({why})")


def _row(name: str, metric: str, base: float, cur: float, rule: Rule | None, p: float | None, note: str) -> Row:
    return Row(test=name, metric=metric, baseline=base, current=cur, change_pct=change_pct(base, cur),
               verdict=judge(rule, metric, base, cur, p), p_value=p, rule=str(rule) if rule else None, note=note)


def _worse_first(metric: str, rule: Rule | None, b_values: list[float], c_values: list[float]) -> tuple[
        list[float], list[float]]:
    """(values that would be worse, the others): current first when a rise is bad."""
    sign = rule.sign if rule else (-DIRECTION[metric] or 1)
    return (c_values, b_values) if sign > 0 else (b_values, c_values)


def _metric_rows(name: str, base: TestMetrics, cur: TestMetrics, rules: Mapping[str, Rule]) -> tuple[list[Row], bool]:
    """Rows of the per-round metrics both sides carry; True when a timing comparison had thin evidence."""
    rows: list[Row] = []
    thin = False
    for metric in (*TIMING_METRICS, *QUALITY_METRICS):
        b_values, c_values = base.per_round.get(metric), cur.per_round.get(metric)
        rule = rules.get(metric)
        if not b_values or not c_values:
            one_sided = _one_sided(name, metric, base, cur, rule)
            rows.extend([one_sided] if one_sided else [])
            continue
        if not (_finite(b_values) and _finite(c_values)):
            rows.append(_unmeasured(name, metric, b_values, c_values, rule))
            continue
        p_value: float | None = None
        enough = len(b_values) >= MIN_ROUNDS and len(c_values) >= MIN_ROUNDS
        worse, better = _worse_first(metric, rule, b_values, c_values)
        if metric in TIMING_METRICS and enough:
            test = mann_whitney_greater(worse, better)
            p_value, note = test.p_value, f"Mann-Whitney U ({test.method}, one-sided), p={test.p_value:.4g}"
        elif metric in TIMING_METRICS:
            thin = True
            note = f"thin evidence: {len(b_values)} vs {len(c_values)} rounds, medians only"
        elif enough:
            test = exact_greater(worse, better)
            p_value, note = test.p_value, f"Mann-Whitney U ({test.method}, one-sided), p={test.p_value:.4g}"
        else:
            note = f"{len(b_values)} vs {len(c_values)} checked runs: medians only"
        rows.append(_row(name, metric, statistics.median(b_values), statistics.median(c_values), rule, p_value, note))
    return rows, thin


def _sample_rows(name: str, base: TestMetrics, cur: TestMetrics, rules: Mapping[str, Rule]) -> list[Row]:
    """The pass rate over samples, with Fisher's exact test when both sides have enough samples."""
    if not base.verdicts or not cur.verdicts:
        return []
    metric = SAMPLE_METRICS[0]
    b_n, c_n, b_pass, c_pass = len(base.verdicts), len(cur.verdicts), sum(base.verdicts), sum(cur.verdicts)
    p_value: float | None = None
    note = f"{b_pass}/{b_n} vs {c_pass}/{c_n} samples passed"
    if b_n >= MIN_ROUNDS and c_n >= MIN_ROUNDS:
        p_value = fisher_fewer(b_pass, b_n, c_pass, c_n)
        note += f"; Fisher's exact test (one-sided), p={p_value:.4g}"
    return [_row(name, metric, b_pass / b_n, c_pass / c_n, rules.get(metric), p_value, note)]


def _structure_rows(name: str, base: TestMetrics, cur: TestMetrics, rules: Mapping[str, Rule]) -> list[Row]:
    """One row per structure rule whose failing share changed; a rise is a regression of structure_failed."""
    rule = rules.get("structure_failed")
    if not base.structure_failed or not cur.structure_failed:
        return []
    rows = []
    b_n, c_n = len(base.structure_failed), len(cur.structure_failed)
    for rule_id in sorted({r for runs in (base.structure_failed, cur.structure_failed) for f in runs for r in f}):
        b_fail = sum(rule_id in f for f in base.structure_failed)
        c_fail = sum(rule_id in f for f in cur.structure_failed)
        if b_fail / b_n == c_fail / c_n:
            continue
        p_value: float | None = None
        note = f"structure rule {rule_id!r} failed in {b_fail}/{b_n} vs {c_fail}/{c_n} runs"
        if b_n >= MIN_ROUNDS and c_n >= MIN_ROUNDS:
            p_value = fisher_fewer(b_n - b_fail, b_n, c_n - c_fail, c_n)
            note += f"; Fisher's exact test (one-sided), p={p_value:.4g}"
        risen = c_fail / c_n > b_fail / b_n
        verdict = "improved"
        if risen:
            verdict = "worse" if rule is None else ("regression" if p_value is None or p_value < ALPHA
                                                    else "not significant")
        rows.append(Row(test=name, metric=f"structure[{rule_id}]", baseline=b_fail / b_n, current=c_fail / c_n,
                        change_pct=change_pct(b_fail / b_n, c_fail / c_n), verdict=verdict, p_value=p_value,
                        rule=str(rule) if rule else None, note=note))
    return rows


def compare_test(
    name: str, base: TestMetrics, cur: TestMetrics, rules: Mapping[str, Rule]
) -> tuple[list[Row], list[str]]:
    """Rows for every metric both sides carry; warnings for thin evidence and replayed timings."""
    rows, thin = _metric_rows(name, base, cur, rules)
    rows += _sample_rows(name, base, cur, rules) + _structure_rows(name, base, cur, rules)
    warnings: list[str] = []
    if thin:
        warnings.append(
            f"{name}: fewer than {MIN_ROUNDS} rounds on a side; timing verdicts use the threshold on medians "
            f"alone, the evidence is thin (set rounds>={MIN_ROUNDS} for a Mann-Whitney U test)"
        )
    for label, side in (("baseline", base), ("current", cur)):
        if side.replayed:
            warnings.append(f"{name}: the {label} run was replayed from a cassette; only quality is compared")
    warnings.extend(f"{name}: {r.note}" for r in rows if r.verdict == "not compared")
    if not any(r.verdict != "not compared" for r in rows):
        warnings.append(f"{name}: nothing comparable (baseline has {_has(base)}; current has {_has(cur)})")
    return rows, warnings


def _has(test: TestMetrics) -> str:
    kinds = [k for k, present in (("timings", any(m in test.per_round for m in TIMING_METRICS)),
                                  ("quality", any(m in test.per_round for m in QUALITY_METRICS)),
                                  ("sample verdicts", bool(test.verdicts))) if present]
    return ", ".join(kinds) or "no metrics"


def _why_no_metric(metric: str, baseline: SavedRun, current: SavedRun, shared: list[str]) -> str:
    counts = []
    for label, run in (("baseline", baseline), ("current run", current)):
        having = sum(1 for n in shared if (metric in run.tests[n].per_round or
                                           (metric in SAMPLE_METRICS and run.tests[n].verdicts)))
        counts.append(f"{label}: {having} of {len(shared)} shared tests")
    why = "; ".join(counts)
    unmeasured = [label for label, run in (("baseline", baseline), ("current run", current))
                  if any(metric in run.tests[n].missing for n in shared)]
    if unmeasured:
        why += f"; the backend of the {' and the '.join(unmeasured)} could not measure {metric}, so it is not compared"
    if metric in TIMING_METRICS and not any(current.tests[n].timings for n in shared):
        why += ("; the current run measured no timings (pytest-xdist, --benchmark-disable, --benchmark-skip, "
                "replayed cassettes, or no benchmark): gate speed in a serial job that benchmarks")
    return why


def empty_reasons(baseline: SavedRun, current: SavedRun, rows: list[Row], rules: Mapping[str, Rule],
                  *, every_rule: bool) -> list[str]:
    """Why the comparison compared nothing, or (``every_rule``) which rules found nothing to compare."""
    shared = sorted(set(baseline.tests) & set(current.tests))
    if not baseline.tests or not current.tests:
        sides = [label for label, run in (("baseline", baseline), ("current run", current)) if not run.tests]
        return [f"nothing compared: the {' and the '.join(sides)} holds no chimera test "
                "(no chimera_report or capture_rounds test ran, or the file has no chimera data)"]
    if not shared:
        return [f"nothing compared: no test is in both runs (baseline {len(baseline.tests)} tests, current "
                f"{len(current.tests)} tests)"]
    rows = [r for r in rows if r.verdict != "not compared"]
    if not rows:
        return ["nothing compared: the shared tests have no metric on both sides"]
    if not every_rule:
        return []
    compared = {r.metric if not r.metric.startswith("structure[") else "structure_failed" for r in rows}
    return [f"rule {rule} compared nothing: {_why_no_metric(metric, baseline, current, shared)}"
            for metric, rule in rules.items() if metric not in compared]


def compare_runs(
    baseline: SavedRun, current: SavedRun, rules: Mapping[str, Rule], *, compare_any: bool = False,
    every_rule: bool = False,
) -> Comparison:
    """Compare every test both runs carry; refuses (``refused`` set, no rows) on an identity mismatch.

    ``empty`` says why when nothing was compared; with ``every_rule`` (rules the user gave explicitly) also
    each rule that had nothing to compare.
    """
    result = Comparison(baseline=baseline.source, current=current.source)
    diffs = identity_differences(baseline, current)
    if diffs and not compare_any:
        result.refused = diffs
        return result
    if diffs:
        result.warnings.append("compared despite different identity (--compare-any): " + "; ".join(diffs))
    result.warnings.extend(identity_notes(baseline, current))
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
    result.empty = empty_reasons(baseline, current, result.rows, rules, every_rule=every_rule)
    return result
