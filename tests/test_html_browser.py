"""The page as a person sees it: headless Chromium (Debian's ``chromium``) driven by Playwright for Python.

The page comes from a real run of ``example_project`` (a copy, so the repository stays clean) with a fake model
(``fake_model_plugin``: reports with two wrong shares and hostile markup, no model file needed): a baseline run
of its speed test, then the whole project with decode speed halved, ``--chimera-compare``, ``--chimera-html``
and pytest-html's ``--html``. Without Chromium or Playwright these tests skip, saying what to install; with
``CI`` set they fail instead, so CI cannot pass without running them (``.ci/run`` installs both).

``CHIMERA_UPDATE_SCREENSHOT=1`` also writes the README's screenshots, ``docs/html-report*.png``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from xdist_env import inner_env

from pytest_chimera import ReportRun, check_consistency, compute_facts, load_corpus, parse_report
from pytest_chimera.agent.artifacts import sanitize_test_id

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path(os.environ.get("CHIMERA_CHROMIUM", "/usr/bin/chromium"))
SCREENSHOTS = (ROOT / "docs" / "html-report.png", ROOT / "docs" / "html-report-tooltip.png")

# Records Content-Security-Policy refusals before any of the page's own code runs.
WATCH_CSP = ("window.__violations = []; document.addEventListener('securitypolicyviolation', "
             "e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sample));")


def _needs() -> Any:
    """Playwright's sync API, or a skip (a failure under CI) naming what is missing."""
    missing = []
    try:
        from playwright import sync_api
    except ImportError:
        missing.append("Playwright for Python is not installed (pip install -e '.[test]')")
    if not CHROMIUM.is_file():
        missing.append(f"no Chromium at {CHROMIUM} (apt-get install chromium, or set CHIMERA_CHROMIUM)")
    if missing:
        if os.environ.get("CI"):
            pytest.fail("browser tests must run in CI: " + "; ".join(missing), pytrace=False)
        pytest.skip("browser tests need Chromium and Playwright: " + "; ".join(missing))
    return sync_api


