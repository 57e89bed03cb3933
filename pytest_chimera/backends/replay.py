"""The ``replay`` backend: record model calls to cassettes and replay them without a model.

One JSON file per call under a directory the user chooses, at
``DIR/<backend>/<model>/<hash>.json``; the key is (backend, model, hash) where the hash covers the
effective options, the prompt or messages, and the ``format``. Modes:

- ``replay``: read cassettes only; a missing one is a BackendError naming the key and the command that
  records it. The inner backend is never loaded.
- ``record``: call the inner backend and (over)write the cassette.
- ``auto``: replay when the cassette exists, else record.

Replayed generations carry their recorded metrics with ``replayed=True`` (never new timings; the benchmark
capture must not count them) and re-stream the recorded chunks to ``on_token``. Files are written atomically
(a temporary file in the same directory, then ``os.replace``): a failed call never leaves a cassette.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import fields, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pytest_chimera.atomic import write_atomic
from pytest_chimera.backends.base import (
    METRIC_NAMES,
    Backend,
    BackendError,
    CallMetrics,
    Generation,
    Message,
    TokenCallback,
    check_input,
)
from pytest_chimera.backends.options import DEFAULT_RECORD_MODE as DEFAULT_RECORD_MODE
from pytest_chimera.backends.options import RECORD_MODES as RECORD_MODES
from pytest_chimera.version import __version__

CASSETTE_FORMAT = 1
HASH_CHARS = 16
MAX_SLUG_CHARS = 120  # file names stop at 255 bytes on most file systems
MAX_CASSETTE_BYTES = 64 * 1024 * 1024  # a recorded call is kilobytes; a larger file is not a cassette

BackendFactory = Callable[[], Backend]


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def request_hash(
    *,
    options: Mapping[str, Any] | None,
    prompt: str | None = None,
    messages: Sequence[Message] | None = None,
    format: Mapping[str, Any] | None = None,
) -> str:
    """The stable hash of one request: canonical JSON (sorted keys) of options, prompt/messages and format.

    Dict key order never matters; ``None`` options and ``{}`` are the same; a prompt and a one-message chat
    are different requests.
    """
    request = {
        "options": dict(options or {}),
        "prompt": prompt,
        "messages": [dict(m) for m in messages] if messages is not None else None,
        "format": dict(format) if format else None,
    }
    return hashlib.sha256(_canonical(request).encode()).hexdigest()[:HASH_CHARS]


def model_slug(model: str) -> str:
    """A file-system-safe directory name for a model name (``gemma3:270m`` -> ``gemma3_270m``).

    Never a path of its own: every character but ``A-Za-z0-9._-`` becomes ``_``, a name of dots only
    (``.``, ``..``) becomes underscores, and a name over ``MAX_SLUG_CHARS`` is cut and ends with a hash of
    the whole name, so the cassette stays inside its folder whatever the name.
    """
    slug = re.sub(r"[^A-Za-z0-9._-]", "_", model) or "_"
    if not slug.strip("."):
        slug = "_" * len(slug)
    if len(slug) > MAX_SLUG_CHARS:
        digest = hashlib.sha256(model.encode("utf-8", "surrogatepass")).hexdigest()[:HASH_CHARS]
        slug = f"{slug[: MAX_SLUG_CHARS - HASH_CHARS - 1]}-{digest}"
    return slug


def cassette_path(directory: Path, backend: str, model: str, digest: str) -> Path:
    """Where the cassette of (backend, model, request hash) lives."""
    return directory / model_slug(backend) / model_slug(model) / f"{digest}.json"


def write_atomically(path: Path, payload: Mapping[str, Any]) -> None:
    """Write a cassette's JSON to ``path`` atomically (``pytest_chimera.atomic``)."""
    write_atomic(path, json.dumps(payload, indent=2, ensure_ascii=False, sort_keys=True) + "\n")


