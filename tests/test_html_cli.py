"""``pytest-chimera html``: the page from files, and a clear usage error (exit 2) for each bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bench_files import saved_json, speeds, write

from pytest_chimera import cli

EXAMPLE_CORPUS = Path(__file__).resolve().parent.parent / "example_project" / "corpus"
TEST = "tests/test_speed.py::test_collector_speed"
WRONG = "# Brief\n\nThe corpus holds 28 files: 12 JSON files (40.9%).\n"


def run_file(path: Path, markdown: str = WRONG, corpus: str | None = str(EXAMPLE_CORPUS)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return write(path, {"markdown": markdown, "persona": "brief", "backend": "fake", "model": "m", "corpus": corpus,
                        "calls": [{"stage": "report", "metrics": {"ttft_ms": 100.0, "tokens_per_s": 40.0}}]})


def bench_file(path: Path, speed: float, when: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return write(path, saved_json({TEST: {"tokens_per_s": speeds(speed, 6), "ttft_ms": speeds(100, 6)}}, when=when))


def test_builds_the_page_from_run_files_and_saved_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_file(tmp_path / ".chimera" / "tests_test_speed.py__test_collector_speed.json")
    base = bench_file(tmp_path / ".benchmarks" / "m" / "0001_a.json", 50, "2026-11-27T10:00:00")
    bench_file(tmp_path / ".benchmarks" / "m" / "0002_b.json", 30, "2026-11-28T10:00:00")
    out = tmp_path / "page.html"
    code = cli.main(["html", str(tmp_path / ".chimera"), str(tmp_path / ".benchmarks"), "-o", str(out), "--baseline",
                     str(base)])
    assert code == 0
    assert capsys.readouterr().out == (f"wrote {out} ({out.stat().st_size / 1024:.1f} KiB): 1 report test(s), "
                                       "1 with failures, 2 saved benchmark run(s)\n")
    page = out.read_text(encoding="utf-8")
    assert "<mark class=\"num v-contradicted\"" in page and "Fact: files.by_type.json.pct" in page
    assert '<span class="badge bad">✗ regression</span> broke rule tokens_per_s:-10%' in page
    assert page.count('<svg class="chart"') == 2
    # the benchmark's test id names the run file's test (the file name is the sanitised id)
    assert f'id="test-1-h">{TEST}</h2>' in page


def test_defaults_to_the_current_folders_and_checks_against_corpus(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    run_file(tmp_path / ".chimera" / "r.json", corpus=None)
    monkeypatch.chdir(tmp_path)
    assert cli.main(["html", "-o", "page.html", "--corpus", str(EXAMPLE_CORPUS)]) == 0
    assert "<mark class=\"num v-contradicted\"" in (tmp_path / "page.html").read_text(encoding="utf-8")
    assert cli.main(["html", "-o", "page2.html"]) == 0
    page = (tmp_path / "page2.html").read_text(encoding="utf-8")
    assert "<mark class=\"num v-contradicted\"" not in page and "it names no corpus (pass --corpus DIR)" in page


@pytest.mark.parametrize(
    "args, message",
    [
        (["-o", "{tmp}/p.html"], "no inputs: name run JSON files or folders"),
        (["{tmp}/missing", "-o", "{tmp}/p.html"], "{tmp}/missing: no such file or folder"),
        (["{tmp}/bad.json", "-o", "{tmp}/p.html"], "{tmp}/bad.json: invalid JSON at line 1"),
        (["{tmp}/r.json", "-o", "{tmp}/p.html", "--corpus", "{tmp}/nope"], "--corpus {tmp}/nope: not a directory"),
        (["{tmp}/r.json", "-o", "{tmp}"], "-o {tmp}: is a directory"),
        (["{tmp}/r.json", "-o", "{tmp}/p.html", "--baseline", "{tmp}/bad.json"],
         "--baseline {tmp}/bad.json: invalid JSON"),
        (["{tmp}/r.json", "-o", "{tmp}/p.html", "--baseline", "{tmp}/b.json"],
         "--baseline {tmp}/b.json: no other saved pytest-benchmark run among the inputs"),
        (["{tmp}/r.json", "-o", "{tmp}/p.html", "--fail-on", "tokens_per_s:+10%"], "write tokens_per_s:-10%"),
    ],
)
def test_usage_errors_name_what_is_wrong(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    monkeypatch.chdir(tmp_path)
    run_file(tmp_path / "r.json")
    (tmp_path / "bad.json").write_text("{", encoding="utf-8")
    bench_file(tmp_path / "b.json", 50, "2026-11-27T10:00:00")
    argv = ["html", *(a.format(tmp=tmp_path) for a in args)]
    try:
        code = cli.main(argv)
    except SystemExit as exc:  # argparse's own usage errors
        code = int(exc.code or 0)
    assert code == 2
    assert message.format(tmp=tmp_path) in capsys.readouterr().err
    assert not (tmp_path / "p.html").exists()


def test_a_foreign_json_in_a_folder_is_skipped_with_a_note(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_file(tmp_path / "in" / "r.json")
    (tmp_path / "in" / "record.json").write_text(json.dumps({"tests": []}), encoding="utf-8")
    assert cli.main(["html", str(tmp_path / "in"), "-o", str(tmp_path / "p.html")]) == 0
    assert "record.json: neither a run JSON nor a pytest-benchmark file" in capsys.readouterr().err
    assert "record.json: neither" in (tmp_path / "p.html").read_text(encoding="utf-8")
