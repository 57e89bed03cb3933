"""pytest hooks of pytest-chimera: options, the ``chimera`` marker, the gate and the header.

Importing this module is cheap: pandas, ollama and llama_cpp are imported on first use only,
and nothing touches a model, a server or the network unless ``--chimera`` is given.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from typing import Any

import pytest

from pytest_chimera.plugin import gate, html, models, record, stash  # noqa: F401 (stash: keys load with the plugin)
from pytest_chimera.plugin.options import GROUP, GROUP_TITLE, add_pytest_options
from pytest_chimera.plugin.settings import SETTINGS_KEY, from_config, settings_of

SKIP_REASON = "pass --chimera to run LLM evaluation"

# Keyword arguments the ``chimera`` marker accepts.
MARKER_KWARGS = frozenset({"persona", "model", "backend", "options", "corpus", "grounding", "agent", "rounds",
                           "samples", "min_pass_rate"})

# Fixtures that need a model: a test using any of them is gated by --chimera like a marked test.
MODEL_FIXTURES = frozenset({"chimera_model", "chimera_report", "chimera_ollama_server"})

MARKER_DOC = (
    "chimera(*, persona='insight', model=None, backend=None, options=None, corpus=None, grounding=True, "
    "agent=None, rounds=None, samples=None, min_pass_rate=1.0): run the Chimera report agent as this test "
    "(needs --chimera). "
    "Example: @pytest.mark.chimera(persona='collector', options={'num_ctx': 2048})"
)


def pytest_addoption(parser: pytest.Parser) -> None:
    add_pytest_options(parser.getgroup(GROUP, GROUP_TITLE), parser)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER_DOC)
    settings = config.stash[SETTINGS_KEY] = from_config(config)
    models.check_hosts(config)
    record.configure(config)
    gate.configure(config, settings)
    html.configure(config, settings)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """pytest-xdist's controller starting a worker: hand it the hosts that answered at session start."""
    models.configure_node(node.config, node)


def pytest_unconfigure(config: pytest.Config) -> None:
    models.close(config)


def pytest_report_header(config: pytest.Config) -> list[str] | None:
    settings = settings_of(config)
    if not settings.enabled:
        return None
    return [settings.header(), *models.header_lines(config)]


@pytest.fixture
def chimera_corpus(request: pytest.FixtureRequest) -> Any:
    """The benchmark corpus (``pytest_chimera.Corpus``) named by the test's ``chimera(corpus=...)`` marker, else
    ``--chimera-corpus`` / ini ``chimera_corpus``; loaded once per distinct path per session. Needs no model, so
    it is not gated by ``--chimera``."""
    from pytest_chimera.plugin import corpus as corpus_session

    return corpus_session.corpus_for(request, settings_of(request.config).corpus)


@pytest.fixture
def chimera_facts(request: pytest.FixtureRequest) -> Any:
    """The ground-truth facts (``pytest_chimera.Facts``) of the ``chimera_corpus`` corpus, computed once per corpus
    per session."""
    from pytest_chimera.plugin import corpus as corpus_session

    return corpus_session.facts_for(request, settings_of(request.config).corpus)


@pytest.fixture
def chimera_model(request: pytest.FixtureRequest) -> Any:
    """The configured model backend (``--chimera-backend``/``--chimera-model``/``--chimera-option``, or the
    test's ``chimera`` marker's backend=/model=/options=), loaded once per session and shared."""
    return models.backend_for(request)


@pytest.fixture
def chimera_report(request: pytest.FixtureRequest) -> Any:
    """One run of the Chimera agent for this test (``pytest_chimera.agent.runs.ReportRun``), configured by its
    ``chimera`` marker (persona=, model=, backend=, options=, corpus=, grounding=, agent=, rounds=); with
    ``benchmark`` requested or ``rounds=N`` it runs through pytest-benchmark. Its markdown and run JSON are
    written under ``--chimera-output`` (default ``.chimera/``), named after the test id."""
    from pytest_chimera.plugin import report as report_fixture

    return report_fixture.report_for(request)


