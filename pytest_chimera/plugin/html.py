"""``--chimera-html PATH``: one HTML page of the session's report tests, and pytest-html extras.

``configure`` registers an ``HtmlRecorder`` only when ``--chimera-html`` is given or pytest-html writes a report
(``--html``). It notes each report test's run JSON (the test's ``chimera_run_json`` user property) and outcome
as reports arrive (on the xdist controller too), lists the saved benchmark runs at session start (the trend,
before this run is saved), and at session end (``hooks.pytest_sessionfinish``) builds the page from the same run
JSON files ``pytest-chimera html`` reads, plus the gate's comparison and this run's benchmarks. Under pytest-html,
each report test's annotated report is added to its row as an HTML extra.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_chimera.atomic import unwritable
from pytest_chimera.plugin.settings import Settings

if TYPE_CHECKING:
    from pytest_chimera.view.inputs import FactsLoader
    from pytest_chimera.view.model import ReportView

HTML_PLUGIN = "chimera-html"
RUN_JSON_PROPERTY = "chimera_run_json"


def pytest_html_active(config: pytest.Config) -> bool:
    """True when pytest-html is installed and asked to write a report (``--html``)."""
    return bool(config.getoption("htmlpath", None)) and config.pluginmanager.hasplugin("html")


def configure(config: pytest.Config, settings: Settings) -> None:
    """Register the recorder when a page or pytest-html extras are wanted."""
    problem = unwritable("--chimera-html", settings.html) if settings.html is not None else None
    if problem:  # now, not after a session of model runs
        raise pytest.UsageError(problem)
    if settings.html is not None or pytest_html_active(config):
        config.pluginmanager.register(HtmlRecorder(config, settings), HTML_PLUGIN)


def recorder_of(config: pytest.Config) -> HtmlRecorder | None:
    plugin = config.pluginmanager.get_plugin(HTML_PLUGIN)
    return plugin if isinstance(plugin, HtmlRecorder) else None


def outcome_of(report: pytest.TestReport, previous: str | None) -> str | None:
    """The test's outcome so far: passed, failed, error, skipped, xfailed or xpassed."""
    xfail = hasattr(report, "wasxfail")
    if report.when == "call":
        if report.failed:
            return "failed"
        if report.skipped:
            return "xfailed" if xfail else "skipped"
        return "xpassed" if xfail else "passed"
    if report.failed:
        return "error"
    if report.skipped:
        return "xfailed" if xfail else "skipped"
    return previous


