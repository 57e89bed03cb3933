"""A team's own agent, tested through ``@pytest.mark.chimera(agent="agents:brief_agent")``.

It has the built-in agent's signature: (corpus, backend, *, persona, options, grounding, facts, agent_name,
on_progress) -> ReportRun. This one makes a single model call from the corpus's file counts.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from pytest_chimera import Backend, CallRecord, Corpus, Facts, ReportRun


def brief_agent(
    corpus: Corpus,
    backend: Backend,
    *,
    persona: Any = "brief",
    options: Mapping[str, Any] | None = None,
    grounding: bool = True,
    facts: Facts | None = None,
    agent_name: str | None = None,
    on_progress: Any = None,
) -> ReportRun:
    """One call: a short benchmark brief continued from its first line."""
    counts: dict[str, int] = {}
    for f in corpus.files:
        counts[f.kind] = counts.get(f.kind, 0) + 1
    inventory = ", ".join(f"{n} {kind.upper()}" for kind, n in sorted(counts.items()))
    prompt = (
        f"# Benchmark brief\n\nThe repository holds {len(corpus.files)} files ({inventory}).\n\n"
        "## Summary\n\n"
    )
    start = time.perf_counter()
    generation = backend.generate(prompt, options=options)
    elapsed = (time.perf_counter() - start) * 1000
    markdown = f"# Benchmark brief\n\nFiles analyzed: {len(corpus.files)}\n\n## Summary\n\n{generation.text}\n"
    return ReportRun(
        markdown=markdown,
        persona="brief",
        model=backend.model,
        backend=backend.name,
        options=dict(options or {}),
        stages={"ingest_ms": 0.0, "analysis_ms": 0.0, "report_ms": elapsed, "total_ms": elapsed},
        calls=[CallRecord("report", generation.text, generation.metrics)],
        agent_name=agent_name or "Brief Agent",
    )
