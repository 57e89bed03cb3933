"""``--chimera-html``: the page written at session end from the session's report tests, under xdist too, with the
gate's comparison and the trend; pytest-html extras; bad paths named. Runs a fake model (``fake_model_plugin``)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
EXAMPLE_CORPUS = TESTS.parent / "example_project" / "corpus"

TEST_FILE = """
import pytest

@pytest.mark.chimera(persona="collector")
def test_wrong(chimera_report, chimera_facts):
    chimera_report.assert_consistent(chimera_facts)

@pytest.mark.chimera(persona="insight")
def test_layout(chimera_report):
    assert chimera_report.markdown

def test_plain():
    pass
"""

SPEED_FILE = """
import pytest

@pytest.mark.chimera(persona="collector", rounds=2)
def test_speed(chimera_report, benchmark):
    assert benchmark.extra_info["chimera"]["rounds"] == 2
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.syspathinsert(TESTS)  # fake_model_plugin and agent_fakes
    shutil.copytree(EXAMPLE_CORPUS, pytester.path / "corpus")
    pytester.makeini("[pytest]\nchimera_corpus = corpus\n")
    return pytester


def run(project: pytest.Pytester, *args: str) -> pytest.RunResult:
    return project.runpytest("-p", "fake_model_plugin", "--chimera", "-p", "no:randomly", *args)


def test_the_page_shows_each_report_test_with_its_outcome_and_marked_numbers(project: pytest.Pytester) -> None:
    project.makepyfile(test_r=TEST_FILE)
    result = run(project, "--chimera-html=out/page.html")
    result.assert_outcomes(passed=2, failed=1)
    size = (project.path / "out" / "page.html").stat().st_size
    result.stdout.fnmatch_lines([f"chimera html: out/page.html ({size / 1024:.1f} KiB, 2 report tests)"])
    page = (project.path / "out" / "page.html").read_text(encoding="utf-8")
    rows = re.findall(r'<tr data-failing="(\w+)"[^>]*><th scope="row"><a href="#test-\d">([^<]+)<wbr>([^<]+)</a>'
                      r"</th><td>([^<]+)</td>", page)
    assert rows == [("true", "test_r.py::", "test_wrong", "✗ failed"), ("true", "test_r.py::", "test_layout",
                                                                         "✓ passed")]
    assert "test_plain" not in page
    assert page.count('<mark class="num v-contradicted"') >= 4  # 40.9% and 30%, in each report
    assert "Fact: files.by_type.json.pct = 42.8571 %" in page
    assert "&lt;script&gt;alert(" in page and "<script>alert(" not in page
    assert "No baseline given: pass --chimera-compare" in page


SAMPLES_FILE = """
import pytest

seen = []

@pytest.mark.chimera(persona="collector", samples=3, min_pass_rate=0.5)
def test_sampled(chimera_report):
    seen.append(chimera_report)
    assert len(seen) != 2, "the second sample fails"
"""


def test_samples_show_each_run_the_pass_rate_and_the_flips(project: pytest.Pytester) -> None:
    project.makepyfile(test_s=SAMPLES_FILE)
    run(project, "--chimera-html=page.html").assert_outcomes(passed=1)
    assert sorted(p.name for p in (project.path / ".chimera").glob("*.json")) == [
        "test_s.py__test_sampled.json", "test_s.py__test_sampled.sample1.json", "test_s.py__test_sampled.sample2.json"]
    page = (project.path / "page.html").read_text(encoding="utf-8")
    assert "Pass rate: 2 of 3 (67%); the verdict flipped 2 time(s)" in page
    assert re.findall(r"<summary>Sample (\d) \((\w+)\)</summary>", page) == [
        ("1", "passed"), ("2", "failed"), ("3", "passed")]
    assert '<td class="n">2/3</td>' in page


