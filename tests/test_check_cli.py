"""``pytest-chimera check``: text and JSON output, exit codes 0/1/2, --spec, --run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_chimera.cli import main


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    (root / "runs").mkdir(parents=True)
    (root / "runs" / "gemma3_270m_baseline.csv").write_text("run,ttft_ms,tokens_per_s\n1,80,100\n2,82,104\n")
    (root / "runs" / "summary.json").write_text(json.dumps({"best_tokens_per_s": 104.0}))
    (root / "README.md").write_text("# Bench\n\nNotes.\n")
    return root


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "report.md"
    path.write_text(text)
    return path


GOOD = "# Report\n\nThe corpus holds 3 files: 1 CSV file, 1 JSON file and 1 Markdown file.\n"
BAD = "# Report\n\nThe corpus holds 3 files, of which 2 are Markdown files.\n"


def test_all_supported_exits_0(tmp_path: Path, corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(write(tmp_path, GOOD)), "--corpus", str(corpus)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("consistency: 0 contradicted (max 0), 0 unverified")
    assert out.rstrip().endswith("OK")


def test_contradiction_exits_1_and_names_the_line(tmp_path: Path, corpus: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(write(tmp_path, BAD)), "--corpus", str(corpus)]) == 1
    out = capsys.readouterr().out
    assert "line 3: '2' (claim) contradicted: the fact it names is 1 files" in out
    assert "files.by_type.md" in out and out.rstrip().endswith("FAILED")


def test_json_shape(tmp_path: Path, corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["check", str(write(tmp_path, BAD)), "--corpus", str(corpus), "--spec", "collector", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 1
    assert set(data) == {"report", "numbers", "structure", "summary"}
    assert data["summary"] == {"supported": 1, "contradicted": 1, "unverified": 0, "checked": 2,
                               "structure_failed": sum(not r["ok"] for r in data["structure"])}
    first = data["numbers"][0]
    assert {"line", "text", "value", "unit", "kind", "verdict", "fact"} <= set(first)
    assert first["line"] == 3 and first["value"] == 3.0 and first["verdict"] == "supported"
    assert set(first["fact"]) >= {"key", "value", "source"} and first["fact"]["key"] == "files.total"
    assert {"rule", "ok", "detail"} <= set(data["structure"][0])


def test_structure_failure_alone_exits_1(tmp_path: Path, corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(write(tmp_path, GOOD)), "--corpus", str(corpus), "--spec", "insight"]) == 1
    assert capsys.readouterr().out.startswith("insight spec: ")


def test_max_unverified(tmp_path: Path, corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = write(tmp_path, GOOD + "\nLatency was 12 fortnights.\n")
    assert main(["check", str(report), "--corpus", str(corpus)]) == 0
    assert main(["check", str(report), "--corpus", str(corpus), "--max-unverified", "0"]) == 1
    assert "unverified" in capsys.readouterr().out


def test_run_json_checks_metrics(tmp_path: Path, corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    md = "# R\n\nText.\n\n## Workflow Summary\n- Files analyzed: 3\n\n## Metrics\n- TTFT: 500.00 ms\n"
    run = {"markdown": md, "calls": [{"stage": "report", "text": "", "metrics": {"ttft_ms": 512.0}}]}
    run_path = tmp_path / "run.json"
    run_path.write_text(json.dumps(run))
    assert main(["check", str(write(tmp_path, md)), "--corpus", str(corpus), "--json", "--min-checked", "0"]) == 0
    unchecked = json.loads(capsys.readouterr().out)["numbers"]
    assert [(n["kind"], n["verdict"]) for n in unchecked] == [("claim", "supported"), ("run_metric", None)]
    assert main(["check", str(write(tmp_path, md)), "--corpus", str(corpus), "--run", str(run_path), "--json",
                 "--min-checked", "0"]) == 1
    checked = json.loads(capsys.readouterr().out)["numbers"]
    assert checked[1]["verdict"] == "contradicted" and checked[1]["fact"]["key"] == "run.metrics.ttft_ms"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.md", "--corpus", "{corpus}"], "REPORT.md missing.md: cannot read it"),
        (["{report}", "--corpus", "{tmp}/nowhere"], "--corpus {tmp}/nowhere: not a directory"),
        (["{report}", "--corpus", "{tmp}/txt_only"],
         "--corpus: corpus '{tmp}/txt_only' holds no .csv, .json or .md file"),
        (["{report}", "--corpus", "{corpus}", "--spec", "nope"], "--spec: structure spec 'nope' not found"),
        (["{report}", "--corpus", "{corpus}", "--spec", "{tmp}/txt_only"],
         "--spec: structure spec '{tmp}/txt_only' is a folder: pass a built-in name"),
        (["{report}", "--corpus", "{corpus}", "--run", "{tmp}/bad.json"], "--run {tmp}/bad.json: not readable JSON"),
        (["{report}", "--corpus", "{corpus}", "--run", "{tmp}/list.json"], "not a run JSON"),
    ],
)
def test_usage_errors_exit_2_and_name_the_problem(tmp_path: Path, corpus: Path, capsys: pytest.CaptureFixture[str],
                                                  args: list[str], message: str) -> None:
    (tmp_path / "bad.json").write_text("{oops")
    (tmp_path / "list.json").write_text("[]")
    (tmp_path / "txt_only").mkdir()
    (tmp_path / "txt_only" / "notes.txt").write_text("28 files")  # a wrong folder: no file the corpus reads
    report = write(tmp_path, GOOD)
    fill = {"corpus": str(corpus), "report": str(report), "tmp": str(tmp_path)}
    assert main(["check", *(a.format(**fill) for a in args)]) == 2
    assert message.format(**fill) in capsys.readouterr().err


def test_bad_option_value_is_a_usage_error(tmp_path: Path, corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["check", str(write(tmp_path, GOOD)), "--corpus", str(corpus), "--max-unverified", "-1"])
    assert exc.value.code == 2
    assert "--max-unverified: expected a whole number >= 0, got '-1'" in capsys.readouterr().err


def test_seed_report_with_the_real_corpus(seed_report: Path, chimeraforge_corpus: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["check", str(seed_report), "--corpus", str(chimeraforge_corpus), "--spec", "insight", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 1
    assert data["summary"]["structure_failed"] == 3
    flagged = {n["text"] for n in data["numbers"] if n["verdict"] in ("contradicted", "unverified")}
    assert any("Markdown: 29 files (28.3%)" in t for t in flagged)
    assert any("12.5 samples/second" in t for t in flagged)


def test_a_claim_nested_20_deep_is_checked(tmp_path: Path, corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 14, item 5: under 20 levels of blockquote a false claim gave "0 checked numbers" and exit 0."""
    nested = "# Report\n\n" + "> " * 20 + "The corpus holds 3 files, of which 2 are Markdown files.\n"
    assert main(["check", str(write(tmp_path, nested)), "--corpus", str(corpus)]) == 1
    out = capsys.readouterr().out
    assert "1 contradicted" in out and "2 checked numbers" in out
