"""ReportRun: the plain-data result of one agent run, and the aggregation of its calls' metrics."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pytest_chimera.backends.base import CallMetrics
from pytest_chimera.checks.assertions import DEFAULT_MIN_CHECKED

STAGES = ("ingest_ms", "analysis_ms", "report_ms", "total_ms")


@dataclass(frozen=True)
class CallRecord:
    """One model call of a run: which stage made it, what it returned, its metrics, and the options it was
    sent when they differ from the run's (the built-in agent adds stop strings and ``min_p``)."""

    stage: str
    text: str
    metrics: CallMetrics
    options: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        data = {"stage": self.stage, "text": self.text, "metrics": self.metrics.to_dict()}
        return {**data, "options": dict(self.options)} if self.options else data


def unmeasured(calls: Sequence[CallMetrics]) -> set[str]:
    """The metrics some call could not measure (``CallMetrics.missing``), derived ones included:
    tokens_per_s is eval_count over eval_ms, so it is unmeasured when either is; the run's TTFT is the first
    call's that has one, so it is unmeasured when no call produced a token."""
    missing = {name for c in calls for name in c.missing}
    if missing & {"eval_count", "eval_ms"}:
        missing.add("tokens_per_s")
    if calls and all(c.ttft_ms is None for c in calls):
        missing.add("ttft_ms")
    return missing


def aggregate(calls: Sequence[CallMetrics]) -> dict[str, float]:
    """The run's Metrics block from its calls, as the seed's figures relate.

    Counts and durations are summed; throughput is total tokens over total eval time (not a mean of
    rates); TTFT is the first call's (the latency a user waits before any text appears).
    """
    eval_count = sum(c.eval_count for c in calls)
    eval_ms = sum(c.eval_ms for c in calls)
    first_ttft = next((c.ttft_ms for c in calls if c.ttft_ms is not None), None)
    return {
        "tokens_per_s": eval_count / (eval_ms / 1000) if eval_ms > 0 else 0.0,
        "ttft_ms": first_ttft if first_ttft is not None else 0.0,
        "total_ms": sum(c.total_ms for c in calls),
        "eval_count": float(eval_count),
        "prompt_eval_count": float(sum(c.prompt_eval_count for c in calls)),
        "prompt_eval_ms": sum(c.prompt_eval_ms for c in calls),
        "eval_ms": eval_ms,
        "load_ms": sum(c.load_ms for c in calls),
        "wall_ms": sum(c.wall_ms for c in calls),
    }


@dataclass
class ReportRun:
    """One run of a report agent: its markdown, how it was configured, and what it measured."""

    markdown: str
    persona: str
    model: str
    backend: str
    options: dict[str, Any] = field(default_factory=dict)
    stages: dict[str, float] = field(default_factory=dict)  # ingest_ms, analysis_ms, report_ms, total_ms
    calls: list[CallRecord] = field(default_factory=list)
    agent_name: str = "Chimera Agent"
    persona_prompt: str = ""
    corpus: str | None = None
    host: str | None = None  # the model server (ollama, openai backends); None for the embedded model
    overhead_ms: float | None = None  # the run's time outside its model calls (None: not measured)

    @property
    def metrics(self) -> dict[str, float]:
        """Aggregated metrics of all calls (the Metrics block)."""
        return aggregate([c.metrics for c in self.calls])

    @property
    def missing_metrics(self) -> list[str]:
        """The metrics some call could not measure (``unmeasured``): the Metrics block and the run's facts
        leave them out rather than show the 0 their sums above hold."""
        return sorted(unmeasured([c.metrics for c in self.calls]))

    @property
    def replayed(self) -> bool:
        """True when any call came from a cassette (its timings are not new measurements)."""
        return any(c.metrics.replayed for c in self.calls)

    def assert_structure(self, spec: Any) -> Any:
        """``assertions.assert_structure`` on this run's markdown (spec: built-in name, path or mapping)."""
        from pytest_chimera.checks.assertions import assert_structure

        return assert_structure(self.markdown, spec)

    def assert_consistent(self, facts: Any, max_contradicted: int | None = 0,
                          max_unverified: int | None = None, min_checked: int = DEFAULT_MIN_CHECKED) -> Any:
        """``assertions.assert_consistent`` on this run's markdown; run metrics and options checked too.
        ``min_checked``: numbers the model wrote (outside the blocks the agent assembles) that must be checked."""
        from pytest_chimera.checks.assertions import assert_consistent

        return assert_consistent(self.markdown, facts, max_contradicted, max_unverified, run=self,
                                 min_checked=min_checked)

    def to_json(self) -> dict[str, Any]:
        """The run JSON: markdown, persona, backend, model, options, stages, calls, metrics; the agent's
        ``overhead_ms``, the host and the metrics the server could not give, when there are."""
        return {
            "markdown": self.markdown,
            "persona": self.persona,
            "agent_name": self.agent_name,
            "persona_prompt": self.persona_prompt,
            "backend": self.backend,
            "model": self.model,
            "options": dict(self.options),
            "corpus": self.corpus,
            "stages": dict(self.stages),
            "calls": [c.to_json() for c in self.calls],
            "metrics": self.metrics,
            **({"overhead_ms": self.overhead_ms} if self.overhead_ms is not None else {}),
            **({"host": self.host} if self.host else {}),
            **({"missing_metrics": self.missing_metrics} if self.missing_metrics else {}),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ReportRun:
        """Inverse of ``to_json`` (``metrics`` is recomputed from the calls; a run JSON written before
        ``overhead_ms`` existed loads with None). ``ValueError`` when ``overhead_ms`` is not a number."""
        overhead = data.get("overhead_ms")
        if overhead is not None and (isinstance(overhead, bool) or not isinstance(overhead, (int, float))):
            raise ValueError(f"overhead_ms is {overhead!r}, expected a number of milliseconds")
        calls = [
            CallRecord(c.get("stage", ""), c.get("text", ""), CallMetrics.from_dict(c.get("metrics", {})),
                       dict(c.get("options") or {}))
            for c in data.get("calls", [])
        ]
        return cls(
            markdown=data["markdown"],
            persona=data.get("persona", ""),
            model=data.get("model", ""),
            backend=data.get("backend", ""),
            options=dict(data.get("options", {})),
            stages=dict(data.get("stages", {})),
            calls=calls,
            agent_name=data.get("agent_name", "Chimera Agent"),
            persona_prompt=data.get("persona_prompt", ""),
            corpus=data.get("corpus"),
            host=data.get("host"),
            overhead_ms=float(overhead) if overhead is not None else None,
        )


def speed_text(run: ReportRun) -> str:
    """``TTFT 812.05 ms | 41.45 tok/s | 96 tokens``, with ``n/a`` for what the backend could not measure."""
    m, missing = run.metrics, run.missing_metrics
    parts = [("TTFT {:.2f} ms", "ttft_ms", "TTFT n/a"), ("{:.2f} tok/s", "tokens_per_s", "tok/s n/a"),
             ("{:.0f} tokens", "eval_count", "tokens n/a")]
    return " | ".join(none if name in missing else fmt.format(m[name]) for fmt, name, none in parts)
