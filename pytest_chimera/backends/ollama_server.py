"""An Ollama-wire-compatible HTTP server backed by any ``Backend``.

Agent code that speaks Ollama (the ``ollama`` client, httpx, requests, ...) can be tested against it in CI
without an Ollama install. Routes: ``GET /`` and ``HEAD /`` ("Ollama is running"), ``GET /api/version``,
``GET /api/tags``, ``GET /api/ps`` (the model once it has answered a request, with ``size_vram``: all of it
when the backend reports a GPU accelerator, else 0), ``POST /api/show``, ``POST /api/generate`` and
``POST /api/chat`` (streamed NDJSON, the default, or one JSON object with ``"stream": false``), with Ollama's
final timing fields in nanoseconds and Ollama's error bodies (``{"error": "model 'x' not found"}`` with 404
for an unknown model). ``/api/generate``'s final chunk carries ``context`` as Ollama's does: one entry per
prompt and answer token (placeholder ids: the Backend protocol gives counts, not ids), so a client can count
the prompt's tokens; ``prompt_eval_count`` is what the backend evaluated (less its cached prompt tokens).

Standard library only (``http.server`` in a thread); it binds 127.0.0.1 on a free port by default and
``close()`` stops it cleanly. Calls into the backend are serialised with a lock: one model, one call at a
time. ``Faults`` inject the failures a client must survive: a stall, a cut stream, a malformed line.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from pytest_chimera.backends.base import Backend, Generation
from pytest_chimera.backends.ollama_models import ServedModels, normalize_model_name  # noqa: F401 (public here too)
from pytest_chimera.version import __version__

# What GET /api/version answers: a semver that says which server this is.
SERVER_VERSION = f"0.0.0-chimera.{__version__}"

MALFORMED_LINE = b'{"model": "broken", "response": '  # a cut-off JSON object: not valid NDJSON

_NS_PER_MS = 1_000_000

# Options that decide how Ollama loads the model (it reloads when they change). The served backend was
# loaded once, so by default these are accepted and not applied; ``server.ignored_options`` lists them.
LOAD_TIME_OPTIONS = frozenset(
    {"num_ctx", "num_gpu", "num_thread", "num_batch", "main_gpu", "use_mmap", "use_mlock", "numa", "low_vram"}
)


@dataclass
class Faults:
    """Failures to inject into generate/chat replies (for testing clients); all off by default.

    delay_s: sleep this long before each content chunk after the first ``delay_after`` chunks
        (before the whole reply when not streaming): forces a client timeout.
    cut_after: close the connection after this many content chunks, without the final chunk and without
        the end of the chunked body (a non-streamed reply is cut half-way through its body).
    malformed_after: send a line that is not JSON after this many content chunks, then carry on
        (a non-streamed reply gets a body that is not JSON).
    """

    delay_s: float = 0.0
    delay_after: int = 0
    cut_after: int | None = None
    malformed_after: int | None = None


class _StopStreaming(Exception):
    """Raised from the token callback to end a generation early (client gone, or an injected cut)."""


def _now() -> str:
    return datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")


def _ns(ms: float) -> int:
    return int(round(ms * _NS_PER_MS))


def final_fields(generation: Generation, done_reason: str, *, context: bool = False) -> dict[str, Any]:
    """Ollama's final-chunk fields (durations in ns) from a generation's metrics (durations in ms).

    ``context`` adds Ollama's ``context`` list (``/api/generate`` only): prompt tokens, cached or evaluated,
    plus answer tokens, as placeholder ids.
    """
    m = generation.metrics
    extra: dict[str, Any] = {}
    if context:
        extra["context"] = [0] * (m.prompt_eval_count + m.cached_prompt_tokens + m.eval_count)
    return extra | {
        "done": True,
        "done_reason": done_reason,
        "total_duration": _ns(m.total_ms),
        "load_duration": _ns(m.load_ms),
        "prompt_eval_count": m.prompt_eval_count,
        "prompt_eval_duration": _ns(m.prompt_eval_ms),
        "eval_count": m.eval_count,
        "eval_duration": _ns(m.eval_ms),
    }


def done_reason_of(generation: Generation, options: Mapping[str, Any]) -> str:
    """``"length"`` when the generation used up ``num_predict`` tokens, else ``"stop"``.

    The Backend protocol does not report why a generation ended; this is the rule Ollama's own reasons follow.
    """
    limit = options.get("num_predict")
    if isinstance(limit, int) and limit >= 0 and generation.metrics.eval_count >= limit:
        return "length"
    return "stop"


class OllamaServer:
    """Serve ``backend`` over Ollama's HTTP API; use as a context manager or call ``start``/``close``.

    ``models`` are the names it answers to (default: the backend's model); ``faults`` may be replaced
    between requests (``server.faults = Faults(cut_after=2)``). Load-time options in a request (num_ctx,
    num_gpu, num_thread, ...; see ``LOAD_TIME_OPTIONS``) are not applied, since the backend is loaded once,
    unless ``apply_load_options`` is true; the ignored keys are collected in ``ignored_options``.
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
    ) -> None:
        self.backend = backend
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
        handler = type("_BoundHandler", (_Handler,), {"server_app": self})
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
        return self.served.serves(name)