@pytest.fixture(scope="session")
def chimera_ollama_server(pytestconfig: pytest.Config) -> Iterator[str]:
    """An Ollama-compatible HTTP server on 127.0.0.1 (a free port) backed by the session's model; yields its
    base URL (``http://127.0.0.1:PORT``) for agent code that speaks Ollama. Stopped at the end of the session."""
    from pytest_chimera.backends import BackendError
    from pytest_chimera.backends.ollama_server import OllamaServer

    settings = settings_of(pytestconfig)
    pool = models.pool_of(pytestconfig)
    model_path = models.model_path_of(pytestconfig)
    try:
        backend = pool.get(settings.backend, settings.model, settings.options, model_path)
    except BackendError as exc:
        pytest.fail(f"chimera_ollama_server: {exc}", pytrace=False)
    with OllamaServer(backend) as server:
        yield server.url


def marker_errors(item: pytest.Item) -> list[str]:
    """Problems with the ``chimera`` markers of one item, one message each."""
    errors = []
    for mark in item.iter_markers("chimera"):
        if mark.args:
            errors.append(f"@pytest.mark.chimera takes keyword arguments only, got positional {mark.args!r}")
        for name in sorted(set(mark.kwargs) - MARKER_KWARGS):
            known = ", ".join(sorted(MARKER_KWARGS))
            errors.append(f"@pytest.mark.chimera got an unknown argument {name!r}; known arguments: {known}")
    return errors


def _needs_chimera(item: pytest.Item) -> bool:
    fixtures: Any = getattr(item, "fixturenames", ())
    return item.get_closest_marker("chimera") is not None or bool(MODEL_FIXTURES.intersection(fixtures))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if settings_of(config).enabled:
        return
    skip = pytest.mark.skip(reason=SKIP_REASON)
    for item in items:
        if _needs_chimera(item) and not marker_errors(item):
            item.add_marker(skip)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    errors = marker_errors(item)
    if errors:
        pytest.fail("\n".join(errors), pytrace=False)


def pytest_assertrepr_compare(config: pytest.Config, op: str, left: object, right: object) -> list[str] | None:
    """Explain a failed ``report == Conforms(spec)`` / ``report == Consistent(facts)`` (summary, then details)."""
    if "pytest_chimera.checks.assertions" not in {type(left).__module__, type(right).__module__}:
        return None
    from pytest_chimera.checks.assertions import assertrepr_compare

    return assertrepr_compare(op, left, right)


@pytest.hookimpl(optionalhook=True)
def pytest_benchmark_update_machine_info(config: pytest.Config, machine_info: dict[str, Any]) -> None:
    """Add the chimera backends (model, sha256 or digest, quantization, options, accelerator)."""
    from pytest_chimera.plugin.capture import update_machine_info

    update_machine_info(config, machine_info)


def pytest_sessionstart(session: pytest.Session) -> None:
    bs = gate.benchmark_session(session.config)
    if bs is not None:
        from pytest_chimera.plugin.capture import make_storage_atomic

        make_storage_atomic(bs.storage)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Put the test's chimera block (quality, samples, identity) on its call report, for the run record."""
    report = yield
    if call.when == "call":
        record.attach(item, call, report)
    return report


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """With samples > 1, run the test body once per sample (``plugin.samples``)."""
    from pytest_chimera.plugin.samples import call_per_sample

    return True if call_per_sample(pyfuncitem) else None


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    """An xdist worker hands its records to the controller; then the ``--chimera-html`` page is written, after
    the gate has compared this run with its baseline."""
    if record.is_worker(session.config):
        record.worker_finish(session.config)
    recorder = html.recorder_of(session.config)
    if recorder is not None:
        recorder.write_page(session)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    lines = gate.capture_lines(terminalreporter.config)
    if lines:
        terminalreporter.write_sep("-", "chimera benchmarks")
        for line in lines:
            terminalreporter.write_line(line)
    run_record = record.recorder_of(terminalreporter.config)
    for line in run_record.summary_lines() if run_record is not None else []:
        terminalreporter.write_line(line)
    if settings_of(terminalreporter.config).enabled:
        from pytest_chimera.plugin import corpus as corpus_session
        from pytest_chimera.plugin.report import scorecard_lines

        card = scorecard_lines(terminalreporter.config)
        if card:
            terminalreporter.write_sep("-", "chimera scorecard")
            for line in card:
                terminalreporter.write_line(line)

        ingest = corpus_session.summary_lines(terminalreporter.config)
        if ingest:
            terminalreporter.write_sep("-", "chimera corpus ingest errors")
            for line in ingest:
                terminalreporter.write_line(line)
    page = html.recorder_of(terminalreporter.config)
    for line in page.summary_lines() if page is not None else []:
        terminalreporter.write_line(line, red=line.startswith("chimera html: cannot"))
