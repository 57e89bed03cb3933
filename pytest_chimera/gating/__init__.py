"""The merge gate's core, without pytest: saved runs, rules, statistics, comparison and rendering.

``from pytest_chimera import gating`` gives the names below; each lives in the submodule named beside it.
"""

from __future__ import annotations

from pytest_chimera.gating.compare import VERDICTS, Comparison, Row, change_pct, compare_runs, compare_test, judge
from pytest_chimera.gating.render import markdown, table_lines, trend_lines
from pytest_chimera.gating.rules import (
    DEFAULT_RULES,
    DIRECTION,
    QUALITY_METRICS,
    TIMING_METRICS,
    Rule,
    RuleError,
    parse_rules,
)
from pytest_chimera.gating.saved import (
    IdentityMismatch,
    RunFileError,
    SavedRun,
    TestMetrics,
    identity,
    identity_differences,
    load_run,
    load_runs,
    pick_baseline,
    run_from_json,
    saved_files,
    tests_from_benchmarks,
)
from pytest_chimera.gating.stats import ALPHA, MIN_ROUNDS, MannWhitney, mann_whitney_greater, summarize

__all__ = [
    "ALPHA", "DEFAULT_RULES", "DIRECTION", "MIN_ROUNDS", "QUALITY_METRICS", "TIMING_METRICS", "VERDICTS",
    "Comparison", "IdentityMismatch", "MannWhitney", "Row", "Rule", "RuleError", "RunFileError", "SavedRun",
    "TestMetrics", "change_pct", "compare_runs", "compare_test", "identity", "identity_differences", "judge",
    "load_run", "load_runs", "markdown", "mann_whitney_greater", "parse_rules", "pick_baseline", "run_from_json",
    "saved_files", "summarize", "table_lines", "tests_from_benchmarks", "trend_lines",
]