class _QuietServer(ThreadingHTTPServer):
    """Threads are daemons; a client that hangs up mid-reply (it timed out) is not an error to print."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server_app: OllamaServer
    protocol_version = "HTTP/1.1"
    server_version = "pytest-chimera-ollama"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        """Quiet: tests read results, not access logs."""

    # plumbing --------------------------------------------------------------------------------

    def _send_json(self, status: int, payload: Mapping[str, Any]) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _error(self, status: int, message: str) -> None:
        self._send_json(status, {"error": message})

    def _read_body(self) -> dict[str, Any] | None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if not raw.strip():
            return {}
        try:
            body = json.loads(raw)
        except json.JSONDecodeError as exc:
            self._error(400, f"invalid JSON in request body: {exc}")
            return None
        if not isinstance(body, dict):
            self._error(400, "request body must be a JSON object")
            return None
        self.server_app.requests.append((self.command, self.path, body))
        return body

    def _model_of(self, body: Mapping[str, Any]) -> str | None:
        name = body.get("model") or body.get("name")
        if not isinstance(name, str) or not name:
            self._error(400, "model is required")
            return None
        if not self.server_app.serves(name):
            self._error(404, f"model '{name}' not found")
            return None
        return name

    # routes ----------------------------------------------------------------------------------

    def do_HEAD(self) -> None:  # noqa: N802 - http.server's naming
        self.send_response(200 if self.path in ("/", "") else 404)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self) -> None:  # noqa: N802
        app = self.server_app
        if self.path in ("/", ""):
            body = b"Ollama is running"
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif self.path == "/api/version":
            self._send_json(200, {"version": SERVER_VERSION})
        elif self.path == "/api/tags":
            self._send_json(200, app.served.tags())
        elif self.path == "/api/ps":
            self._send_json(200, app.served.ps())
        else:
            self._error(404, "404 page not found")

    def do_POST(self) -> None:  # noqa: N802
        if self.path not in ("/api/show", "/api/generate", "/api/chat"):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self._error(404, "404 page not found")
            return
        body = self._read_body()
        if body is None:
            return
        name = self._model_of(body)
        if name is None:
            return
        if self.path == "/api/show":
            self._send_json(200, self.server_app.served.show(name))
        else:
            self._generate(name, body, chat=self.path == "/api/chat")

    # generation ------------------------------------------------------------------------------

    def _generate(self, name: str, body: Mapping[str, Any], *, chat: bool) -> None:
        app = self.server_app
        faults = app.faults
        options = body.get("options") or {}
        fmt = body.get("format")
        if fmt == "json":
            fmt = {"type": "object"}
        elif not fmt:
            fmt = None
        messages = body.get("messages") if chat else None
        prompt = None if chat else str(body.get("prompt") or "")
        if not isinstance(options, dict) or (fmt is not None and not isinstance(fmt, dict)):
            self._error(400, "options must be an object and format 'json' or a JSON Schema object")
            return
        if chat and not isinstance(messages, list):
            self._error(400, "messages must be a list of {role, content} objects")
            return
        if not app.apply_load_options:
            app.ignored_options.update(k for k in options if k in LOAD_TIME_OPTIONS)
            options = {k: v for k, v in options.items() if k not in LOAD_TIME_OPTIONS}
        stream = body.get("stream", True) is not False
        state = _StreamState(self, name, chat=chat, faults=faults) if stream else None
        pieces: list[str] = []

        def on_token(piece: str) -> None:
            pieces.append(piece)
            if state is not None:
                state.chunk(piece)

        try:
            with app._lock:
                generation = app.backend.generate(
                    prompt,
                    messages=[dict(m) for m in messages] if messages is not None else None,
                    options=options,
                    format=fmt,
                    on_token=on_token,
                )
        except Exception as exc:
            if state is not None and state.stopped:
                state.finish_cut()
                return
            message = str(exc) or type(exc).__name__
            if state is not None and state.started:
                state.line({"error": message})
                state.end()
            else:
                self._error(500, message)
            return

        if app.served.loaded_at is None:
            app.served.loaded_at = _now()
        final = final_fields(generation, done_reason_of(generation, options), context=not chat)
        if state is not None:
            if state.stopped or (faults.cut_after is not None and state.count >= faults.cut_after):
                state.finish_cut()
                return
            try:
                state.line(state.payload("") | final)
            except OSError:
                return  # the client hung up
            state.end()
            return
        # not streamed: one JSON object with the whole text
        if faults.delay_s > 0:
            time.sleep(faults.delay_s)
        reply = _payload(name, generation.text, chat=chat) | final
        raw = json.dumps(reply).encode()
        if faults.malformed_after is not None:
            raw = MALFORMED_LINE
        self.send_response(200)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        if faults.cut_after is not None:
            self.wfile.write(raw[: len(raw) // 2])
            self.wfile.flush()
            _hard_close(self)
            return
        self.wfile.write(raw)


def _payload(name: str, text: str, *, chat: bool) -> dict[str, Any]:
    base: dict[str, Any] = {"model": name, "created_at": _now()}
    if chat:
        base["message"] = {"role": "assistant", "content": text}
    else:
        base["response"] = text
    base["done"] = False
    return base


def _hard_close(handler: BaseHTTPRequestHandler) -> None:
    """Drop the connection now, as a crashed server would."""
    handler.close_connection = True
    try:
        handler.connection.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


class _StreamState:
    """Writes one NDJSON stream (HTTP/1.1 chunked), applying the injected faults."""

    def __init__(self, handler: _Handler, name: str, *, chat: bool, faults: Faults) -> None:
        self.handler, self.name, self.chat, self.faults = handler, name, chat, faults
        self.started = False
        self.stopped = False
        self.count = 0

    def payload(self, text: str) -> dict[str, Any]:
        return _payload(self.name, text, chat=self.chat)

    def _headers(self) -> None:
        if not self.started:
            h = self.handler
            h.send_response(200)
            h.send_header("Content-Type", "application/x-ndjson")
            h.send_header("Transfer-Encoding", "chunked")
            h.end_headers()
            self.started = True

    def _write(self, data: bytes) -> None:
        """One HTTP chunk (``data`` is never empty: the empty chunk ends the body)."""
        self._headers()
        self.handler.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.handler.wfile.flush()

    def line(self, obj: Mapping[str, Any]) -> None:
        self._write(json.dumps(obj).encode() + b"\n")

    def chunk(self, piece: str) -> None:
        f = self.faults
        if self.stopped:
            raise _StopStreaming
        if f.cut_after is not None and self.count >= f.cut_after:
            self.stopped = True
            raise _StopStreaming
        if f.delay_s > 0 and self.count >= f.delay_after:
            time.sleep(f.delay_s)
        try:
            if f.malformed_after is not None and self.count == f.malformed_after:
                self._write(MALFORMED_LINE + b"\n")
            self.line(self.payload(piece))
        except OSError:  # the client went away (it timed out, or was closed)
            self.stopped = True
            raise _StopStreaming from None
        self.count += 1

    def end(self) -> None:
        """The terminating empty chunk: the body is complete."""
        try:
            self._headers()
            self.handler.wfile.write(b"0\r\n\r\n")
            self.handler.wfile.flush()
        except OSError:
            pass

    def finish_cut(self) -> None:
        """End a stopped stream: headers if none were sent, then drop the connection mid-body."""
        try:
            self._headers()
            self.handler.wfile.flush()
        except OSError:
            pass
        _hard_close(self.handler)
