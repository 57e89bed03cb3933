"""The OpenAI-compatible routes of the test server (``OllamaServer``): ``GET /v1/models``, ``POST /v1/completions``
and ``POST /v1/chat/completions``, streamed as server-sent events (``"stream": true``) or one JSON object.

A request maps onto the served backend's Ollama options (``max_tokens`` -> ``num_predict``, ``temperature``,
``top_p``, ``seed``, ``stop``, ``presence_penalty``, ``frequency_penalty``, and llama.cpp's ``top_k``,
``min_p``, ``repeat_penalty``); other fields are ignored, as servers do. Replies carry OpenAI's ``usage`` (in
the stream when ``stream_options.include_usage`` is true) and llama.cpp-server-style ``timings`` (prompt_n,
prompt_ms, predicted_n, predicted_ms) from the backend's metrics, as a llama.cpp server sends them. Errors
have OpenAI's body, ``{"error": {"message", "type", "code"}}``. Injected ``Faults`` apply (a stall before a
chunk, a cut stream). A streamed generation runs in its own thread under the model lock and queues its
tokens; the connection's thread writes them, so a slow or stalled client never holds the lock. Standard
library only; the request handler is passed in, so this module does not know the server class.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from pytest_chimera.backends.base import Backend, Generation
from pytest_chimera.backends.serving import generate_in_background

# OpenAI request field -> Ollama option
_OPTIONS = {
    "max_tokens": "num_predict", "temperature": "temperature", "top_p": "top_p", "seed": "seed", "stop": "stop",
    "presence_penalty": "presence_penalty", "frequency_penalty": "frequency_penalty", "top_k": "top_k",
    "min_p": "min_p", "repeat_penalty": "repeat_penalty",
}


class _Stop(Exception):
    """Raised from the token callback to end a generation early (client gone, or an injected cut)."""


def models_reply(models: list[str], created: int = 0) -> dict[str, Any]:
    """``GET /v1/models``: the served model names."""
    return {"object": "list",
            "data": [{"id": m, "object": "model", "created": created, "owned_by": "pytest-chimera"} for m in models]}


def error_body(message: str, kind: str = "invalid_request_error", code: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


def options_of(body: Mapping[str, Any]) -> dict[str, Any]:
    """The Ollama options of an OpenAI request (``stop`` as a list)."""
    options = {_OPTIONS[k]: v for k, v in body.items() if k in _OPTIONS and v is not None}
    if isinstance(options.get("stop"), str):
        options["stop"] = [options["stop"]]
    return options


def timings(generation: Generation) -> dict[str, Any]:
    """llama.cpp-server-style ``timings`` of a generation."""
    m = generation.metrics
    return {"prompt_n": m.prompt_eval_count, "prompt_ms": m.prompt_eval_ms, "predicted_n": m.eval_count,
            "predicted_ms": m.eval_ms, "cache_n": m.cached_prompt_tokens}


def usage(generation: Generation) -> dict[str, Any]:
    m = generation.metrics
    return {"prompt_tokens": m.prompt_eval_count + m.cached_prompt_tokens, "completion_tokens": m.eval_count,
            "total_tokens": m.prompt_eval_count + m.cached_prompt_tokens + m.eval_count,
            "prompt_tokens_details": {"cached_tokens": m.cached_prompt_tokens}}


class _Events:
    """One server-sent-event stream over HTTP/1.1 chunked encoding, applying the injected faults."""

    def __init__(self, handler: Any, faults: Any, chunk: Callable[[str], dict[str, Any]]) -> None:
        self.handler, self.faults, self.make = handler, faults, chunk
        self.started = self.stopped = False
        self.count = 0

    def _write(self, data: bytes) -> None:
        if not self.started:
            self.handler.send_response(200)
            self.handler.send_header("Content-Type", "text/event-stream")
            self.handler.send_header("Transfer-Encoding", "chunked")
            self.handler.end_headers()
            self.started = True
        self.handler.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.handler.wfile.flush()

    def event(self, payload: Mapping[str, Any] | str) -> None:
        text = payload if isinstance(payload, str) else json.dumps(payload)
        self._write(f"data: {text}\n\n".encode())

    def piece(self, text: str) -> None:
        f = self.faults
        if self.stopped or (f.cut_after is not None and self.count >= f.cut_after):
            self.stopped = True
            raise _Stop
        if f.delay_s > 0 and self.count >= f.delay_after:
            time.sleep(f.delay_s)
        try:
            self.event(self.make(text))
        except OSError:  # the client went away
            self.stopped = True
            raise _Stop from None
        self.count += 1

    def end(self) -> None:
        self.event("[DONE]")
        self.handler.wfile.write(b"0\r\n\r\n")
        self.handler.wfile.flush()

    def cut(self) -> None:
        """Drop the connection mid-body, as a crashed server would."""
        try:
            self._write(b": cut\n\n")
        except OSError:
            pass
        self.handler.close_connection = True
        try:
            self.handler.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def serve(handler: Any, backend: Backend, lock: threading.Lock, faults: Any, body: Mapping[str, Any], *,
          chat: bool, serves: Callable[[str], bool]) -> None:
    """Answer one ``/v1/completions`` (``chat`` false) or ``/v1/chat/completions`` request through ``handler``."""
    name = body.get("model")
    if not isinstance(name, str) or not name:
        handler._send_json(400, error_body("model is required"))
        return
    if not serves(name):
        handler._send_json(404, error_body(f"The model '{name}' does not exist", code="model_not_found"))
        return
    messages, prompt = body.get("messages"), body.get("prompt")
    if chat and not (isinstance(messages, list) and all(isinstance(m, dict) for m in messages)):
        handler._send_json(400, error_body("messages must be a list of {role, content} objects"))
        return
    if not chat and not isinstance(prompt, str):
        handler._send_json(400, error_body("prompt must be a string"))
        return
    options = options_of(body)
    ident, created = f"{'chatcmpl' if chat else 'cmpl'}-{uuid.uuid4().hex[:24]}", int(time.time())
    kind = "chat.completion" if chat else "text_completion"

    def choice(text: str | None, finish: str | None, *, stream: bool) -> dict[str, Any]:
        if not chat:
            return {"index": 0, "text": text or "", "logprobs": None, "finish_reason": finish}
        content = {"role": "assistant", "content": text} if text is not None else {}
        return {"index": 0, ("delta" if stream else "message"): content, "finish_reason": finish}

    def chunk(text: str | None, finish: str | None = None, **extra: Any) -> dict[str, Any]:
        choices = [choice(text, finish, stream=True)] if text is not None or finish else []
        return {"id": ident, "object": kind + (".chunk" if chat else ""), "created": created, "model": name,
                "choices": choices, **extra}

    def call(on_token: Callable[[str], None] | None) -> Generation:
        return backend.generate(None if chat else prompt, messages=[dict(m) for m in messages] if chat and messages
                                else None, options=options, on_token=on_token)

    limit = options.get("num_predict")

    def finish_of(generation: Generation) -> str:
        return "length" if isinstance(limit, int) and 0 <= limit <= generation.metrics.eval_count else "stop"

    if not body.get("stream"):
        try:
            with lock:
                generation = call(None)
        except Exception as exc:
            handler._send_json(500, error_body(str(exc) or type(exc).__name__, "server_error"))
            return
        if faults.delay_s > 0:
            time.sleep(faults.delay_s)
        handler._send_json(200, {"id": ident, "object": kind, "created": created, "model": name,
                                 "choices": [choice(generation.text, finish_of(generation), stream=False)],
                                 "usage": usage(generation), "timings": timings(generation)})
        return
    # streamed: the model runs in its own thread under the lock; this thread writes, so a slow client never
    # holds the lock
    events = _Events(handler, faults, lambda text: chunk(text))
    items = generate_in_background(lock, call, lambda: events.stopped)
    while True:
        what, value = items.get()
        if what != "token":
            break
        try:
            events.piece(value)
        except _Stop:  # the client went away, or a cut was injected: the model stops at its next token
            events.cut()
            return
    if what == "error":
        message = str(value) or type(value).__name__
        try:
            if events.started:
                events.event(error_body(message, "server_error"))
                events.end()
            else:
                handler._send_json(500, error_body(message, "server_error"))
        except OSError:
            pass  # the client hung up
        return
    if faults.cut_after is not None and events.count >= faults.cut_after:
        events.cut()
        return
    try:
        events.event(chunk("", finish_of(value), timings=timings(value)))
        options_of_stream = body.get("stream_options")
        if isinstance(options_of_stream, Mapping) and options_of_stream.get("include_usage"):
            events.event(chunk(None, usage=usage(value)))
        events.end()
    except OSError:
        pass  # the client hung up
