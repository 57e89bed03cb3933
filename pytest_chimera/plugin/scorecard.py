"""The end-of-run scorecard: one compact row per ``chimera_report`` test, and where its files went.

``score(run, facts)`` checks a run (its persona's built-in structure spec when it has one, the consistency
of its numbers when facts are known) into a plain ``Score``; ``render(scores)`` gives the terminal lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pytest_chimera.agent.runs import ReportRun
    from pytest_chimera.checks.consistency import ConsistencyResult
    from pytest_chimera.checks.structure import StructureResult
    from pytest_chimera.evidence.facts import Facts


@dataclass(frozen=True)
class Score:
    """What the scorecard shows of one test's report."""

    test: str
    structure: str  # "5/6" rules passed, or "-" when the persona has no built-in spec
    checked: int | None  # checked numbers the model wrote (assertions.model_checked); None: no facts
    supported: int | None  # None: no facts, consistency not checked
    contradicted: int | None
    unverified: int | None
    ttft_ms: float | None  # None: the backend could not measure it
    tokens_per_s: float | None
    replayed: bool
    overhead_ms: float | None = None  # the agent's time outside the model calls (ReportRun.overhead_ms)

    def to_json(self) -> dict[str, Any]:
        """The checks of the run as plain JSON (the ``checks`` entry of the run JSON)."""
        return {"structure": self.structure, "checked": self.checked, "supported": self.supported,
                "contradicted": self.contradicted, "unverified": self.unverified}


def check_run(
    run: ReportRun, persona: str, facts: Facts | None, *, against_run: bool
) -> tuple[StructureResult | None, ConsistencyResult | None]:
    """The checks a run gets without being asked: the built-in spec of ``persona`` (None when it has none)
    and the consistency of its numbers with ``facts`` (None without facts; ``against_run`` also checks
    its run metrics against its own calls). Shared by the scorecard and the benchmark quality counts."""
    from pytest_chimera.checks.consistency import check_consistency
    from pytest_chimera.checks.report import parse_report
    from pytest_chimera.checks.structure import BUILTIN_SPECS, check_structure

    parsed = parse_report(run.markdown)
    structure = check_structure(parsed, persona) if persona in BUILTIN_SPECS else None
    consistency = check_consistency(parsed, facts, run if against_run else None) if facts is not None else None
    return structure, consistency


def score(test: str, run: ReportRun, facts: Facts | None) -> Score:
    """Check ``run``: built-in structure spec of its persona, consistency of its numbers against ``facts``,
    and how many of the checked numbers the model wrote."""
    from pytest_chimera.checks.assertions import model_checked

    structure, consistency = check_run(run, run.persona, facts, against_run=False)
    passed = "-" if structure is None else f"{len(structure.rules) - len(structure.failed)}/{len(structure.rules)}"
    counts: dict[str, Any] = dict.fromkeys(("supported", "contradicted", "unverified"))
    checked = None
    if consistency is not None:
        counts = dict(consistency.counts())
        checked = len(model_checked(consistency))
    metrics, missing = run.metrics, run.missing_metrics
    ttft, rate = (None if name in missing else metrics[name] for name in ("ttft_ms", "tokens_per_s"))
    return Score(test, passed, checked, counts["supported"], counts["contradicted"], counts["unverified"],
                 ttft, rate, run.replayed, run.overhead_ms)


def _count(value: int | None) -> str:
    return "-" if value is None else str(value)


def _ms(value: float | None) -> str:
    """A figure to one decimal, ``-`` when not measured."""
    return "-" if value is None else f"{value:.1f}"


def render(scores: Sequence[Score]) -> list[str]:
    """A fixed-width table: test, structure rules passed, model-written numbers checked, numbers
    supported/contradicted/unverified, speed, and the agent's overhead beside the model calls."""
    header = ("test", "structure", "checked", "supported", "contradicted", "unverified", "TTFT ms", "tok/s",
              "overhead ms")
    rows = [
        (
            s.test,
            s.structure,
            _count(s.checked),
            _count(s.supported),
            _count(s.contradicted),
            _count(s.unverified),
            _ms(s.ttft_ms) + (" (replayed)" if s.replayed else ""),
            _ms(s.tokens_per_s),
            _ms(s.overhead_ms),
        )
        for s in scores
    ]
    widths = [max(len(r[i]) for r in (header, *rows)) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        first = cells[0].ljust(widths[0])
        return "  ".join([first, *(c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True))]).rstrip()

    return [line(header), *(line(r) for r in rows)]
