"""A pytest plugin that runs example_project with no model: ``-p fake_model_plugin`` (``tests/`` on the path).

Every backend but ``replay`` is a ``FakeBackend`` whose reports state two wrong shares of the example corpus
(JSON is 42.9% of its 28 files, not 40.9%; Markdown 28.6%, not 30%) and carry hostile markup: a ``<script>``, an
``onerror`` handler, a ``javascript:`` link and an HTML comment. ``CHIMERA_FAKE_SLOWDOWN=F`` divides the fake
decode speed by F (a speed regression for the gate). The replay test keeps its checked-in cassette.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import pytest
from agent_fakes import ANALYSIS_TEXT, FakeBackend

from pytest_chimera.backends.base import CallMetrics, Generation, Message, TokenCallback

HOSTILE = (
    "<script>alert('script'); window.chimeraPwned = 'script'</script>\n\n"
    "<img src=x onerror=\"alert('onerror'); window.chimeraPwned = 'onerror'\">\n\n"
    "See [the dashboard](javascript:alert('link');window.chimeraPwned='link') and "
    "[the docs](https://example.com/docs). <!-- an HTML comment -->\n"
)

REPORT = (
    "The corpus holds **28 files**: 8 CSV files, 12 JSON files (**40.9%**) and 8 Markdown files (30%).\n\n"
    "## 2. Recommendations\n\n1. Use a larger batch.\n2. Pin num_ctx to 2048.\n3. Add TTFT telemetry.\n\n"
    + HOSTILE
)


class SlowableBackend(FakeBackend):
    """The fake backend, its decode speed divided by ``slowdown``; it accepts chat messages too."""

    def __init__(self, *, model: str, slowdown: float) -> None:
        super().__init__(model=model, analysis=ANALYSIS_TEXT, report=REPORT)
        self.slowdown = slowdown

    def generate(self, prompt: str | None = None, *, messages: Sequence[Message] | None = None,
                 options: Mapping[str, Any] | None = None, format: Mapping[str, Any] | None = None,
                 on_token: TokenCallback | None = None) -> Generation:
        if prompt is None:
            prompt = "\n".join(str(m.get("content", "")) for m in messages or [])
        out = super().generate(prompt, options=options, on_token=on_token)
        m = out.metrics
        slowed = CallMetrics(**{**m.to_dict(), "eval_ms": m.eval_ms * self.slowdown,
                                "tokens_per_s": (m.tokens_per_s or 0) / self.slowdown})
        return Generation(out.text, slowed, out.backend, out.model, out.options)


def pytest_configure(config: pytest.Config) -> None:
    from pytest_chimera.backends import BackendPool, load_backend
    from pytest_chimera.plugin.settings import settings_of
    from pytest_chimera.plugin.stash import POOL_KEY

    settings = settings_of(config)
    slowdown = float(os.environ.get("CHIMERA_FAKE_SLOWDOWN", "1"))

    def loader(name: str, model: str, **kwargs: Any) -> Any:
        if name == "replay":
            return load_backend(name, model, **kwargs)
        return SlowableBackend(model=model, slowdown=slowdown)

    pool = BackendPool(cassette_dir=settings.cassettes, record_mode=settings.record_mode, loader=loader)
    pool._auto[settings.model] = "llama-cpp"  # no Ollama probe: the fake stands in for the embedded model
    config.stash[POOL_KEY] = pool
