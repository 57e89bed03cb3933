"""Saved runs across commits: direction-aware, noise-aware gates on chimera metrics.

Reads pytest-benchmark JSON files (or the in-memory results of the current session), extracts the
``extra_info["chimera"]`` block that :mod:`pytest_chimera.bench` stores, and compares a baseline run with
a current one under rules such as ``tokens_per_s:-10%,ttft_ms:+20%,contradicted:+0``.

Statistics: with at least :data:`MIN_ROUNDS` rounds on each side a timing regression needs both the
threshold (on medians) and a one-sided Mann-Whitney U test, p < :data:`ALPHA`; with fewer rounds the
threshold on medians decides alone and the row carries a thin-evidence warning. Quality counts compare
exactly (medians over rounds, no test). Improvements never fail. Pure standard library.
"""

from __future__ import annotations

import json
import math
import os
import statistics
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

ALPHA = 0.01
MIN_ROUNDS = 6

# +1: higher is better; -1: lower is better; 0: neither (reported, gated only by an explicit rule).
DIRECTION: dict[str, int] = {
    "ttft_ms": -1,
    "tokens_per_s": +1,
    "prompt_eval_ms": -1,
    "eval_ms": -1,
    "load_ms": -1,
    "total_ms": -1,
    "eval_count": 0,
    "supported": +1,
    "contradicted": -1,
    "unverified": -1,
    "structure_failed": -1,
}
TIMING_METRICS = ("ttft_ms", "tokens_per_s", "prompt_eval_ms", "eval_ms", "load_ms", "total_ms", "eval_count")
QUALITY_METRICS = ("supported", "contradicted", "unverified", "structure_failed")
DEFAULT_RULES = "tokens_per_s:-10%,ttft_ms:+20%,contradicted:+0,structure_failed:+0"

# In order of severity. "worse" is informational: a metric without a rule moved the bad way.
VERDICTS = ("improved", "ok", "worse", "not significant", "regression")


class RuleError(ValueError):
    """A ``--fail-on`` rule that cannot be parsed; the message names the rule and what to write."""


