"""Fixtures shared by the test modules of the Ollama-compatible test server and the clients that use it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from ollama_fakes import FakeBackend

from pytest_chimera.backends.ollama_server import Faults, OllamaServer

MODEL = "gemma3:270m"


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