class ReplayBackend:
    """Cassettes around an inner backend.

    ``inner`` is a Backend or a zero-argument factory of one, called on the first call that must record
    (``replay`` mode never calls it). ``source`` is the recording backend's name used in the key; ``None``
    means: the inner backend's name when recording, and any recorded backend when replaying (sorted by
    name, the first wins). ``options`` are session defaults that each call's options override; the effective
    options are part of the key and are passed on to the inner backend.
    """

    name = "replay"

    def __init__(
        self,
        cassette_dir: str | os.PathLike[str],
        model: str,
        *,
        mode: str = DEFAULT_RECORD_MODE,
        inner: Backend | BackendFactory | None = None,
        source: str | None = None,
        options: Mapping[str, Any] | None = None,
        record_hint: str | None = None,
    ) -> None:
        if mode not in RECORD_MODES:
            raise ValueError(f"unknown record mode {mode!r}; choose one of {', '.join(RECORD_MODES)}")
        self.cassette_dir = Path(cassette_dir)
        self.model = model
        self.mode = mode
        self.source = source
        self.options = dict(options or {})
        self.record_hint = record_hint  # what a missing cassette's message says to do; None: the pytest command
        self._inner_or_factory = inner
        self._inner: Backend | None = None
        self.replayed_calls = 0
        self.recorded_calls = 0

    # the inner backend ------------------------------------------------------------------------

    def inner(self) -> Backend:
        """The recording backend, created on first use."""
        if self._inner is None:
            made = self._inner_or_factory
            if made is None:
                raise BackendError(
                    f"record mode {self.mode!r} needs a backend to record with, and none was configured "
                    "(choose one with --chimera-backend ollama or llama-cpp)"
                )
            self._inner = made if isinstance(made, Backend) and not isinstance(made, type) else made()
        return self._inner

    # keys and files ---------------------------------------------------------------------------

    def key(
        self,
        prompt: str | None = None,
        *,
        messages: Sequence[Message] | None = None,
        options: Mapping[str, Any] | None = None,
        format: Mapping[str, Any] | None = None,
        backend: str | None = None,
    ) -> dict[str, str]:
        """The cassette key of a call: backend (``*`` = any recorded one), model and request hash."""
        merged = {**self.options, **(options or {})}
        digest = request_hash(options=merged, prompt=prompt, messages=messages, format=format)
        return {"backend": backend or self.source or "*", "model": self.model, "hash": digest}

    def _find(self, key: Mapping[str, str]) -> Path | None:
        if key["backend"] != "*":
            path = cassette_path(self.cassette_dir, key["backend"], key["model"], key["hash"])
            return path if path.is_file() else None
        pattern = f"*/{model_slug(key['model'])}/{key['hash']}.json"
        found = sorted(self.cassette_dir.glob(pattern))
        return found[0] if found else None

    def _missing(self, key: Mapping[str, str]) -> BackendError:
        backend_dir = model_slug(key["backend"]) if key["backend"] != "*" else "*"
        where = self.cassette_dir / backend_dir / model_slug(key["model"]) / f"{key['hash']}.json"
        backend_flag = f" --chimera-backend {key['backend']}" if key["backend"] != "*" else ""
        if self.cassette_dir.exists() and not self.cassette_dir.is_dir():
            return BackendError(f"the cassette directory {self.cassette_dir} is not a directory; give "
                                "--chimera-cassettes the folder that holds the cassettes")
        hint = self.record_hint or (
            f"Record it by running this test with: pytest --chimera{backend_flag} --chimera-cassettes "
            f"{self.cassette_dir} --chimera-record-mode record (or --chimera-record-mode auto to record only what "
            "is missing)")
        return BackendError(f"no cassette for backend={key['backend']} model={key['model']} hash={key['hash']} "
                            f"(looked for {where}) in record mode 'replay'. {hint}")

    # the Backend protocol ---------------------------------------------------------------------

    def generate(
        self,
        prompt: str | None = None,
        *,
        messages: Sequence[Message] | None = None,
        options: Mapping[str, Any] | None = None,
        format: Mapping[str, Any] | None = None,
        on_token: TokenCallback | None = None,
    ) -> Generation:
        """Replay the call's cassette, or record it through the inner backend, as the mode says."""
        check_input("ReplayBackend", prompt, messages)
        merged = {**self.options, **(options or {})}
        if self.mode != "record":
            found = self._find(self.key(prompt, messages=messages, options=merged, format=format))
            if found is not None:
                return self._replay(found, on_token)
            if self.mode == "replay":
                raise self._missing(self.key(prompt, messages=messages, options=merged, format=format))
        return self._record(prompt, messages, merged, format, on_token)

    def _replay(self, path: Path, on_token: TokenCallback | None) -> Generation:
        try:
            text, chunks, metrics, options = read_cassette(path)
        except (OSError, ValueError) as exc:
            raise BackendError(
                f"cassette {path} is unreadable or not a pytest-chimera cassette ({_problem(exc)}); "
                "delete it and record it again with --chimera-record-mode record"
            ) from None
        if on_token is not None:
            for chunk in chunks:
                if chunk:
                    on_token(chunk)
        self.replayed_calls += 1
        return Generation(
            text=text, metrics=replace(metrics, replayed=True), backend=self.name, model=self.model, options=options
        )

    def _record(
        self,
        prompt: str | None,
        messages: Sequence[Message] | None,
        options: dict[str, Any],
        format: Mapping[str, Any] | None,
        on_token: TokenCallback | None,
    ) -> Generation:
        inner = self.inner()
        chunks: list[str] = []

        def tee(piece: str) -> None:
            chunks.append(piece)
            if on_token is not None:
                on_token(piece)

        generation = inner.generate(prompt, messages=messages, options=options, format=format, on_token=tee)
        key = self.key(prompt, messages=messages, options=options, format=format, backend=inner.name)
        path = cassette_path(self.cassette_dir, key["backend"], key["model"], key["hash"])
        payload = {
            "cassette_format": CASSETTE_FORMAT,
            "key": key,
            "recorded_at": datetime.now(timezone.utc).isoformat(),
            "recorded_with": {"pytest_chimera": __version__, **_plain(inner.describe())},
            "request": {
                "prompt": prompt,
                "messages": [dict(m) for m in messages] if messages is not None else None,
                "options": options,
                "format": dict(format) if format else None,
            },
            "response": {
                "text": generation.text,
                "chunks": chunks if "".join(chunks) == generation.text else [generation.text],
                "backend": generation.backend,
                "model": generation.model,
                "metrics": generation.metrics.to_dict(),
            },
        }
        try:
            write_atomically(path, payload)
        except OSError as exc:
            raise BackendError(
                f"cannot write cassette {path} ({exc.strerror or exc}); give --chimera-cassettes a directory "
                "this process can write"
            ) from None
        self.recorded_calls += 1
        return generation

    def count_tokens(self, text: str) -> int:
        """The inner backend's count when it is loaded, else approximate: ceil(characters / 4)."""
        if self._inner is not None:
            return self._inner.count_tokens(text)
        return -(-len(text) // 4)

    def describe(self) -> dict[str, Any]:
        """Backend ``replay``, its mode, directory and, once loaded, the recording backend's identity."""
        info: dict[str, Any] = {
            "backend": self.name,
            "model": self.model,
            "record_mode": self.mode,
            "cassette_dir": str(self.cassette_dir),
            "source": self.source,
        }
        if self._inner is not None:
            info["recording_backend"] = self._inner.describe()
        return info

    def close(self) -> None:
        """Close the inner backend if one was loaded."""
        if self._inner is not None:
            self._inner.close()


def _problem(exc: Exception) -> str:
    return str(exc) if isinstance(exc, CassetteError) else f"{type(exc).__name__}: {exc}"


class CassetteError(ValueError):
    """A cassette file that is not what ``_record`` writes; the message says which part is wrong."""


_OPTIONAL_NUMBERS = ("ttft_ms", "tokens_per_s")


def _metrics(data: Any) -> CallMetrics:
    """``CallMetrics`` from a cassette's ``response.metrics``: an object of finite numbers (unknown keys ignored)."""
    if not isinstance(data, dict):
        raise CassetteError(f"response.metrics is {_kind(data)}, expected an object of numbers")
    values: dict[str, Any] = {}
    for f in fields(CallMetrics):
        if f.name not in data:
            continue
        value = data[f.name]
        if f.name == "replayed":
            if not isinstance(value, bool):
                raise CassetteError(f"response.metrics.replayed is {_kind(value)}, expected true or false")
        elif f.name == "missing":
            if not isinstance(value, list) or not all(isinstance(m, str) and m in METRIC_NAMES for m in value):
                raise CassetteError(f"response.metrics.missing is {_kind(value)}, expected an array of metric "
                                    f"names ({', '.join(METRIC_NAMES)})")
            value = tuple(value)
        elif value is None and f.name in _OPTIONAL_NUMBERS:
            pass
        elif isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise CassetteError(f"response.metrics.{f.name} is {_kind(value)}, expected a finite number")
        values[f.name] = value
    return CallMetrics(**values)


def _kind(value: Any) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number")


def read_cassette(path: Path) -> tuple[str, list[str], CallMetrics, dict[str, Any]]:
    """``(text, chunks, metrics, options)`` of a cassette file; raises ``OSError`` or ``CassetteError``."""
    with open(path, "rb") as handle:
        raw = handle.read(MAX_CASSETTE_BYTES + 1)
    if len(raw) > MAX_CASSETTE_BYTES:
        raise CassetteError(f"over {MAX_CASSETTE_BYTES} bytes")
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise CassetteError(f"not UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise CassetteError(f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise CassetteError("invalid JSON: nested too deeply") from None
    if not isinstance(data, dict):
        raise CassetteError(f"the file holds {_kind(data)}, expected an object")
    response, request = data.get("response"), data.get("request")
    if not isinstance(response, dict):
        raise CassetteError(f"response is {_kind(response)}, expected an object")
    if not isinstance(request, dict) or not isinstance(request.get("options"), dict):
        raise CassetteError("request.options is missing or not an object")
    text = response.get("text")
    if not isinstance(text, str):
        raise CassetteError(f"response.text is {_kind(text)}, expected a string")
    chunks = response.get("chunks")
    if chunks is None or chunks == []:
        chunks = [text]
    if not isinstance(chunks, list) or not all(isinstance(c, str) for c in chunks):
        raise CassetteError("response.chunks is not an array of strings")
    if "".join(chunks) != text:
        raise CassetteError("response.chunks do not add up to response.text")
    return text, chunks, _metrics(response.get("metrics")), dict(request["options"])


def _plain(info: Mapping[str, Any]) -> dict[str, Any]:
    """JSON-safe copy of a describe() dict."""
    return {str(k): v for k, v in json.loads(_canonical(dict(info))).items()}
