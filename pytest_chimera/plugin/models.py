"""The session's models for the plugin: one pool of loaded backends per pytest session, in ``config.stash``.

The plugin's hooks and the ``chimera_model`` fixture call these functions; nothing here imports a model
library at import time, and nothing touches a model or the network before a test asks for a model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from pytest_chimera.backends import options as mo
from pytest_chimera.plugin.settings import Settings, settings_of
from pytest_chimera.plugin.stash import POOL_KEY

if TYPE_CHECKING:
    from pytest_chimera.backends import BackendPool, WithOptions



def pool_of(config: pytest.Config) -> BackendPool:
    """The session's pool of loaded backends, created on first use."""
    pool = config.stash.get(POOL_KEY, None)
    if pool is None:
        from pytest_chimera.backends import BackendPool

        settings = settings_of(config)

        def record(backend: Any) -> None:
            from pytest_chimera.plugin.capture import record_backend

            try:
                record_backend(config, backend.describe())
            except Exception:  # identity for machine_info is best effort; the test itself must not fail here
                pass

        pool = BackendPool(
            timeout=settings.timeout,
            keep_alive=settings.keep_alive,
            cassette_dir=settings.cassettes,
            record_mode=settings.record_mode,
            on_load=record,
        )
        config.stash[POOL_KEY] = pool
    return pool


def backend_for(request: pytest.FixtureRequest) -> WithOptions:
    """The backend a test asked for: the session settings, overridden by its ``chimera`` marker."""
    from pytest_chimera.backends import BackendError

    config = request.config
    settings = settings_of(config)
    backend, model, options = settings.backend, settings.model, dict(settings.options)
    mark = request.node.get_closest_marker("chimera")
    if mark is not None:
        backend = mark.kwargs.get("backend") or backend
        model = mark.kwargs.get("model") or model
        if backend not in mo.BACKENDS:
            pytest.fail(f"@pytest.mark.chimera(backend={backend!r}): choose one of {', '.join(mo.BACKENDS)}",
                        pytrace=False)
        if mark.kwargs.get("options"):
            try:
                options.update(mo.options_from_mapping(mark.kwargs["options"], "@pytest.mark.chimera(options=...)"))
            except ValueError as exc:
                pytest.fail(str(exc), pytrace=False)
    try:
        return pool_of(config).get(backend, model, options, _model_path(settings))
    except BackendError as exc:
        pytest.fail(f"chimera_model: {exc}", pytrace=False)


def header_lines(config: pytest.Config) -> list[str]:
    """Extra header lines: what ``auto`` resolved to. Only called with --chimera (this may probe Ollama)."""
    settings = settings_of(config)
    if settings.backend != "auto":
        return []
    pool = pool_of(config)
    path = _model_path(settings)
    chosen = pool.resolved("auto", settings.model, path)
    if path is not None:
        why = f"--chimera-model-path {path}"
    elif chosen == "ollama":
        why = f"Ollama has {settings.model}"
    else:
        from pytest_chimera.backends import ollama_host

        why = f"no Ollama with {settings.model} at {ollama_host()}"
    return [f"chimera: auto backend -> {chosen} ({why})"]


def close(config: pytest.Config) -> None:
    """Close the session's backends (at unconfigure)."""
    pool = config.stash.get(POOL_KEY, None)
    if pool is not None:
        pool.close()


def _model_path(settings: Settings) -> str | None:
    return str(settings.model_path) if settings.model_path is not None else None


def model_path_of(config: pytest.Config) -> str | None:
    """The resolved --chimera-model-path (command line over ini), absolute, or None."""
    return _model_path(settings_of(config))
