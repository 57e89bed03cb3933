"""The Ollama wire protocol of ``OllamaServer``: the HTTP handler, the NDJSON stream writer, injected faults.

Hostile or broken requests get a 4xx with an ``{"error": ...}`` body and no traceback: a Content-Length that
is not a whole number (400), a chunked body (411), a body over the server's ``max_body_bytes`` (413), a body
that is not UTF-8 JSON or is nested too deeply (400), fields of the wrong type (400). Every socket read and
write has the server's ``io_timeout``: a client that sends its headers or body too slowly, or stops reading
a reply, is dropped (408 when the body is late). A generation runs in its own thread under the model lock
and queues its chunks; the connection's thread writes them, so a client that stops reading delays only
itself, never the lock.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler
from typing import Any, Protocol

from pytest_chimera.backends import openai_wire
from pytest_chimera.backends.base import Backend, Generation
from pytest_chimera.backends.serving import generate_in_background
from pytest_chimera.version import __version__

# What GET /api/version answers: a semver that says which server this is.
SERVER_VERSION = f"0.0.0-chimera.{__version__}"

MALFORMED_LINE = b'{"model": "broken", "response": '  # a cut-off JSON object: not valid NDJSON

_NS_PER_MS = 1_000_000
MAX_BODY_BYTES = 32 * 1024 * 1024  # a prompt with images is megabytes; 200 MB is not a request
IO_TIMEOUT_S = 30.0

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


class App(Protocol):
    """What the handler needs of the server it serves (``OllamaServer``)."""

    backend: Backend
    faults: Faults
    requests: deque[tuple[str, str, dict[str, Any]]]
    apply_load_options: bool
    ignored_options: set[str]
    max_body_bytes: int
    models: list[str]
    _lock: threading.Lock

    def serves(self, name: str) -> bool: ...

    def show(self, name: str) -> dict[str, Any]: ...

    def tags(self) -> dict[str, Any]: ...

    def ps(self) -> dict[str, Any]: ...

    def mark_loaded(self) -> None: ...


class _Handler(BaseHTTPRequestHandler):
    server_app: App
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
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def _error(self, status: int, message: str, *, close: bool = False) -> None:
        """Ollama's error body; ``close``: the request's body was not read, so the connection cannot be reused."""
        if close:
            self.close_connection = True
        self._send_json(status, {"error": message})

    def _content_length(self) -> int | None:
        """The request body's length, or None after answering 400/411/413."""
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            self._error(411, "chunked request bodies are not supported; send a Content-Length", close=True)
            return None
        values = {v.strip() for v in self.headers.get_all("Content-Length") or []}
        if not values:
            return 0
        text = values.pop()
        if values or not (text.isascii() and text.isdigit()):
            self._error(400, f"invalid Content-Length {text!r}: expected one whole number of bytes", close=True)
            return None
        limit = self.server_app.max_body_bytes
        if len(text) > 18 or int(text) > limit:
            self._error(413, f"request body of {text} bytes is over the limit of {limit} bytes", close=True)
            return None
        return int(text)

    def _read_body(self) -> dict[str, Any] | None:
        """The request's JSON object, or None after answering with a 4xx."""
        length = self._content_length()
        if length is None:
            return None
        try:
            raw = self.rfile.read(length) if length else b""
        except TimeoutError:
            self._error(408, f"the request body did not arrive within {self.timeout} s", close=True)
            return None
        if len(raw) < length:  # the client closed its side early
            self._error(400, f"request body ended after {len(raw)} of {length} bytes", close=True)
            return None
        if not raw.strip():
            return {}
        try:
            body = json.loads(raw.decode("utf-8"), parse_constant=_no_constant)
        except UnicodeDecodeError as exc:
            self._error(400, f"request body is not UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start})")
            return None
        except json.JSONDecodeError as exc:
            self._error(400, f"invalid JSON in request body: {exc}")
            return None
        except ValueError as exc:  # NaN, Infinity
            self._error(400, f"invalid JSON in request body: {exc}")
            return None
        except RecursionError:
            self._error(400, "invalid JSON in request body: nested too deeply")
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
        if self.headers.get("Content-Length", "0").strip() != "0" or self.headers.get("Transfer-Encoding"):
            self.close_connection = True  # a body on a GET is not read: do not read it as the next request
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
            self._send_json(200, app.tags())
        elif self.path == "/api/ps":
            self._send_json(200, app.ps())
        elif self.path == "/v1/models":
            self._send_json(200, openai_wire.models_reply(app.models))
        else:
            self._error(404, "404 page not found")

    def do_POST(self) -> None:  # noqa: N802
        if self.path in ("/v1/completions", "/v1/chat/completions"):
            self._openai(chat=self.path == "/v1/chat/completions")
            return
        if self.path not in ("/api/show", "/api/generate", "/api/chat"):
            self._error(404, "404 page not found", close=True)  # the body is not read: do not reuse
            return
        body = self._read_body()
        if body is None:
            return
        name = self._model_of(body)
        if name is None:
            return
        if self.path == "/api/show":
            self._send_json(200, self.server_app.show(name))
        else:
            self._generate(name, body, chat=self.path == "/api/chat")

    def _openai(self, *, chat: bool) -> None:
        """``POST /v1/completions`` and ``/v1/chat/completions``: OpenAI's wire, see ``openai_wire``."""
        body = self._read_body()
        if body is not None:
            app = self.server_app
            openai_wire.serve(self, app.backend, app._lock, app.faults, body, chat=chat, serves=app.serves)

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
        prompt = None if chat else body.get("prompt") or ""
        if not isinstance(options, dict) or (fmt is not None and not isinstance(fmt, dict)):
            self._error(400, "options must be an object and format 'json' or a JSON Schema object")
            return
        if chat and not (isinstance(messages, list) and all(_is_message(m) for m in messages)):
            self._error(400, "messages must be a list of {role, content} objects with string values")
            return
        if not chat and not isinstance(prompt, str):
            self._error(400, "prompt must be a string")
            return
        if not isinstance(body.get("stream", True), bool):
            self._error(400, "stream must be true or false")
            return
        if not app.apply_load_options:
            app.ignored_options.update(k for k in options if k in LOAD_TIME_OPTIONS)
            options = {k: v for k, v in options.items() if k not in LOAD_TIME_OPTIONS}

        def call(on_token: Callable[[str], None] | None) -> Generation:
            return app.backend.generate(
                prompt,
                messages=[dict(m) for m in messages] if messages is not None else None,
                options=options,
                format=fmt,
                on_token=on_token,
            )

        if body.get("stream", True):
            self._stream(name, call, options, chat=chat)
            return
        try:
            with app._lock:
                generation = call(None)
        except Exception as exc:
            self._error(500, str(exc) or type(exc).__name__)
            return
        # not streamed: one JSON object with the whole text
        if faults.delay_s > 0:
            time.sleep(faults.delay_s)
        app.mark_loaded()
        final = final_fields(generation, done_reason_of(generation, options), context=not chat)
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

    def _stream(self, name: str, call: Callable[[Callable[[str], None] | None], Generation],
                options: Mapping[str, Any], *, chat: bool) -> None:
        """Stream a generation as NDJSON: the model runs in a worker thread under the lock and queues its
        chunks; this thread writes them. A slow or gone client never keeps the lock."""
        app = self.server_app
        state = _StreamState(self, name, chat=chat, faults=app.faults)
        items = generate_in_background(app._lock, call, lambda: state.stopped)
        while True:
            kind, value = items.get()
            if kind != "token":
                break
            state.chunk(value)
            if state.stopped:  # the client went away, or a cut was injected: the worker stops at its next token
                state.finish_cut()
                return
        if kind == "error":
            message = str(value) or type(value).__name__
            if state.started:
                try:
                    state.line({"error": message})
                except OSError:
                    return
                state.end()
            else:
                self._error(500, message)
            return
        if app.faults.cut_after is not None and state.count >= app.faults.cut_after:
            state.finish_cut()
            return
        try:
            app.mark_loaded()
            state.line(state.payload("") | final_fields(value, done_reason_of(value, options), context=not chat))
        except OSError:
            return  # the client hung up
        state.end()


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _is_message(message: Any) -> bool:
    return isinstance(message, dict) and all(isinstance(message.get(k, ""), str) for k in ("role", "content"))


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
        """Write one content chunk, applying the faults; sets ``stopped`` on a cut or a gone client."""
        f = self.faults
        if f.cut_after is not None and self.count >= f.cut_after:
            self.stopped = True
            return
        if f.delay_s > 0 and self.count >= f.delay_after:
            time.sleep(f.delay_s)
        try:
            if f.malformed_after is not None and self.count == f.malformed_after:
                self._write(MALFORMED_LINE + b"\n")
            self.line(self.payload(piece))
        except OSError:  # the client went away, timed out, or stopped reading for io_timeout
            self.stopped = True
            return
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
