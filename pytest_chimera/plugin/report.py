"""The ``chimera_report`` fixture: one agent run per test, its files under the output dir, its -v line.

Its options (``--chimera-output``, ``--chimera-no-grounding``) are defined in ``plugin.options``. Imported
on first use of the fixture; nothing here imports pandas, a model or a server at module level.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_chimera.agent.runs import ReportRun
from pytest_chimera.backends import options as mo
from pytest_chimera.plugin.settings import settings_of
from pytest_chimera.plugin.stash import SCORES_KEY

if TYPE_CHECKING:
    pass

DEFAULT_ROUNDS = 3  # counted rounds when a test asks for ``benchmark`` without ``rounds=``
LOG_PLUGIN = "chimera-report-log"
WHERE = "@pytest.mark.chimera"


def output_dir(config: pytest.Config) -> Path:
    """Where report files go: ``--chimera-output``, else ini ``chimera_output``, else ``.chimera/``."""
    return settings_of(config).output


class ReportLog:
    """Writes each report test's one-line summary under its status line with ``-v`` (registered on first use)."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.lines: dict[str, str] = {}

    @pytest.hookimpl(trylast=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when != "teardown":
            return
        line = self.lines.pop(report.nodeid, None)
        reporter: Any = self.config.pluginmanager.get_plugin("terminalreporter")
        if line is None or reporter is None or self.config.get_verbosity() < 1 or hasattr(report, "node"):
            return
        reporter.ensure_newline()
        reporter.write(f"    {line}")
        reporter.currentfspath = -2  # the next test's line starts on a fresh line, with no blank line between


def _log(config: pytest.Config) -> ReportLog:
    plugin = config.pluginmanager.get_plugin(LOG_PLUGIN)
    if plugin is None:
        plugin = ReportLog(config)
        config.pluginmanager.register(plugin, LOG_PLUGIN)
    return plugin


def _shown(path: Path, config: pytest.Config) -> str:
    for base in (Path.cwd(), config.rootpath):
        try:
            return str(path.relative_to(base))
        except ValueError:
            continue
    return str(path)


def summary_line(run: ReportRun, md_path: str) -> str:
    """``chimera: <path> | TTFT 812.05 ms | 41.45 tok/s | 96 tokens | 12.31 s``."""
    m = run.metrics
    total_s = run.stages.get("total_ms", 0.0) / 1000
    replayed = " | replayed" if run.replayed else ""
    return (f"chimera: {md_path} | TTFT {m['ttft_ms']:.2f} ms | {m['tokens_per_s']:.2f} tok/s | "
            f"{int(m['eval_count'])} tokens | {total_s:.2f} s{replayed}")


def section_text(run: ReportRun, md_path: str, json_path: str) -> str:
    """The test's ``chimera`` report section: where the files are, the stages and the Metrics block."""
    s = run.stages
    metrics = ", ".join(f"{k}={v:.2f}" for k, v in run.metrics.items())
    if run.missing_metrics:
        metrics += f" (not given by the server: {', '.join(run.missing_metrics)})"
    host = f" at {run.host}" if run.host else ""
    return (
        f"report: {md_path}\nrun JSON: {json_path}\n"
        f"agent: {run.agent_name} (persona {run.persona}), {run.backend} {run.model}{host}, options {run.options}\n"
        f"stages: ingest {s.get('ingest_ms', 0):.2f} ms | analysis {s.get('analysis_ms', 0):.2f} ms | "
        f"report {s.get('report_ms', 0):.2f} ms | total {s.get('total_ms', 0):.2f} ms\n"
        f"metrics: {metrics}\n"
    )


def quality_for(persona: str, facts: Any) -> Callable[[ReportRun], Mapping[str, int]]:
    """Quality counts of a run for benchmark capture: the persona's built-in structure spec (if it has one)
    and the consistency verdicts of its numbers against the facts (if any)."""

    def quality(run: ReportRun) -> dict[str, int]:
        from pytest_chimera.plugin.scorecard import check_run

        structure, consistency = check_run(run, persona, facts, against_run=True)
        counts: dict[str, int] = {}
        if structure is not None:
            counts["structure_failed"] = len(structure.failed)
        if consistency is not None:
            counts.update(consistency.counts())
        return counts

    return quality


def _options(request: pytest.FixtureRequest, kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """The run's model options: the session's (``--chimera-option``/ini), then the marker's ``options=``."""
    options: dict[str, Any] = dict(settings_of(request.config).options)
    if kwargs.get("options"):
        try:
            options.update(mo.options_from_mapping(kwargs["options"], f"{WHERE}(options=...)"))
        except (ValueError, AttributeError) as exc:
            pytest.fail(str(exc), pytrace=False)
    return options


def _marker_kwargs(request: pytest.FixtureRequest) -> dict[str, Any]:
    mark = request.node.get_closest_marker("chimera")
    return dict(mark.kwargs) if mark is not None else {}


def report_for(request: pytest.FixtureRequest) -> ReportRun:
    """Run the marker's agent once for this test (or ``rounds`` times through pytest-benchmark)."""
    from pytest_chimera.agent.artifacts import sanitize_test_id, write_run
    from pytest_chimera.agent.chimera import AgentError, TimedCorpus, load_agent, run_agent
    from pytest_chimera.agent.personas import PersonaError
    from pytest_chimera.backends.base import BackendError

    config = request.config
    kwargs = _marker_kwargs(request)
    persona = kwargs.get("persona") or "insight"
    if not isinstance(persona, (str, Path)):
        pytest.fail(f"{WHERE}(persona={persona!r}): give a built-in name (insight, collector), instruction text "
                    "or a file path", pytrace=False)
    grounding = kwargs.get("grounding")
    if grounding is None:
        grounding = settings_of(config).grounding
    if not isinstance(grounding, bool):
        pytest.fail(f"{WHERE}(grounding={grounding!r}): give True or False", pytrace=False)
    rounds = kwargs.get("rounds")
    if rounds is not None and (not isinstance(rounds, int) or isinstance(rounds, bool) or rounds < 1):
        pytest.fail(f"{WHERE}(rounds={rounds!r}): give a whole number >= 1", pytrace=False)
    try:
        agent = load_agent(kwargs["agent"], where=f"{WHERE}(agent=...)") if kwargs.get("agent") else run_agent
    except AgentError as exc:
        pytest.fail(str(exc), pytrace=False)
    benchmarking = rounds is not None or "benchmark" in request.fixturenames

    start = time.perf_counter()
    corpus = request.getfixturevalue("chimera_corpus")
    facts = request.getfixturevalue("chimera_facts")  # for the agent when grounded, and for the scorecard
    ingest_ms = (time.perf_counter() - start) * 1000  # the corpus fixture is cached: later tests wait ~0
    backend = request.getfixturevalue("chimera_model")
    options = _options(request, kwargs)
    builtin = agent is run_agent
    corpus_arg = TimedCorpus(corpus, ingest_ms) if builtin else corpus

    def run_once() -> ReportRun:
        try:
            result = agent(corpus_arg, backend, persona=persona, options=options, grounding=grounding,
                           facts=facts if grounding else None, agent_name=None, on_progress=None)
        except (BackendError, AgentError, PersonaError) as exc:
            pytest.fail(f"chimera_report: {exc}", pytrace=False)
        if not isinstance(result, ReportRun):
            name = getattr(agent, "__qualname__", repr(agent))
            pytest.fail(f"{WHERE}(agent=...): {name} returned {type(result).__name__}, expected a "
                        "pytest_chimera.agent.runs.ReportRun", pytrace=False)
        return result

    if benchmarking:
        from pytest_chimera.plugin.capture import capture_rounds

        benchmark = request.getfixturevalue("benchmark")
        run = capture_rounds(benchmark, run_once, rounds or DEFAULT_ROUNDS,
                             quality=quality_for(str(persona), facts))
    else:
        run = run_once()

    md_path, json_path = write_run(run, output_dir(config), sanitize_test_id(request.node.nodeid))
    md_shown, json_shown = _shown(md_path, config), _shown(json_path, config)
    request.node.add_report_section("call", "chimera", section_text(run, md_shown, json_shown))
    request.node.user_properties.append(("chimera_report", md_shown))
    request.node.user_properties.append(("chimera_run_json", json_shown))
    _log(config).lines[request.node.nodeid] = summary_line(run, md_shown)
    from pytest_chimera.plugin.scorecard import score

    config.stash.setdefault(SCORES_KEY, []).append(score(request.node.nodeid, run, facts))
    return run


def scorecard_lines(config: pytest.Config) -> list[str]:
    """The end-of-run scorecard, then where the reports and benchmark JSON went; empty when no report ran."""
    from pytest_chimera.plugin.scorecard import render

    scores = config.stash.get(SCORES_KEY, [])
    if not scores:
        return []
    lines = [*render(scores), f"reports and run JSON: {_shown(output_dir(config), config)}/"]
    bench_session: Any = getattr(config, "_benchmarksession", None)
    if bench_session is not None and bench_session.benchmarks:
        if bench_session.save or bench_session.autosave:
            lines.append(f"benchmark JSON: {bench_session.storage.location}")
        if bench_session.json:
            lines.append(f"benchmark JSON: {bench_session.json.name}")
    return lines
