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
                                       "1 with failures, 2 saved run(s)\n")
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
        (["{tmp}/reports", "-o", "{tmp}/p.html"],
         "nothing to show: no run JSON, chimera run record or pytest-benchmark file in {tmp}/reports; name the"),
        (["{tmp}/bad.json", "-o", "{tmp}/p.html"], "{tmp}/bad.json: invalid JSON at line 1"),
        (["{tmp}/r.json", "-o", "{tmp}/p.html", "--corpus", "{tmp}/nope"], "--corpus {tmp}/nope: not a directory"),
        (["{tmp}/r.json", "-o", "{tmp}"], "-o '{tmp}' is a directory; give a file path"),
        (["{tmp}/r.json", "-o", "{tmp}/r.json/p.html"], "-o '{tmp}/r.json/p.html': '{tmp}/r.json' is a file"),
        (["{tmp}/r.json", "-o", "{tmp}/p.html", "--baseline", "{tmp}/bad.json"],
         "--baseline {tmp}/bad.json: invalid JSON"),
        (["{tmp}/r.json", "-o", "{tmp}/p.html", "--baseline", "{tmp}/b.json"],
         "--baseline {tmp}/b.json: no other saved run (chimera run record or pytest-benchmark file) among"),
        (["{tmp}/r.json", "-o", "{tmp}/p.html", "--fail-on", "tokens_per_s:+10%"], "write tokens_per_s:-10%"),
    ],
)
def test_usage_errors_name_what_is_wrong(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    monkeypatch.chdir(tmp_path)
    run_file(tmp_path / "r.json")
    (tmp_path / "bad.json").write_text("{", encoding="utf-8")
    (tmp_path / "reports").mkdir()  # a wrong folder: markdown reports, no run files
    (tmp_path / "reports" / "r.md").write_text("# Report\n", encoding="utf-8")
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
    (tmp_path / "in" / "other.json").write_text(json.dumps({"tests": []}), encoding="utf-8")
    assert cli.main(["html", str(tmp_path / "in"), "-o", str(tmp_path / "p.html")]) == 0
    assert "other.json: neither a run JSON, a chimera run record nor a pytest-benchmark" in capsys.readouterr().err
    assert "other.json: neither" in (tmp_path / "p.html").read_text(encoding="utf-8")


def record_file(path: Path, tests: dict[str, list[str]], when: str) -> Path:
    """A chimera run record whose tests carry the given sample verdicts."""
    path.parent.mkdir(parents=True, exist_ok=True)
    blocks = {name: {"backend": "fake", "model": "m", "per_round": {"contradicted": [1.0] * len(v)},
                     "samples": {"n": len(v), "verdicts": v}} for name, v in tests.items()}
    return write(path, {"pytest_chimera_run": 1, "datetime": when, "machine_info": {}, "commit_info": {},
                        "session": {}, "tests": blocks})


def test_samples_beside_a_run_and_their_recorded_verdicts(tmp_path: Path) -> None:
    stem = "tests_test_s.py__test_s"
    run_file(tmp_path / ".chimera" / f"{stem}.json")
    for i in (1, 2, 3):  # sample 3 is left over from an earlier session with 4 samples
        run_file(tmp_path / ".chimera" / f"{stem}.sample{i}.json", markdown="# Brief\n\n28 files.\n")
    record_file(tmp_path / ".chimera" / "runs" / "0001_a.json", {"tests/test_s.py::test_s": ["failed"] * 4},
                "2026-11-27T10:00:00")
    record_file(tmp_path / ".chimera" / "runs" / "0002_b.json",
                {"tests/test_s.py::test_s": ["failed", "passed", "failed"]}, "2026-11-28T10:00:00")
    out = tmp_path / "page.html"
    assert cli.main(["html", str(tmp_path / ".chimera"), "-o", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert 'id="test-1-h">tests/test_s.py::test_s</h2>' in page  # the record names the test
    assert page.count('<section class="card chimera-report"') == 1 and page.count("<summary>Sample ") == 3
    assert "Pass rate: 1 of 3 (33%); the verdict flipped 2 time(s)" in page
    assert page.count('<svg class="chart"') == 1  # contradicted over the two records
