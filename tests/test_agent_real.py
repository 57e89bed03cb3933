"""The built-in agent for real on the embedded gemma-3-270m (short generations, a tiny corpus)."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pytest_chimera.agent import chimera as ag
from pytest_chimera.agent import prompts
from pytest_chimera.agent.runs import aggregate
from pytest_chimera.backends.base import Backend, Generation
from pytest_chimera.cli import main

pytest.importorskip("llama_cpp", reason="the embedded model needs the 'embedded' extra (llama-cpp-python)")

OPTIONS = {"num_ctx": 320, "num_predict": 24, "temperature": 0.0, "seed": 1}


class Recording:
    """A real backend seen through a proxy that records prompts and how many calls overlapped."""

    def __init__(self, inner: Backend) -> None:
        self.inner, self.name, self.model = inner, inner.name, inner.model
        self.prompts: list[str] = []
        self.active = self.max_active = 0
        self._guard = threading.Lock()

    def generate(self, prompt: str | None = None, **kwargs: Any) -> Generation:
        with self._guard:
            self.prompts.append(prompt or "")
            self.active += 1
            self.max_active = max(self.max_active, self.active)
        try:
            return self.inner.generate(prompt, **kwargs)
        finally:
            with self._guard:
                self.active -= 1

    def count_tokens(self, text: str) -> int:
        return self.inner.count_tokens(text)

    def describe(self) -> dict[str, Any]:
        return self.inner.describe()

    def close(self) -> None:
        pass


@pytest.fixture(scope="module")
def model() -> Iterator[Backend]:
    from pytest_chimera.backends import load_backend

    backend = load_backend("llama-cpp", "gemma3:270m", options={"num_ctx": OPTIONS["num_ctx"]})
    yield backend
    backend.close()


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus" / "reports" / "gemma3"
    root.mkdir(parents=True)
    (root / "gemma3_270m_baseline.csv").write_text(
        "model,run,ttft_s,tokens_s\ngemma3:270m,1,0.061,283.1\ngemma3:270m,2,0.064,284.0\n", encoding="utf-8")
    (root / "summary.md").write_text("# Baseline\n\n| model | tokens_s |\n|---|---|\n| gemma3:270m | 283.5 |\n",
                                     encoding="utf-8")
    return tmp_path / "corpus"


def test_builtin_agent_on_the_embedded_model(model: Backend, corpus: Path) -> None:
    backend = Recording(model)
    result = ag.run_agent(corpus, backend, options=OPTIONS)  # type: ignore[arg-type]
    assert [c.stage for c in result.calls] == ["analysis", "report"]
    for call in result.calls:
        m = call.metrics
        assert 0 < m.eval_count <= OPTIONS["num_predict"]
        assert m.ttft_ms is not None and m.ttft_ms > 0 and m.tokens_per_s and m.tokens_per_s > 0
        assert 0 < m.prompt_eval_count <= prompts.prompt_budget(backend, OPTIONS) + 1  # +1: the BOS token
        assert m.wall_ms > 0 and not m.replayed
    analysis_prompt, report_prompt = backend.prompts
    assert "- The corpus holds 2 files" in analysis_prompt  # grounded: the key figures are in the prompt
    assert report_prompt.endswith("## 1. Executive Summary\n\n- The corpus holds")
    md = result.markdown
    assert md.startswith("# Chimera Agent B\n\n# Technical Report: Chimera Agent B Analysis\n")
    assert "**Model:** gemma3:270m (backend: llama-cpp)" in md
    assert "**Configuration:** num_gpu=default, num_ctx=320, temp=0, top_p=default" in md
    body = md.split("\n---\n")[1]
    assert body.strip().startswith("## 1. Executive Summary") and result.calls[1].text.strip()[:20] in body
    for part in ("## Workflow Summary", "## Metrics", "## Key Findings", "## Recommendations", "## Persona Prompt"):
        assert md.count(f"\n{part}\n") == 1
    expected = aggregate([c.metrics for c in result.calls])
    assert f"- Tokens Generated: {int(expected['eval_count'])}\n" in md
    assert f"- Throughput: {expected['tokens_per_s']:.2f} tok/s\n" in md
    assert result.stages["analysis_ms"] >= result.calls[0].metrics.wall_ms * 0.99


def test_ungrounded_agent_on_the_embedded_model(model: Backend, corpus: Path) -> None:
    backend = Recording(model)
    result = ag.run_agent(corpus, backend, persona="collector", options={**OPTIONS, "num_predict": 12},
                          grounding=False)  # type: ignore[arg-type]
    assert all(prompts.FACTS_HEADING not in p for p in backend.prompts)
    assert result.markdown.startswith("# Chimera Agent A\n") and "DataCollector-9000" in result.markdown


def test_multi_agent_on_the_embedded_model_serialises_its_calls(model: Backend, corpus: Path) -> None:
    backend = Recording(model)
    team = (ag.AgentSpec("Chimera Agent A", "collector", {**OPTIONS, "num_predict": 8, "temperature": 0.5}),
            ag.AgentSpec("Chimera Agent B", "insight", {**OPTIONS, "num_predict": 8}))
    a, b = ag.run_multi_agent(corpus, backend, team)  # type: ignore[arg-type]
    assert backend.max_active == 1 and len(backend.prompts) == 4
    assert a.options["temperature"] == 0.5 and b.options["temperature"] == 0.0
    assert all(0 < c.metrics.eval_count <= 8 for c in a.calls + b.calls)


def test_cli_run_on_the_embedded_model(corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, js = tmp_path / "report.md", tmp_path / "run.json"
    code = main(["run", str(corpus), "--backend", "llama-cpp", "--option", "num_ctx=320", "--option",
                 "num_predict=12", "--option", "temperature=0", "--out", str(out), "--json", str(js)])
    assert code == 0
    data = json.loads(js.read_text(encoding="utf-8"))
    assert data["backend"] == "llama-cpp" and data["model"] == "gemma3:270m"
    assert data["markdown"] == out.read_text(encoding="utf-8")
    assert 0 < data["metrics"]["eval_count"] <= 24
    err = capsys.readouterr().err
    assert re.search(r"Chimera Agent B: report", err) and "tok/s" in err
