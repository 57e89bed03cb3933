"""``pytest-chimera run`` with a fake backend: outputs, run JSON shape, progress, exit codes."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any

import pytest
from agent_fakes import FakeBackend

from pytest_chimera.agent.chimera import Progress
from pytest_chimera.backends.base import BackendError
from pytest_chimera.cli import main
from pytest_chimera.cli.run import ProgressPrinter

RUN_KEYS = {"markdown", "persona", "backend", "model", "options", "stages", "calls", "metrics"}
METRIC_KEYS = {"tokens_per_s", "ttft_ms", "total_ms", "eval_count", "prompt_eval_ms", "eval_ms", "load_ms"}


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    (root / "reports").mkdir(parents=True)
    (root / "reports" / "runs.csv").write_text("model,tokens_s\ngemma3:270m,41.5\ngemma3:1b,20.1\n", encoding="utf-8")
    (root / "reports" / "bad.json").write_text("{not json", encoding="utf-8")
    return root


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    def load_backend(name: str, model: str, **kwargs: Any) -> FakeBackend:
        seen.update(name=name, model=model, **kwargs)
        backend = FakeBackend(model=model)
        seen["backend"] = backend
        return backend

    monkeypatch.setattr("pytest_chimera.backends.load_backend", load_backend)
    return seen


def test_run_writes_report_and_run_json(corpus: Path, tmp_path: Path, fake: dict[str, Any],
                                        capsys: pytest.CaptureFixture[str]) -> None:
    out, js = tmp_path / "report.md", tmp_path / "run.json"
    code = main(["run", str(corpus), "--persona", "collector", "--backend", "llama-cpp", "--option", "num_ctx=2048",
                 "--option", "temperature=1", "--out", str(out), "--json", str(js)])
    assert code == 0
    assert fake["name"] == "llama-cpp" and fake["options"] == {"num_ctx": 2048, "temperature": 1.0}
    report = out.read_text(encoding="utf-8")
    assert report.startswith("# Chimera Agent A\n")
    assert "num_ctx=2048, temp=1, top_p=default" in report
    assert "Ingest errors (1)" in report and "reports/bad.json" in report  # a bad file never aborts the ingest
    data = json.loads(js.read_text(encoding="utf-8"))
    assert RUN_KEYS <= set(data)
    assert data["markdown"] == report and data["persona"] == "collector"
    assert data["options"] == {"num_ctx": 2048, "temperature": 1.0}
    assert set(data["stages"]) == {"ingest_ms", "analysis_ms", "report_ms", "total_ms"}
    assert [c["stage"] for c in data["calls"]] == ["analysis", "report"]
    assert all(set(c) >= {"stage", "metrics"} and "ttft_ms" in c["metrics"] for c in data["calls"])
    assert METRIC_KEYS <= set(data["metrics"])
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "Chimera Agent A: analysis" in captured.err and "Chimera Agent A: report" in captured.err
    assert "tokens" in captured.err and "tok/s" in captured.err


def test_report_goes_to_stdout_without_out(corpus: Path, fake: dict[str, Any],
                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(corpus), "--quiet", "--no-grounding"]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("# Chimera Agent B\n") and captured.err == ""
    assert "Measured facts" not in fake["backend"].prompts[0]


def test_grounded_by_default(corpus: Path, fake: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(corpus), "--quiet"]) == 0
    assert "- The corpus holds 2 files" in fake["backend"].prompts[0]  # the key figures


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "{missing}"], "corpus '{missing}' is not a directory"),
        (["run", "{empty}"], "corpus '{empty}' holds no .csv, .json or .md file"),
        (["run", "{corpus}", "--persona", "nope.md"], "--persona: persona file 'nope.md' does not exist"),
        (["run", "{corpus}", "--backend", "replay"], "--backend replay needs --cassettes DIR"),
        (["run", "{corpus}", "--out", "{corpus}"], "--out '{corpus}' is a directory"),
        (["run", "{corpus}", "--option", "num_ctx=16"], "raise num_ctx or lower num_predict"),
    ],
)
def test_usage_errors_exit_2_naming_the_value(corpus: Path, tmp_path: Path, fake: dict[str, Any], args: list[str],
                                              message: str, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "empty" / ".git").mkdir(parents=True)
    (tmp_path / "empty" / ".git" / "hidden.csv").write_text("a\n1\n")  # hidden folders are skipped
    fill = {"missing": str(tmp_path / "missing"), "corpus": str(corpus), "empty": str(tmp_path / "empty")}
    assert main([a.format(**fill) for a in args]) == 2
    assert message.format(**fill) in capsys.readouterr().err


@pytest.mark.parametrize("flag", ["--out", "--json"])
def test_an_output_under_a_regular_file_exits_2_before_the_model_runs(corpus: Path, tmp_path: Path, flag: str,
                                                                      fake: dict[str, Any],
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a_file").write_text("not a folder\n")
    target = str(tmp_path / "a_file" / "x.md")
    assert main(["run", str(corpus), flag, target, "--quiet"]) == 2
    assert f"{flag} {target!r}: {str(tmp_path / 'a_file')!r} is a file, not a directory" in capsys.readouterr().err
    assert "backend" not in fake  # refused up front: no model was loaded, nothing ran


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc, where no file can be created")
def test_an_output_in_a_folder_no_file_can_be_created_in_exits_2(corpus: Path, fake: dict[str, Any],
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    # /proc refuses new files even to root (a chmod'ed folder would not stop root, who runs CI containers)
    assert main(["run", str(corpus), "--out", "/proc/chimera-report.md", "--quiet"]) == 2
    assert "--out '/proc/chimera-report.md': cannot create a file in '/proc'" in capsys.readouterr().err
    assert "backend" not in fake


def test_bad_option_is_an_argparse_usage_error(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["run", str(corpus), "--option", "num_ctx=big"])
    assert exc.value.code == 2
    assert "option 'num_ctx' takes a whole number, got 'big'" in capsys.readouterr().err


def test_a_failing_model_exits_1_and_leaves_no_json(corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    class Down(FakeBackend):
        def generate(self, prompt: str | None = None, **kwargs: Any) -> Any:
            raise BackendError("Ollama at 127.0.0.1:11434 is unreachable; run `ollama serve`")

    monkeypatch.setattr("pytest_chimera.backends.load_backend", lambda *a, **k: Down())
    js = tmp_path / "run.json"
    assert main(["run", str(corpus), "--json", str(js), "--quiet"]) == 1
    assert "unreachable; run `ollama serve`" in capsys.readouterr().err
    assert not js.exists() and list(tmp_path.glob("*.tmp")) == []


def test_progress_printer_on_a_pipe_prints_stages_and_every_32_tokens() -> None:
    stream = io.StringIO()
    printer = ProgressPrinter(stream)
    for event in [Progress("A", "ingest"), *(Progress("A", "analysis", n) for n in range(0, 70)),
                  Progress("A", "done", 69)]:
        printer(event)
    assert stream.getvalue().splitlines() == [
        "A: ingest", "A: analysis", "A: analysis, 32 tokens so far", "A: analysis, 64 tokens so far",
        "A: done, 69 tokens",
    ]


def test_run_is_listed_in_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "run" in capsys.readouterr().out


@pytest.mark.parametrize(("given", "expected"), [(None, "1"), ("4", "4")])
def test_the_cli_asks_openblas_for_one_thread_unless_the_user_chose(
        given: str | None, expected: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """numpy's OpenBLAS would start a thread per core on import; the CLI does no linear algebra."""
    if given is None:
        monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    else:
        monkeypatch.setenv("OPENBLAS_NUM_THREADS", given)
    assert main([]) == 2  # no command: help, usage error
    assert os.environ["OPENBLAS_NUM_THREADS"] == expected
