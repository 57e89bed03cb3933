"""``pytest-chimera facts CORPUS [--json]`` through ``pytest_chimera.cli.main``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_chimera.cli import main


def test_text_output_on_the_real_corpus(chimeraforge_corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["facts", str(chimeraforge_corpus)]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[:3] == ["Total files analyzed: 101", "", "CSV Files (28)"]
    assert "JSON Files (44)" in lines and "MARKDOWN Files (29)" in lines
    facts_header = next(i for i, line in enumerate(lines) if line.startswith("Facts ("))
    assert lines[facts_header + 1].split() == ["key", "value", "unit", "source"]
    pct = next(line for line in lines if line.startswith("files.by_type.md.pct "))
    assert pct.split()[1:3] == ["28.7129", "%"]


def test_json_output_on_the_real_corpus(chimeraforge_corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["facts", str(chimeraforge_corpus), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert set(doc) == {"corpus", "files", "errors", "facts"}
    assert doc["files"] == {"total": 101, "by_type": {"csv": 28, "json": 44, "md": 29}}
    assert doc["errors"] == []
    facts = {f["key"]: f for f in doc["facts"]}
    assert set(facts["files.by_type.json.pct"]) == {"key", "value", "unit", "source", "labels"}
    assert round(facts["files.by_type.json.pct"]["value"], 1) == 43.6
    assert "markdown" in facts["files.by_type.md"]["labels"]


def test_per_file_errors_still_exit_0_and_are_listed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "ok.csv").write_text("tokens_s\n5\n7\n")
    (tmp_path / "bad.json").write_text("{nope")
    assert main(["facts", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "Ingest errors (1)" in out
    assert "  - bad.json: invalid JSON: Expecting property name enclosed in double quotes" in out
    assert main(["facts", str(tmp_path), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["errors"] == [{"path": "bad.json", "reason": "invalid JSON: Expecting property name enclosed in "
                                                            "double quotes at line 1 column 2"}]
    assert {"key": "table.ok.csv.tokens_s.mean", "value": 6.0, "unit": "tok/s"}.items() <= next(
        f for f in doc["facts"] if f["key"] == "table.ok.csv.tokens_s.mean").items()


def test_the_columns_line_up_with_their_headers_on_a_small_corpus(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "x.csv").write_text("a\n1\n")  # every value one digit: narrower than the header "value"
    assert main(["facts", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.split("Facts (")[1].splitlines()[1:]
    header, rows = lines[0], lines[1:]
    unit_at = header.index("unit")
    assert header[:unit_at].endswith("value  ")
    for row in rows:  # each value ends where "value" ends, each unit starts where "unit" starts
        assert row[unit_at - 3] != " " and row[unit_at - 2 : unit_at] == "  ", row
    assert next(r for r in rows if r.startswith("files.total")).split()[1:3] == ["1", "files"]


def test_a_folder_without_corpus_files_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "notes.txt").write_text("not a corpus file")
    assert main(["facts", str(tmp_path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == (
        f"pytest-chimera facts: corpus {str(tmp_path)!r} holds no .csv, .json or .md file (searched recursively, "
        "hidden folders skipped); give the folder of benchmark files\n")


def test_missing_corpus_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nowhere"
    assert main(["facts", str(missing)]) == 2
    err = capsys.readouterr().err
    assert f"corpus directory not found: {missing}" in err
    (tmp_path / "file.csv").write_text("a\n1\n")
    assert main(["facts", str(tmp_path / "file.csv")]) == 2
    assert "not a directory" in capsys.readouterr().err


def test_no_corpus_argument_is_an_argparse_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["facts"])
    assert exc.value.code == 2
    assert "CORPUS" in capsys.readouterr().err
