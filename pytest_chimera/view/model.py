"""What the page shows, as plain data: tests, each with its samples (agent runs) and their checks.

A test has a list of samples. Today a run JSON (``ReportRun.to_json``) is one sample; a run JSON with a
``samples`` list (each item a run JSON) gives one sample per item. Each sample's numbers and structure rules
come from the run data when it records them (``numbers`` and ``structure`` in the shape ``pytest-chimera check
--json`` prints), else they are computed here: the persona's built-in structure spec, and every number against
the corpus facts and the run's own metrics and options. Everything is read defensively: a missing or odd field
is a note on the test, never an exception.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pytest_chimera.agent.runs import STAGES, aggregate

if TYPE_CHECKING:
    from pytest_chimera.evidence.facts import Facts
    from pytest_chimera.gating.compare import Comparison
    from pytest_chimera.gating.saved import SavedRun

VERDICTS = ("supported", "contradicted", "unverified", "not checked")
FAILED_OUTCOMES = frozenset({"failed", "error"})
RUN_METRICS = frozenset(aggregate([]))  # the Metrics block's names: what a run's numbers are checked against
NUMBERING = frozenset({"ordinal"})  # list and section numbers: listed with the numbers, not counted or marked


def verdict_of(number: Mapping[str, Any]) -> str:
    """A number's verdict for display: one of :data:`VERDICTS` (``None`` in the checks is ``not checked``)."""
    verdict = number.get("verdict")
    return verdict if verdict in VERDICTS[:3] else "not checked"


@dataclass(frozen=True)
class Call:
    """One model call of a sample: its stage and metrics (ms, tokens/s, counts)."""

    stage: str
    metrics: dict[str, float]
    replayed: bool = False


@dataclass(frozen=True)
class Sample:
    """One agent run of a test with its checks (JSON-shaped numbers and structure rules)."""

    markdown: str
    numbers: list[dict[str, Any]]
    rules: list[dict[str, Any]] | None  # None: no structure spec applies
    spec: str | None
    calls: list[Call]
    metrics: dict[str, float]
    passed: bool | None = None  # the sample's recorded outcome; None when the data does not say

    def counts(self) -> dict[str, int]:
        """How many numbers got each verdict (``not checked`` counts dates, model sizes and the like too; list
        and section numbering is not counted)."""
        out = dict.fromkeys(VERDICTS, 0)
        for n in self.numbers:
            if n.get("kind") not in NUMBERING:
                out[verdict_of(n)] += 1
        return out

    @property
    def rules_failed(self) -> list[dict[str, Any]]:
        return [r for r in self.rules or [] if not r.get("ok")]

    @property
    def ok(self) -> bool:
        """The recorded outcome, else: no contradicted number and no failed structure rule."""
        if self.passed is not None:
            return self.passed
        return self.counts()["contradicted"] == 0 and not self.rules_failed


@dataclass(frozen=True)
class ReportView:
    """One report test: where its data came from, its pytest outcome when known, and its samples."""

    test: str
    source: str
    samples: list[Sample]
    outcome: str | None = None  # passed, failed, error, skipped, xfailed, xpassed; None when not known
    persona: str = ""
    agent_name: str = ""
    backend: str = ""
    model: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def replayed(self) -> bool:
        return any(c.replayed for s in self.samples for c in s.calls)

    def pass_rate(self) -> tuple[int, int]:
        """(samples that passed, samples)."""
        return sum(s.ok for s in self.samples), len(self.samples)

    def flips(self) -> int:
        """How often the verdict changed from one sample to the next."""
        oks = [s.ok for s in self.samples]
        return sum(a != b for a, b in zip(oks, oks[1:], strict=False))

    def flipping_rules(self) -> list[str]:
        """Structure rules that passed in some samples and failed in others."""
        seen: dict[str, set[bool]] = {}
        for s in self.samples:
            for r in s.rules or []:
                seen.setdefault(str(r.get("rule")), set()).add(bool(r.get("ok")))
        return sorted(rule for rule, oks in seen.items() if len(oks) > 1)

    def median_count(self, verdict: str) -> float:
        return float(statistics.median(s.counts()[verdict] for s in self.samples)) if self.samples else 0.0

    def structure(self) -> tuple[int, int] | None:
        """(rules passed, rules) of the first sample; None when no spec applies."""
        if not self.samples or self.samples[0].rules is None:
            return None
        rules = self.samples[0].rules
        return len(rules) - len(self.samples[0].rules_failed), len(rules)

    def has_failures(self, regressions: int = 0) -> bool:
        """A failed test, a contradicted number, a failed rule, a sample that did not pass, or a regression."""
        return (
            self.outcome in FAILED_OUTCOMES
            or regressions > 0
            or any(s.counts()["contradicted"] or s.rules_failed or not s.ok for s in self.samples)
        )


@dataclass
class Page:
    """Everything one page shows."""

    title: str
    tests: list[ReportView]
    comparison: Comparison | None = None
    comparison_note: str = ""  # why there is no comparison, or where the baseline came from
    trend: list[SavedRun] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # input problems, shown at the top
    generated: str = ""


# ---- building a test from run data ---------------------------------------------------------------------------


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _metrics(data: Any) -> dict[str, float]:
    """The numeric entries of a metrics mapping (a missing or odd one gives no entries)."""
    if not isinstance(data, Mapping):
        return {}
    return {str(k): v for k, v in ((k, _number(v)) for k, v in data.items()) if v is not None}


