"""The merge gate's core, without pytest: saved runs, rules, statistics, comparison and rendering.

``from pytest_chimera import gating`` gives the names below; each lives in the submodule named beside it.
"""

from __future__ import annotations

from pytest_chimera.gating.compare import (
    FAILING,
    VERDICTS,
    Comparison,
    Row,
    change_pct,
    compare_runs,
    compare_test,
    empty_reasons,
    judge,
)
from pytest_chimera.gating.identity import identity_differences, identity_notes, machine
from pytest_chimera.gating.render import markdown, table_lines, trend_lines
from pytest_chimera.gating.rules import (
    DEFAULT_RULES,
    DIRECTION,
    QUALITY_METRICS,
    SAMPLE_METRICS,
    TIMING_METRICS,
    Rule,
    RuleError,
    parse_rules,
)
from pytest_chimera.gating.saved import (
    RECORD_KEY,
    IdentityMismatch,
    RunFileError,
    SavedRun,
    TestMetrics,
    load_run,
    load_runs,
    pick_baseline,
    run_from_json,
    saved_files,
    tests_from_benchmarks,
)
from pytest_chimera.gating.stats import (
    ALPHA,
    MIN_ROUNDS,
    MannWhitney,
    exact_greater,
    fisher_fewer,
    mann_whitney_greater,
    summarize,
)

__all__ = [
    "ALPHA", "DEFAULT_RULES", "DIRECTION", "FAILING", "MIN_ROUNDS", "QUALITY_METRICS", "RECORD_KEY",
    "SAMPLE_METRICS", "TIMING_METRICS", "VERDICTS", "Comparison", "IdentityMismatch", "MannWhitney", "Row", "Rule",
    "RuleError", "RunFileError", "SavedRun", "TestMetrics", "change_pct", "compare_runs", "compare_test",
    "empty_reasons", "exact_greater", "fisher_fewer", "identity_differences", "identity_notes", "judge", "load_run",
    "load_runs", "machine", "markdown", "mann_whitney_greater", "parse_rules", "pick_baseline", "run_from_json",
    "saved_files", "summarize", "table_lines", "tests_from_benchmarks", "trend_lines",
]
