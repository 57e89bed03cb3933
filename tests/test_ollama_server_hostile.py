"""The Ollama-compatible server under hostile or broken clients, over raw sockets on 127.0.0.1.

Every malformed request gets a 4xx with an error body and no traceback; slow clients are dropped after the
server's io_timeout; a client that stops reading a stream never holds the model lock. Each test is bounded:
client sockets time out after a few seconds, and the servers here use short timeouts.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pytest
from ollama_fakes import FakeBackend

from pytest_chimera.backends.base import CallMetrics, Generation, Message, TokenCallback
from pytest_chimera.backends.ollama_server import OllamaServer

CLIENT_TIMEOUT = 5.0
IO_TIMEOUT = 0.5


@pytest.fixture(scope="module")
def server() -> Iterator[OllamaServer]:
    with OllamaServer(FakeBackend("gemma3:270m"), max_body_bytes=4096, io_timeout=IO_TIMEOUT) as srv:
        yield srv


def _address(server: OllamaServer) -> tuple[str, int]:
    host, port = server.url.removeprefix("http://").rsplit(":", 1)
    return host, int(port)


def _raw(server: OllamaServer, data: bytes, *, half_close: bool = False) -> bytes:
    """Send ``data`` on a fresh connection and read until the server closes it (or CLIENT_TIMEOUT)."""
    with socket.create_connection(_address(server), timeout=CLIENT_TIMEOUT) as sock:
        sock.sendall(data)
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


def _status_and_error(reply: bytes) -> tuple[int, str]:
    head, _, body = reply.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, json.loads(body)["error"]


def _post(path: str, headers: Mapping[str, str], body: bytes = b"") -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


GENERATE = json.dumps({"model": "gemma3:270m", "prompt": "hi", "stream": False}).encode()


@pytest.mark.parametrize(
    ("headers", "body", "status", "message"),
    [
        ({"Content-Length": "abc"}, GENERATE, 400, "invalid Content-Length 'abc': expected one whole number"),
        ({"Content-Length": "-1"}, GENERATE, 400, "invalid Content-Length '-1'"),
        ({"Content-Length": "1e3"}, GENERATE, 400, "invalid Content-Length '1e3'"),
        ({"Content-Length": "99999999999999999999999"}, b"", 413, "over the limit of 4096 bytes"),
        ({"Content-Length": "5000"}, b"x" * 5000, 413, "request body of 5000 bytes is over the limit of 4096"),
        ({"Transfer-Encoding": "chunked"}, b"5\r\nhello\r\n0\r\n\r\n", 411, "chunked request bodies"),
        ({"Content-Length": "6"}, b"\xff\xfe{}\x00\x00", 400, "request body is not UTF-8 (byte 0xff at offset 0)"),
        ({"Content-Length": "3000"}, b"[" * 1500 + b"]" * 1500, 400, "invalid JSON in request body: nested too"),
        ({"Content-Length": "13"}, b'{"model": NaN', 400, "invalid JSON in request body"),
        ({"Content-Length": "29"}, b'{"model": "gemma3:270m", "x":', 400, "invalid JSON in request body"),
    ],
    ids=["not-a-number", "negative", "exponent", "huge", "over-limit", "chunked", "not-utf8", "deep", "nan",
         "truncated-json"],
)
def test_malformed_requests_get_a_4xx_with_a_message(server: OllamaServer, capfd: pytest.CaptureFixture[str],
                                                    headers: dict[str, str], body: bytes, status: int,
                                                    message: str) -> None:
    start = time.monotonic()
    reply = _raw(server, _post("/api/generate", headers, body))
    assert time.monotonic() - start < CLIENT_TIMEOUT - 1  # answered, not left hanging
    assert _status_and_error(reply)[0] == status
    assert message in _status_and_error(reply)[1]
    assert "Traceback" not in capfd.readouterr().err


def test_deep_json_within_the_limit_is_a_400(capfd: pytest.CaptureFixture[str]) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    with OllamaServer(FakeBackend(), io_timeout=IO_TIMEOUT) as srv:
        reply = _raw(srv, _post("/api/chat", {"Content-Length": str(len(deep))}, deep))
    assert _status_and_error(reply) == (400, "invalid JSON in request body: nested too deeply")
    assert "Traceback" not in capfd.readouterr().err


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"model": "gemma3:270m", "prompt": {"a": 1}}, "prompt must be a string"),
        ({"model": "gemma3:270m", "prompt": "x", "stream": "yes"}, "stream must be true or false"),
    ],
)
def test_fields_of_the_wrong_type_are_400(server: OllamaServer, body: dict[str, Any], message: str) -> None:
    data = json.dumps(body).encode()
    assert _status_and_error(_raw(server, _post("/api/generate", {"Content-Length": str(len(data))}, data))) == (
        400, message)


@pytest.mark.parametrize("messages", [[1, 2], [{"role": "user", "content": 5}], "hi"])
def test_chat_messages_of_the_wrong_shape_are_400(server: OllamaServer, messages: Any) -> None:
    data = json.dumps({"model": "gemma3:270m", "messages": messages}).encode()
    status, message = _status_and_error(_raw(server, _post("/api/chat", {"Content-Length": str(len(data))}, data)))
    assert (status, message) == (400, "messages must be a list of {role, content} objects with string values")


def test_a_body_shorter_than_its_content_length_gets_408_after_the_timeout(server: OllamaServer) -> None:
    start = time.monotonic()
    reply = _raw(server, _post("/api/generate", {"Content-Length": "100"}, b'{"model": '))
    waited = time.monotonic() - start
    assert _status_and_error(reply) == (408, f"the request body did not arrive within {IO_TIMEOUT} s")
    assert IO_TIMEOUT * 0.8 < waited < CLIENT_TIMEOUT - 1


def test_a_body_cut_short_by_the_client_is_400(server: OllamaServer) -> None:
    reply = _raw(server, _post("/api/generate", {"Content-Length": "100"}, b'{"model": '), half_close=True)
    assert _status_and_error(reply) == (400, "request body ended after 10 of 100 bytes")


def test_slow_headers_are_dropped_after_the_timeout(server: OllamaServer) -> None:
    start = time.monotonic()
    with socket.create_connection(_address(server), timeout=CLIENT_TIMEOUT) as sock:
        sock.sendall(b"POST /api/generate HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # the headers never end
        assert sock.recv(1024) == b""  # the server closed the connection
    assert IO_TIMEOUT * 0.8 < time.monotonic() - start < CLIENT_TIMEOUT - 1


def test_an_idle_connection_is_closed_after_the_timeout(server: OllamaServer) -> None:
    start = time.monotonic()
    with socket.create_connection(_address(server), timeout=CLIENT_TIMEOUT) as sock:
        assert sock.recv(1024) == b""
    assert time.monotonic() - start < CLIENT_TIMEOUT - 1


def test_the_server_still_answers_after_every_bad_request(server: OllamaServer) -> None:
    with urllib.request.urlopen(server.url + "/api/version", timeout=CLIENT_TIMEOUT) as resp:
        assert resp.status == 200


# a client that stops reading ---------------------------------------------------------------------------------


class Flood:
    """A backend that streams ``chunks`` pieces of 16 KiB: 32 MiB by default, more than socket buffers hold."""

    name = "flood"
    model = "gemma3:270m"

    def __init__(self, chunks: int = 2048) -> None:
        self.chunks = chunks
        self.finished = threading.Event()

    def generate(self, prompt: str | None = None, *, messages: Sequence[Message] | None = None,
                 options: Mapping[str, Any] | None = None, format: Mapping[str, Any] | None = None,
                 on_token: TokenCallback | None = None) -> Generation:
        n = int((options or {}).get("num_predict", self.chunks))
        piece = "x" * 16384
        try:
            for _ in range(n):
                if on_token is not None:
                    on_token(piece)
        finally:
            self.finished.set()
        return Generation(text=piece * n, metrics=CallMetrics(eval_count=n), backend=self.name, model=self.model)

    def count_tokens(self, text: str) -> int:
        return len(text)

    def describe(self) -> dict[str, Any]:
        return {"backend": self.name, "model": self.model}

    def close(self) -> None:
        pass


STREAMS = {  # a streamed request on each route that generates
    "/api/generate": {"model": "gemma3:270m", "prompt": "a long answer"},
    "/api/chat": {"model": "gemma3:270m", "messages": [{"role": "user", "content": "a long answer"}]},
    "/v1/completions": {"model": "gemma3:270m", "prompt": "a long answer", "stream": True},
    "/v1/chat/completions": {"model": "gemma3:270m", "messages": [{"role": "user", "content": "a long answer"}],
                             "stream": True},
}


@pytest.mark.parametrize("path", STREAMS)
def test_a_client_that_stops_reading_never_holds_the_model_lock(path: str) -> None:
    flood = Flood()
    # a long io_timeout: the second call must not have to wait for the stalled client to time out
    with OllamaServer(flood, io_timeout=30) as srv:
        stalled = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connect: a small window
        stalled.settimeout(CLIENT_TIMEOUT)
        try:
            stalled.connect(_address(srv))
            body = json.dumps(STREAMS[path]).encode()
            stalled.sendall(_post(path, {"Content-Length": str(len(body))}, body))
            assert stalled.recv(1)  # the stream started; from now on this client reads nothing
            assert flood.finished.wait(CLIENT_TIMEOUT), "the generation waited on the stalled reader"
            for health in ("/", "/api/version", "/api/ps", "/api/tags", "/v1/models"):  # never behind the lock
                with urllib.request.urlopen(srv.url + health, timeout=CLIENT_TIMEOUT) as resp:
                    assert resp.status == 200
            start = time.monotonic()
            request = urllib.request.Request(
                srv.url + "/api/generate", method="POST",
                data=json.dumps({"model": "gemma3:270m", "prompt": "x", "stream": False,
                                 "options": {"num_predict": 2}}).encode())
            with urllib.request.urlopen(request, timeout=CLIENT_TIMEOUT) as resp:
                reply = json.loads(resp.read())
            assert reply["done"] is True and reply["eval_count"] == 2
            assert time.monotonic() - start < 2.0
        finally:
            stalled.close()


def test_a_stalled_reader_is_dropped_after_the_timeout() -> None:
    flood = Flood()
    with OllamaServer(flood, io_timeout=IO_TIMEOUT) as srv:
        with socket.create_connection(_address(srv), timeout=CLIENT_TIMEOUT) as stalled:
            body = json.dumps({"model": "gemma3:270m", "prompt": "a long answer"}).encode()
            stalled.sendall(_post("/api/generate", {"Content-Length": str(len(body))}, body))
            time.sleep(IO_TIMEOUT * 4)  # read nothing for longer than the server waits on a write
            start, received, ended = time.monotonic(), b"", False
            while time.monotonic() - start < CLIENT_TIMEOUT:
                try:
                    chunk = stalled.recv(1 << 20)
                except ConnectionResetError:
                    chunk = b""
                if not chunk:
                    ended = True
                    break
                received += chunk
    assert ended, "the server kept the stalled connection open"
    assert b'"done": true' not in received  # it gave up: the stream never completed
    assert len(received) < 16384 * flood.chunks


# the cap on connection threads ------------------------------------------------------------------------------


def _get(srv: OllamaServer, path: str) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(srv.url + path, timeout=CLIENT_TIMEOUT) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_a_client_over_the_connection_cap_gets_503_naming_the_cap_and_is_served_once_one_closes() -> None:
    with OllamaServer(FakeBackend("gemma3:270m"), io_timeout=30, max_connections=2) as srv:
        idle = [socket.create_connection(_address(srv), timeout=CLIENT_TIMEOUT) for _ in range(2)]
        try:
            status, body = _get(srv, "/api/version")  # each idle connection holds a thread: no slot is free
            assert status == 503
            assert body["error"].startswith("server busy: 2 connections are open, the cap (max_connections=2)")
            status, body = _get(srv, "/v1/models")
            assert status == 503 and body["error"]["code"] == "server_busy"  # OpenAI's error body on /v1/
            assert srv.refused == 2
        finally:
            idle[0].close()
        for _ in range(100):  # the closed connection's thread ends and frees its slot
            status, body = _get(srv, "/api/version")
            if status == 200:
                break
            time.sleep(0.05)
        assert status == 200 and "chimera" in body["version"]
        idle[1].close()


def test_a_connection_cap_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="max_connections=0: give at least 1"):
        OllamaServer(FakeBackend("gemma3:270m"), max_connections=0).start()