class RunFileError(ValueError):
    """A saved run that cannot be read: the message names the file and the reason."""

    def __init__(self, path: Path | str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason


class IdentityMismatch(ValueError):
    """Baseline and current run were made with different backend, model, model file or machine."""


# --------------------------------------------------------------------------------------------- rules


@dataclass(frozen=True)
class Rule:
    """``metric:±amount[%]``: the change of the metric's median, in ``sign``'s direction, that fails."""

    metric: str
    sign: int  # +1: a rise beyond amount fails; -1: a fall beyond amount fails
    amount: float
    percent: bool

    def __str__(self) -> str:
        amount = f"{self.amount:g}"
        return f"{self.metric}:{'+' if self.sign > 0 else '-'}{amount}{'%' if self.percent else ''}"

    def exceeded(self, baseline: float, current: float) -> bool:
        """True when ``current`` moved from ``baseline`` in the failing direction by more than the amount."""
        bad = self.sign * (current - baseline)
        if bad <= 0:
            return False
        if not self.percent:
            return bad > self.amount
        if baseline == 0:
            return True
        return bad / abs(baseline) * 100 > self.amount


def parse_rules(text: str) -> dict[str, Rule]:
    """Parse ``"tokens_per_s:-10%,ttft_ms:+20%,contradicted:+0"`` into rules keyed by metric.

    The sign must point the metric's bad way (tokens/s falling, TTFT rising); an empty text means no rules.
    """
    rules: dict[str, Rule] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        metric, sep, spec = part.partition(":")
        metric, spec = metric.strip(), spec.strip().replace(" ", "")
        if not sep or not metric or not spec:
            raise RuleError(f"rule {part!r}: expected METRIC:+N%, METRIC:-N% or METRIC:+N (e.g. ttft_ms:+20%)")
        if metric not in DIRECTION:
            raise RuleError(f"rule {part!r}: unknown metric {metric!r}; known: {', '.join(DIRECTION)}")
        if spec[0] not in "+-":
            raise RuleError(f"rule {part!r}: the change needs a sign, + (a rise fails) or - (a fall fails)")
        sign = 1 if spec[0] == "+" else -1
        percent = spec.endswith("%")
        number = spec[1:-1] if percent else spec[1:]
        try:
            amount = float(number)
        except ValueError:
            raise RuleError(f"rule {part!r}: {number!r} is not a number") from None
        if not math.isfinite(amount) or amount < 0:
            raise RuleError(f"rule {part!r}: the amount must be a finite number >= 0")
        direction = DIRECTION[metric]
        if direction and sign == direction:
            good = "higher" if direction > 0 else "lower"
            bad_sign = "-" if direction > 0 else "+"
            raise RuleError(
                f"rule {part!r}: {good} {metric} is better, so only a {'fall' if direction > 0 else 'rise'} "
                f"can fail; write {metric}:{bad_sign}{number}{'%' if percent else ''}"
            )
        rules[metric] = Rule(metric, sign, amount, percent)
    return rules


# ---------------------------------------------------------------------------------------- statistics


def summarize(values: Sequence[float]) -> dict[str, float]:
    """median, mean, p90 (linear interpolation), stddev (sample), min, max of a non-empty sequence."""
    data = sorted(float(v) for v in values)
    if not data:
        raise ValueError("summarize needs at least one value")
    pos = 0.9 * (len(data) - 1)
    low = math.floor(pos)
    high = min(low + 1, len(data) - 1)
    p90 = data[low] + (data[high] - data[low]) * (pos - low)
    return {
        "median": statistics.median(data),
        "mean": statistics.fmean(data),
        "p90": p90,
        "stddev": statistics.stdev(data) if len(data) > 1 else 0.0,
        "min": data[0],
        "max": data[-1],
    }


@lru_cache(maxsize=256)
def _u_counts(n1: int, n2: int) -> tuple[int, ...]:
    """Number of orderings of n1 x's and n2 y's (no ties) giving each value of U_x, 0..n1*n2."""
    # f[i][j][u]: built row by row; the last element is either an x (adds j to U_x) or a y.
    prev: list[list[int]] = [[1] for _ in range(n2 + 1)]  # i = 0: U = 0 whatever j
    for i in range(1, n1 + 1):
        row: list[list[int]] = [[1]]  # j = 0: U = 0
        for j in range(1, n2 + 1):
            size = i * j + 1
            counts = [0] * size
            with_x = prev[j]  # last is x, greater than all j y's: U += j
            for u, c in enumerate(with_x):
                counts[u + j] += c
            for u, c in enumerate(row[j - 1]):  # last is y: U unchanged
                counts[u] += c
            row.append(counts)
        prev = row
    return tuple(prev[n2])


@dataclass(frozen=True)
class MannWhitney:
    """A one-sided Mann-Whitney U test of "x tends to be greater than y"."""

    u: float  # U of x: pairs with x > y, plus half the ties
    p_value: float
    method: str  # "exact" or "normal" (normal approximation with tie and continuity correction)


def mann_whitney_greater(x: Sequence[float], y: Sequence[float]) -> MannWhitney:
    """One-sided Mann-Whitney U test, alternative: x is stochastically greater than y.

    Exact null distribution when there are no ties and n1 + n2 <= 40, else the normal approximation
    with tie correction and a continuity correction of 0.5.
    """
    n1, n2 = len(x), len(y)
    if n1 == 0 or n2 == 0:
        raise ValueError("Mann-Whitney U needs at least one value on each side")
    pooled = sorted([(float(v), 0) for v in x] + [(float(v), 1) for v in y])
    n = n1 + n2
    rank_sum_x = 0.0
    tie_term = 0.0
    i = 0
    while i < n:
        j = i
        while j + 1 < n and pooled[j + 1][0] == pooled[i][0]:
            j += 1
        mid_rank = (i + j) / 2 + 1
        t = j - i + 1
        tie_term += t**3 - t
        rank_sum_x += mid_rank * sum(1 for k in range(i, j + 1) if pooled[k][1] == 0)
        i = j + 1
    u = rank_sum_x - n1 * (n1 + 1) / 2
    if tie_term == 0 and n <= 40:
        counts = _u_counts(n1, n2)
        total = sum(counts)
        at_least = sum(counts[math.ceil(u) :])
        return MannWhitney(u, at_least / total, "exact")
    mean = n1 * n2 / 2
    variance = n1 * n2 / 12 * ((n + 1) - tie_term / (n * (n - 1)))
    if variance <= 0:
        return MannWhitney(u, 1.0, "normal")
    z = (u - mean - 0.5) / math.sqrt(variance)
    return MannWhitney(u, 0.5 * math.erfc(z / math.sqrt(2)), "normal")


# -------------------------------------------------------------------------------------- saved runs


@dataclass(frozen=True)
class TestMetrics:
    """The chimera block of one benchmarked test: per-round values and identity."""

    test: str
    backend: str
    model: str
    replayed: bool
    per_round: dict[str, list[float]]

    def median(self, metric: str) -> float | None:
        values = self.per_round.get(metric)
        return statistics.median(values) if values else None


@dataclass
class SavedRun:
    """One pytest-benchmark file (or the current session) reduced to what the gates need."""

    source: str
    machine_info: dict[str, Any] = field(default_factory=dict)
    commit_info: dict[str, Any] = field(default_factory=dict)
    datetime: str = ""
    tests: dict[str, TestMetrics] = field(default_factory=dict)

    @property
    def label(self) -> str:
        commit = str(self.commit_info.get("id") or "")[:10]
        return f"{commit or Path(self.source).stem} {self.datetime[:19]}".strip()


_NUMBER_TYPES = frozenset({int, float})  # exact JSON number types (bool is not a number here)


def tests_from_benchmarks(benchmarks: Iterable[Mapping[str, Any]], source: str) -> dict[str, TestMetrics]:
    """Chimera metrics of each benchmark entry that carries an ``extra_info["chimera"]`` block."""
    tests: dict[str, TestMetrics] = {}
    for bench in benchmarks:
        if not isinstance(bench, Mapping):
            raise RunFileError(source, "an entry of 'benchmarks' is not an object")
        info = bench.get("extra_info") or {}
        block = info.get("chimera") if isinstance(info, Mapping) else None
        if not isinstance(block, Mapping):
            continue
        name = str(bench.get("fullname") or bench.get("name") or "?")
        per_round = block.get("per_round")
        if not isinstance(per_round, Mapping):
            raise RunFileError(source, f"test {name}: extra_info.chimera.per_round is missing or not an object")
        clean: dict[str, list[float]] = {}
        for metric, values in per_round.items():
            if not isinstance(values, list) or not all(map(_NUMBER_TYPES.__contains__, map(type, values))):
                raise RunFileError(source, f"test {name}: per_round.{metric} is not a list of numbers")
            clean[str(metric)] = list(map(float, values))
        tests[name] = TestMetrics(
            test=name,
            backend=str(block.get("backend", "")),
            model=str(block.get("model", "")),
            replayed=bool(block.get("replayed", False)),
            per_round=clean,
        )
    return tests


def run_from_json(data: Any, source: str) -> SavedRun:
    """A SavedRun from parsed pytest-benchmark JSON; raises RunFileError for a foreign shape."""
    if not isinstance(data, Mapping):
        raise RunFileError(source, "not a pytest-benchmark file (top level is not an object)")
    benchmarks = data.get("benchmarks")
    if not isinstance(benchmarks, list):
        raise RunFileError(source, "not a pytest-benchmark file (no 'benchmarks' list)")
    machine = data.get("machine_info")
    commit = data.get("commit_info")
    return SavedRun(
        source=source,
        machine_info=dict(machine) if isinstance(machine, Mapping) else {},
        commit_info=dict(commit) if isinstance(commit, Mapping) else {},
        datetime=str(data.get("datetime", "")),
        tests=tests_from_benchmarks(benchmarks, source),
    )


def load_run(path: Path | str) -> SavedRun:
    """Read one saved pytest-benchmark JSON file; raises RunFileError naming the file and the reason."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RunFileError(path, f"cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise RunFileError(path, "not UTF-8 text") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RunFileError(path, f"invalid JSON (truncated or corrupt) at line {exc.lineno}: {exc.msg}") from None
    return run_from_json(data, str(path))


def load_runs(paths: Iterable[Path | str]) -> tuple[list[SavedRun], list[RunFileError]]:
    """Read many files; each bad one is returned as an error and skipped, the others still load."""
    runs: list[SavedRun] = []
    errors: list[RunFileError] = []
    for path in paths:
        try:
            runs.append(load_run(path))
        except RunFileError as exc:
            errors.append(exc)
    return runs, errors


def saved_files(storage: Path, machine_id: str | None = None) -> list[Path]:
    """pytest-benchmark's numbered files (``NNNN_*.json``) in ``storage/machine_id``, oldest first."""
    folder = storage / machine_id if machine_id else storage
    if not folder.is_dir():
        return []
    return sorted(
        (p for p in folder.glob("[0-9][0-9][0-9][0-9]_*.json") if p.is_file()), key=lambda p: p.name
    )


def pick_baseline(choice: str, storage: Path, machine_id: str | None) -> Path | None:
    """The saved file chosen by ``latest``, a run number (``3`` or ``0003``) or a path; None if absent."""
    if choice not in ("latest",) and not choice.isdigit():
        path = Path(choice)
        return path if path.is_file() else None
    files = saved_files(storage, machine_id)
    if choice == "latest":
        return files[-1] if files else None
    number = int(choice)
    for path in files:
        if int(path.name[:4]) == number:
            return path
    return None


# ------------------------------------------------------------------------------------------ identity

_MACHINE_KEYS = ("system", "machine")
_CPU_KEYS = ("brand_raw", "count")


def identity(run: SavedRun) -> dict[str, Any]:
    """What must match for two runs' timings to be comparable: machine and each backend's model file.

    The host name is left out on purpose: ephemeral CI runners of one kind differ only in it.
    """
    info = run.machine_info
    cpu_info, chimera_info = info.get("cpu"), info.get("chimera")
    cpu: Mapping[str, Any] = cpu_info if isinstance(cpu_info, Mapping) else {}
    chimera: Mapping[str, Any] = chimera_info if isinstance(chimera_info, Mapping) else {}
    backends = chimera.get("backends", [])
    models = sorted(
        (
            str(b.get("backend", "")),
            str(b.get("model", "")),
            str(b.get("model_sha256") or b.get("ollama_digest") or ""),
            str(b.get("quantization") or ""),
        )
        for b in backends
        if isinstance(b, Mapping)
    )
    return {
        **{k: info.get(k) for k in _MACHINE_KEYS},
        **{f"cpu.{k}": cpu.get(k) for k in _CPU_KEYS},
        "accelerator": chimera.get("accelerator"),
        "models": models,
    }


def identity_differences(baseline: SavedRun, current: SavedRun) -> list[str]:
    """Human-readable differences in identity (machine, accelerator, model files, per-test backend/model)."""
    diffs = []
    base_id, cur_id = identity(baseline), identity(current)
    for key in base_id:
        if base_id[key] != cur_id[key] and base_id[key] is not None and cur_id[key] is not None:
            diffs.append(f"{key}: baseline {base_id[key]!r}, current {cur_id[key]!r}")
    for name in sorted(set(baseline.tests) & set(current.tests)):
        b, c = baseline.tests[name], current.tests[name]
        if (b.backend, b.model) != (c.backend, c.model):
            diffs.append(f"{name}: baseline {b.backend}/{b.model}, current {c.backend}/{c.model}")
    return diffs


# -------------------------------------------------------------------------------------------- verdict


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


# ------------------------------------------------------------------------------------------ rendering


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
    for row in comparison.regressions:
        why = f" ({row.note})" if row.note else ""
        lines.append(
            f"regression: {row.test} {row.metric} {_num(row.baseline)} -> {_num(row.current)} "
            f"({_change(row)}) broke rule {row.rule}{why}"
        )
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
        verdict = f"**{_verdict(r)}**" if r.verdict == "regression" else r.verdict
        test = r.test.replace("|", "\\|")
        out.append(f"| `{test}` | {r.metric} | {_num(r.baseline)} | {_num(r.current)} | {_change(r)} "
                   f"| {verdict} | {_p(r)} |")
    if comparison.warnings:
        out.append("")
        out.extend(f"> {w}" for w in comparison.warnings)
    out.append("")
    out.append(f"**{len(comparison.regressions)} regression(s)**")
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


# ------------------------------------------------------------------------------------------- writing


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, then rename it over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
