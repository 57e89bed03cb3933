"""The README stays true: its reference matches the code, and its examples run or match their files.

Each example in the README is either run here (no model: the corpus fixtures and the CLI only) or marked
"From `example_project/tests/<file>.py`" and compared with that file, chunk by chunk (a line `...` skips).
"""

from __future__ import annotations

import argparse
import ast
import re
from pathlib import Path

import pytest

from pytest_chimera import cli
from pytest_chimera import gating as compare
from pytest_chimera.agent import runs
from pytest_chimera.backends.base import CallMetrics
from pytest_chimera.plugin import hooks as plugin

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
EXAMPLE_CORPUS = ROOT / "example_project" / "corpus"

FENCE = re.compile(r"^( *)```(\w*)\n(.*?)\n\1```$", re.MULTILINE | re.DOTALL)


def section(heading: str) -> str:
    """The README text from ``heading`` (a whole heading line) to the next heading of the same or a higher level."""
    level = len(heading) - len(heading.lstrip("#"))
    start = README.index(f"\n{heading}\n") + 1
    text = README[start + len(heading) :]
    outside = FENCE.sub(lambda m: "\0" * len(m.group(0)), text)  # headings inside code blocks do not count
    end = re.search(rf"^#{{1,{level}}} ", outside, re.MULTILINE)
    return text[: end.start()] if end else text


def blocks(text: str, lang: str | None = None) -> list[str]:
    """The fenced code blocks of ``text`` (dedented), optionally only those of one language."""
    found = []
    for m in FENCE.finditer(text):
        indent, kind, body = m.group(1), m.group(2), m.group(3)
        if lang is None or kind == lang:
            found.append("\n".join(line[len(indent) :] for line in body.split("\n")))
    return found


def table_first_column(text: str) -> list[str]:
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    return [row.split("|")[1].strip() for row in rows]


# --- examples copied from example_project -------------------------------------------------------------


def copied_examples() -> list[tuple[str, str]]:
    """(file, block) for every code block introduced by 'From `example_project/tests/<file>.py`'."""
    found = []
    previous_end = 0
    for m in FENCE.finditer(README):
        before = README[previous_end : m.start()]
        previous_end = m.end()
        sources = re.findall(r"[Ff]rom\s+`(example_project/tests/[\w./]+\.py)`", before)
        if sources:
            indent = m.group(1)
            body = "\n".join(line[len(indent) :] for line in m.group(3).split("\n"))
            found.append((sources[-1], body))
    return found


def test_the_readme_copies_examples_from_the_example_project() -> None:
    files = {source for source, _ in copied_examples()}
    assert len(copied_examples()) >= 6
    assert {"example_project/tests/test_reports.py", "example_project/tests/test_speed.py"} <= files


@pytest.mark.parametrize("source, block", copied_examples(), ids=lambda v: str(v)[:40])
def test_copied_example_matches_its_file(source: str, block: str) -> None:
    text = (ROOT / source).read_text(encoding="utf-8")
    chunks = re.split(r"^\s*\.\.\.\n?", block + "\n", flags=re.MULTILINE)
    for chunk in filter(str.strip, chunks):
        assert chunk.rstrip("\n") in text, f"README example no longer matches {source}:\n{chunk}"


# --- reference: options, ini keys, marker, fixtures, CLI, metrics --------------------------------------


def chimera_help(pytester: pytest.Pytester) -> tuple[set[str], set[str]]:
    """The options of the chimera group and the chimera_* ini keys, as ``pytest --help`` lists them."""
    lines = pytester.runpytest("--help").outlines
    start = lines.index("benchmark-aware LLM evaluation (pytest-chimera):")
    end = lines.index("", start)
    options = {o for line in lines[start:end] for o in re.findall(r"^  (--chimera[\w-]*)", line)}
    ini = {m.group(1) for line in lines if (m := re.match(r"^  (chimera_\w+) \(", line))}
    return options, ini


def test_every_option_and_ini_key_is_in_the_reference(pytester: pytest.Pytester) -> None:
    options, ini = chimera_help(pytester)
    assert len(options) >= 16 and len(ini) >= 10
    reference = section("## Options and ini keys")
    documented = {re.match(r"`(--chimera[\w-]*)", cell).group(1) for cell in table_first_column(reference)}  # type: ignore[union-attr]
    assert documented == options
    documented_ini = set(re.findall(r"\| `(chimera_\w+)`", reference))
    assert documented_ini == ini
    # Nowhere in the README is an option named that does not exist.
    assert set(re.findall(r"--chimera[\w-]*\w", README)) - options == set()


