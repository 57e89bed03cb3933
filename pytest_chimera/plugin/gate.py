"""The merge gate inside pytest: compare this session's chimera benchmarks with a saved baseline.

``configure`` registers a ``Gate`` as a plugin only when ``--chimera-compare`` (or
``--chimera-require-baseline``) is given. It picks the baseline file at session start (before pytest-benchmark
saves this run), reads the current run from pytest-benchmark's in-memory results at session finish, sets a
failing exit status on a regression, and writes one table per test in the terminal summary.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from pytest_chimera import gating as cmp
from pytest_chimera.plugin.settings import Settings

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


def xdist_active(config: pytest.Config) -> bool:
    """True on an xdist controller or worker (where pytest-benchmark switches itself off)."""
    return config.getoption("dist", "no") != "no" or bool(os.environ.get("PYTEST_XDIST_WORKER"))


def capture_lines(config: pytest.Config) -> list[str]:
    """One line per test that captured chimera rounds: rounds, medians, warm-up and cache notes."""
    from pytest_chimera.gating.record import chimera_line

    lines = []
    for bench in current_benchmarks(config):
        block = bench["extra_info"].get("chimera")
        if isinstance(block, Mapping):
            lines.append(f"{bench['fullname']}: {chimera_line(block)}")
    return lines


def configure(config: pytest.Config, settings: Settings) -> None:
    """Register the Gate when --chimera-compare or --chimera-require-baseline is given (not on xdist workers)."""
    choice = settings.compare
    if choice is None and settings.require_baseline:
        choice = "latest"
    if choice is None:
        for name, value in (("fail-on", settings.fail_on), ("compare-any", settings.compare_any)):
            if value:
                raise pytest.UsageError(f"--chimera-{name} needs --chimera-compare[=NUM|latest|PATH]")
        return
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return
    gate = Gate(
        config,
        choice,
        settings.fail_on if settings.fail_on is not None else cmp.parse_rules(cmp.DEFAULT_RULES),
        compare_any=settings.compare_any,
        require_baseline=settings.require_baseline,
    )
    config.pluginmanager.register(gate, GATE_PLUGIN)


class Gate:
    """State and hooks of ``--chimera-compare``."""

    def __init__(
        self,
        config: pytest.Config,
        choice: str,
        rules: dict[str, cmp.Rule],
        *,
        compare_any: bool,
        require_baseline: bool,
    ) -> None:
        self.config = config
        self.choice = choice
        self.rules = rules
        self.compare_any = compare_any
        self.require_baseline = require_baseline
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

    def pick_baseline(self) -> None:
        """Choose and read the baseline now, before this run is saved into the same folder."""
        storage, machine_id = self._storage()
        where = f"{storage / machine_id if storage and machine_id else storage}"
        if self.choice == "latest" or self.choice.isdigit():
            if storage is None:
                self._missing("pytest-benchmark's file storage is not active (--benchmark-storage must be a path)")
                return
            files = cmp.saved_files(storage, machine_id)
            if self.choice != "latest":
                chosen = cmp.pick_baseline(self.choice, storage, machine_id)
                files = [chosen] if chosen else []
                if not files:
                    self._missing(f"no saved run number {int(self.choice):04d} in {where}")
                    return
            for path in reversed(files):  # latest readable one; bad files are reported and skipped
                try:
                    self.baseline = cmp.load_run(path)
                    return
                except cmp.RunFileError as exc:
                    self.messages.append(f"skipped unreadable saved run: {exc}")
                    if self.choice != "latest":
                        self.failures.append(f"baseline {path} cannot be read: {exc.reason}")
                        return
            self._missing(f"no saved run in {where}")
            return
        try:
            self.baseline = cmp.load_run(self.choice)
        except cmp.RunFileError as exc:
            self.failures.append(f"baseline cannot be read: {exc}")

    def _missing(self, why: str) -> None:
        text = (
            f"no baseline to compare with: {why}. First run on this branch or machine? "
            "Save one with --benchmark-autosave or --benchmark-save=NAME."
        )
        if self.require_baseline:
            self.failures.append(text + " (--chimera-require-baseline makes this a failure)")
        else:
            self.messages.append(text + " Not a failure (pass --chimera-require-baseline to make it one).")

    # --------------------------------------------------------------------------------------- hooks

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        self.pick_baseline()

    def current_run(self) -> cmp.SavedRun:
        bs = benchmark_session(self.config)
        machine_info: dict[str, Any] = bs.get_machine_info() if bs is not None else {}
        return cmp.SavedRun(
            source="current run",
            machine_info=machine_info,
            tests=cmp.tests_from_benchmarks(current_benchmarks(self.config), "current run"),
        )

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if benchmark_session(self.config) is None:
            self.messages.append("pytest-benchmark is not active (-p no:benchmark?): nothing to compare")
        elif xdist_active(self.config):
            self.messages.append(
                "pytest-benchmark is disabled under pytest-xdist, so this run has no timings to compare; "
                "run the benchmarks without xdist (-p no:xdist or -n 0)"
            )
        elif self.baseline is not None:
            current = self.current_run()
            if not current.tests:
                self.messages.append("this run captured no chimera benchmarks (tests using capture_rounds)")
            else:
                self.comparison = cmp.compare_runs(self.baseline, current, self.rules, compare_any=self.compare_any)
                if self.comparison.refused:
                    self.failures.append(
                        f"refused to compare with {self.baseline.source}: different identity "
                        "(pass --chimera-compare-any to compare anyway)"
                    )
                for row in self.comparison.regressions:
                    self.failures.append(
                        f"{row.test}: {row.metric} regressed, broke rule {row.rule}"
                        + (f" ({row.note})" if row.note else "")
                    )
        if self.failures and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        tr = terminalreporter
        baseline = self.baseline.source if self.baseline else "none"
        tr.write_sep("-", f"chimera compare (baseline: {baseline})")
        for message in self.messages:
            tr.write_line(message)
        if self.comparison is not None:
            for line in cmp.table_lines(self.comparison):
                tr.write_line(line, red=line.startswith("regression"))
        for failure in self.failures:
            tr.write_line(f"chimera gate FAILED: {failure}", red=True, bold=True)
        if self.comparison is not None and not self.failures:
            tr.write_line(f"chimera gate passed ({len(self.comparison.rows)} metric(s) compared)", green=True)
