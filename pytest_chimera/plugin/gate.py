"""The merge gate inside pytest: compare this session's chimera record with a saved baseline.

``configure`` registers a ``Gate`` as a plugin only when ``--chimera-compare`` (or
``--chimera-require-baseline``) is given, and never in an xdist worker. A baseline file named by
``--chimera-compare=PATH`` is read then (one that cannot be used is a usage error); ``latest`` and a run number
are picked at session start (before this run is saved): the newest chimera run record in ``<output>/runs/``,
or, where there is none, the newest pytest-benchmark file in ``--benchmark-storage``. At session finish it reads
the current run from the session's own record (``plugin.record``: quality whatever pytest-benchmark did, timings
where it timed), sets a failing exit status on a regression, a failure to measure, a refused identity, or a comparison
that compared nothing (unless ``--chimera-allow-empty``), and writes one table per test in the summary.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pytest_chimera import gating as cmp
from pytest_chimera.gating import runrecord
from pytest_chimera.plugin.record import is_worker, recorder_of
from pytest_chimera.plugin.settings import Settings, settings_of

GATE_PLUGIN = "chimera-gate"


def benchmark_session(config: pytest.Config) -> Any | None:
    """pytest-benchmark's session object (``config._benchmarksession``), or None when it is not active."""
    return getattr(config, "_benchmarksession", None)


def current_benchmarks(config: pytest.Config) -> list[dict[str, Any]]:
    """This session's benchmark results as plain dicts (fullname, extra_info), errors left out."""
    bs = benchmark_session(config)
    if bs is None:
        return []
    return [
        {"fullname": m.fullname, "name": m.name, "extra_info": m.extra_info}
        for m in bs.benchmarks
        if m and not m.has_error
    ]


def capture_lines(config: pytest.Config) -> list[str]:
    """One line per benchmarked chimera test: rounds, medians, warm-up and cache notes (or why quality only)."""
    from pytest_chimera.gating.record import UNTIMED_NOTE, chimera_line

    recorder = recorder_of(config)
    if recorder is None:
        return []
    return [f"{name}: {chimera_line(block)}" for name, block in recorder.entries.items()
            if block.get("notes", [None])[0] != UNTIMED_NOTE]


def configure(config: pytest.Config, settings: Settings) -> None:
    """Register the Gate when --chimera-compare or --chimera-require-baseline is given (not on xdist workers)."""
    choice = settings.compare
    if choice is None and settings.require_baseline:
        choice = "latest"
    if choice is None:
        for name, value in (("fail-on", settings.fail_on), ("compare-any", settings.compare_any),
                            ("allow-empty", settings.allow_empty)):
            if value:
                raise pytest.UsageError(f"--chimera-{name} needs --chimera-compare[=NUM|latest|PATH]")
        return
    if is_worker(config):  # the controller compares once, with every worker's results
        return
    named = None if choice == "latest" or choice.isdigit() else named_baseline(choice)
    gate = Gate(
        config,
        choice,
        settings.fail_on if settings.fail_on is not None else cmp.parse_rules(cmp.DEFAULT_RULES),
        compare_any=settings.compare_any,
        allow_empty=settings.allow_empty,
        explicit_rules=settings.fail_on is not None,
    )
    gate.baseline = named
    config.pluginmanager.register(gate, GATE_PLUGIN)


def named_baseline(path: str) -> cmp.SavedRun:
    """The baseline file ``--chimera-compare=PATH`` names, read before any test runs: one that cannot be read,
    is another tool's JSON or holds no chimera test is a usage error now, not a failed gate after the session."""
    try:
        run = cmp.load_run(path)
    except cmp.RunFileError as exc:
        raise pytest.UsageError(f"--chimera-compare: {exc}; name a chimera run record (.chimera/runs/*.json) or "
                                "a pytest-benchmark file of chimera tests") from None
    if not run.tests:
        raise pytest.UsageError(f"--chimera-compare: {path}: no chimera data (no test in it recorded chimera "
                                "metrics); name a chimera run record (.chimera/runs/*.json) or a pytest-benchmark "
                                "file of tests that use chimera_report or capture_rounds")
    return run


