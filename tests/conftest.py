"""Fixtures shared by the test modules: the Ollama-compatible test server and the clients that use it, and an
inner pytest session that does not take itself for an xdist worker."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from ollama_fakes import FakeBackend

from pytest_chimera.backends.ollama_server import Faults, OllamaServer

MODEL = "gemma3:270m"
XDIST_WORKER_ENV = ("PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "PYTEST_XDIST_TESTRUNUID")


@pytest.fixture(autouse=True, scope="session")
def _not_an_xdist_worker_inside() -> Iterator[None]:
    """Under ``pytest -n``, xdist sets these in each worker's environment; a ``pytester`` session or a
    subprocess run by a test would inherit them and act as a worker (no timing, no gate, no files). The outer
    worker does not need them: the plugin knows it by ``config.workerinput``. A test of worker behaviour sets
    them itself."""
    with pytest.MonkeyPatch.context() as patch:
        for name in XDIST_WORKER_ENV:
            patch.delenv(name, raising=False)
        yield


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
