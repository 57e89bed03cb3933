"""pytest hooks of pytest-chimera: options, the ``chimera`` marker, the gate and the header.

Importing this module is cheap: pandas, ollama and llama_cpp are imported on first use only,
and nothing touches a model, a server or the network unless ``--chimera`` is given.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from pytest_chimera import config as cfg
from pytest_chimera import gate, model_session

SETTINGS_KEY = pytest.StashKey[cfg.Settings]()

SKIP_REASON = "pass --chimera to run LLM evaluation"

# Keyword arguments the ``chimera`` marker accepts.
MARKER_KWARGS = frozenset({"persona", "model", "backend", "options", "corpus", "grounding", "agent", "rounds"})

# Fixtures that need a model: a test using any of them is gated by --chimera like a marked test.
MODEL_FIXTURES = frozenset({"chimera_model", "chimera_report", "chimera_ollama_server"})

MARKER_DOC = (
    "chimera(*, persona='insight', model=None, backend=None, options=None, corpus=None, grounding=True, "
    "agent=None, rounds=None): run the Chimera report agent as this test (needs --chimera). "
    "Example: @pytest.mark.chimera(persona='collector', options={'num_ctx': 2048})"
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("chimera", "benchmark-aware LLM evaluation (pytest-chimera)")
    group.addoption(
        "--chimera",
        action="store_true",
        default=False,
        help="Run LLM evaluation: tests marked 'chimera' and tests using the model fixtures. "
        "Without it they are skipped. Default: off.",
    )
    group.addoption(
        "--chimera-backend",
        type=cfg.backend_arg,
        default=None,
        metavar="NAME",
        help=f"Model backend: {' | '.join(cfg.BACKENDS)}. Default: ini chimera_backend, else "
        f"{cfg.DEFAULT_BACKEND!r} (Ollama when it answers and has the model, else embedded llama.cpp).",
    )
    group.addoption(
        "--chimera-model",
        type=cfg.model_arg,
        default=None,
        metavar="NAME",
        help=f"Model name. Default: ini chimera_model, else {cfg.DEFAULT_MODEL!r}.",
    )
    group.addoption(
        "--chimera-corpus",
        default=None,
        metavar="DIR",
        help="Benchmark corpus directory, relative to the rootdir. Default: ini chimera_corpus, else none.",
    )
    group.addoption(
        "--chimera-option",
        type=cfg.option_arg,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        dest="chimera_option",
        help="Ollama model option (num_ctx, num_gpu, temperature, top_p, top_k, seed, num_predict, ...); "
        "repeatable, each key replaces the same key from ini chimera_options. Default: none.",
    )
    gate.add_options(group)
    group.addoption(
        "--chimera-cassettes",
        default=None,
        metavar="DIR",
        help="Record/replay model calls as JSON cassettes in DIR, relative to the rootdir (one file per call). "
        "Default: ini chimera_cassettes, else none (calls go to the model).",
    )
    group.addoption(
        "--chimera-record-mode",
        type=cfg.record_mode_arg,
        default=None,
        metavar="MODE",
        help=f"Cassette mode: {' | '.join(cfg.RECORD_MODES)} (replay: a missing cassette is an error; record: "
        "call the model and overwrite; auto: record only what is missing). "
        f"Default: ini chimera_record_mode, else {cfg.DEFAULT_RECORD_MODE!r}.",
    )
    group.addoption(
        "--chimera-keep-alive",
        type=cfg.keep_alive_arg,
        default=None,
        metavar="DURATION",
        help="How long Ollama keeps the model loaded after a call: a duration (5m, 1h) or seconds "
        "(-1 forever, 0 unload at once). Default: ini chimera_keep_alive, else Ollama's own (5m).",
    )
    parser.addini("chimera_backend", help=f"Model backend (default {cfg.DEFAULT_BACKEND!r}).", default="")
    parser.addini("chimera_model", help=f"Model name (default {cfg.DEFAULT_MODEL!r}).", default="")
    parser.addini("chimera_corpus", help="Benchmark corpus directory, relative to the rootdir.", default="")
    parser.addini("chimera_options", type="linelist", help="Ollama model options, one KEY=VALUE a line.", default=[])
    parser.addini("chimera_cassettes", help="Record/replay cassette directory, relative to the rootdir.", default="")
    parser.addini(
        "chimera_record_mode", help=f"Cassette mode: {', '.join(cfg.RECORD_MODES)} (default 'replay').", default=""
    )
    parser.addini("chimera_keep_alive", help="Ollama keep_alive: a duration (5m) or seconds (-1 forever).", default="")
    model_session.add_options(group, parser)
    from pytest_chimera import report_fixture

    report_fixture.add_options(group, parser)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER_DOC)
    try:
        settings = cfg.resolve(
            enabled=bool(config.getoption("chimera")),
            cli_backend=config.getoption("chimera_backend"),
            ini_backend=str(config.getini("chimera_backend")),
            cli_model=config.getoption("chimera_model"),
            ini_model=str(config.getini("chimera_model")),
            cli_corpus=config.getoption("chimera_corpus"),
            ini_corpus=str(config.getini("chimera_corpus")),
            cli_options=config.getoption("chimera_option"),
            ini_options=config.getini("chimera_options"),
            rootdir=config.rootpath,
            cli_cassettes=config.getoption("chimera_cassettes"),
            ini_cassettes=str(config.getini("chimera_cassettes")),
            cli_record_mode=config.getoption("chimera_record_mode"),
            ini_record_mode=str(config.getini("chimera_record_mode")),
            cli_keep_alive=config.getoption("chimera_keep_alive"),
            ini_keep_alive=str(config.getini("chimera_keep_alive")),
        )
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from None
    config.stash[SETTINGS_KEY] = settings
    model_session.validate(config)
    gate.configure(config)


def pytest_unconfigure(config: pytest.Config) -> None:
    model_session.close(config)


def settings_of(config: pytest.Config) -> cfg.Settings:
    """The resolved chimera settings of this session."""
    return config.stash[SETTINGS_KEY]


def pytest_report_header(config: pytest.Config) -> list[str] | None:
    settings = settings_of(config)
    if not settings.enabled:
        return None
    return [settings.header(), *model_session.header_lines(config)]


@pytest.fixture
def chimera_corpus(request: pytest.FixtureRequest) -> Any:
    """The benchmark corpus (``pytest_chimera.corpus.Corpus``) named by the test's ``chimera(corpus=...)`` marker,
    else ``--chimera-corpus`` / ini ``chimera_corpus``; loaded once per distinct path per session. Needs no model,
    so it is not gated by ``--chimera``."""
    from pytest_chimera import corpus_session

    return corpus_session.corpus_for(request, settings_of(request.config).corpus)


@pytest.fixture
def chimera_facts(request: pytest.FixtureRequest) -> Any:
    """The ground-truth facts (``pytest_chimera.facts.Facts``) of the ``chimera_corpus`` corpus, computed once per
    corpus per session."""
    from pytest_chimera import corpus_session

    return corpus_session.facts_for(request, settings_of(request.config).corpus)


@pytest.fixture
def chimera_model(request: pytest.FixtureRequest) -> Any:
    """The configured model backend (``--chimera-backend``/``--chimera-model``/``--chimera-option``, or the
    test's ``chimera`` marker's backend=/model=/options=), loaded once per session and shared."""
    return model_session.backend_for(request)


@pytest.fixture
def chimera_report(request: pytest.FixtureRequest) -> Any:
    """One run of the Chimera agent for this test (``pytest_chimera.runs.ReportRun``), configured by its
    ``chimera`` marker (persona=, model=, backend=, options=, corpus=, grounding=, agent=, rounds=); with
    ``benchmark`` requested or ``rounds=N`` it runs through pytest-benchmark. Its markdown and run JSON are
    written under ``--chimera-output`` (default ``.chimera/``), named after the test id."""
    from pytest_chimera import report_fixture

    return report_fixture.report_for(request)


@pytest.fixture(scope="session")
def chimera_ollama_server(pytestconfig: pytest.Config) -> Iterator[str]:
    """An Ollama-compatible HTTP server on 127.0.0.1 (a free port) backed by the session's model; yields its
    base URL (``http://127.0.0.1:PORT``) for agent code that speaks Ollama. Stopped at the end of the session."""
    from pytest_chimera.backends import BackendError
    from pytest_chimera.ollama_server import OllamaServer

    settings = settings_of(pytestconfig)
    pool = model_session.pool_of(pytestconfig)
    model_path = model_session.model_path_of(pytestconfig)
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
    if "pytest_chimera.assertions" not in {type(left).__module__, type(right).__module__}:
        return None
    from pytest_chimera.assertions import assertrepr_compare

    return assertrepr_compare(op, left, right)


@pytest.hookimpl(optionalhook=True)
def pytest_benchmark_update_machine_info(config: pytest.Config, machine_info: dict[str, Any]) -> None:
    """Add the chimera backends (model, sha256 or digest, quantization, options, accelerator)."""
    from pytest_chimera.bench import update_machine_info

    update_machine_info(config, machine_info)


def pytest_sessionstart(session: pytest.Session) -> None:
    bs = gate.benchmark_session(session.config)
    if bs is not None:
        from pytest_chimera.bench import make_storage_atomic

        make_storage_atomic(bs.storage)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    lines = gate.capture_lines(terminalreporter.config)
    if lines:
        terminalreporter.write_sep("-", "chimera benchmarks")
        for line in lines:
            terminalreporter.write_line(line)
    if settings_of(terminalreporter.config).enabled:
        from pytest_chimera import corpus_session
        from pytest_chimera.report_fixture import scorecard_lines

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
