"""A small deterministic fake Backend and corpus for the agent's tests (no model, no pandas corpus load)."""

from __future__ import annotations

import math
import threading
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_chimera.agent import prompts
from pytest_chimera.agent.personas import Persona
from pytest_chimera.backends.base import BackendError, CallMetrics, Generation, Message, TokenCallback
from pytest_chimera.evidence.facts import Fact

ANALYSIS_TEXT = """Okay, here's a structured performance analysis of the provided benchmark data.

**Key Performance Findings**

* **Model Coverage:** The data covers gemma3 1b and 270m with 28 CSV files.
* **Throughput:** gemma3:270m reaches 41.4 tok/s on the baseline runs.

## 4. Recommendations for Optimization

1. **Automate Tuning:** Implement Bayesian optimisation over num_ctx and temperature.
2. Consider caching compiled kernels to cut compilation time.
"""

REPORT_TEXT = """The corpus holds **101 files**; gemma3:270m decodes at **41.4 tok/s**.

## 2. Recommendations

1. Use a larger batch.
2. Pin num_ctx to 2048.
3. Add TTFT telemetry.
"""


@dataclass
class FakeFile:
    path: str
    kind: str


@dataclass
class FakeCorpus:
    """Duck of ``corpus.Corpus``: files, errors, root and ``data_summary()``."""

    root: Path = Path("/corpus")
    files: list[FakeFile] = field(
        default_factory=lambda: [FakeFile(f"reports/r{i}.csv", "csv") for i in range(3)]
        + [FakeFile("reports/a.json", "json")]
    )
    errors: list[Any] = field(default_factory=list)

    def data_summary(self) -> str:
        lines = [f"Total files analyzed: {len(self.files)}", "", "CSV Files (3)"]
        lines += [f"  - {f.path}" for f in self.files if f.kind == "csv"]
        lines += ["  Latest modified: 2025-11-14 18:53:30 UTC", "", "JSON Files (1)", "  - reports/a.json"]
        return "\n".join(lines)


def fake_facts(extra: int = 0) -> list[Fact]:
    """A few facts the prompts should carry, plus ``extra`` long JSON-leaf facts to fill a budget."""
    facts = [
        Fact("files.total", 101, "files", "corpus", ("files", "total")),
        Fact("files.by_type.csv", 28, "files", "corpus", ("csv", "files")),
        Fact("files.by_type.md", 29, "files", "corpus", ("markdown", "files")),
        Fact("files.by_type.md.pct", 28.712871, "%", "corpus", ("markdown", "percent")),
        Fact("table.reports/gemma3/gemma3_270m_baseline.csv.tokens_s.mean", 41.4, "tok/s",
             "reports/gemma3/gemma3_270m_baseline.csv:tokens_s:mean",
             ("throughput", "tokens per second", "mean", "gemma3:270m")),
        Fact("table.reports/gemma3/gemma3_270m_baseline.csv.ttft_ms.median", 812.5, "ms",
             "reports/gemma3/gemma3_270m_baseline.csv:ttft_ms:median", ("ttft", "latency", "median", "gemma3:270m")),
    ]
    facts += [
        Fact(f"json.reports/compilation/bench_{i}.json.results.run_{i}.compile_time_s", 10 + i * 0.37, "s",
             f"reports/compilation/bench_{i}.json:$.results.run_{i}", ("compile",))
        for i in range(extra)
    ]
    return facts


