"""``pytest-chimera generate`` with the embedded model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_chimera.cli import main
from pytest_chimera.cli.generate import METRICS

pytest.importorskip("llama_cpp", reason="the embedded backend needs: pip install -e '.[embedded]'")

BASE = ["generate", "--backend", "llama-cpp", "--option", "num_ctx=256", "--option", "temperature=0"]


def test_prints_the_text_then_the_metrics(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*BASE, "--option", "num_predict=6", "1, 2, 3,"]) == 0
    out = capsys.readouterr().out
    text, _, metrics = out.partition("\n--- llama-cpp gemma3:270m\n")
    assert text.strip() and metrics
    lines = dict(line.split(": ", 1) for line in metrics.splitlines())
    assert list(lines)[: len(METRICS)] == list(METRICS)
    assert lines["eval_count"] == "6" and float(lines["tokens_per_s"]) > 0


def test_json_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*BASE, "--option", "num_predict=4", "--json", "Hello"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {"text", "backend", "model", "options", "metrics"}
    assert (data["backend"], data["model"]) == ("llama-cpp", "gemma3:270m")
    assert data["options"] == {"num_ctx": 256, "temperature": 0.0, "num_predict": 4}
    assert set(data["metrics"]) == set(METRICS)
    m = data["metrics"]
    assert m["eval_count"] == 4 and m["ttft_ms"] <= m["wall_ms"] and m["load_ms"] > 0


def test_a_missing_model_path_exits_1_with_the_message(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["generate", "--model-path", str(tmp_path / "x.gguf"), "Hi"]) == 1
    assert f"model file not found: {tmp_path / 'x.gguf'}" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--option", "num_ctx=big"], "option 'num_ctx' takes a whole number, got 'big'"),
        (["--backend", "gpt"], "unknown backend 'gpt'"),
        (["--timeout", "0"], "timeout must be a positive number of seconds, got '0'"),
    ],
)
def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["generate", *args, "Hi"])
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_replay_needs_cassettes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["generate", "--backend", "replay", "Hi"]) == 2
    assert "--backend replay needs --cassettes DIR" in capsys.readouterr().err
