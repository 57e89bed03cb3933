"""The test server's threads: a cap on connection threads, and generations run apart from the connections.

``CappedServer`` serves each connection in a daemon thread, at most ``max_connections`` at a time; a
connection over the cap is answered ``503`` at once (with ``Retry-After`` and an error body that names the
cap) and closed, so a flood of clients cannot pile up threads. ``generate_in_background`` runs one model
call in its own thread under the model lock and queues its tokens: the connection's thread writes them, so
a client that reads slowly (or not at all) never holds the lock.
"""

from __future__ import annotations

import json
import queue
import socket
import sys
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from pytest_chimera.backends.base import Generation

MAX_CONNECTIONS = 64  # connection threads at a time; Ollama's own queue is deeper, but this serves tests
_REFUSE_WAIT_S = 0.2  # how long the accepting thread waits for a refused client's request line
_MAX_HEAD = 65536

class StopGeneration(Exception):
    """Raised from the token callback to end a generation early (the client went away, or a cut fault)."""


def generate_in_background(lock: threading.Lock, call: Callable[[Callable[[str], None]], Generation],
                           stopped: Callable[[], bool]) -> queue.SimpleQueue[tuple[str, Any]]:
    """Run ``call(on_token)`` in a daemon thread under ``lock``; returns its queue of events.

    The queue gets ``("token", piece)`` for each piece, then ``("done", generation)`` or ``("error", exc)``.
    Once ``stopped()`` is true the generation ends at its next token (or does not start).
    """
    items: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()

    def on_token(piece: str) -> None:
        if stopped():
            raise StopGeneration
        items.put(("token", piece))

    def work() -> None:
        try:
            with lock:
                if stopped():
                    raise StopGeneration
                items.put(("done", call(on_token)))
        except BaseException as exc:  # noqa: BLE001 - handed to the writing thread, which answers
            items.put(("error", exc))

    threading.Thread(target=work, name="chimera-generate", daemon=True).start()
    return items


def busy_reply(head: bytes, max_connections: int) -> bytes:
    """The whole ``503`` response for a refused connection (OpenAI's error body on ``/v1/`` routes)."""
    message = (f"server busy: {max_connections} connections are open, the cap (max_connections="
               f"{max_connections}); retry later, close idle connections, or start the server with a higher "
               "max_connections")
    path = head.split(b" ", 2)[1] if head.count(b" ") >= 2 else b""
    payload: dict[str, Any] = {"error": message}
    if path.startswith(b"/v1/"):
        payload = {"error": {"message": message, "type": "server_error", "param": None, "code": "server_busy"}}
    body = json.dumps(payload).encode()
    return (b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json; charset=utf-8\r\n"
            b"Retry-After: 1\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))


class CappedServer(ThreadingHTTPServer):
    """Daemon threads, at most ``max_connections`` at a time; a client that hangs up mid-reply is no error."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], *,
                 max_connections: int = MAX_CONNECTIONS) -> None:
        if max_connections < 1:
            raise ValueError(f"max_connections={max_connections}: give at least 1")
        super().__init__(address, handler)
        self.max_connections = max_connections
        self.refused = 0  # connections answered 503 because the cap was reached
        self._slots = threading.BoundedSemaphore(max_connections)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            self.refused += 1
            self._refuse(request)
            return
        try:
            super().process_request(request, client_address)  # starts the thread
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def _refuse(self, request: socket.socket) -> None:
        """Read what the client sent (briefly, on the accepting thread), answer 503 and close."""
        head = b""
        try:
            request.settimeout(_REFUSE_WAIT_S)
            while b"\r\n\r\n" not in head and len(head) < _MAX_HEAD:
                data = request.recv(4096)
                if not data:
                    break
                head += data
        except OSError:
            pass
        try:
            request.sendall(busy_reply(head, self.max_connections))
            request.setblocking(False)
            while request.recv(65536):  # drain a body already sent, so closing does not reset the reply
                pass
        except OSError:
            pass
        self.shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)
