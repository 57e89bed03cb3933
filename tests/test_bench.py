"""capture_rounds and the machine_info hook, through pytest-benchmark's real fixture (pytester)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from bench_files import fake_run, pytester_project

from pytest_chimera.agent.runs import ReportRun
from pytest_chimera.gating import record
from pytest_chimera.plugin import capture as bench


def _saved(pytester: pytest.Pytester, *args: str) -> tuple[pytest.RunResult, dict[str, Any]]:
    out = Path(pytester.path) / "out.json"
    result = pytester.runpytest("--benchmark-json", str(out), *args)
    return result, json.loads(out.read_text())


def test_capture_stores_counted_rounds_without_the_warm_up(pytester: pytest.Pytester) -> None:
    pytester_project(pytester, rounds=4)
    result, data = _saved(pytester)
    result.assert_outcomes(passed=1)
    (entry,) = data["benchmarks"]
    info = entry["extra_info"]["chimera"]
    assert info["rounds"] == 4 and info["warmup_rounds"] == 1 and info["timings"] is True
    assert entry["stats"]["rounds"] == 4  # pytest-benchmark's own timing also counts 4 rounds
    assert info["per_round"]["load_ms"] == [0.0] * 4  # the warm-up round (700 ms load) is not counted
    assert max(info["per_round"]["ttft_ms"]) < 200
    assert set(info["per_round"]) == {*record.TIMING_METRICS, "supported", "contradicted", "unverified",
                                      "structure_failed"}
    assert info["per_round"]["eval_count"] == [64.0] * 4
    summary = info["summary"]["tokens_per_s"]
    assert set(summary) == {"median", "mean", "p90", "stddev", "min", "max"}
    assert summary["min"] <= summary["median"] <= summary["p90"] <= summary["max"]
    assert info["summary"]["contradicted"]["median"] == 0
    assert any("warm-up round not counted" in n for n in info["notes"])
    assert any("prompt caching" in n for n in info["notes"])
    assert info["prompt_cache"] == {"cached_prompt_tokens": [0, 0, 0, 0], "clean": True}
    result.stdout.fnmatch_lines(
        ["*chimera benchmarks*", "*test_report*4 counted rounds + 1 warm-up round not counted*"]
    )


def test_machine_info_carries_backend_identity(pytester: pytest.Pytester) -> None:
    pytester_project(pytester, rounds=1, accelerator="CUDA: NVIDIA H100")
    _, data = _saved(pytester)
    chimera = data["machine_info"]["chimera"]
    assert chimera["backends"] == [{
        "backend": "llama-cpp", "model": "gemma3:270m", "model_sha256": "abc123", "ollama_digest": None,
        "quantization": "Q4_K_M", "options": {"num_ctx": 2048}, "accelerator": "CUDA: NVIDIA H100",
        "model_file": None,
    }]
    assert chimera["accelerator"] == "CUDA: NVIDIA H100"


def test_replayed_runs_record_quality_only(pytester: pytest.Pytester) -> None:
    pytester_project(pytester, rounds=3, replayed=True)
    result, data = _saved(pytester)
    info = data["benchmarks"][0]["extra_info"]["chimera"]
    assert info["replayed"] is True and info["timings"] is False
    assert set(info["per_round"]) == {"supported", "contradicted", "unverified", "structure_failed"}
    assert info["notes"] == [record.REPLAYED_NOTE]
    result.stdout.fnmatch_lines(["*test_report*quality only (replayed from a cassette*"])


def test_with_benchmarks_disabled_the_agent_runs_once_and_records_quality(pytester: pytest.Pytester) -> None:
    pytester_project(pytester, rounds=5)
    pytester.makepyfile(test_count="""
        from pytest_chimera.plugin.capture import capture_rounds

        def test_once(benchmark, fake_agent, quality):
            calls = []
            def run_once():
                calls.append(1)
                return fake_agent()
            capture_rounds(benchmark, run_once, 5, quality=quality)
            assert len(calls) == 1
            info = benchmark.extra_info["chimera"]
            assert info["timings"] is False and "ttft_ms" not in info["per_round"]
            assert "pytest-xdist or --benchmark-disable" in info["notes"][0]
    """)
    pytester.runpytest("--benchmark-disable", "test_count.py").assert_outcomes(passed=1)


def test_a_prompt_cache_hit_is_flagged(pytester: pytest.Pytester) -> None:
    pytester_project(pytester, rounds=2, cached=30)
    result, data = _saved(pytester, "-W", "default")
    info = data["benchmarks"][0]["extra_info"]["chimera"]
    assert info["prompt_cache"] == {"cached_prompt_tokens": [30, 30], "clean": False}
    assert "TTFT is flattered" in info["notes"][-1]
    result.stdout.fnmatch_lines(["*PromptCacheWarning*", "*prompt cache HIT (TTFT flattered)*"])


def test_autosave_is_written_atomically_and_readable(pytester: pytest.Pytester) -> None:
    pytester_project(pytester, rounds=2)
    pytester.runpytest("--benchmark-autosave").assert_outcomes(passed=1)
    files = sorted(Path(pytester.path, ".benchmarks").rglob("*"))
    saved = [p for p in files if p.is_file()]
    assert len(saved) == 1 and saved[0].name.startswith("0001_") and saved[0].suffix == ".json"
    assert json.loads(saved[0].read_text())["benchmarks"][0]["extra_info"]["chimera"]["rounds"] == 2
    # pytest-benchmark's own tools still read the file
    done = subprocess.run([sys.executable, "-m", "pytest_benchmark", "compare", str(saved[0])],
                          capture_output=True, text=True, cwd=pytester.path)
    assert done.returncode == 0, done.stderr
    assert "test_report" in done.stdout


class FakeBenchmark:
    """Mimics BenchmarkFixture.pedantic's call order: warm-up rounds, counted rounds."""

    def __init__(self, disabled: bool = False) -> None:
        self.extra_info: dict[str, Any] = {}
        self.disabled = disabled
        self.calls: list[tuple[int, int]] = []

    def pedantic(self, target: Any, args: Any = (), kwargs: Any = None, setup: Any = None, teardown: Any = None,
                 rounds: int = 1, warmup_rounds: int = 0, iterations: int = 1) -> Any:
        self.calls.append((rounds, warmup_rounds))
        result = None
        for _ in range(warmup_rounds + rounds):
            result = target()
        return result


