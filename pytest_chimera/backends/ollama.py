"""The ``ollama`` backend: a model served by Ollama, through the official ``ollama`` Python client.

Streams ``/api/generate`` (a prompt) or ``/api/chat`` (messages); options and ``format`` are passed
through; metrics come from Ollama's final chunk (durations in ns there, ms here), TTFT and wall time
are measured client-side. Every failure becomes a ``BackendError`` whose message says what happened
and what to do. ``ollama`` and ``httpx`` are imported on first use only.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pytest_chimera.backends.base import (
    BackendError,
    CallMetrics,
    Generation,
    Message,
    Received,
    TokenCallback,
    check_input,
)

if TYPE_CHECKING:
    import ollama

DEFAULT_HOST = "http://127.0.0.1:11434"
DEFAULT_TIMEOUT_S = 600.0
CHARS_PER_TOKEN = 4.0  # count_tokens' rule of thumb: Ollama's API has no tokenizer endpoint

_NS_PER_MS = 1_000_000


def resolve_host(host: str | None = None) -> str:
    """The server's base URL: ``host``, else ``$OLLAMA_HOST``, else 127.0.0.1:11434; scheme and port filled in."""
    text = (host or os.environ.get("OLLAMA_HOST") or "").strip().rstrip("/")
    if not text:
        return DEFAULT_HOST
    scheme, sep, rest = text.partition("://")
    if not sep:
        scheme, rest = "http", text
    hostport, slash, path = rest.partition("/")
    if hostport.startswith(":"):
        hostport = "127.0.0.1" + hostport
    if not hostport.rsplit("]", 1)[-1].count(":"):
        hostport += ":11434" if not sep else (":443" if scheme == "https" else ":80")
    return f"{scheme}://{hostport}" + (f"/{path}" if slash and path else "")


def _tagged(name: str) -> str:
    """Ollama's name rule: no tag means ``:latest``."""
    return name if ":" in name.rsplit("/", 1)[-1] else f"{name}:latest"


def _ms(ns: int | None) -> float:
    return (ns or 0) / _NS_PER_MS


# Tokens by which a prompt's count may differ from Ollama's own (it re-tokenises prompt + answer for
# ``context``): a difference this small is not taken for a cache hit.
CACHE_SLACK_TOKENS = 1


def prompt_tokens_of(final: Any) -> int | None:
    """The prompt's token count from ``/api/generate``'s final ``context`` (prompt + answer tokens), or None."""
    context = final.get("context") if isinstance(final, Mapping) else getattr(final, "context", None)
    if not isinstance(context, Sequence) or isinstance(context, (str, bytes)) or not context:
        return None
    eval_count = final.get("eval_count") if isinstance(final, Mapping) else getattr(final, "eval_count", None)
    return max(0, len(context) - int(eval_count or 0))


def cached_tokens(prompt_tokens: int | None, prompt_eval_count: int) -> int:
    """Prompt tokens Ollama did not evaluate (served from its cache): the prompt's count less those evaluated."""
    if prompt_tokens is None:
        return 0
    missing = prompt_tokens - prompt_eval_count
    return missing if missing > CACHE_SLACK_TOKENS else 0


def accelerator_of(size: int, size_vram: int) -> str:
    """Where Ollama holds a loaded model, from ``/api/ps``: ``cpu``, ``gpu`` or ``gpu partial (N% in VRAM)``."""
    if size_vram <= 0:
        return "cpu"
    if size <= 0 or size_vram >= size:
        return "gpu"
    return f"gpu partial ({round(100 * size_vram / size)}% in VRAM)"


def metrics_from_final(
    final: Any, *, ttft_ms: float | None, wall_ms: float, cached_prompt_tokens: int = 0
) -> CallMetrics:
    """CallMetrics from Ollama's final chunk (a GenerateResponse/ChatResponse or a dict)."""

    def get(key: str) -> int:
        value = final.get(key) if isinstance(final, Mapping) else getattr(final, key, None)
        return int(value or 0)

    eval_count, eval_ns = get("eval_count"), get("eval_duration")
    return CallMetrics(
        ttft_ms=ttft_ms,
        tokens_per_s=eval_count / (eval_ns / 1e9) if eval_ns > 0 else None,
        prompt_eval_count=get("prompt_eval_count"),
        prompt_eval_ms=_ms(get("prompt_eval_duration")),
        eval_count=eval_count,
        eval_ms=_ms(eval_ns),
        load_ms=_ms(get("load_duration")),
        total_ms=_ms(get("total_duration")),
        wall_ms=wall_ms,
        cached_prompt_tokens=cached_prompt_tokens,
    )


def _piece(chunk: Any) -> str:
    """The text of one stream chunk: ``response`` for /api/generate, ``message.content`` for /api/chat."""
    message = getattr(chunk, "message", None)
    if message is not None:
        return str(message.content or "")
    return str(getattr(chunk, "response", None) or "")