def test_under_xdist_the_controller_writes_one_page_with_every_test(project: pytest.Pytester,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHONPATH", str(TESTS))  # the controller and its workers import fake_model_plugin
    project.makepyfile(test_r=TEST_FILE)
    result = project.runpytest_subprocess("-p", "fake_model_plugin", "--chimera", "-n", "2",
                                          "--chimera-html=page.html")
    result.assert_outcomes(passed=2, failed=1)
    page = (project.path / "page.html").read_text(encoding="utf-8")
    assert page.count('<section class="card chimera-report"') == 2
    assert "✗ failed" in page and "✓ passed" in page


def test_the_page_carries_the_gates_comparison_and_the_trend(project: pytest.Pytester,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    project.makepyfile(test_s=SPEED_FILE)
    run(project, "--benchmark-autosave").assert_outcomes(passed=1)
    monkeypatch.setenv("CHIMERA_FAKE_SLOWDOWN", "2")
    result = run(project, "--benchmark-autosave", "--chimera-compare", "--chimera-html=page.html")
    assert result.ret == 1  # the gate failed: tokens/s halved
    page = (project.path / "page.html").read_text(encoding="utf-8")
    assert re.search(r'<tr class="regression"><th scope="row">tokens_per_s</th><td class="n">50(?:\.00)?</td>'
                     r'<td class="n">25(?:\.00)?</td>.*?broke rule tokens_per_s:-10%', page)
    assert page.count('<svg class="chart"') == 4  # ttft_ms, tokens_per_s, contradicted, structure_failed
    assert "Medians of 2 saved runs" in page
    assert re.search(r'<td class="n">✗ 1</td><td class="n">1/1</td>', page)  # the row counts its regression


def test_collect_only_leaves_the_last_page_alone(project: pytest.Pytester) -> None:
    project.makepyfile(test_r="def test_plain():\n    pass\n")
    (project.path / "page.html").write_text("the last run's page", encoding="utf-8")
    result = run(project, "--chimera-html=page.html", "--collect-only")
    assert result.ret == pytest.ExitCode.OK
    assert (project.path / "page.html").read_text(encoding="utf-8") == "the last run's page"


def test_a_page_that_became_unwritable_fails_the_session_naming_the_path(project: pytest.Pytester) -> None:
    # writable when the session starts (else a usage error, below); a file takes the folder's place meanwhile
    project.makepyfile(test_r="def test_plain():\n    open('afile', 'w').close()\n")
    result = run(project, "--chimera-html=afile/page.html")
    result.assert_outcomes(passed=1)
    assert result.ret == 1
    result.stdout.fnmatch_lines(["chimera html: cannot write */afile/page.html: File exists"])


@pytest.mark.parametrize(("page", "message"), [
    ("out", "--chimera-html '*/out' is a directory; give a file path"),
    ("afile/page.html",
     "--chimera-html '*/afile/page.html': '*/afile' is a file, not a directory; give a path inside a directory"),
])
def test_a_page_that_cannot_be_written_is_a_usage_error_before_any_test(project: pytest.Pytester, page: str,
                                                                         message: str) -> None:
    (project.path / "out").mkdir()
    (project.path / "afile").write_text("", encoding="utf-8")
    project.makepyfile(test_r="def test_plain():\n    open('ran', 'w').close()\n")
    result = run(project, f"--chimera-html={page}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: {message}"])
    assert not (project.path / "ran").exists()


def test_pytest_html_rows_carry_the_annotated_report(project: pytest.Pytester) -> None:
    pytest.importorskip("pytest_html", reason="pytest-html is not installed (pip install -e '.[test]')")
    project.makepyfile(test_r=TEST_FILE)
    result = run(project, "--html=report.html", "--self-contained-html")
    result.assert_outcomes(passed=2, failed=1)
    report = (project.path / "report.html").read_text(encoding="utf-8")
    # pytest-html keeps each row's extras as escaped JSON; each report test's extra holds its marked numbers
    assert report.count("files.by_type.json.pct = 42.8571 %") >= 2
    assert report.count("Outcome: \\u2717 failed") == 1 and report.count("Outcome: \\u2713 passed") == 1
    assert not (project.path / "page.html").exists()