class Gate:
    """State and hooks of ``--chimera-compare``."""

    def __init__(
        self,
        config: pytest.Config,
        choice: str,
        rules: dict[str, cmp.Rule],
        *,
        compare_any: bool,
        allow_empty: bool,
        explicit_rules: bool,
    ) -> None:
        self.config = config
        self.choice = choice
        self.rules = rules
        self.compare_any = compare_any
        self.allow_empty = allow_empty
        self.explicit_rules = explicit_rules
        self.baseline: cmp.SavedRun | None = None
        self.messages: list[str] = []  # shown in the summary before the tables
        self.failures: list[str] = []  # each one makes the session fail
        self.comparison: cmp.Comparison | None = None

    # ---------------------------------------------------------------------------------- baseline

    def _storage(self) -> tuple[Path | None, str | None]:
        bs = benchmark_session(self.config)
        storage = getattr(bs, "storage", None)
        path = getattr(storage, "path", None)
        if not isinstance(path, Path):
            return None, None
        return path, getattr(bs, "machine_id", None)

    def _candidates(self) -> tuple[list[Path], str]:
        """Saved runs to choose from, oldest first, and where they are: chimera records, else pytest-benchmark's."""
        records = runrecord.runs_dir(settings_of(self.config).output)
        files = cmp.saved_files(records)
        if files:
            return files, str(records)
        storage, machine_id = self._storage()
        if storage is None:
            return [], f"{records} (and pytest-benchmark's file storage is not active)"
        where = storage / machine_id if machine_id else storage
        return cmp.saved_files(storage, machine_id), f"{records} or {where}"

    def pick_baseline(self) -> None:
        """Choose and read the baseline now, before this run is saved into the same folder (a named file was
        read when the session was configured)."""
        if not (self.choice == "latest" or self.choice.isdigit()):
            return
        files, where = self._candidates()
        if self.choice.isdigit():
            files = [p for p in files if int(p.name[:4]) == int(self.choice)]
            if not files:
                self._missing(f"no saved run number {int(self.choice):04d} in {where}")
                return
        for path in reversed(files):  # the latest readable one with chimera data; bad files are named and skipped
            try:
                run = cmp.load_run(path)
            except cmp.RunFileError as exc:
                self.messages.append(f"skipped unreadable saved run: {exc}")
                if self.choice != "latest":
                    self.failures.append(f"baseline {path} cannot be read: {exc.reason}")
                    return
                continue
            if not run.tests and self.choice == "latest":
                self.messages.append(f"skipped saved run without chimera data: {path}")
                continue
            self.baseline = run
            return
        self._missing(f"no saved run in {where}")

    def _missing(self, why: str) -> None:
        text = (
            f"no baseline to compare with: {why}. First run on this branch or machine? Every session that runs "
            "a chimera test saves a run record; pass --chimera-allow-empty to let a first run pass."
        )
        self._nothing(text)

    def _nothing(self, text: str) -> None:
        if self.allow_empty:
            self.messages.append(text + " (not a failure: --chimera-allow-empty)")
        else:
            self.failures.append(text)

    # --------------------------------------------------------------------------------------- hooks

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        self.pick_baseline()

    def current_run(self) -> cmp.SavedRun:
        recorder = recorder_of(self.config)
        if recorder is None:  # pragma: no cover - configure registers both outside workers
            return cmp.SavedRun(source="current run", kind="current run")
        return recorder.current_run()

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if self.baseline is not None:
            current = self.current_run()
            self.comparison = cmp.compare_runs(self.baseline, current, self.rules, compare_any=self.compare_any,
                                               every_rule=self.explicit_rules)
            if self.comparison.refused:
                self.failures.append(
                    f"refused to compare with {self.baseline.source}: different identity "
                    "(pass --chimera-compare-any to compare anyway)"
                )
            for row in self.comparison.failures:
                what = "could not be measured" if row.verdict == "not measured" else f"regressed, broke rule {row.rule}"
                self.failures.append(f"{row.test}: {row.metric} {what}" + (f" ({row.note})" if row.note else ""))
            if not self.comparison.refused:
                for reason in self.comparison.empty:
                    self._nothing(reason)
        if self.failures and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        tr = terminalreporter
        baseline = self.baseline.source if self.baseline else "none"
        tr.write_sep("-", f"chimera compare (baseline: {baseline})")
        for message in self.messages:
            tr.write_line(message)
        if self.comparison is not None:
            lines = cmp.table_lines(self.comparison)
            shown_empty = set(self.comparison.empty)
            for line in lines:
                if line not in shown_empty:
                    tr.write_line(line, red=line.startswith(("regression", "not measured")))
        for failure in self.failures:
            tr.write_line(f"chimera gate FAILED: {failure}", red=True, bold=True)
        if self.comparison is not None and not self.failures:
            skipped = len(self.comparison.not_compared)
            also = f", {skipped} not compared: one side has no value" if skipped else ""
            tr.write_line(f"chimera gate passed ({len(self.comparison.compared)} metric(s) compared{also})",
                          green=True)
