"""The ``openai`` backend: a model behind any OpenAI-compatible server (vLLM, SGLang, TGI, llama.cpp's server,
Ollama's ``/v1``), through the official ``openai`` Python client.

A prompt streams from ``/v1/completions``, chat messages from ``/v1/chat/completions``; ``ttft_ms`` is the
time to the first non-empty content piece and ``wall_ms`` the whole call, both measured here. Token counts
come from the server's ``usage`` (asked for with ``stream_options={"include_usage": true}``), engine times
from llama.cpp-style ``timings`` where the server sends them; whatever the server does not give is listed in
``CallMetrics.missing`` and never guessed (no tokenizer is guessed either). ``openai`` is imported on first
use only. The API key is read from an environment variable and never appears in a message or a record.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from pytest_chimera.backends import sse
from pytest_chimera.backends.base import (
    BackendError,
    CallMetrics,
    Generation,
    Message,
    Received,
    TokenCallback,
    check_input,
)
from pytest_chimera.backends.options import OLLAMA_OPTIONS

if TYPE_CHECKING:
    import openai

NAME = "openai"
DEFAULT_BASE_URL = "http://127.0.0.1:8000/v1"
DEFAULT_KEY_ENV = "OPENAI_API_KEY"
DEFAULT_TIMEOUT_S = 600.0
NO_KEY = "no-key"  # sent when no key is configured: a server without authentication ignores it
CHARS_PER_TOKEN = 4.0

# Ollama option -> OpenAI request parameter. Every other Ollama option is refused: the API has no parameter
# for it (num_ctx, num_gpu, num_thread: the server decides them when it loads the model).
OPTION_MAP: dict[str, str] = {
    "temperature": "temperature",
    "top_p": "top_p",
    "seed": "seed",
    "num_predict": "max_tokens",
    "stop": "stop",
    "presence_penalty": "presence_penalty",
    "frequency_penalty": "frequency_penalty",
}
REFUSED_OPTIONS = frozenset(OLLAMA_OPTIONS) - set(OPTION_MAP)

INTERRUPTED_HINT = (
    " llama-cpp-python's server ends a stream this way when another request arrives, unless it was started with "
    "--interrupt_requests False (needed when several pytest-xdist workers share it)"
)

# Server tokenizer endpoints, tried in order: (path from the server root, request body, reply key).
_TOKENIZERS: tuple[tuple[str, str, str], ...] = (
    ("/tokenize", "prompt", "count"),  # vLLM, SGLang
    ("/extras/tokenize/count", "input", "count"),  # llama-cpp-python's server
    ("/tokenize", "content", "tokens"),  # llama.cpp's own server
)


def resolve_base_url(host: str | None = None) -> str:
    """The API's base URL: ``host``, else ``$OPENAI_BASE_URL``, else 127.0.0.1:8000/v1; ``/v1`` is added to
    a URL that has no path (``http://gpu1:8000`` -> ``http://gpu1:8000/v1``)."""
    text = (host or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL).strip().rstrip("/")
    if "://" not in text:
        text = "http://" + text
    return text if urlsplit(text).path not in ("", "/") else text + "/v1"


def request_params(options: Mapping[str, Any]) -> dict[str, Any]:
    """OpenAI request parameters from Ollama options; BackendError naming any option the API has no place for."""
    refused = sorted(k for k in options if k not in OPTION_MAP)
    if refused:
        accepted = ", ".join(f"{k} ({v})" if k != v else k for k, v in OPTION_MAP.items())
        raise BackendError(
            f"the openai backend cannot apply option(s) {', '.join(refused)}: the OpenAI API has no parameter for "
            "them (the server decides context size, GPU layers and threads when it loads the model: vLLM "
            "--max-model-len, llama.cpp --n_ctx). Remove them from --chimera-option, ini chimera_options or the "
            f"marker's options= for this backend; it accepts {accepted}"
        )
    params: dict[str, Any] = {}
    for key, value in options.items():
        if key == "num_predict" and isinstance(value, int) and value < 0:
            continue  # Ollama's -1 (no limit) and -2 (fill the context): the server's own limit applies
        params[OPTION_MAP[key]] = [value] if key == "stop" and isinstance(value, str) else value
    return params


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def metrics_from(
    usage: Any, timings: Mapping[str, Any] | None, *, ttft_ms: float | None, wall_ms: float
) -> CallMetrics:
    """CallMetrics from the stream's ``usage`` and llama.cpp-style ``timings`` (either may be None).

    Counts come from ``usage`` (else from ``timings``' prompt_n/predicted_n); durations from ``timings``
    only. What neither gives is listed in ``missing``; ``load_ms`` always is (no server reports it per call).
    """
    timings = timings or {}
    prompt_n = _field(usage, "prompt_tokens") if usage is not None else _number(timings.get("prompt_n"))
    eval_n = _field(usage, "completion_tokens") if usage is not None else _number(timings.get("predicted_n"))
    details = _field(usage, "prompt_tokens_details")
    cached = _field(details, "cached_tokens") if details is not None else _number(timings.get("cache_n"))
    prompt_ms, eval_ms = _number(timings.get("prompt_ms")), _number(timings.get("predicted_ms"))
    values: dict[str, Any] = {
        "prompt_eval_count": prompt_n, "eval_count": eval_n, "cached_prompt_tokens": cached,
        "prompt_eval_ms": prompt_ms, "eval_ms": eval_ms,
        "total_ms": prompt_ms + eval_ms if prompt_ms is not None and eval_ms is not None else None,
        "tokens_per_s": eval_n / eval_ms * 1000 if eval_n and eval_ms else None,
    }
    missing = sorted({"load_ms", *(k for k, v in values.items() if v is None)})
    if eval_n == 0 and eval_ms is not None:  # nothing generated: no rate to give, and none missing
        missing.remove("tokens_per_s")

    def count(key: str) -> int:
        return int(values[key] or 0)

    def ms(key: str) -> float:
        return float(values[key] or 0.0)

    return CallMetrics(
        ttft_ms=ttft_ms, tokens_per_s=values["tokens_per_s"], prompt_eval_count=count("prompt_eval_count"),
        prompt_eval_ms=ms("prompt_eval_ms"), eval_count=count("eval_count"), eval_ms=ms("eval_ms"),
        total_ms=ms("total_ms"), wall_ms=wall_ms, cached_prompt_tokens=count("cached_prompt_tokens"),
        missing=tuple(missing),
    )


def _choices(chunk: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    choices = chunk.get("choices")
    return [c for c in choices if isinstance(c, Mapping)] if isinstance(choices, list) else []


def _piece(chunk: Mapping[str, Any]) -> str:
    """The content of one stream chunk (chat: ``delta.content``, completions: ``text``)."""
    for choice in _choices(chunk):
        delta = choice.get("delta")
        text = delta.get("content") if isinstance(delta, Mapping) else choice.get("text")
        if text:
            return str(text)
    return ""


def _finish_reason(chunk: Mapping[str, Any]) -> str | None:
    for choice in _choices(chunk):
        if choice.get("finish_reason"):
            return str(choice["finish_reason"])
    return None


def _field(obj: Any, key: str) -> Any:
    """``obj[key]`` of a JSON object, or the attribute of an object (None when absent)."""
    return obj.get(key) if isinstance(obj, Mapping) else getattr(obj, key, None)


def _said(exc: Any) -> str:
    """What the server said in an error reply (its ``error.message``), without the client's prefix."""
    body = getattr(exc, "body", None)
    if isinstance(body, Mapping):
        inner = body.get("error", body)
        message = inner.get("message") if isinstance(inner, Mapping) else inner
        if isinstance(message, str) and message:
            return message
    return str(getattr(exc, "message", None) or exc)


def _extra(obj: Any, key: str) -> Any:
    """A field the client's models do not declare (llama.cpp's ``timings``), from pydantic's extras."""
    extra = getattr(obj, "model_extra", None)
    return extra.get(key) if isinstance(extra, Mapping) else None


class OpenAIBackend:
    """A model on an OpenAI-compatible server. ``options`` are session defaults that each call's override.

    ``host`` is the server (``http://gpu1:8000`` or its ``/v1`` base URL); ``api_key_env`` names the variable
    holding the API key (default ``OPENAI_API_KEY``; a named variable that is unset is an error, an unset
    default means no key). ``workers_per_host`` is how many pytest-xdist workers share this host, recorded in
    ``describe()`` because it changes what TTFT means. ``timeout`` bounds the whole call in seconds.
    """

    name = NAME
    thread_safe = True  # the server queues concurrent requests itself

    def __init__(
        self,
        model: str,
        *,
        host: str | None = None,
        options: Mapping[str, Any] | None = None,
        timeout: float | None = None,
        api_key_env: str | None = None,
        workers_per_host: int = 1,
    ) -> None:
        self.model = model
        self.host = resolve_base_url(host)
        self.options = dict(options or {})
        request_params(self.options)  # refuse Ollama-only options now, not at the first call
        self.timeout = float(timeout) if timeout is not None else DEFAULT_TIMEOUT_S
        self.api_key_env = api_key_env or DEFAULT_KEY_ENV
        self._key = os.environ.get(self.api_key_env) or None
        if api_key_env is not None and self._key is None:
            raise BackendError(
                f"--chimera-api-key-env names {api_key_env}, which is not set in the environment; export it with "
                "the server's API key (or leave the option out to use OPENAI_API_KEY)"
            )
        self.workers_per_host = workers_per_host
        self._client: openai.OpenAI | None = None
        self._served: list[str] | None = None
        self._server_info: dict[str, Any] = {}
        self._probed = False
        self._tokenizer: tuple[str, str, str] | None = None  # (path, field, reply key); None: the server has none
        self._bos = 0
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()

    @property
    def num_ctx(self) -> int | None:
        """The server's context length where it says (vLLM's ``max_model_len``), for the agent's prompt budget."""
        self._check_model()
        value = self._server_info.get("max_model_len")
        return value if isinstance(value, int) else None

    # -- Backend protocol -------------------------------------------------------------------------------

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
        check_input("OpenAIBackend", prompt, messages)
        merged = {**self.options, **dict(options or {})}
        params = request_params(merged)
        if format is not None:
            if messages is None:
                raise BackendError(
                    "format= needs chat messages on the openai backend: the OpenAI completions API has no "
                    "response_format; pass messages=[...] instead of a prompt"
                )
            schema = {"name": "format", "schema": dict(format)}
            params["response_format"] = {"type": "json_schema", "json_schema": schema}
        self._check_model()
        client: Any = self._get_client()  # Any: the client's overloads want its own message types
        usage: Any = None
        timings: Mapping[str, Any] | None = None
        finish: str | None = None
        started = False
        start = time.perf_counter()
        received = Received(start, on_token)
        try:
            common: dict[str, Any] = {"model": self.model, "stream": True,
                                      "stream_options": {"include_usage": True}, **params}
            if messages is not None:
                stream = client.chat.completions.with_streaming_response.create(
                    messages=[dict(m) for m in messages], **common)
            else:
                stream = client.completions.with_streaming_response.create(prompt=prompt or "", **common)
            with stream as response:  # the client's models are skipped: chunks are read as plain JSON
                started = True
                deadline = start + self.timeout
                for chunk in sse.chunks(response.iter_lines()):
                    received.add(_piece(chunk))
                    finish = _finish_reason(chunk) or finish
                    usage = chunk.get("usage") or usage
                    found = chunk.get("timings")
                    timings = found if isinstance(found, Mapping) else timings
                    if time.perf_counter() > deadline:
                        raise TimeoutError
        except BackendError:
            raise
        except Exception as exc:
            raise self._translate(exc, received, started) from None
        wall_ms = (time.perf_counter() - start) * 1000
        if finish is None:
            raise self._cut(received, "the stream ended without a finish_reason", INTERRUPTED_HINT)
        return Generation(
            text=received.text,
            metrics=metrics_from(usage, timings, ttft_ms=received.ttft_ms, wall_ms=wall_ms),
            backend=self.name,
            model=self.model,
            options=merged,
        )

    def count_tokens(self, text: str) -> int:
        """Tokens of ``text`` in the server's own tokenizer, through its tokenize endpoint (vLLM and SGLang
        ``/tokenize``, llama-cpp-python ``/extras/tokenize/count``, llama.cpp ``/tokenize``; special tokens the
        server adds are not counted). A server with none gets the documented approximation ceil(chars / 4),
        and ``describe()["token_counts"]`` says so."""
        if not text:
            return 0
        with self._lock:
            if text in self._counts:
                return self._counts[text]
            if not self._probed:
                self._tokenizer, self._probed = self._find_tokenizer(), True
        if self._tokenizer is None:
            count = math.ceil(len(text) / CHARS_PER_TOKEN)
        else:
            count = max(0, self._count(self._tokenizer, text) - self._bos)
        with self._lock:
            if len(self._counts) > 100_000:
                self._counts.clear()
            self._counts[text] = count
        return count

    def describe(self) -> dict[str, Any]:
        """Backend, model, host, workers per host, what the server says of the model, how tokens are counted.

        The API key never appears here: only the name of the variable it was read from.
        """
        info: dict[str, Any] = {
            "backend": NAME,
            "model": self.model,
            "host": self.host,
            "workers_per_host": self.workers_per_host,
            "digest": None,
            "api_key_env": self.api_key_env if self._key is not None else None,
            "options": dict(self.options),
        }
        try:
            self._check_model()
        except BackendError as exc:
            info["describe_error"] = str(exc)
        info.update(self._server_info)
        if self._probed:
            info["token_counts"] = (f"server {self._tokenizer[0]}" if self._tokenizer
                                    else "estimate: ceil(characters / 4), the server has no tokenize endpoint")
        return info

    def close(self) -> None:
        """Close the HTTP connection pool."""
        if self._client is not None:
            self._client.close()
            self._client = None

    # -- internals --------------------------------------------------------------------------------------

    def _get_client(self) -> openai.OpenAI:
        if self._client is None:
            try:
                import openai
            except ImportError:
                raise BackendError(
                    'the openai backend needs the openai client, which is not installed; run: pip install '
                    '"pytest-chimera[openai]"'
                ) from None
            self._client = openai.OpenAI(
                base_url=self.host, api_key=self._key or NO_KEY, timeout=self.timeout, max_retries=0
            )
        return self._client

    def _check_model(self) -> None:
        """Once: ask ``/models``; an unknown model is a BackendError listing the served ones (a server that
        has no ``/models`` is not checked)."""
        if self._served is not None:
            return
        client = self._get_client()
        import openai

        try:
            entries = list(client.models.list())
        except openai.NotFoundError:
            self._served = []
            return
        except Exception as exc:
            raise self._translate(exc) from None
        served = [str(e.id) for e in entries]
        wanted = {self.model, f"{self.model}:latest"}
        if not wanted & set(served):
            raise BackendError(
                f"model {self.model!r} is not served by the OpenAI-compatible server at {self.host}; it serves "
                f"{', '.join(map(repr, served)) or 'no model'}. Pass --chimera-model NAME with one of those (the "
                "server names its model with vLLM --served-model-name or llama.cpp --model_alias)"
            )
        entry = next(e for e in entries if str(e.id) in wanted)
        for key in ("owned_by", "root", "max_model_len"):
            value = getattr(entry, key, None) or _extra(entry, key)
            if isinstance(value, str | int) and value:
                self._server_info[f"server_{key}" if key != "max_model_len" else key] = value
        self._served = served

    def _root(self) -> str:
        return self.host[: -len("/v1")] if self.host.endswith("/v1") else self.host

    def _server_count(self, tokenizer: tuple[str, str, str], text: str) -> int | None:
        """The server's token count of ``text``, or None when its reply has no count; client errors raise."""
        path, field, key = tokenizer
        body: dict[str, Any] = {field: text, "model": self.model}
        if field == "prompt":
            body["add_special_tokens"] = False
        reply = self._get_client().post(self._root() + path, cast_to=object, body=body)
        value = reply.get(key) if isinstance(reply, Mapping) else None
        if isinstance(value, list):
            return len(value)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        return None

    def _count(self, tokenizer: tuple[str, str, str], text: str) -> int:
        try:
            count = self._server_count(tokenizer, text)
        except Exception as exc:
            raise self._translate(exc) from None
        if count is None:
            raise BackendError(f"the server at {self.host} answered {tokenizer[0]} without a token count")
        return count

    def _find_tokenizer(self) -> tuple[str, str, str] | None:
        """The first tokenize endpoint the server has, and the special tokens it adds (its count of "")."""
        import openai

        for candidate in _TOKENIZERS:
            try:
                count = self._server_count(candidate, "")
            except openai.APIStatusError as exc:
                if exc.status_code in (400, 404, 405, 422):  # no such endpoint, or another server's body
                    continue
                raise self._translate(exc) from None
            except Exception as exc:
                raise self._translate(exc) from None
            if count is not None:
                self._bos = count
                return candidate
        return None

    def _redact(self, text: str) -> str:
        return text.replace(self._key, "***") if self._key else text

    def _cut(self, received: Received, what: str, hint: str = "") -> BackendError:
        return BackendError(self._redact(
            f"the response stream from the OpenAI-compatible server at {self.host} was cut off: {what}; "
            f"{received.summary()}. The server may have crashed or restarted; see its log.{hint}"
        ))

    def _translate(self, exc: Exception, received: Received | None = None, started: bool = False) -> BackendError:
        """One clear BackendError (the key redacted) for anything the client or the stream raised."""
        import openai

        received = received or Received(0.0)
        names = {c.__name__ for c in type(exc).__mro__}
        where = f"the OpenAI-compatible server at {self.host}"
        if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
            if self._key is None:
                message = (f"{where} wants an API key (HTTP {exc.status_code}) and none is set: export "
                           f"{DEFAULT_KEY_ENV}, or name the variable that holds it with --chimera-api-key-env NAME")
            else:
                message = (f"{where} refused the API key from ${self.api_key_env} (HTTP {exc.status_code}); "
                           "check the key, or --chimera-api-key-env NAME")
        elif isinstance(exc, openai.NotFoundError):
            if "model" in _said(exc).lower():
                message = (f"model {self.model!r} is not served by {where}; pass --chimera-model NAME with a model "
                           "it serves")
            else:
                message = (f"{where} answered HTTP 404 for {exc.request.url.path}: is the host right? "
                           "OpenAI-compatible servers answer under /v1 (http://HOST:PORT/v1)")
        elif isinstance(exc, openai.APITimeoutError | TimeoutError) or "ReadTimeout" in names:
            message = (f"{where} timed out: {self.model} gave no complete answer within {self.timeout:g} s; "
                       f"{received.summary()}. Raise --chimera-timeout or lower num_predict.")
        elif isinstance(exc, openai.APIConnectionError) or names & {"ConnectError", "ConnectionError"}:
            if started or received.pieces:
                return self._cut(received, str(exc.__cause__ or exc) or type(exc).__name__)
            cause = exc.__cause__ or exc.__context__
            detail = "connection refused" if "refused" in str(cause).lower() else str(cause or exc)
            message = (f"cannot reach {where} ({detail}). Start it (vllm serve MODEL, or python -m "
                       "llama_cpp.server --model FILE.gguf) or point --chimera-host at a running one.")
        elif names & {"RemoteProtocolError", "ReadError"}:
            return self._cut(received, str(exc) or type(exc).__name__)
        elif isinstance(exc, openai.BadRequestError):
            message = (f"{where} refused the request (HTTP 400): {_said(exc)}. A prompt over the server's "
                       "context needs a larger one (vLLM --max-model-len, llama.cpp --n_ctx) or a lower num_predict")
        elif isinstance(exc, openai.APIStatusError):
            message = f"{where} answered with an error (HTTP {exc.status_code}): {_said(exc)}"
        elif isinstance(exc, openai.APIError):
            message = f"{where} reported an error in the stream: {_said(exc)}; {received.summary()}"
        elif isinstance(exc, sse.StreamErrorEvent):
            message = f"{where} reported an error in the stream: {exc.message}; {received.summary()}"
        else:
            message = f"OpenAI-compatible call to {self.host} failed: {type(exc).__name__}: {exc}"
        return BackendError(self._redact(message))