def _pytest(project: Path, *args: str, slowdown: str = "1") -> subprocess.CompletedProcess[str]:
    env = inner_env(PYTHONPATH=str(ROOT / "tests"), CHIMERA_FAKE_SLOWDOWN=slowdown)
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "fake_model_plugin", "--chimera", *args],
                          cwd=project, env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def example_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of example_project after a baseline run and a slower full run with the page and pytest-html."""
    _needs()
    project = tmp_path_factory.mktemp("example") / "example_project"
    shutil.copytree(ROOT / "example_project", project, ignore=shutil.ignore_patterns(".chimera", ".benchmarks"))
    base = _pytest(project, "--benchmark-autosave", "tests/test_speed.py")
    assert base.returncode == 0, base.stdout[-3000:] + base.stderr[-2000:]
    full = _pytest(project, "--benchmark-autosave", "--chimera-compare", "--chimera-html=chimera.html",
                   "--html=pytest-html.html", "--self-contained-html", slowdown="2")
    assert "chimera html: chimera.html" in full.stdout, full.stdout[-3000:] + full.stderr[-2000:]
    assert full.returncode == 1  # the fake reports fail the grounded tests, and the gate sees tokens/s halved
    return project


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = _needs()
    with sync_api.sync_playwright() as pw:
        args = ["--no-sandbox"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=args)
        yield chromium
        chromium.close()


class Opened:
    """A page opened in a fresh context, with the dialogs it tried to show."""

    def __init__(self, browser: Any, path: Path) -> None:
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.dialogs: list[str] = []
        self.page.on("dialog", self._dialog)
        self.page.add_init_script(WATCH_CSP)
        self.page.goto(path.as_uri())

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()


@pytest.fixture
def opened(browser: Any, example_run: Path) -> Iterator[Opened]:
    view = Opened(browser, example_run / "chimera.html")
    yield view
    view.context.close()


def expected_contradictions(project: Path) -> dict[str, list[tuple[str, str]]]:
    """Per test id, (number, fact key) of each contradicted number, checked here independently of the page."""
    facts = compute_facts(load_corpus(project / "corpus"))
    out: dict[str, list[tuple[str, str]]] = {}
    for path in sorted((project / ".chimera").glob("*.json")):
        run = ReportRun.from_json(json.loads(path.read_text(encoding="utf-8")))
        result = check_consistency(parse_report(run.markdown), facts, run=run)
        out[path.stem] = [(n.raw, n.fact.key) for n in result.numbers if n.verdict == "contradicted" and n.fact]
    return out


def test_each_contradicted_number_is_marked_and_its_tooltip_names_the_fact(opened: Opened, example_run: Path) -> None:
    page = opened.page
    expected = expected_contradictions(example_run)
    assert sum(map(len, expected.values())) >= 10
    sections = page.locator("section.chimera-report")
    assert sections.count() == len(expected) >= 6
    for k in range(sections.count()):
        section = sections.nth(k)
        test = section.locator("h2").inner_text()
        marks = section.locator('mark[data-verdict="contradicted"]')
        wanted = expected[sanitize_test_id(test)]
        assert marks.count() == len(wanted), test
        for j, (raw, key) in enumerate(wanted):
            mark = marks.nth(j)
            tip = page.locator(f"#{mark.get_attribute('aria-describedby')}")
            assert mark.is_visible() and not tip.is_visible()
            assert mark.evaluate("m => m.firstChild.textContent") == raw
            assert mark.inner_text().endswith("✗")  # told by an icon, not by colour alone
            mark.focus()  # keyboard: the tooltip opens on focus ...
            assert tip.is_visible(), (test, raw)
            assert tip.inner_text().startswith("Contradicted — ") and f"Fact: {key} = " in tip.inner_text()
            page.keyboard.press("Escape")  # ... and Escape closes it
            assert not tip.is_visible()
    first = page.locator('mark[data-verdict="contradicted"]').first
    page.mouse.move(0, 0)
    first.hover()  # the mouse: the tooltip opens on hover, and Escape closes it too
    tip = page.locator(f"#{first.get_attribute('aria-describedby')}")
    assert tip.is_visible()
    page.keyboard.press("Escape")
    assert not tip.is_visible()


def test_the_failure_filter_shows_only_failing_tests(opened: Opened, example_run: Path) -> None:
    page = opened.page
    rows = page.locator("#summary-table tbody tr")
    failing = page.locator('#summary-table tbody tr[data-failing="true"]')
    total = len(list((example_run / ".chimera").glob("*.json")))
    assert rows.count() == total and failing.count() == total - 1  # only the replayed brief has no failure
    assert page.locator('#summary-table tbody tr[data-failing="false"]').inner_text().startswith(
        "tests/test_replay.py::")
    page.focus("#only-failures")
    page.keyboard.press("Space")
    visible = [rows.nth(k).is_visible() for k in range(rows.count())]
    assert visible == [rows.nth(k).get_attribute("data-failing") == "true" for k in range(rows.count())]
    assert page.locator("#filter-status").inner_text() == (
        f"Showing {total - 1} of {total} tests: only those with failures.")
    replayed = page.locator("section.chimera-report", has_text="test_replayed_brief")
    assert replayed.count() == 1 and not replayed.is_visible()
    page.keyboard.press("Space")
    assert all(rows.nth(k).is_visible() for k in range(rows.count())) and replayed.is_visible()
    assert page.locator("#filter-status").inner_text() == f"Showing all {total} tests."


def test_hostile_report_markup_runs_nothing(opened: Opened, browser: Any, example_run: Path) -> None:
    page = opened.page
    assert page.evaluate("document.documentElement.dataset.chimeraReady") == "1"  # the page's own script ran
    assert page.evaluate("document.scripts.length") == 1
    assert page.locator("a[href^='javascript' i], [onerror], img, iframe").count() == 0
    hostile = page.get_by_text("<script>alert('script'); window.chimeraPwned = 'script'</script>")
    assert hostile.first.is_visible()  # shown as text
    page.get_by_text("[the dashboard](javascript:").first.click()
    page.wait_for_timeout(200)
    assert page.evaluate("typeof window.chimeraPwned") == "undefined"
    assert opened.dialogs == [] and page.evaluate("window.__violations") == []
    # pytest-html's page shows the same annotated reports in its rows, and runs nothing from them either
    other = Opened(browser, example_run / "pytest-html.html")
    try:
        other.page.wait_for_selector(".extraHTML mark.num", state="attached")
        assert other.page.locator('.extraHTML mark[data-verdict="contradicted"]').count() >= 2
        assert other.page.evaluate("typeof window.chimeraPwned") == "undefined" and other.dialogs == []
    finally:
        other.context.close()


def test_a_screenshot_of_the_page(opened: Opened, tmp_path: Path) -> None:
    page = opened.page
    shot = tmp_path / "chimera-html.png"
    height = page.evaluate("document.documentElement.scrollHeight")
    page.screenshot(path=str(shot), full_page=True, clip={"x": 0, "y": 0, "width": 1280,
                                                          "height": min(height, 12000)})  # a GPU texture's limit
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 50_000
    if os.environ.get("CHIMERA_UPDATE_SCREENSHOT"):  # the README's two pictures: the top, and a tooltip
        page.set_viewport_size({"width": 1360, "height": 1000})
        page.screenshot(path=str(SCREENSHOTS[0]))
        section = page.locator("section.chimera-report", has_text="test_grounded_report_contradicts_no_fact")
        mark = section.locator('mark[data-verdict="contradicted"]').first
        mark.focus()
        page.evaluate("m => window.scrollBy(0, m.getBoundingClientRect().top - 380)", mark.element_handle())
        page.screenshot(path=str(SCREENSHOTS[1]))
