"""Server-sent events of an OpenAI-compatible stream, read as plain JSON chunks.

The official client turns every chunk into a model object; the backend needs three fields of each, so it
reads the lines of the client's streaming response itself (``with_streaming_response``): the client still
builds and sends the request, authenticates and raises its status errors, and this module only splits the
body into events (``data:`` lines up to a blank line, joined by newlines) and decodes them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any


class StreamErrorEvent(Exception):
    """The server sent an ``error`` object inside a stream that had started (e.g. out of GPU memory)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def events(lines: Iterable[str]) -> Iterator[str]:
    """The data of each event in ``lines`` (the SSE body without line ends), up to ``[DONE]``."""
    data: list[str] = []
    for line in lines:
        if line.startswith("data:"):
            data.append(line[6:] if line.startswith("data: ") else line[5:])
            continue
        if line or not data:
            continue  # comments (":"), "event:" / "id:" / "retry:" fields, or a blank line with no data
        joined, data = "\n".join(data), []
        if joined.strip() == "[DONE]":
            return
        yield joined
    if data and "\n".join(data).strip() != "[DONE]":
        yield "\n".join(data)


def chunks(lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    """The JSON object of each event; ``StreamErrorEvent`` for an event holding an ``error``, ``ValueError``
    naming the text for one that is not a JSON object."""
    for data in events(lines):
        try:
            chunk = json.loads(data)
        except json.JSONDecodeError:
            raise ValueError(f"the server sent a stream event that is not JSON: {data[:200]!r}") from None
        if not isinstance(chunk, dict):
            raise ValueError(f"the server sent a stream event that is not a JSON object: {data[:200]!r}")
        error = chunk.get("error")
        if error:
            message = error.get("message") if isinstance(error, dict) else error
            raise StreamErrorEvent(str(message or error))
        yield chunk
