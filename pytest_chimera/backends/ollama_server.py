"""An Ollama-wire-compatible HTTP server backed by any ``Backend``.

Agent code that speaks Ollama (the ``ollama`` client, httpx, requests, ...) can be tested against it in CI
without an Ollama install. Routes: ``GET /`` and ``HEAD /`` ("Ollama is running"), ``GET /api/version``,
``GET /api/tags``, ``GET /api/ps`` (the model once it has answered a request, with ``size_vram``: all of it
when the backend reports a GPU accelerator, else 0), ``POST /api/show``, ``POST /api/generate`` and
``POST /api/chat`` (streamed NDJSON, the default, or one JSON object with ``"stream": false``), with Ollama's
final timing fields in nanoseconds and Ollama's error bodies (``{"error": "model 'x' not found"}`` with 404
for an unknown model); and, as Ollama does, the OpenAI-compatible ``GET /v1/models``, ``POST /v1/completions``
and ``/v1/chat/completions``. ``/api/generate``'s final chunk carries ``context`` as Ollama's does: one entry
per prompt and answer token (placeholder ids: the Backend protocol gives counts, not ids), so a client can
count the prompt's tokens; ``prompt_eval_count`` is what the backend evaluated (less its cached prompt tokens).

Standard library only (``http.server`` in a thread); it binds 127.0.0.1 on a free port by default and
``close()`` stops it cleanly. Each connection has a thread, at most ``max_connections`` (64) at a time: one
more is answered 503 at once rather than piling up threads. Calls into the backend are serialised with a
lock: one model, one call at a time. A generation, streamed on the Ollama or the OpenAI routes, runs in its
own thread and never waits on a client: its chunks are queued and the connection's thread writes them, so a
client that stops reading delays only itself, and the health routes (``/``, ``/api/version``, ``/api/ps``,
``/api/tags``) never wait for the lock. ``Faults`` inject the
failures a client must survive: a stall, a cut stream, a malformed line.

The wire protocol (the handler, limits and timeouts for hostile requests, the stream writer, faults) is in
``ollama_http``.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Any

from pytest_chimera.backends.base import Backend
from pytest_chimera.backends.ollama_http import (
    IO_TIMEOUT_S,
    LOAD_TIME_OPTIONS,
    MALFORMED_LINE,
    MAX_BODY_BYTES,
    SERVER_VERSION,
    Faults,
    _Handler,
    _now,
    done_reason_of,
    final_fields,
)
from pytest_chimera.backends.ollama_models import ServedModels, normalize_model_name  # noqa: F401 (public here too)
from pytest_chimera.backends.serving import MAX_CONNECTIONS, CappedServer

__all__ = ["IO_TIMEOUT_S", "LOAD_TIME_OPTIONS", "MALFORMED_LINE", "MAX_BODY_BYTES", "MAX_CONNECTIONS",
           "SERVER_VERSION", "Faults", "OllamaServer", "done_reason_of", "final_fields", "normalize_model_name"]


class OllamaServer:
    """Serve ``backend`` over Ollama's HTTP API; use as a context manager or call ``start``/``close``.

    ``models`` are the names it answers to (default: the backend's model); ``faults`` may be replaced
    between requests (``server.faults = Faults(cut_after=2)``). Load-time options in a request (num_ctx,
    num_gpu, num_thread, ...; see ``LOAD_TIME_OPTIONS``) are not applied, since the backend is loaded once,
    unless ``apply_load_options`` is true; the ignored keys are collected in ``ignored_options``.
    ``max_body_bytes`` caps a request body (413 beyond); ``io_timeout`` (seconds, None for none) bounds
    every read and write on a connection; ``max_connections`` caps the connections served at a time (each
    has a thread): one more is answered 503 at once, and ``refused`` counts them.
    """

    def __init__(
        self,
        backend: Backend,
        *,
        models: list[str] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        faults: Faults | None = None,
        apply_load_options: bool = False,
        max_body_bytes: int = MAX_BODY_BYTES,
        io_timeout: float | None = IO_TIMEOUT_S,
        max_connections: int = MAX_CONNECTIONS,
    ) -> None:
        self.backend = backend
        self.max_body_bytes = max_body_bytes
        self.io_timeout = io_timeout
        self.max_connections = max_connections
        self.apply_load_options = apply_load_options
        self.ignored_options: set[str] = set()
        self.models = list(models) if models else [backend.model]
        self.faults = faults or Faults()
        # (method, path, body) of the latest requests with a body: what clients sent
        self.requests: deque[tuple[str, str, dict[str, Any]]] = deque(maxlen=1000)
        self._host, self._port = host, port
        self._httpd: CappedServer | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.served = ServedModels(backend, self.models)  # what /api/tags, /api/show and /api/ps answer

    # lifecycle -------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The base URL, for example ``http://127.0.0.1:40123`` (pass it as ``host`` to the ollama client)."""
        if self._httpd is None:
            raise RuntimeError("the server is not started; call start() or use it as a context manager")
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> OllamaServer:
        """Bind and serve in a daemon thread; returns self."""
        if self._httpd is not None:
            return self
        handler = type("_BoundHandler", (_Handler,), {"server_app": self, "timeout": self.io_timeout})
        self._httpd = CappedServer((self._host, self._port), handler, max_connections=self.max_connections)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="chimera-ollama", daemon=True
        )
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving, close the listening socket and join the thread (idempotent)."""
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    @property
    def refused(self) -> int:
        """Connections answered 503 because ``max_connections`` were open."""
        return self._httpd.refused if self._httpd is not None else 0

    def __enter__(self) -> OllamaServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # model identity --------------------------------------------------------------------------

    def serves(self, name: str) -> bool:
        return self.served.serves(name)

    def tags(self) -> dict[str, Any]:
        return self.served.tags()

    def show(self, name: str) -> dict[str, Any]:
        return self.served.show(name)

    def ps(self) -> dict[str, Any]:
        return self.served.ps()

    def mark_loaded(self) -> None:
        """The model has answered a request: ``/api/ps`` lists it from now on."""
        if self.served.loaded_at is None:
            self.served.loaded_at = _now()

