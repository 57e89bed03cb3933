"""The ``chimera_report`` fixture: one agent run per test, its files under the output dir, its -v line.

Its options (``--chimera-output``, ``--chimera-no-grounding``) are defined in ``plugin.options``. Imported
on first use of the fixture; nothing here imports pandas, a model or a server at module level.
"""

from __future__ import annotations

import dataclasses
import itertools
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from pytest_chimera.agent.runs import ReportRun, speed_text
from pytest_chimera.backends import options as mo
from pytest_chimera.gating.record import Checked, Quality
from pytest_chimera.plugin.settings import settings_of
from pytest_chimera.plugin.stash import SCORES_KEY, TEST_STATE_KEY, TestState

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
    total_s = run.stages.get("total_ms", 0.0) / 1000
    replayed = " | replayed" if run.replayed else ""
    return f"chimera: {md_path} | {speed_text(run)} | {total_s:.2f} s{replayed}"



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


def quality_for(facts: Any) -> Callable[[ReportRun], Checked]:
    """Quality of a run for the record: the built-in structure spec of the persona the run names (if it has one;
    as the scorecard and the HTML page check it), with the rules it failed, and the consistency verdicts of its
    numbers against the facts (if any)."""

    def quality(run: ReportRun) -> Checked:
        from pytest_chimera.plugin.scorecard import check_run

        persona = run.persona
        structure, consistency = check_run(run, persona, facts, against_run=True)
        counts: dict[str, int] = {}
        rules: tuple[str, ...] = ()
        failed: tuple[str, ...] = ()
        if structure is not None:
            counts["structure_failed"] = len(structure.failed)
            rules = tuple(r.rule for r in structure.rules)
            failed = tuple(r.rule for r in structure.failed)
        if consistency is not None:
            counts.update(consistency.counts())
        return Checked(counts, persona if rules else None, rules, failed)

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


def _whole(kwargs: Mapping[str, Any], name: str) -> int | None:
    value = kwargs.get(name)
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
        pytest.fail(f"{WHERE}({name}={value!r}): give a whole number >= 1", pytrace=False)
    return value


def _min_pass_rate(kwargs: Mapping[str, Any]) -> float:
    value = kwargs.get("min_pass_rate", 1.0)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 1:
        pytest.fail(f"{WHERE}(min_pass_rate={value!r}): give a share of samples in (0, 1], e.g. 0.8", pytrace=False)
    return float(value)


def _timing(request: pytest.FixtureRequest, benchmarking: bool) -> Any | None:
    """The ``benchmark`` fixture when this test is benchmarked, else None.

    A test that asked for ``rounds=`` without requesting ``benchmark`` itself is not skipped by
    ``--benchmark-skip`` (or broken without pytest-benchmark): it runs its samples untimed.
    """
    if not benchmarking:
        return None
    if "benchmark" not in request.fixturenames:
        bs: Any = getattr(request.config, "_benchmarksession", None)
        if bs is None or bs.skip:
            return None
    return request.getfixturevalue("benchmark")


def _run_samples(request: pytest.FixtureRequest, run_once: Callable[[int | None], ReportRun],
                 seeds: list[int | None], rounds: int | None, quality: Quality) -> tuple[list[ReportRun],
                                                                                        dict[str, Any]]:
    """Run the samples (timed through pytest-benchmark where it is on); the sample runs and the test's block."""
    from pytest_chimera.gating.record import UNTIMED_NOTE, build_extra_info
    from pytest_chimera.plugin.capture import capture, timing_off

    benchmark = _timing(request, rounds is not None or "benchmark" in request.fixturenames)
    if benchmark is not None and not timing_off(benchmark):
        # each counted round is a sample: round r runs with seed r mod N; the warm-up round with the first seed
        calls = itertools.count()

        def timed_once() -> ReportRun:
            k = next(calls)
            return run_once(seeds[0 if k == 0 else (k - 1) % len(seeds)])

        counted = capture(benchmark, timed_once, max(rounds or DEFAULT_ROUNDS, len(seeds)), quality=quality)
        runs = counted[: len(seeds)] if len(seeds) > 1 else counted[-1:]
        return runs, benchmark.extra_info["chimera"]
    runs = [run_once(seed) for seed in seeds]
    if benchmark is not None:  # disabled (xdist, --benchmark-disable): quality only, in extra_info as well
        block = build_extra_info(runs, quality, warmup_rounds=0, timings_enabled=False)
        benchmark.extra_info["chimera"] = block
        return runs, block
    return runs, build_extra_info(runs, quality, warmup_rounds=0, timings_enabled=False, untimed_note=UNTIMED_NOTE)


