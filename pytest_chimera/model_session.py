"""The session's models for the plugin: one pool of loaded backends per pytest session, in ``config.stash``.

The plugin's hooks and the ``chimera_model`` fixture call these functions; nothing here imports a model
library at import time, and nothing touches a model or the network before a test asks for a model.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_chimera import config as cfg

if TYPE_CHECKING:
    from pytest_chimera.backends import BackendPool, WithOptions

DEFAULT_TIMEOUT_S = 600.0

POOL_KEY = pytest.StashKey["BackendPool"]()


def timeout_arg(text: str) -> float:
    """``argparse`` type for ``--chimera-timeout``: a positive number of seconds."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"timeout must be a positive number of seconds, got {text!r}")
    return value


def add_options(group: Any, parser: pytest.Parser) -> None:
    """Register --chimera-model-path and --chimera-timeout (and their ini keys)."""
    group.addoption(
        "--chimera-model-path",
        default=None,
        metavar="PATH",
        help="GGUF file for the embedded llama-cpp backend, relative to the rootdir (any GGUF llama.cpp "
        "loads). Default: ini chimera_model_path, else the packaged gemma3:270m.",
    )
    group.addoption(
        "--chimera-timeout",
        type=timeout_arg,
        default=None,
        metavar="SECONDS",
        help=f"Time limit of one model call in seconds. Default: ini chimera_timeout, else {DEFAULT_TIMEOUT_S:g}.",
    )
    parser.addini("chimera_model_path", help="GGUF file for the embedded backend, relative to the rootdir.", default="")
    parser.addini("chimera_timeout", help=f"Time limit of one model call in seconds (default {DEFAULT_TIMEOUT_S:g}).",
                  default="")


def model_path_of(config: pytest.Config) -> str | None:
    """The resolved --chimera-model-path (command line over ini), absolute, or None."""
    text = config.getoption("chimera_model_path") or str(config.getini("chimera_model_path"))
    return str((config.rootpath / Path(text).expanduser()).resolve()) if text else None


def timeout_of(config: pytest.Config) -> float:
    """The resolved --chimera-timeout; a bad ini value is a usage error naming the key."""
    value: float | None = config.getoption("chimera_timeout")
    if value is not None:
        return value
    text = str(config.getini("chimera_timeout")).strip()
    if not text:
        return DEFAULT_TIMEOUT_S
    try:
        return timeout_arg(text)
    except argparse.ArgumentTypeError as exc:
        raise pytest.UsageError(f"ini chimera_timeout: {exc}") from None


def validate(config: pytest.Config) -> None:
    """Usage errors for bad values, at configure time (before any test runs)."""
    timeout_of(config)


def pool_of(config: pytest.Config) -> BackendPool:
    """The session's pool of loaded backends, created on first use."""
    pool = config.stash.get(POOL_KEY, None)
    if pool is None:
        from pytest_chimera.backends import BackendPool

        settings: cfg.Settings = config.stash[_settings_key()]

        def record(backend: Any) -> None:
            from pytest_chimera.bench import record_backend

            try:
                record_backend(config, backend.describe())
            except Exception:  # identity for machine_info is best effort; the test itself must not fail here
                pass

        pool = BackendPool(
            timeout=timeout_of(config),
            keep_alive=settings.keep_alive,
            cassette_dir=settings.cassettes,
            record_mode=settings.record_mode,
            on_load=record,
        )
        config.stash[POOL_KEY] = pool
    return pool


def _settings_key() -> Any:
    from pytest_chimera.plugin import SETTINGS_KEY

    return SETTINGS_KEY


def backend_for(request: pytest.FixtureRequest) -> WithOptions:
    """The backend a test asked for: the session settings, overridden by its ``chimera`` marker."""
    from pytest_chimera.backends import BackendError

    config = request.config
    settings: cfg.Settings = config.stash[_settings_key()]
    backend, model, options = settings.backend, settings.model, dict(settings.options)
    mark = request.node.get_closest_marker("chimera")
    if mark is not None:
        backend = mark.kwargs.get("backend") or backend
        model = mark.kwargs.get("model") or model
        if backend not in cfg.BACKENDS:
            pytest.fail(f"@pytest.mark.chimera(backend={backend!r}): choose one of {', '.join(cfg.BACKENDS)}",
                        pytrace=False)
        if mark.kwargs.get("options"):
            try:
                options.update(cfg.options_from_mapping(mark.kwargs["options"], "@pytest.mark.chimera(options=...)"))
            except ValueError as exc:
                pytest.fail(str(exc), pytrace=False)
    try:
        return pool_of(config).get(backend, model, options, model_path_of(config))
    except BackendError as exc:
        pytest.fail(f"chimera_model: {exc}", pytrace=False)


def header_lines(config: pytest.Config) -> list[str]:
    """Extra header lines: what ``auto`` resolved to. Only called with --chimera (this may probe Ollama)."""
    settings: cfg.Settings = config.stash[_settings_key()]
    if settings.backend != "auto":
        return []
    pool = pool_of(config)
    path = model_path_of(config)
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
