"""Builders of fake ReportRuns and saved pytest-benchmark JSON for the bench/compare tests."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pytest_chimera.agent.runs import CallRecord, ReportRun
from pytest_chimera.backends.base import CallMetrics


def fake_run(
    ttft_ms: float, tokens_per_s: float, *, eval_count: int = 100, cached: int = 0, replayed: bool = False,
    model: str = "gemma3:270m", backend: str = "llama-cpp",
) -> ReportRun:
    """A two-call run whose aggregate ttft_ms and tokens_per_s are the given values."""
    eval_ms = eval_count / tokens_per_s * 1000
    calls = [
        CallRecord(stage, "text", CallMetrics(
            ttft_ms=ttft_ms if stage == "analysis" else ttft_ms / 2, tokens_per_s=tokens_per_s,
            prompt_eval_count=50, prompt_eval_ms=40.0, eval_count=eval_count // 2, eval_ms=eval_ms / 2,
            load_ms=5.0, total_ms=eval_ms / 2 + 45, wall_ms=eval_ms / 2 + 50,
            cached_prompt_tokens=cached if stage == "analysis" else 0, replayed=replayed,
        ))
        for stage in ("analysis", "report")
    ]
    return ReportRun(markdown="# Report\n", persona="insight", model=model, backend=backend, calls=calls)


def chimera_block(
    per_round: Mapping[str, Sequence[float]], *, model: str = "gemma3:270m", backend: str = "llama-cpp",
    replayed: bool = False,
) -> dict[str, Any]:
    return {"schema": 1, "backend": backend, "model": model, "replayed": replayed,
            "per_round": {k: list(v) for k, v in per_round.items()}}


def saved_json(
    tests: Mapping[str, Mapping[str, Sequence[float]]], *, model: str = "gemma3:270m", sha: str = "abc123",
    commit: str = "deadbeef", node: str = "ci-1", when: str = "2026-11-27T10:00:00+00:00",
) -> dict[str, Any]:
    """A pytest-benchmark file with one benchmark per test carrying a chimera block."""
    return {
        "machine_info": {
            "node": node, "machine": "x86_64", "system": "Linux",
            "cpu": {"brand_raw": "Fake CPU", "count": 2},
            "chimera": {"backends": [{"backend": "llama-cpp", "model": model, "model_sha256": sha,
                                      "quantization": "Q4_K_M", "options": {}}], "accelerator": None},
        },
        "commit_info": {"id": commit, "time": when, "dirty": False},
        "benchmarks": [
            {"name": name.rsplit("::", 1)[-1], "fullname": name, "stats": {"mean": 1.0},
             "extra_info": {"chimera": chimera_block(per_round, model=model)}}
            for name, per_round in tests.items()
        ],
        "datetime": when,
        "version": "5.2.0",
    }


def write(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def speeds(base: float, n: int, spread: float = 0.02) -> list[float]:
    """n distinct values around base (deterministic jitter of +-spread)."""
    return [base * (1 + spread * ((i * 7) % n - n / 2) / n) for i in range(n)]


# A pytester project: a test that runs capture_rounds over a fake agent whose timings come from fake.json
# (only timing and identity change between sessions). Round values jitter deterministically, so the
# Mann-Whitney U test sees no ties.
PYTESTER_CONFTEST = '''
import json
from pathlib import Path

import pytest

from pytest_chimera.backends.base import CallMetrics
from pytest_chimera.plugin.capture import capture_rounds, record_backend
from pytest_chimera.agent.runs import CallRecord, ReportRun

FAKE = json.loads(Path(__file__).with_name("fake.json").read_text())


@pytest.fixture
def fake_agent(request):
    record_backend(request.config, {"backend": "llama-cpp", "model": FAKE.get("model", "gemma3:270m"),
                                    "sha256": FAKE.get("sha", "abc123"), "quantization": "Q4_K_M",
                                    "options": {"num_ctx": 2048}, "accelerator": FAKE.get("accelerator")})
    calls = []

    def run_once():
        i = len(calls)
        calls.append(i)
        jitter = 1 + 0.01 * ((i * 7) % 11 - 5)
        load = 700.0 if i == 0 else 0.0  # only the warm-up round loads the model
        tps = FAKE["tps"] * jitter
        metrics = CallMetrics(ttft_ms=FAKE["ttft"] * jitter + load, tokens_per_s=tps, prompt_eval_count=40,
                              prompt_eval_ms=30.0, eval_count=64, eval_ms=64 / tps * 1000, load_ms=load,
                              total_ms=64 / tps * 1000 + 30 + load, wall_ms=64 / tps * 1000 + 35 + load,
                              cached_prompt_tokens=FAKE.get("cached", 0) if i else 0,
                              replayed=FAKE.get("replayed", False))
        return ReportRun(markdown="# Report", persona="insight", model=FAKE.get("model", "gemma3:270m"),
                         backend="llama-cpp", calls=[CallRecord("report", "x", metrics)])

    return run_once



@pytest.fixture
def quality():
    def counts(run):
        return {"supported": 5, "contradicted": FAKE.get("contradicted", 0), "unverified": 2,
                "structure_failed": 0}

    return counts
'''

PYTESTER_TEST = '''
from pytest_chimera.plugin.capture import capture_rounds


def test_report(benchmark, fake_agent, quality):
    run = capture_rounds(benchmark, fake_agent, ROUNDS, quality=quality)
    assert run.model
'''


def pytester_project(pytester: Any, rounds: int = 6, **fake: Any) -> None:
    """Write the fake project (conftest, test, fake.json) into a pytester dir."""
    settings = {"tps": 50.0, "ttft": 100.0, **fake}
    pytester.makeconftest(PYTESTER_CONFTEST)
    pytester.makepyfile(test_report=PYTESTER_TEST.replace("ROUNDS", str(rounds)))
    set_fake(pytester, **settings)


def set_fake(pytester: Any, **fake: Any) -> None:
    path = Path(pytester.path) / "fake.json"
    current = json.loads(path.read_text()) if path.exists() else {}
    current.update(fake)
    path.write_text(json.dumps(current))