def _unreachable(host: str, detail: str) -> BackendError:
    return BackendError(
        f"cannot reach the Ollama server at {host} ({detail}). Start it with `ollama serve` "
        "(or point OLLAMA_HOST at a running one), or use the embedded model with `--chimera-backend llama-cpp`."
    )


def _missing_model(host: str, model: str) -> BackendError:
    return BackendError(
        f"model {model!r} is not available on the Ollama server at {host}; pull it with `ollama pull {model}` "
        "(or use the embedded model with `--chimera-backend llama-cpp`)."
    )


def _close_client(client: Any) -> None:
    """Close the client's connection pool (newer clients have ``close``; older ones: their httpx client)."""
    close = getattr(client, "close", None) or getattr(getattr(client, "_client", None), "close", None)
    if close is not None:
        close()


def probe(host: str | None, model: str, timeout: float = 1.0) -> bool:
    """Whether an Ollama server answers at ``host`` and has ``model``; never raises."""
    try:
        import ollama

        client = ollama.Client(host=resolve_host(host), timeout=timeout)
        try:
            names = {_tagged(m.model or "") for m in client.list().models}
        finally:
            _close_client(client)
        return _tagged(model) in names
    except Exception:
        return False


class OllamaBackend:
    """A model on an Ollama server. ``options`` are session defaults that each call's options override.

    ``keep_alive`` (``"5m"``, ``"1h"``, seconds as a number, ``-1`` forever, ``0`` unload now) is sent with
    every call; ``None`` leaves Ollama's default. ``timeout`` bounds the whole call in seconds, including
    connecting (default 600). ``workers_per_host``: how many pytest-xdist workers share this server
    (recorded in ``describe()``: it changes what TTFT means).
    """

    name = "ollama"

    def __init__(
        self,
        model: str,
        *,
        host: str | None = None,
        options: Mapping[str, Any] | None = None,
        keep_alive: str | float | None = None,
        timeout: float | None = None,
        workers_per_host: int = 1,
    ) -> None:
        self.model = model
        self.host = resolve_host(host)
        self.workers_per_host = workers_per_host
        self.options = dict(options or {})
        self.keep_alive = keep_alive
        self.timeout = float(timeout) if timeout is not None else DEFAULT_TIMEOUT_S
        self._client: ollama.Client | None = None
        self._describe: dict[str, Any] | None = None
        self._static: dict[str, Any] | None = None  # digest and details: they do not change while loaded
        # the most prompt tokens Ollama evaluated for each request seen: the prompt's full count, for chat
        # requests, whose final chunk has no ``context`` to count from
        self._prompt_tokens: dict[str, int] = {}

    def _get_client(self) -> ollama.Client:
        if self._client is None:
            import ollama

            self._client = ollama.Client(host=self.host, timeout=self.timeout)
        return self._client

    def generate(
        self,
        prompt: str | None = None,
        *,
        messages: Sequence[Message] | None = None,
        options: Mapping[str, Any] | None = None,
        format: Mapping[str, Any] | None = None,
        on_token: TokenCallback | None = None,
    ) -> Generation:
        """Stream one call; return the text and metrics or raise BackendError with what to do."""
        check_input("OllamaBackend", prompt, messages)
        merged = {**self.options, **(options or {})}
        client = self._get_client()
        start = time.perf_counter()
        received = Received(start, on_token)
        final: Any = None
        stream: Iterator[Any] | None = None
        try:
            common: dict[str, Any] = {
                "model": self.model,
                "options": merged or None,
                "format": dict(format) if format else None,
                "keep_alive": self.keep_alive,
            }
            if messages is not None:
                stream = client.chat(messages=[dict(m) for m in messages], stream=True, **common)
            else:
                stream = client.generate(prompt=prompt or "", stream=True, **common)
            deadline = start + self.timeout
            for chunk in stream:
                received.add(_piece(chunk))
                if chunk.done:
                    final = chunk
                    break
                if time.perf_counter() > deadline:
                    raise TimeoutError
        except BackendError:
            raise
        except Exception as exc:
            raise self._translate(exc, received) from exc
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()
        wall_ms = (time.perf_counter() - start) * 1000
        if final is None:
            raise self._cut(received, "the stream ended before Ollama's final chunk (done: true)")
        return Generation(
            text=received.text,
            metrics=metrics_from_final(final, ttft_ms=received.ttft_ms, wall_ms=wall_ms,
                                       cached_prompt_tokens=self._cached(final, prompt, messages, merged)),
            backend=self.name,
            model=self.model,
            options=merged,
        )

    def _cached(self, final: Any, prompt: str | None, messages: Sequence[Message] | None,
                options: Mapping[str, Any]) -> int:
        """Cached prompt tokens of a call: its prompt's token count (from ``context``, else the most Ollama ever
        evaluated for the same request) less the tokens Ollama evaluated."""
        field = "prompt_eval_count"
        evaluated = int((final.get(field) if isinstance(final, Mapping) else getattr(final, field, None)) or 0)
        key = json.dumps([prompt, [dict(m) for m in messages or []], sorted(options.items())], default=str)
        counted = prompt_tokens_of(final)
        seen = max(self._prompt_tokens.get(key, 0), evaluated, counted or 0)
        self._prompt_tokens[key] = seen
        return cached_tokens(counted if counted is not None else seen, evaluated)

    def _cut(self, received: Received, what: str) -> BackendError:
        return BackendError(
            f"the response stream from the Ollama server at {self.host} was cut off: {what}; "
            f"{received.summary()}. The server may have crashed or restarted; see its log."
        )

    def _translate(self, exc: Exception, received: Received) -> BackendError:
        """One clear BackendError for anything the client, httpx or the stream raised."""
        import httpx
        import ollama
        import pydantic

        if isinstance(exc, ollama.ResponseError):
            error = str(exc.error)
            if exc.status_code == 404 or ("not found" in error and self.model in error):
                return _missing_model(self.host, self.model)
            status = f"HTTP {exc.status_code}" if exc.status_code > 0 else "in the stream"
            return BackendError(f"the Ollama server at {self.host} answered with an error ({status}): {error}")
        if isinstance(exc, httpx.ConnectTimeout):
            return _unreachable(self.host, f"no connection within {self.timeout:g} s")
        if isinstance(exc, ConnectionError | httpx.ConnectError):
            return _unreachable(self.host, "connection refused")
        if isinstance(exc, httpx.TimeoutException | TimeoutError):
            return BackendError(
                f"the Ollama server at {self.host} timed out: {self.model} gave no complete answer within "
                f"{self.timeout:g} s; {received.summary()}. Raise --chimera-timeout or lower num_predict."
            )
        if isinstance(exc, json.JSONDecodeError):
            line = exc.doc if len(exc.doc) <= 80 else exc.doc[:77] + "..."
            return BackendError(
                f"the Ollama server at {self.host} sent a malformed NDJSON line in the stream "
                f"({exc.msg}): {line!r}; {received.summary()}."
            )
        if isinstance(exc, pydantic.ValidationError):
            return BackendError(
                f"the Ollama server at {self.host} sent a stream chunk that is not an Ollama response "
                f"({exc.error_count()} field errors); {received.summary()}."
            )
        if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError):
            return self._cut(received, str(exc) or type(exc).__name__)
        if isinstance(exc, httpx.HTTPError):
            return BackendError(f"request to the Ollama server at {self.host} failed: {type(exc).__name__}: {exc}")
        return BackendError(f"Ollama call to {self.host} failed: {type(exc).__name__}: {exc}")

    def count_tokens(self, text: str) -> int:
        """Approximate: ceil(characters / 4). Ollama's API has no tokenizer endpoint.

        Good enough for context budgets with a margin; for exact counts use the llama-cpp backend.
        """
        return math.ceil(len(text) / CHARS_PER_TOKEN) if text else 0

    def describe(self) -> dict[str, Any]:
        """Backend, model, host, workers per host and, when the server answers: the model's digest (``/api/ps``
        or ``/api/tags``), family, size and quantization (``/api/show``), and, once the model is loaded, where it
        runs (``/api/ps``: ``size_vram`` against ``size`` gives the accelerator)."""
        if self._describe is not None:
            return dict(self._describe)
        info: dict[str, Any] = {"backend": self.name, "model": self.model, "host": self.host,
                                "workers_per_host": self.workers_per_host, "digest": None, "accelerator": None}
        if self.keep_alive is not None:
            info["keep_alive"] = self.keep_alive
        try:
            client = self._get_client()
            if self._static is None:
                static: dict[str, Any] = {}
                for entry in client.list().models:
                    if _tagged(entry.model or "") == _tagged(self.model):
                        static["digest"] = entry.digest
                        static["size_bytes"] = int(entry.size or 0)
                details = client.show(self.model).details
                if details is not None:
                    static.update(family=details.family, parameter_size=details.parameter_size,
                                  quantization=details.quantization_level, format=details.format)
                self._static = static
            info.update(self._static)
            for loaded in client.ps().models:
                if _tagged(loaded.model or loaded.name or "") == _tagged(self.model):
                    size, vram = int(loaded.size or 0), int(loaded.size_vram or 0)
                    info.update(size_vram=vram, accelerator=accelerator_of(size, vram))
                    info["digest"] = loaded.digest or info["digest"]
        except Exception as exc:
            info["describe_error"] = str(self._translate(exc, Received(0.0)))
            return info  # not cached: the server may come up later
        if info["accelerator"] is not None:
            self._describe = info  # not loaded yet: ask /api/ps again next time
        return dict(info)

    def close(self) -> None:
        """Close the HTTP connection pool (the model stays loaded per keep_alive)."""
        if self._client is not None:
            _close_client(self._client)
            self._client = None