class HtmlRecorder:
    """What the page needs from the session, gathered as it runs."""

    def __init__(self, config: pytest.Config, settings: Settings) -> None:
        self.config = config
        self.settings = settings
        self.runs: dict[str, Path] = {}  # test id -> its run JSON, in report order
        self.outcomes: dict[str, str] = {}
        self.verdicts: dict[str, list[bool]] = {}  # test id -> each sample's verdict (the run record's)
        self.saved: list[Path] = []  # saved benchmark runs before this session
        self.records: list[Path] = []  # chimera run records before this session
        self.written: tuple[Path, int] | None = None
        self.problem = ""
        self._loader: FactsLoader | None = None

    def loader(self) -> FactsLoader:
        if self._loader is None:
            from pytest_chimera.plugin.corpus import cache_of
            from pytest_chimera.view.inputs import FactsLoader

            self._loader = FactsLoader(self.settings.corpus, cache=cache_of(self.config).facts)
        return self._loader

    def run_json(self, nodeid: str, properties: Any) -> Path | None:
        """The run JSON a report test wrote: under ``--chimera-output``, named after the test id."""
        if not any(isinstance(p, tuple) and p and p[0] == RUN_JSON_PROPERTY for p in properties or ()):
            return None
        from pytest_chimera.agent.artifacts import sanitize_test_id

        return self.settings.output / f"{sanitize_test_id(nodeid)}.json"

    def view(self, nodeid: str, path: Path) -> ReportView:
        """The test's view from its run JSON and its samples' (a missing or bad file gives a view that says so)."""
        from pytest_chimera.view.build import views_from_runs
        from pytest_chimera.view.inputs import InputError, collect, group_samples
        from pytest_chimera.view.model import ReportView

        n = max(1, len(self.verdicts.get(nodeid, ())))
        more = [path.with_name(f"{path.stem}.sample{i}.json") for i in range(1, n)]
        try:
            runs = group_samples(collect([path, *(p for p in more if p.is_file())]).runs, {path.stem: n})
        except InputError as exc:
            return ReportView(test=nodeid, source=str(path), samples=[], outcome=self.outcomes.get(nodeid),
                              notes=[f"run JSON not usable: {exc}"])
        return views_from_runs(runs, self.loader(), names={path: nodeid}, outcomes=self.outcomes,
                               shown={path: _shown(path, self.config)}, verdicts=self.verdicts)[0]

    def note_report(self, report: pytest.TestReport) -> None:
        """Take the test's outcome so far, and its samples' verdicts from its chimera block (``report.chimera``)."""
        outcome = outcome_of(report, self.outcomes.get(report.nodeid))
        if outcome is not None:
            self.outcomes[report.nodeid] = outcome
        block = getattr(report, "chimera", None)
        samples = block.get("samples") if isinstance(block, dict) else None
        verdicts = samples.get("verdicts") if isinstance(samples, dict) else None
        if isinstance(verdicts, list):
            self.verdicts[report.nodeid] = [v == "passed" for v in verdicts]

    # ---------------------------------------------------------------------------------------------- hooks

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        from pytest_chimera.gating.saved import saved_files
        from pytest_chimera.plugin.gate import benchmark_session

        bs = benchmark_session(self.config)
        path = getattr(getattr(bs, "storage", None), "path", None)
        if isinstance(path, Path):
            self.saved = saved_files(path, getattr(bs, "machine_id", None))
        from pytest_chimera.gating.runrecord import runs_dir

        self.records = saved_files(runs_dir(self.settings.output))

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
        outcome = yield
        report: pytest.TestReport = outcome.get_result()
        if report.when != "call" or not pytest_html_active(self.config):
            return
        path = self.run_json(item.nodeid, item.user_properties)
        if path is None:
            return
        self.note_report(report)  # logreport has not seen this report yet
        from pytest_html import extras

        from pytest_chimera.view.page import fragment

        # pytest-html (4+) reads report.extras, a list it also fills from its own hookwrapper
        found = [*getattr(report, "extras", []), extras.html(fragment(self.view(item.nodeid, path)))]
        setattr(report, "extras", found)  # noqa: B010 (TestReport declares no such attribute)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        path = self.run_json(report.nodeid, report.user_properties)
        if path is not None:
            self.runs.setdefault(report.nodeid, path)
        self.note_report(report)

    # ----------------------------------------------------------------------------------------- the page

    def write_page(self, session: pytest.Session) -> None:
        """Build the page and write it atomically to ``--chimera-html`` (not on an xdist worker, nor when only
        collecting: ``--collect-only`` would replace the last run's page with an empty one); a page that cannot be
        written fails the session."""
        target = self.settings.html
        if target is None or hasattr(self.config, "workerinput") or os.environ.get("PYTEST_XDIST_WORKER"):
            return
        if self.config.getoption("collectonly", False):
            return
        from pytest_chimera.atomic import write_atomic
        from pytest_chimera.view.build import make_page

        trend, notes = self._trend()
        comparison, note = self._comparison()
        if not self.runs:
            notes.append("no report test ran in this session (report tests need --chimera)")
        views = [self.view(nodeid, path) for nodeid, path in self.runs.items()]
        text = make_page(views, title=f"pytest-chimera: {self.config.rootpath.name}", comparison=comparison,
                         comparison_note=note, trend=trend, notes=notes)
        data = text.encode("utf-8")
        try:
            write_atomic(target, data)
        except OSError as exc:
            self.problem = f"chimera html: cannot write {target}: {exc.strerror or exc}"
            if session.exitstatus == pytest.ExitCode.OK:
                session.exitstatus = pytest.ExitCode.TESTS_FAILED
            return
        self.written = (target, len(data))

    def _comparison(self) -> tuple[Any, str]:
        from pytest_chimera.plugin.gate import GATE_PLUGIN

        gate = self.config.pluginmanager.get_plugin(GATE_PLUGIN)
        if gate is None:
            return None, "No baseline given: pass --chimera-compare to compare with a saved run."
        return getattr(gate, "comparison", None), " ".join(getattr(gate, "messages", []))

    def _trend(self) -> tuple[list[Any], list[str]]:
        """The saved runs before this session and this one: run records or pytest-benchmark files (more wins)."""
        from datetime import datetime, timezone

        from pytest_chimera import gating as cmp
        from pytest_chimera.plugin.gate import current_benchmarks
        from pytest_chimera.plugin.record import recorder_of
        from pytest_chimera.view.build import pick_trend

        benchmarks, errors = cmp.load_runs(self.saved)
        records, record_errors = cmp.load_runs(self.records)
        notes = [f"trend: skipped unreadable saved run {e}" for e in [*errors, *record_errors]]
        current = cmp.tests_from_benchmarks(current_benchmarks(self.config), "this run")
        if current:
            benchmarks.append(cmp.SavedRun(source="this run", tests=current,
                                           datetime=datetime.now(timezone.utc).isoformat()))
        recorder = recorder_of(self.config)
        if recorder is not None and recorder.entries:
            try:
                records.append(recorder.current_run())
            except cmp.RunFileError as exc:
                notes.append(f"trend: this run's record could not be read ({exc})")
        return pick_trend(records, benchmarks), notes

    def summary_lines(self) -> list[str]:
        if self.problem:
            return [self.problem]
        if self.written is None:
            return []
        path, size = self.written
        return [f"chimera html: {_shown(path, self.config)} ({size / 1024:.1f} KiB, {len(self.runs)} report tests)"]


def _shown(path: Path, config: pytest.Config) -> str:
    """``path`` relative to the rootdir when it is inside it."""
    return str(path.relative_to(config.rootpath)) if path.is_relative_to(config.rootpath) else str(path)