class FakeBackend:
    """Deterministic backend: canned texts per stage, words as tokens, metrics derived from the text.

    ``thread_safe=False`` makes overlapping calls fail, as an unguarded in-process model would misbehave.
    """

    name = "fake"

    def __init__(self, *, model: str = "fake:1", delay: float = 0.0, thread_safe: bool = True,
                 analysis: str = ANALYSIS_TEXT, report: str = REPORT_TEXT, num_ctx: int | None = None) -> None:
        self.model = model
        self.delay = delay
        self.thread_safe = thread_safe
        self.texts = {"analysis": analysis, "report": report}
        self.prompts: list[str] = []
        self.call_options: list[dict[str, Any]] = []
        self.active = 0
        self.max_active = 0
        self._guard = threading.Lock()
        if num_ctx is not None:
            self.num_ctx = num_ctx

    def count_tokens(self, text: str) -> int:
        return len(text.split()) + text.count("\n")

    def generate(
        self,
        prompt: str | None = None,
        *,
        messages: Sequence[Message] | None = None,
        options: Mapping[str, Any] | None = None,
        format: Mapping[str, Any] | None = None,
        on_token: TokenCallback | None = None,
    ) -> Generation:
        assert prompt is not None
        with self._guard:
            self.active += 1
            self.max_active = max(self.max_active, self.active)
            overlapping = self.active > 1
            self.prompts.append(prompt)
            self.call_options.append(dict(options or {}))
            first = len(self.prompts) == 1
        try:
            if overlapping and not self.thread_safe:
                raise BackendError("two calls at once on a backend that is not thread-safe")
            time.sleep(self.delay)
            stage = "analysis" if prompt.startswith("Benchmark Data Analysis") else "report"
            text = self.texts[stage]
            pieces = text.split(" ")
            for piece in pieces:
                if on_token is not None:
                    on_token(piece + " ")
            n = len(pieces)
            metrics = CallMetrics(
                ttft_ms=100.0 + n, tokens_per_s=n / (n * 0.02), prompt_eval_count=self.count_tokens(prompt),
                prompt_eval_ms=float(self.count_tokens(prompt)), eval_count=n, eval_ms=n * 20.0,
                load_ms=5.0 if first else 0.0, total_ms=n * 20.0 + 60, wall_ms=n * 20.0 + 70,
            )
            return Generation(text=text, metrics=metrics, backend=self.name, model=self.model,
                              options=dict(options or {}))
        finally:
            with self._guard:
                self.active -= 1

    def describe(self) -> dict[str, Any]:
        return {"backend": self.name, "model": self.model}

    def close(self) -> None:
        pass


def plain_rank(facts: Sequence[Fact], persona: Persona) -> list[Fact]:
    """``prompts.rank_facts`` as first written, the reference its faster form must equal: every fact's
    words split from one lower-cased string, all facts sorted twice."""
    keywords = frozenset(persona.keywords)
    unit_weight = {u: 2.0 * (len(persona.units) - i) for i, u in enumerate(persona.units)}

    def score_of(f: Fact) -> float:
        words = set(f"{f.key} {' '.join(f.labels)}".lower().translate(prompts._NON_WORD).split())
        score = 1.5 * len(keywords.intersection(words)) + unit_weight.get(f.unit, 0.0)
        last = f.key[f.key.rfind(".") + 1 :]
        score += max((prompts._STAT_WEIGHT[w] for w in prompts._STAT.findall(last.lower())), default=0.0)
        score -= 0.4 * f.key.count(".")
        if f.key.startswith("files."):
            score += 3.0 + (20.0 if f.key == "files.total" or f.key.startswith("files.by_type.") else 0.0)
        return score

    usable = [f for f in facts if math.isfinite(f.value)]
    scored = sorted(((score_of(f), f) for f in usable), key=lambda t: (-t[0], t[1].key))
    by_source: Counter[str] = Counter()
    by_unit: Counter[str] = Counter()
    adjusted = []
    for order, (score, fact) in enumerate(scored):
        source = fact.source.partition(":")[0].partition("#")[0].partition(" ")[0]
        adjusted.append((score - 0.75 * by_source[source] - 0.4 * by_unit[fact.unit], order, fact))
        by_source[source] += 1
        by_unit[fact.unit] += 1
    adjusted.sort(key=lambda t: (-t[0], t[1]))
    return [fact for _, _, fact in adjusted]
