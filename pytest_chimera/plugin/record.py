"""The session's chimera run record: every chimera test's block, written once per session, whatever
pytest-benchmark does (saved, disabled, skipped, under pytest-xdist, or timings refused for a replay).

- ``attach`` (called from ``pytest_runtest_makereport``) puts the test's block, with its per-sample verdicts
  and identity, on the call report as ``report.chimera``; xdist serialises report attributes, so a worker's
  blocks reach the controller this way.
- ``Recorder`` (registered on the controller, or in a run without xdist) collects the blocks from
  ``pytest_runtest_logreport``, the workers' backend identities from ``pytest_testnodedown``, and writes one
  record atomically at session end (``<output>/runs/NNNN_<time>.json``). Workers never write one.
- The gate reads the same record object as the current run, through the same reader as saved files.
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import pytest

from pytest_chimera.gating import runrecord
from pytest_chimera.gating.samples import summary
from pytest_chimera.gating.saved import SavedRun, run_from_json
from pytest_chimera.plugin.settings import settings_of
from pytest_chimera.plugin.stash import DESCRIBED_KEY, SCORES_KEY, TEST_STATE_KEY

RECORDER_PLUGIN = "chimera-recorder"
WORKER_BACKENDS = "chimera_backends"  # key in xdist's workeroutput


def is_worker(config: pytest.Config) -> bool:
    """True in an xdist worker (which sends its results to the controller instead of writing them)."""
    return hasattr(config, "workerinput") or bool(os.environ.get("PYTEST_XDIST_WORKER"))


def _plain(value: Any) -> Any:
    """A JSON-plain deep copy (what execnet can carry and the record can hold)."""
    return json.loads(json.dumps(value, default=str))


def _outcome(call: pytest.CallInfo[None]) -> bool | None:
    """The raw verdict of a test's call: passed, failed (an assertion or pytest.fail), or None (skipped)."""
    if call.excinfo is None:
        return True
    if call.excinfo.errisinstance(pytest.skip.Exception):
        return None
    return False


def attach(item: pytest.Item, call: pytest.CallInfo[None], report: pytest.TestReport) -> None:
    """Put the test's chimera block on its call report (``report.chimera``), with verdicts and identity."""
    state = item.stash.get(TEST_STATE_KEY, None)
    block = state.block if state is not None else None
    if block is None:  # a test that called capture_rounds itself
        bench = getattr(item, "funcargs", {}).get("benchmark")
        info = getattr(bench, "extra_info", None)
        found = info.get("chimera") if isinstance(info, dict) else None
        block = found if isinstance(found, dict) else None
    if block is None:
        return
    if state is not None and state.verdicts is not None:
        verdicts = [ok for ok, _ in state.verdicts]
    else:
        outcome = _outcome(call)
        verdicts = [] if outcome is None else [outcome]
    if verdicts:
        min_rate = state.min_pass_rate if state is not None else 1.0
        seeds = state.seeds if state is not None and state.verdicts is not None else []
        block["samples"] = summary(verdicts, min_rate, seeds)  # the same dict pytest-benchmark saves
    if state is not None and state.identity:
        block["identity"] = dict(state.identity)
    report.chimera = _plain(block)  # type: ignore[attr-defined]
    if state is not None and state.score is not None:
        report.chimera_score = _plain(state.score)  # type: ignore[attr-defined]


def commit_info(config: pytest.Config) -> dict[str, Any]:
    """pytest-benchmark's commit info (id, time, branch, dirty) when it is installed, else empty."""
    try:
        from pytest_benchmark.utils import get_commit_info
    except ImportError:
        return {}
    try:
        project = config.getoption("benchmark_project_name", None)
        return dict(get_commit_info(project))  # type: ignore[no-untyped-call]
    except Exception:  # git missing or failing: a record without commit info is still a record
        return {}


def _benchmark_mode(config: pytest.Config) -> str:
    bs: Any = getattr(config, "_benchmarksession", None)
    if bs is None:
        return "absent"
    return "skip" if bs.skip else ("disabled" if bs.disabled else "on")


class Recorder:
    """Collects every chimera test's block in this session and writes the run record at the end."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.entries: dict[str, dict[str, Any]] = {}
        self.worker_backends: list[dict[str, Any]] = []
        self.workers = 0
        self.path: Path | None = None
        self.error: str | None = None
        self._record: dict[str, Any] | None = None

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        block = getattr(report, "chimera", None)
        if report.when == "call" and isinstance(block, dict):
            self.entries[report.nodeid] = block
            score = getattr(report, "chimera_score", None)
            if isinstance(score, dict):
                from pytest_chimera.plugin.scorecard import Score

                self.config.stash.setdefault(SCORES_KEY, []).append(Score(**score))

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        self.workers += 1
        output = getattr(node, "workeroutput", None) or {}
        for entry in output.get(WORKER_BACKENDS, []):
            if isinstance(entry, dict) and entry not in self.worker_backends:
                self.worker_backends.append(entry)

    def machine_info(self) -> dict[str, Any]:
        from pytest_chimera.backends.host import machine
        from pytest_chimera.plugin.capture import chimera_machine_info, record_backend, refresh_backends

        refresh_backends(self.config)
        for entry in self.worker_backends:
            record_backend(self.config, entry)
        return {**machine(), "chimera": chimera_machine_info(self.config.stash.get(DESCRIBED_KEY, []))}

    def record(self) -> dict[str, Any]:
        """The session's record object (built once, at session end)."""
        if self._record is None:
            session = {"xdist_workers": self.workers, "benchmark": _benchmark_mode(self.config),
                       "samples": settings_of(self.config).samples}
            self._record = runrecord.build_record(
                self.entries, _plain(self.machine_info()), commit_info(self.config), session
            )
        return self._record

    def current_run(self) -> SavedRun:
        """This session as a SavedRun, read by the same reader as saved files."""
        current = run_from_json(json.loads(runrecord.dumps(self.record())), "current run")
        current.kind = "current run"
        return current

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if not self.entries:
            return
        folder = runrecord.runs_dir(settings_of(self.config).output)
        try:
            self.path = runrecord.write_record(folder, self.record())
        except OSError as exc:
            self.error = f"could not write the chimera run record in {folder}: {exc.strerror or exc}"

    def summary_lines(self) -> list[str]:
        if self.error:
            return [self.error]
        if self.path is None:
            return []
        shown = self.path
        for base in (Path.cwd(), self.config.rootpath):
            try:
                shown = self.path.relative_to(base)
                break
            except ValueError:
                continue
        return [f"chimera run record: {shown} ({len(self.entries)} test(s))"]


def configure(config: pytest.Config) -> None:
    """Register the Recorder, except in xdist workers (they report to the controller)."""
    if not is_worker(config):
        config.pluginmanager.register(Recorder(config), RECORDER_PLUGIN)


def recorder_of(config: pytest.Config) -> Recorder | None:
    plugin = config.pluginmanager.get_plugin(RECORDER_PLUGIN)
    return plugin if isinstance(plugin, Recorder) else None


def worker_finish(config: pytest.Config) -> None:
    """In an xdist worker: send the backends it loaded (described again now that they ran) to the controller."""
    from pytest_chimera.plugin.capture import refresh_backends

    output = getattr(config, "workeroutput", None)
    if output is None:
        return
    refresh_backends(config)
    output[WORKER_BACKENDS] = _plain(copy.deepcopy(config.stash.get(DESCRIBED_KEY, [])))
