"""pytest hooks of pytest-chimera: options, the ``chimera`` marker, the gate and the header.

Importing this module is cheap: pandas, ollama and llama_cpp are imported on first use only,
and nothing touches a model, a server or the network unless ``--chimera`` is given.
"""

from __future__ import annotations

from typing import Any

import pytest

from pytest_chimera import config as cfg

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
    parser.addini("chimera_backend", help=f"Model backend (default {cfg.DEFAULT_BACKEND!r}).", default="")
    parser.addini("chimera_model", help=f"Model name (default {cfg.DEFAULT_MODEL!r}).", default="")
    parser.addini("chimera_corpus", help="Benchmark corpus directory, relative to the rootdir.", default="")
    parser.addini("chimera_options", type="linelist", help="Ollama model options, one KEY=VALUE a line.", default=[])


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
        )
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from None
    config.stash[SETTINGS_KEY] = settings


def settings_of(config: pytest.Config) -> cfg.Settings:
    """The resolved chimera settings of this session."""
    return config.stash[SETTINGS_KEY]


def pytest_report_header(config: pytest.Config) -> str | None:
    settings = settings_of(config)
    return settings.header() if settings.enabled else None


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