@pytest.mark.usefixtures("not_a_worker")
def test_capture_returns_the_last_counted_run_and_validates_input() -> None:
    runs = iter([fake_run(900, 10), fake_run(100, 50), fake_run(110, 52)])
    fake = FakeBenchmark()
    last = bench.capture_rounds(fake, lambda: next(runs), 2)
    assert fake.calls == [(2, 1)]
    assert last.calls[0].metrics.tokens_per_s == 52
    assert fake.extra_info["chimera"]["per_round"]["ttft_ms"] == [100, 110]
    with pytest.raises(ValueError, match="rounds must be a whole number >= 1, got 0"):
        bench.capture_rounds(FakeBenchmark(), lambda: fake_run(1, 1), 0)
    with pytest.raises(TypeError, match="run_once must return a ReportRun, got dict"):
        bench.capture_rounds(FakeBenchmark(), lambda: {}, 1)  # type: ignore[arg-type, return-value]
    with pytest.raises(ValueError, match="unknown counts \\['wrong'\\]"):
        bench.capture_rounds(FakeBenchmark(), lambda: fake_run(1, 1), 1, quality=lambda r: {"wrong": 1})


def test_aggregated_metrics_follow_runs_aggregate() -> None:
    run: ReportRun = fake_run(120, 40, eval_count=80)
    values = record.round_values(run, None, timings=True)
    assert values["ttft_ms"] == 120  # the first call's TTFT
    assert values["tokens_per_s"] == pytest.approx(40)
    assert values["eval_count"] == 80


def test_machine_info_for_normalises_describe_aliases() -> None:
    info = record.machine_info_for({"name": "ollama", "model": "gemma3:270m", "digest": "sha256:e1f",
                                   "quantization_level": "Q8_0", "options": None, "host": "http://h:11434",
                                   "load_ms": 812.5})
    assert info == {"backend": "ollama", "model": "gemma3:270m", "model_sha256": None, "ollama_digest": "sha256:e1f",
                    "quantization": "Q8_0", "options": {}, "accelerator": None, "model_file": None,
                    "host": "http://h:11434"}  # load_ms varies run to run: left out
