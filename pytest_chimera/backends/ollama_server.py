"""An Ollama-wire-compatible HTTP server backed by any ``Backend``.

Agent code that speaks Ollama (the ``ollama`` client, httpx, requests, ...) can be tested against it in CI
without an Ollama install. Routes: ``GET /`` and ``HEAD /`` ("Ollama is running"), ``GET /api/version``,
``GET /api/tags``, ``POST /api/show``, ``POST /api/generate`` and ``POST /api/chat`` (streamed NDJSON, the
default, or one JSON object with ``"stream": false``), with Ollama's final timing fields in nanoseconds and
Ollama's error bodies (``{"error": "model 'x' not found"}`` with 404 for an unknown model); and, as Ollama
does, the OpenAI-compatible ``GET /v1/models``, ``POST /v1/completions`` and ``/v1/chat/completions``.

Standard library only (``http.server`` in a thread); it binds 127.0.0.1 on a free port by default and
``close()`` stops it cleanly. Calls into the backend are serialised with a lock: one model, one call at a
time. A generation runs in its own thread and never waits on a client: its chunks are queued and the
connection's thread writes them, so a client that stops reading delays only itself. ``Faults`` inject the
failures a client must survive: a stall, a cut stream, a malformed line.

The wire protocol (the handler, limits and timeouts for hostile requests, the stream writer, faults) is in
``ollama_http``.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import deque
from http.server import ThreadingHTTPServer
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
    _QuietServer,
    done_reason_of,
    final_fields,
)
from pytest_chimera.version import __version__

__all__ = ["IO_TIMEOUT_S", "LOAD_TIME_OPTIONS", "MALFORMED_LINE", "MAX_BODY_BYTES", "SERVER_VERSION", "Faults",
           "OllamaServer", "done_reason_of", "final_fields", "normalize_model_name"]


def normalize_model_name(name: str) -> str:
    """Ollama's name rule: a name without a tag means ``:latest``."""
    return name if ":" in name.rsplit("/", 1)[-1] else f"{name}:latest"


class OllamaServer:
    """Serve ``backend`` over Ollama's HTTP API; use as a context manager or call ``start``/``close``.

    ``models`` are the names it answers to (default: the backend's model); ``faults`` may be replaced
    between requests (``server.faults = Faults(cut_after=2)``). Load-time options in a request (num_ctx,
    num_gpu, num_thread, ...; see ``LOAD_TIME_OPTIONS``) are not applied, since the backend is loaded once,
    unless ``apply_load_options`` is true; the ignored keys are collected in ``ignored_options``.
    ``max_body_bytes`` caps a request body (413 beyond); ``io_timeout`` (seconds, None for none) bounds
    every read and write on a connection.
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
    ) -> None:
        self.backend = backend
        self.max_body_bytes = max_body_bytes
        self.io_timeout = io_timeout
        self.apply_load_options = apply_load_options
        self.ignored_options: set[str] = set()
        self.models = list(models) if models else [backend.model]
        self.faults = faults or Faults()
        # (method, path, body) of the latest requests with a body: what clients sent
        self.requests: deque[tuple[str, str, dict[str, Any]]] = deque(maxlen=1000)
        self._host, self._port = host, port
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._describe: dict[str, Any] | None = None
        self._modified_at = _now()

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
        self._httpd = _QuietServer((self._host, self._port), handler)
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

    def __enter__(self) -> OllamaServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # model identity --------------------------------------------------------------------------

    def serves(self, name: str) -> bool:
        """Whether ``name`` (``gemma3`` means ``gemma3:latest``) is one of the served models."""
        wanted = normalize_model_name(name)
        return any(normalize_model_name(m) == wanted for m in self.models)

    def identity(self) -> dict[str, Any]:
        """The backend's ``describe()``, asked once."""
        if self._describe is None:
            try:
                self._describe = dict(self.backend.describe())
            except Exception as exc:  # identity is decoration; a failing describe must not break serving
                self._describe = {"describe_error": str(exc)}
        return self._describe

    def digest(self, name: str) -> str:
        """The model's digest: the backend's sha256 or digest, else a hash of its description."""
        info = self.identity()
        for key in ("digest", "sha256"):
            value = info.get(key)
            if isinstance(value, str) and value:
                return value.removeprefix("sha256:")
        blob = json.dumps({"model": name, **info}, sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).hexdigest()

    def details(self) -> dict[str, Any]:
        info = self.identity()
        family = str(info.get("family") or info.get("architecture") or "")
        return {
            "parent_model": "",
            "format": "gguf",
            "family": family,
            "families": [family] if family else None,
            "parameter_size": str(info.get("parameter_size") or ""),
            "quantization_level": str(info.get("quantization") or info.get("quantization_level") or ""),
        }

    def tags(self) -> dict[str, Any]:
        size = self.identity().get("size_bytes") or self.identity().get("size") or 0
        return {
            "models": [
                {
                    "name": normalize_model_name(m),
                    "model": normalize_model_name(m),
                    "modified_at": self._modified_at,
                    "size": size if isinstance(size, int) else 0,
                    "digest": self.digest(m),
                    "details": self.details(),
                }
                for m in self.models
            ]
        }

    def show(self, name: str) -> dict[str, Any]:
        info = {k: v for k, v in self.identity().items() if isinstance(v, str | int | float | bool)}
        return {
            "license": "",
            "modelfile": f"# served by pytest-chimera {__version__} from backend {self.backend.name}\nFROM {name}\n",
            "parameters": "",
            "template": "{{ .Prompt }}",
            "details": self.details(),
            "model_info": {f"chimera.{k}": v for k, v in info.items()},
            "capabilities": ["completion"],
            "modified_at": self._modified_at,
        }


