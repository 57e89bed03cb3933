"""Assertions on reports: structure specs and factual consistency, with failure messages that explain.

Two styles, one output:

- functions ``assert_structure(report, spec)`` and ``assert_consistent(report, facts, ...)`` raise an
  ``AssertionError`` whose message is a one-line summary then one line per failed rule or offending number;
- comparison objects, syrupy-style: ``assert report == Conforms("insight")`` and
  ``assert report == Consistent(facts, max_contradicted=0)``; on failure the plugin's
  ``pytest_assertrepr_compare`` prints the same lines.

``report`` may be markdown text, a ``ParsedReport`` or a ``ReportRun`` (then its run metrics and options are
checked too).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union

if TYPE_CHECKING:
    from pytest_chimera.checks.consistency import ConsistencyResult, RunLike
    from pytest_chimera.checks.report import ParsedReport
    from pytest_chimera.checks.structure import StructureResult
    from pytest_chimera.evidence.facts import Facts

    ReportLike = Union[str, ParsedReport, RunLike]  # noqa: UP007 (a runtime alias, Python 3.10)

Spec = Union[str, Path, Mapping[str, Any]]  # noqa: UP007


def _split(report: ReportLike) -> tuple[str | ParsedReport, RunLike | None]:
    """The text to check, and the run whose metrics and options are checked too (a run, not plain text)."""
    from pytest_chimera.checks.report import ParsedReport

    if isinstance(report, (str, ParsedReport)):
        return report, None
    return report.markdown, report


def structure_lines(result: StructureResult) -> list[str]:
    """Summary line, then one line per failed rule (what it wants, what was found)."""
    return result.lines()


def consistency_lines(result: ConsistencyResult, max_contradicted: int | None = 0,
                      max_unverified: int | None = None) -> list[str]:
    """Summary line, then one line per offending number (line, excerpt, value, verdict, nearest fact)."""
    counts = result.counts()
    checked = sum(counts.values())
    over_c = max_contradicted is not None and counts["contradicted"] > max_contradicted
    over_u = max_unverified is not None and counts["unverified"] > max_unverified
    limit_c = "any" if max_contradicted is None else str(max_contradicted)
    limit_u = "any" if max_unverified is None else str(max_unverified)
    head = (f"consistency: {counts['contradicted']} contradicted (max {limit_c}), {counts['unverified']} unverified "
            f"(max {limit_u}), {counts['supported']} supported of {checked} checked numbers")
    wanted = {v for v, over in (("contradicted", over_c), ("unverified", over_u)) if over}
    return [head, *(f"  {n.describe()}" for n in result.numbers if n.verdict in wanted)]


def consistency_failed(result: ConsistencyResult, max_contradicted: int | None = 0,
                       max_unverified: int | None = None) -> bool:
    counts = result.counts()
    return (max_contradicted is not None and counts["contradicted"] > max_contradicted) or (
        max_unverified is not None and counts["unverified"] > max_unverified)


def assert_structure(report: ReportLike, spec: Spec) -> StructureResult:
    """Check ``report`` against a structure spec (built-in name, path or mapping); raise when a rule fails.

    The message: "insight spec: 2 of 6 rules failed", then each failed rule with what was found.
    """
    from pytest_chimera.checks.structure import check_structure

    text, _ = _split(report)
    result = check_structure(text, spec)
    if not result.ok:
        raise AssertionError("\n".join(structure_lines(result)))
    return result


def assert_consistent(report: ReportLike, facts: Facts, max_contradicted: int | None = 0,
                      max_unverified: int | None = None,
                      run: RunLike | Mapping[str, Any] | None = None) -> ConsistencyResult:
    """Check every number of ``report`` against ``facts``; raise when more numbers are contradicted (or
    unverified) than allowed (``None``: no limit). A ``ReportRun`` report also checks its run metrics."""
    from pytest_chimera.checks.consistency import check_consistency

    text, own_run = _split(report)
    result = check_consistency(text, facts, run=run if run is not None else own_run)
    if consistency_failed(result, max_contradicted, max_unverified):
        raise AssertionError("\n".join(consistency_lines(result, max_contradicted, max_unverified)))
    return result


class Conforms:
    """``assert report == Conforms("insight")``: equal when every rule of the spec holds."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.result: StructureResult | None = None

    def __eq__(self, other: object) -> bool:
        from pytest_chimera.checks.structure import check_structure

        text, _ = _split(other)  # type: ignore[arg-type]
        self.result = check_structure(text, self.spec)
        return self.result.ok

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Conforms({self.spec!r})"

    def lines(self) -> list[str]:
        return structure_lines(self.result) if self.result is not None else [repr(self)]


class Consistent:
    """``assert report == Consistent(facts, max_contradicted=0, max_unverified=None)``."""

    def __init__(self, facts: Facts, max_contradicted: int | None = 0, max_unverified: int | None = None,
                 run: RunLike | Mapping[str, Any] | None = None) -> None:
        self.facts = facts
        self.max_contradicted = max_contradicted
        self.max_unverified = max_unverified
        self.run = run
        self.result: ConsistencyResult | None = None

    def __eq__(self, other: object) -> bool:
        from pytest_chimera.checks.consistency import check_consistency

        text, own_run = _split(other)  # type: ignore[arg-type]
        self.result = check_consistency(text, self.facts, run=self.run if self.run is not None else own_run)
        return not consistency_failed(self.result, self.max_contradicted, self.max_unverified)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Consistent(max_contradicted={self.max_contradicted}, max_unverified={self.max_unverified})"

    def lines(self) -> list[str]:
        if self.result is None:
            return [repr(self)]
        return consistency_lines(self.result, self.max_contradicted, self.max_unverified)


def assertrepr_compare(op: str, left: object, right: object) -> list[str] | None:
    """Explanation lines for a failed ``==`` against ``Conforms``/``Consistent``; ``None`` otherwise."""
    if op != "==":
        return None
    for side in (right, left):
        if isinstance(side, (Conforms, Consistent)):
            return side.lines()
    return None
