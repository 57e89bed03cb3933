"""Model backends, loaded by name: ``auto``, ``ollama``, ``openai`` (any OpenAI-compatible server), ``llama-cpp``
(embedded) and ``replay``.

Every backend module is imported when it is loaded, never at import time of this package.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_chimera.backends.base import Backend, BackendError, Generation, Message, TokenCallback

__all__ = [
    "Backend",
    "BackendError",
    "BackendPool",
    "WithOptions",
    "load_backend",
    "ollama_host",
    "resolve_auto",
]

NAMES = ("auto", "ollama", "openai", "llama-cpp", "replay")
DEFAULT_OLLAMA_HOST = "127.0.0.1:11434"


def ollama_host(host: str | None = None) -> str:
    """The Ollama host to use: ``host``, else ``$OLLAMA_HOST``, else 127.0.0.1:11434."""
    return host or os.environ.get("OLLAMA_HOST") or DEFAULT_OLLAMA_HOST


def resolve_auto(model: str, host: str | None = None, timeout: float = 1.0) -> str:
    """What ``auto`` means now: ``"ollama"`` when that server answers and has ``model``, else ``"llama-cpp"``.

    This probes the network (one short request); call it only when model calls are wanted (``--chimera``).
    """
    try:
        from pytest_chimera.backends import ollama
    except ImportError:  # the Ollama backend module or the ``ollama`` client is missing
        return "llama-cpp"
    return "ollama" if ollama.probe(ollama_host(host), model, timeout) else "llama-cpp"


def load_backend(
    name: str,
    model: str,
    *,
    options: Mapping[str, Any] | None = None,
    model_path: str | os.PathLike[str] | None = None,
    host: str | None = None,
    timeout: float | None = None,
    keep_alive: str | float | None = None,
    cassette_dir: str | os.PathLike[str] | None = None,
    record_mode: str | None = None,
    reuse_prefix: bool = False,
    api_key_env: str | None = None,
    workers_per_host: int = 1,
) -> Backend:
    """Load the backend ``name`` for ``model``; ``backend.name`` says which one ``auto`` chose.

    ``host`` is the server of ``ollama`` and ``openai`` (``workers_per_host``: how many pytest-xdist workers
    share it, for their identity); ``api_key_env`` names the variable with the ``openai`` server's key.
    ``replay`` wraps cassettes in ``cassette_dir`` around the ``auto`` choice, which is loaded only when a
    call must be recorded. Raises BackendError with what to do.
    """
    if name not in NAMES:
        raise BackendError(f"unknown backend {name!r}; choose one of {', '.join(NAMES)}")
    if name == "replay":
        if cassette_dir is None:
            raise BackendError("the replay backend needs a cassette directory: pass --chimera-cassettes DIR")
        from pytest_chimera.backends.replay import DEFAULT_RECORD_MODE, ReplayBackend

        def inner() -> Backend:
            return load_backend(
                "auto",
                model,
                options=options,
                model_path=model_path,
                host=host,
                timeout=timeout,
                keep_alive=keep_alive,
                reuse_prefix=reuse_prefix,
                workers_per_host=workers_per_host,
            )

        return ReplayBackend(
            cassette_dir, model, mode=record_mode or DEFAULT_RECORD_MODE, inner=inner, options=options
        )
    if name == "auto":
        # A GGUF given explicitly means the embedded backend: Ollama cannot load a file path.
        name = "llama-cpp" if model_path is not None else resolve_auto(model, host)
    if name == "ollama":
        try:
            from pytest_chimera.backends.ollama import OllamaBackend
        except ImportError as exc:
            raise BackendError(f"the ollama backend is unavailable ({exc}); run: pip install ollama") from None
        return OllamaBackend(model, host=ollama_host(host), options=options, keep_alive=keep_alive, timeout=timeout,
                             workers_per_host=workers_per_host)
    if name == "openai":
        from pytest_chimera.backends.openai import OpenAIBackend

        return OpenAIBackend(model, host=host, options=options, timeout=timeout, api_key_env=api_key_env,
                             workers_per_host=workers_per_host)
    from pytest_chimera.backends.llamacpp import LlamaCppBackend

    return LlamaCppBackend(model, model_path=model_path, options=options, timeout=timeout, reuse_prefix=reuse_prefix)


class WithOptions:
    """A shared backend seen with its own default options (a test's marker options over the session's).

    Per-call options given to ``generate`` still win. Closing it does nothing: the pool owns the backend.
    """

    def __init__(self, backend: Backend, options: Mapping[str, Any]) -> None:
        self.inner = backend
        self.name = backend.name
        self.model = backend.model
        self.options = dict(options)

    def generate(
        self,
        prompt: str | None = None,
        *,
        messages: Sequence[Message] | None = None,
        options: Mapping[str, Any] | None = None,
        format: Mapping[str, Any] | None = None,
        on_token: TokenCallback | None = None,
    ) -> Generation:
        merged = {**self.options, **dict(options or {})}
        return self.inner.generate(prompt, messages=messages, options=merged, format=format, on_token=on_token)

    @property
    def num_ctx(self) -> int | None:
        """The backend's own context length where it has one (the agent's prompt budget reads it)."""
        value = getattr(self.inner, "num_ctx", None)
        return value if isinstance(value, int) else None

    @property
    def host(self) -> str | None:
        """The server the backend talks to (None for the embedded model)."""
        value = getattr(self.inner, "host", None)
        return value if isinstance(value, str) else None

    def count_tokens(self, text: str) -> int:
        return self.inner.count_tokens(text)

    def describe(self) -> dict[str, Any]:
        return {**self.inner.describe(), "options": dict(self.options)}

    def close(self) -> None:
        """The pool closes the shared backend at the end of the session."""


def _load_part(options: Mapping[str, Any]) -> dict[str, Any]:
    """The load-time options (seed excluded: it applies per call) of ``options``, in Ollama's names."""
    from pytest_chimera.backends.llamacpp import LOAD_OPTIONS

    return {k: v for k, v in options.items() if k in LOAD_OPTIONS and k != "seed"}


