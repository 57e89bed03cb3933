"""Fixtures shared by the test modules: the Ollama-compatible test server and the clients that use it, and an
inner pytest session that does not take itself for an xdist worker."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from ollama_fakes import FakeBackend
from xdist_env import WORKER_ENV

from pytest_chimera.backends.ollama_server import Faults, OllamaServer

MODEL = "gemma3:270m"


@pytest.fixture(autouse=True)
def _not_an_xdist_worker_inside(request: pytest.FixtureRequest) -> None:
    """Under ``pytest -n``, a test's ``pytester`` session would inherit xdist's worker variables and act as a
    worker; they are removed for such tests only (the worker itself reads them: its llama.cpp threads, its
    host). Tests that start pytest in a subprocess build its environment with ``xdist_env.inner_env``; a test
    of how this process behaves outside xdist asks for ``not_a_worker``."""
    if "pytester" in request.fixturenames:
        request.getfixturevalue("not_a_worker")


@pytest.fixture
def not_a_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    """This test runs as outside xdist, whether or not the suite runs under ``pytest -n``."""
    for name in WORKER_ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def fake_model_server() -> Iterator[OllamaServer]:
    """This package's server in front of a fake model (``MODEL``), one per test module."""
    with OllamaServer(FakeBackend(MODEL)) as srv:
        yield srv


@pytest.fixture
def server(fake_model_server: OllamaServer) -> OllamaServer:
    """The module's server with no injected faults (a test that sets ``server.faults`` affects only itself)."""
    fake_model_server.faults = Faults()
    return fake_model_server