def report_for(request: pytest.FixtureRequest) -> ReportRun:
    """Run the marker's agent once per sample for this test (through pytest-benchmark when benchmarked)."""
    from pytest_chimera.agent.artifacts import sanitize_test_id, write_run
    from pytest_chimera.agent.chimera import AgentError, TimedCorpus, load_agent, run_agent
    from pytest_chimera.agent.personas import PersonaError
    from pytest_chimera.backends.base import BackendError
    from pytest_chimera.gating.record import test_identity
    from pytest_chimera.gating.samples import sample_seeds

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
    rounds = _whole(kwargs, "rounds")
    samples = _whole(kwargs, "samples") or settings_of(config).samples
    min_pass_rate = _min_pass_rate(kwargs)
    try:
        agent = load_agent(kwargs["agent"], where=f"{WHERE}(agent=...)") if kwargs.get("agent") else run_agent
    except AgentError as exc:
        pytest.fail(str(exc), pytrace=False)

    start = time.perf_counter()
    corpus = request.getfixturevalue("chimera_corpus")
    facts = request.getfixturevalue("chimera_facts")  # for the agent when grounded, and for the scorecard
    ingest_ms = (time.perf_counter() - start) * 1000  # the corpus fixture is cached: later tests wait ~0
    backend = request.getfixturevalue("chimera_model")
    options = _options(request, kwargs)
    base_seed = options.get("seed")
    seeds = sample_seeds(request.node.nodeid, samples, base_seed if isinstance(base_seed, int) else None)
    builtin = agent is run_agent
    corpus_arg = TimedCorpus(corpus, ingest_ms) if builtin else corpus

    def run_once(seed: int | None) -> ReportRun:
        call_options = dict(options) if samples == 1 else {**options, "seed": seed}
        try:
            result = agent(corpus_arg, backend, persona=persona, options=call_options, grounding=grounding,
                           facts=facts if grounding else None, agent_name=None, on_progress=None)
        except (BackendError, AgentError, PersonaError) as exc:
            pytest.fail(f"chimera_report: {exc}", pytrace=False)
        if not isinstance(result, ReportRun):
            name = getattr(agent, "__qualname__", repr(agent))
            pytest.fail(f"{WHERE}(agent=...): {name} returned {type(result).__name__}, expected a "
                        "pytest_chimera.agent.runs.ReportRun", pytrace=False)
        return result

    runs, block = _run_samples(request, run_once, seeds, rounds, quality_for(facts))
    state = request.node.stash.setdefault(TEST_STATE_KEY, TestState())
    state.block, state.runs, state.seeds, state.min_pass_rate = block, runs, seeds, min_pass_rate
    try:
        state.identity = test_identity(backend.describe())
    except Exception:  # identity is best effort: the comparison reports what it could not check
        state.identity = {}

    from pytest_chimera.plugin.scorecard import score

    stem = sanitize_test_id(request.node.nodeid)
    shown = []
    cards = []
    for i, run in enumerate(runs):
        cards.append(score(request.node.nodeid, run, facts))
        md_path, json_path = write_run(run, output_dir(config), stem if i == 0 else f"{stem}.sample{i}",
                                       checks=cards[-1].to_json())
        shown.append((_shown(md_path, config), _shown(json_path, config)))
    md_shown, json_shown = shown[0]
    run = runs[0]
    request.node.add_report_section("call", "chimera", section_text(run, md_shown, json_shown))
    request.node.user_properties.append(("chimera_report", md_shown))
    request.node.user_properties.append(("chimera_run_json", json_shown))
    _log(config).lines[request.node.nodeid] = summary_line(run, md_shown)
    state.score = dataclasses.asdict(cards[0])
    return run


def _storage_shown(storage: Any, config: pytest.Config) -> str:
    """Where pytest-benchmark saves: its file storage relative to cwd or rootdir, else absolute (its own
    ``location`` raises ValueError for a folder outside the working directory); other storages as they say."""
    path = getattr(storage, "path", None)
    return _shown(Path(path), config) if path is not None else str(storage.location)


def scorecard_lines(config: pytest.Config) -> list[str]:
    """The end-of-run scorecard, then where the reports and benchmark JSON went; empty when no report ran."""
    from pytest_chimera.plugin.record import recorder_of
    from pytest_chimera.plugin.scorecard import render

    scores = config.stash.get(SCORES_KEY, [])
    if not scores:
        return []
    recorder = recorder_of(config)
    flaky = {name: block["samples"] for name, block in (recorder.entries.items() if recorder else ())
             if isinstance(block.get("samples"), dict) and block["samples"].get("flaky")}
    scores = [dataclasses.replace(s, test=f"{s.test} (flaky: {flaky[s.test]['passed']}/{flaky[s.test]['n']} "
                                  "samples passed)") if s.test in flaky else s for s in scores]
    lines = [*render(scores), f"reports and run JSON: {_shown(output_dir(config), config)}/"]
    bench_session: Any = getattr(config, "_benchmarksession", None)
    if bench_session is not None and bench_session.benchmarks:
        if bench_session.save or bench_session.autosave:
            lines.append(f"benchmark JSON: {_storage_shown(bench_session.storage, config)}")
        if bench_session.json:
            lines.append(f"benchmark JSON: {bench_session.json.name}")
    return lines