def _calls(data: Any, notes: list[str]) -> list[Call]:
    if not isinstance(data, list):
        if data is not None:
            notes.append("'calls' is not a list: no per-call timings")
        return []
    calls = []
    for item in data:
        if isinstance(item, Mapping):
            raw = item.get("metrics")
            calls.append(Call(str(item.get("stage") or "?"), _metrics(raw),
                              bool(isinstance(raw, Mapping) and raw.get("replayed"))))
    return calls


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _clean_number(n: Mapping[str, Any]) -> dict[str, Any]:
    """A recorded number in the checks' JSON shape, each field of the type the page expects."""
    fact = n.get("fact")
    line = n.get("line")
    return {
        "line": line if isinstance(line, int) and not isinstance(line, bool) else None,
        "text": _text(n.get("text")), "raw": _text(n.get("raw")), "value": _number(n.get("value")),
        "unit": _text(n.get("unit")), "kind": _text(n.get("kind")), "reason": _text(n.get("reason")),
        "part": _text(n.get("part")), "verdict": n.get("verdict") if n.get("verdict") in VERDICTS[:3] else None,
        "explanation": _text(n.get("explanation")),
        "fact": None if not isinstance(fact, Mapping) else {
            "key": _text(fact.get("key")), "value": _number(fact.get("value")), "unit": _text(fact.get("unit")),
            "source": _text(fact.get("source"))},
    }


def _clean_rule(r: Mapping[str, Any]) -> dict[str, Any]:
    return {"rule": _text(r.get("rule")), "description": _text(r.get("description")), "ok": r.get("ok") is True,
            "detail": _text(r.get("detail"))}


def _recorded(data: Mapping[str, Any], key: str) -> list[dict[str, Any]] | None:
    """Recorded ``numbers`` or ``structure``: a list of objects, each cleaned; None when not recorded."""
    value = data.get(key)
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        return None
    clean = _clean_number if key == "numbers" else _clean_rule
    return [clean(v) for v in value]


def _checks(data: Mapping[str, Any], markdown: str, facts: Facts | None
            ) -> tuple[list[dict[str, Any]], list[dict[str, Any]] | None, str | None]:
    """(numbers, structure rules or None, spec name): recorded ones, else computed."""
    from pytest_chimera.checks.consistency import check_consistency
    from pytest_chimera.checks.report import parse_report
    from pytest_chimera.checks.structure import BUILTIN_SPECS, check_structure
    from pytest_chimera.evidence.facts import Facts

    persona = str(data.get("persona") or "")
    numbers, rules = _recorded(data, "numbers"), _recorded(data, "structure")
    spec = str(data.get("spec") or persona) if rules is not None else None
    if numbers is not None and (rules is not None or persona not in BUILTIN_SPECS):
        return numbers, rules, spec
    parsed = parse_report(markdown)
    if rules is None and persona in BUILTIN_SPECS:
        rules, spec = check_structure(parsed, persona).to_json(), persona
    if numbers is None:
        options = data.get("options")
        metrics, stages = _metrics(data.get("metrics")), _metrics(data.get("stages"))
        run = {"metrics": {k: v for k, v in metrics.items() if k in RUN_METRICS},
               "stages": {k: v for k, v in stages.items() if k in STAGES},
               "options": {str(k): v for k, v in options.items()} if isinstance(options, Mapping) else {}}
        result = check_consistency(parsed, facts if facts is not None else Facts.from_records([]), run=run)
        numbers = result.to_json()
        if facts is None:
            for n in numbers:
                if n["kind"] == "claim":
                    n.update(verdict=None, fact=None, explanation="not checked: no corpus facts for this run")
    return numbers, rules, spec


def sample_from_json(data: Mapping[str, Any], facts: Facts | None, notes: list[str]) -> Sample:
    """One sample from a run JSON (``ReportRun.to_json``), its checks recorded or computed."""
    markdown = data.get("markdown")
    if not isinstance(markdown, str):
        notes.append("a sample has no 'markdown' text")
        markdown = ""
    numbers, rules, spec = _checks(data, markdown, facts)
    passed = data.get("passed")
    return Sample(
        markdown=markdown,
        numbers=numbers,
        rules=rules,
        spec=spec,
        calls=_calls(data.get("calls"), notes),
        metrics=_metrics(data.get("metrics")),
        passed=passed if isinstance(passed, bool) else None,
    )


def view_from_json(
    data: Mapping[str, Any], *, test: str, source: str, facts: Facts | None, outcome: str | None = None,
    notes: Sequence[str] = (),
) -> ReportView:
    """A test from its run JSON; ``samples`` (a list of run JSONs) gives one sample each."""
    found = list(notes)
    raw_samples = data.get("samples")
    items: list[Mapping[str, Any]] = [data]
    if isinstance(raw_samples, list) and raw_samples:
        items = [s for s in raw_samples if isinstance(s, Mapping)] or [data]
        if len(items) < len(raw_samples):
            found.append(f"{len(raw_samples) - len(items)} sample(s) are not objects and were left out")
    samples = [sample_from_json({**_inherited(data), **item}, facts, found) for item in items]
    return ReportView(
        test=test,
        source=source,
        samples=samples,
        outcome=outcome,
        persona=str(data.get("persona") or ""),
        agent_name=str(data.get("agent_name") or ""),
        backend=str(data.get("backend") or ""),
        model=str(data.get("model") or ""),
        notes=list(dict.fromkeys(found)),
    )


def _inherited(data: Mapping[str, Any]) -> dict[str, Any]:
    """What a sample takes from its test when it does not say: persona, options (for the config checks)."""
    return {k: data[k] for k in ("persona", "options", "spec") if k in data}
