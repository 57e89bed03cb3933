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

from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union

if TYPE_CHECKING:
    from pytest_chimera.checks.consistency import ConsistencyResult, NumberCheck, RunLike
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


AGENT_PARTS = ("header", "workflow_summary", "metrics", "persona_prompt")  # blocks the agent assembles
DEFAULT_MIN_CHECKED = 1


def model_checked(result: ConsistencyResult) -> list[NumberCheck]:
    """The checked numbers (those with a verdict) that the model wrote: every one outside the blocks the
    Chimera agent assembles itself (``AGENT_PARTS``: header, Workflow Summary with its data summary, Metrics,
    Persona Prompt), each writing once (the same number in the same words again, as a loop or a Key Findings
    item lifted from the body writes it, counts once). In a report without the seed layout every number is
    the model's."""
    on_line: Counter[tuple[int, str, str]] = Counter()
    seen: set[tuple[str, str, int]] = set()
    out: list[NumberCheck] = []
    for n in result.numbers:
        text = " ".join(n.text.lower().split())
        nth = on_line[(n.line, n.raw, text)]  # "8 CSV files ... 8 Markdown files": two writings of "8"
        on_line[(n.line, n.raw, text)] += 1
        key = (n.raw, text, nth)
        if n.verdict is not None and n.part not in AGENT_PARTS and key not in seen:
            seen.add(key)
            out.append(n)
    return out


def consistency_summary(result: ConsistencyResult, max_contradicted: int | None = 0,
                        max_unverified: int | None = None, min_checked: int = DEFAULT_MIN_CHECKED) -> list[str]:
    """The summary line (verdict counts with their limits, how many checked numbers the model wrote), then,
    when fewer than ``min_checked`` were, the line that says a check of so little proves nothing."""
    counts = result.counts()
    checked = sum(counts.values())
    written = len(model_checked(result))
    limit_c = "any" if max_contradicted is None else str(max_contradicted)
    limit_u = "any" if max_unverified is None else str(max_unverified)
    lines = [f"consistency: {counts['contradicted']} contradicted (max {limit_c}), {counts['unverified']} unverified "
             f"(max {limit_u}), {counts['supported']} supported of {checked} checked numbers, {written} of them "
             f"model-written (min {min_checked})"]
    if written < min_checked:
        assembled = sum(1 for n in result.numbers if n.verdict is not None and n.part in AGENT_PARTS)
        lines.append(f"  too little checked: {written} number(s) written by the model were checked, fewer than "
                     f"min_checked={min_checked}; {assembled} checked number(s) are in the blocks the agent "
                     "assembles (header, Workflow Summary, Metrics, Persona Prompt), which do not count")
    return lines


def consistency_lines(result: ConsistencyResult, max_contradicted: int | None = 0,
                      max_unverified: int | None = None, min_checked: int = DEFAULT_MIN_CHECKED) -> list[str]:
    """``consistency_summary``, then one line per offending number (line, excerpt, value, verdict, nearest
    fact) of each verdict over its limit."""
    counts = result.counts()
    over_c = max_contradicted is not None and counts["contradicted"] > max_contradicted
    over_u = max_unverified is not None and counts["unverified"] > max_unverified
    wanted = {v for v, over in (("contradicted", over_c), ("unverified", over_u)) if over}
    return [*consistency_summary(result, max_contradicted, max_unverified, min_checked),
            *(f"  {n.describe()}" for n in result.numbers if n.verdict in wanted)]


def consistency_failed(result: ConsistencyResult, max_contradicted: int | None = 0,
                       max_unverified: int | None = None, min_checked: int = DEFAULT_MIN_CHECKED) -> bool:
    """True when too many numbers are contradicted or unverified, or too few model-written ones checked."""
    counts = result.counts()
    return (max_contradicted is not None and counts["contradicted"] > max_contradicted) or (
        max_unverified is not None and counts["unverified"] > max_unverified) or (
        len(model_checked(result)) < min_checked)


def _min_checked(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"min_checked must be a whole number >= 0, got {value!r}")
    return value


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
                      run: RunLike | Mapping[str, Any] | None = None,
                      min_checked: int = DEFAULT_MIN_CHECKED) -> ConsistencyResult:
    """Check every number of ``report`` against ``facts``; raise when more numbers are contradicted (or
    unverified) than allowed (``None``: no limit), or when fewer than ``min_checked`` numbers written by
    the model were checked (a check of nothing proves nothing; ``min_checked=0`` allows it). A
    ``ReportRun`` report also checks its run metrics."""
    from pytest_chimera.checks.consistency import check_consistency

    min_checked = _min_checked(min_checked)
    text, own_run = _split(report)
    result = check_consistency(text, facts, run=run if run is not None else own_run)
    if consistency_failed(result, max_contradicted, max_unverified, min_checked):
        raise AssertionError("\n".join(consistency_lines(result, max_contradicted, max_unverified, min_checked)))
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
    """``assert report == Consistent(facts, max_contradicted=0, max_unverified=None, min_checked=1)``."""

    def __init__(self, facts: Facts, max_contradicted: int | None = 0, max_unverified: int | None = None,
                 run: RunLike | Mapping[str, Any] | None = None, min_checked: int = DEFAULT_MIN_CHECKED) -> None:
        self.facts = facts
        self.max_contradicted = max_contradicted
        self.max_unverified = max_unverified
        self.min_checked = _min_checked(min_checked)
        self.run = run
        self.result: ConsistencyResult | None = None

    def __eq__(self, other: object) -> bool:
        from pytest_chimera.checks.consistency import check_consistency

        text, own_run = _split(other)  # type: ignore[arg-type]
        self.result = check_consistency(text, self.facts, run=self.run if self.run is not None else own_run)
        return not consistency_failed(self.result, self.max_contradicted, self.max_unverified, self.min_checked)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (f"Consistent(max_contradicted={self.max_contradicted}, max_unverified={self.max_unverified}, "
                f"min_checked={self.min_checked})")

    def lines(self) -> list[str]:
        if self.result is None:
            return [repr(self)]
        return consistency_lines(self.result, self.max_contradicted, self.max_unverified, self.min_checked)


def assertrepr_compare(op: str, left: object, right: object) -> list[str] | None:
    """Explanation lines for a failed ``==`` against ``Conforms``/``Consistent``; ``None`` otherwise."""
    if op != "==":
        return None
    for side in (right, left):
        if isinstance(side, (Conforms, Consistent)):
            return side.lines()
    return None