@dataclass
class BackendPool:
    """Backends loaded once per session per (backend, model, model path, load-time options), closed at the end.

    ``auto`` is resolved once per (model, host) and remembered, so the report can say what it chose. ``host``
    is this session's (this xdist worker's) server for ``ollama`` and ``openai``.
    """

    host: str | None = None
    api_key_env: str | None = None
    workers_per_host: int = 1
    timeout: float | None = None
    keep_alive: str | float | None = None
    cassette_dir: Path | None = None
    record_mode: str | None = None
    loader: Callable[..., Backend] = load_backend
    on_load: Callable[[Backend], None] | None = None
    _loaded: dict[tuple[Any, ...], Backend] = field(default_factory=dict)
    _auto: dict[str, str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def resolved(self, name: str, model: str, model_path: str | None = None) -> str:
        """The concrete backend ``name`` stands for (probing Ollama once per model for ``auto``)."""
        if name != "auto":
            return name
        if model_path is not None:
            return "llama-cpp"
        if model not in self._auto:
            self._auto[model] = resolve_auto(model, self.host)
        return self._auto[model]

    def get(
        self, name: str, model: str, options: Mapping[str, Any] | None = None, model_path: str | None = None
    ) -> WithOptions:
        """The shared backend for these settings, loaded on first request, seen with ``options``."""
        opts = dict(options or {})
        with self._lock:
            concrete = self.resolved(name, model, model_path)
            load_opts = _load_part(opts)
            key = (concrete, model, model_path, tuple(sorted(load_opts.items())))
            backend = self._loaded.get(key)
            if backend is None:
                backend = self.loader(
                    concrete,
                    model,
                    options=load_opts,
                    model_path=model_path,
                    host=self.host,
                    timeout=self.timeout,
                    keep_alive=self.keep_alive,
                    cassette_dir=self.cassette_dir,
                    record_mode=self.record_mode,
                    api_key_env=self.api_key_env,
                    workers_per_host=self.workers_per_host,
                )
                self._loaded[key] = backend
                if self.on_load is not None:
                    self.on_load(backend)
        return WithOptions(backend, opts)

    def loaded(self) -> list[Backend]:
        return list(self._loaded.values())

    def close(self) -> None:
        """Close every loaded backend (errors in one do not keep the others open)."""
        with self._lock:
            backends, self._loaded = list(self._loaded.values()), {}
        for backend in backends:
            try:
                backend.close()
            except Exception:  # closing is best effort at session end
                pass