def test_marker_signature_matches_the_plugin() -> None:
    (block,) = blocks(section("## The `chimera` marker"), "python")
    documented = ast.parse(block.replace("@pytest.mark.chimera", "f", 1)).body[0].value  # type: ignore[attr-defined]
    registered = plugin.MARKER_DOC.split("chimera(*, ", 1)[1].split("):", 1)[0]
    code = ast.parse(f"f({registered})").body[0].value  # type: ignore[attr-defined]

    def kwargs(call: ast.Call) -> dict[str, object]:
        return {str(k.arg): ast.literal_eval(k.value) for k in call.keywords}

    assert kwargs(documented) == kwargs(code)
    assert set(kwargs(documented)) == plugin.MARKER_KWARGS


def test_fixture_table_lists_the_plugin_fixtures(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--fixtures")
    fixtures = {m.group(1) for line in result.outlines if (m := re.match(r"^(chimera_\w+)", line))}
    cells = table_first_column(section("## Fixtures"))
    documented = {cell.strip("`") for cell in cells if cell.startswith("`chimera_")}
    assert documented == fixtures == {
        "chimera_corpus", "chimera_facts", "chimera_model", "chimera_report", "chimera_ollama_server"}


def test_cli_synopses_are_argparse_usage() -> None:
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    headings = re.findall(r"^### `pytest-chimera (\w+)`$", README, re.MULTILINE)
    assert sorted(headings) == sorted(cli.COMMANDS)
    for name in cli.COMMANDS:
        synopsis = blocks(section(f"### `pytest-chimera {name}`"), "sh")[0]
        usage = sub.choices[name].format_usage().removeprefix("usage: ")
        assert " ".join(synopsis.replace("\\\n", " ").split()) == " ".join(usage.split())


def test_metric_names_are_the_codes() -> None:
    table = section("## Metric names")
    names = set(CallMetrics().to_dict()) | set(runs.aggregate([])) | set(compare.TIMING_METRICS)
    names |= set(compare.QUALITY_METRICS) | {"ingest_ms", "analysis_ms", "report_ms", "total_ms"}
    missing = sorted(n for n in names if f"`{n}`" not in table)
    assert missing == []


# --- examples run here -----------------------------------------------------------------------------------


def report_checks_files() -> dict[str, str]:
    checks = section("## Report checks")
    (spec,) = blocks(section("### Structure specs"), "json")
    return {
        "test_report.py": blocks(checks, "python")[0],
        "report.md": blocks(checks, "markdown")[0] + "\n",
        "brief_spec.json": spec + "\n",
    }


def run_report_checks(pytester: pytest.Pytester, report: str) -> pytest.RunResult:
    files = report_checks_files()
    pytester.makeini(f"[pytest]\nchimera_corpus = {EXAMPLE_CORPUS}\n")
    pytester.makepyfile(test_report=files["test_report.py"])
    pytester.path.joinpath("brief_spec.json").write_text(files["brief_spec.json"], encoding="utf-8")
    pytester.path.joinpath("report.md").write_text(report, encoding="utf-8")
    return pytester.runpytest()


def test_report_checks_example_passes(pytester: pytest.Pytester) -> None:
    run_report_checks(pytester, report_checks_files()["report.md"]).assert_outcomes(passed=1)


def test_report_checks_example_catches_a_wrong_share(pytester: pytest.Pytester) -> None:
    wrong = report_checks_files()["report.md"].replace("(42.9%)", "(43.6%)")
    result = run_report_checks(pytester, wrong)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*'43.6%' (claim) contradicted: the fact it names is 42.9%*"])


def console(text: str, command: str) -> list[str]:
    """The output lines shown under ``$ <command>`` in a console block of ``text``."""
    for block in blocks(text, "console"):
        first, *rest = block.split("\n")
        if first == f"$ {command}":
            return rest
    raise AssertionError(f"no console block for {command!r}")


def test_check_cli_example_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    for name, text in report_checks_files().items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    shown = console(section("### `pytest-chimera check`"),
                    "pytest-chimera check report.md --corpus example_project/corpus --spec brief_spec.json")
    code = cli.main(["check", "report.md", "--corpus", str(EXAMPLE_CORPUS), "--spec", "brief_spec.json"])
    assert code == 0
    assert capsys.readouterr().out.splitlines() == shown


def test_facts_cli_example_output(capsys: pytest.CaptureFixture[str]) -> None:
    shown = console(section("### `pytest-chimera facts`"), "pytest-chimera facts example_project/corpus")
    assert cli.main(["facts", str(EXAMPLE_CORPUS)]) == 0
    out = capsys.readouterr().out.splitlines()
    kept = [line for line in shown if line != "..."]
    assert len(kept) >= 6
    missing = [line for line in kept if line not in out]
    assert missing == []
    positions = [out.index(line) for line in kept]
    assert positions == sorted(positions)  # shown in the order the command prints them
