"""A number at the very end of a model-written part (a generation stopped by its token limit) is ``cut_off``:
reported, never a claim with a unit borrowed from the words before it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pytest_chimera.checks.consistency import check_consistency
from pytest_chimera.evidence.facts import Fact, Facts

TESTS = Path(__file__).resolve().parent
FACTS = Facts.from_records([
    Fact("files.total", 101.0, "files", "count", ("total", "files")),
    Fact("files.by_type.csv.count", 28.0, "files", "count", ("csv", "files")),
    Fact("files.by_type.csv.pct", 27.722772, "%", "28/101*100", ("csv", "files", "percent")),
    Fact("files.by_type.json.count", 44.0, "files", "count", ("json", "files")),
])
CUT = "The corpus holds 101 files: 28 CSV (27.72"


def kinds(markdown: str) -> dict[str, tuple[str, str | None]]:
    return {n.raw: (n.kind, n.verdict) for n in check_consistency(markdown, FACTS).numbers}


def test_a_number_cut_at_the_end_is_cut_off_not_a_claim_with_a_borrowed_unit() -> None:
    result = check_consistency(CUT, FACTS)
    assert {n.raw: n.kind for n in result.numbers} == {"101 files": "claim", "28": "claim", "27.72": "cut_off"}
    [cut] = [n for n in result.numbers if n.kind == "cut_off"]
    assert cut.explanation.startswith("not checked: the model's text ends right after it")
    assert result.counts()["contradicted"] == 0


@pytest.mark.parametrize("tail", ["27.72%) and 44 JSON.", "27.72%", "27.72 files", "27.72).", "27.72**"])
def test_a_number_with_anything_after_it_is_a_claim(tail: str) -> None:
    """A unit, a bracket, a full stop or closed markup after it: the writer finished it."""
    markdown = f"The corpus holds 101 files: 28 CSV (**{tail}" if tail.endswith("**") else \
        f"The corpus holds 101 files: 28 CSV ({tail}"
    assert kinds(markdown)[next(r for r in kinds(markdown) if r.startswith("27.72"))][0] == "claim"


def test_only_the_end_of_a_model_written_part_and_only_its_last_number() -> None:
    # the same line in the middle of the text, then a complete last line: both claims
    early = kinds(f"{CUT}\n\nThe corpus holds 101 files.\n")
    assert early["27.72"][0] == "claim" and early["27.72"][1] is not None
    # blank lines, a thematic break and a fence after the cut line do not hide it
    assert kinds(f"{CUT}\n\n---\n\n")["27.72"][0] == "cut_off"


SEED = """# Report

**Date:** 2025-11-15

---

{body}

---

## Workflow Summary
- Files analyzed: 101

## Metrics
- Total tokens: 17

## Key Findings
- {finding}

## Recommendations
- Consider more runs.

## Persona Prompt
```
Write 3 sections
```
"""


def test_the_seed_layout_ends_of_body_and_key_findings_are_cut_off_the_metrics_not() -> None:
    result = check_consistency(SEED.format(body=CUT, finding="28 CSV (27.72"), FACTS)
    cut = [(n.part, n.raw) for n in result.numbers if n.kind == "cut_off"]
    assert cut == [("body", "27.72"), ("key_findings", "27.72")]
    assert {n.raw: n.kind for n in result.numbers if n.part == "metrics"} == {"17": "run_metric"}


CONFTEST = """
from pathlib import Path

import pytest
from agent_fakes import FakeBackend

ANALYSIS = "**Key Findings**\\n\\n* The corpus mixes CSV, JSON and Markdown files.\\n"


@pytest.hookimpl(trylast=True)  # after the plugin's own configure
def pytest_configure(config):
    from pytest_chimera.backends import BackendPool
    from pytest_chimera.plugin.settings import settings_of
    from pytest_chimera.plugin.stash import POOL_KEY

    settings = settings_of(config)
    report = Path("answer.txt").read_text()
    pool = BackendPool(cassette_dir=settings.cassettes, record_mode=settings.record_mode,
                       loader=lambda name, model, **kw: FakeBackend(model=model, analysis=ANALYSIS, report=report))
    pool._auto[settings.model] = "llama-cpp"
    config.stash[POOL_KEY] = pool
"""

TEST_FILE = """
import pytest

@pytest.mark.chimera(persona="collector")
def test_report(chimera_report, chimera_facts):
    result = chimera_report.assert_consistent(chimera_facts, max_contradicted=0)
    print("KINDS", sorted((n.raw, n.kind) for n in result.numbers if n.part == "body"))
"""


@pytest.mark.parametrize(("answer", "passes"), [
    ("The corpus holds **28 files**: 12 JSON files (4", True),  # stopped by num_predict inside "42.9%"
    ("The corpus holds **28 files**: 12 JSON files (4).", False),  # the same number, finished: a wrong claim
])
def test_through_the_plugin_an_answer_cut_mid_number_passes(pytester: pytest.Pytester, answer: str,
                                                            passes: bool) -> None:
    pytester.syspathinsert(TESTS)  # agent_fakes
    shutil.copytree(TESTS.parent / "example_project" / "corpus", pytester.path / "corpus")
    pytester.makeini("[pytest]\nchimera_corpus = corpus\n")
    pytester.makeconftest(CONFTEST)
    (pytester.path / "answer.txt").write_text(answer)
    pytester.makepyfile(test_r=TEST_FILE)
    result = pytester.runpytest("--chimera", "-p", "no:randomly", "-s")
    if passes:
        result.assert_outcomes(passed=1)
        result.stdout.fnmatch_lines(["*('4', 'cut_off')*"])
    else:
        result.assert_outcomes(failed=1)
        result.stdout.fnmatch_lines(["*'4' (claim) contradicted*"])


@pytest.mark.parametrize(("line", "kind"), [
    ("Total files: 101", "claim"),  # a label's value: a finished line
    ("alpha beta = 7", "claim"),
    ("The CSV files (share: 27.72", "cut_off"),  # a label inside a bracket still open
    ("The corpus holds 10", "cut_off"),  # a sentence stopped without its full stop
])
def test_a_labelled_value_at_the_end_is_finished_unless_a_bracket_is_open(line: str, kind: str) -> None:
    [last] = [n for n in check_consistency(line, FACTS).numbers]
    assert last.kind == kind


def test_a_model_familys_version_is_no_count_of_models() -> None:
    facts = Facts.from_records([Fact("models.count", 2.0, "models", "count", ("models", "corpus"))])
    result = check_consistency("The corpus covers the Gemma 3 model family with 2 models.\n", facts)
    assert {n.raw: n.kind for n in result.numbers} == {"3": "other", "2 models": "claim"}
    assert result.counts()["contradicted"] == 0  # before: 3 read as a count of models, the fact says 2
    [version] = [n for n in result.numbers if n.raw == "3"]
    assert version.reason == 'a version number in a model\'s name ("Gemma 3 model")'


def test_a_last_line_that_repeats_an_earlier_one_is_read_afresh() -> None:
    """The line memo gives a repeated line the earlier one's checks; the part's last line is read on its own."""
    result = check_consistency(f"{CUT}\n\n{CUT}", FACTS)
    assert [(n.line, n.raw, n.kind) for n in result.numbers if n.raw == "27.72"] == [(1, "27.72", "claim"),
                                                                                   (3, "27.72", "cut_off")]
