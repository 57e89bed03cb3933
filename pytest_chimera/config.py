"""Chimera settings: validation of option values and resolution of command line over ini.

Plain functions and a frozen dataclass; nothing here imports pandas, ollama or llama_cpp.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BACKENDS = ("auto", "ollama", "llama-cpp", "replay")
DEFAULT_BACKEND = "auto"
DEFAULT_MODEL = "gemma3:270m"
RECORD_MODES = ("record", "replay", "auto")
DEFAULT_RECORD_MODE = "replay"

OptionValue = int | float | bool | str | list[str]

# Ollama's runtime/model options (api/types.go) and the Python type each one takes.
_INT, _FLOAT, _BOOL, _STR_LIST = int, float, bool, list
OLLAMA_OPTIONS: dict[str, type] = {
    "num_keep": _INT,
    "seed": _INT,
    "num_predict": _INT,
    "top_k": _INT,
    "top_p": _FLOAT,
    "min_p": _FLOAT,
    "typical_p": _FLOAT,
    "repeat_last_n": _INT,
    "temperature": _FLOAT,
    "repeat_penalty": _FLOAT,
    "presence_penalty": _FLOAT,
    "frequency_penalty": _FLOAT,
    "penalize_newline": _BOOL,
    "stop": _STR_LIST,
    "numa": _BOOL,
    "num_ctx": _INT,
    "num_batch": _INT,
    "num_gpu": _INT,
    "main_gpu": _INT,
    "use_mmap": _BOOL,
    "use_mlock": _BOOL,
    "num_thread": _INT,
    "low_vram": _BOOL,
    "vocab_only": _BOOL,
    "mirostat": _INT,
    "mirostat_tau": _FLOAT,
    "mirostat_eta": _FLOAT,
}

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _convert(key: str, raw: str) -> OptionValue:
    kind = OLLAMA_OPTIONS[key]
    text = raw.strip()
    if kind is _STR_LIST:
        return [text]
    if kind is _BOOL:
        if text.lower() in _TRUE:
            return True
        if text.lower() in _FALSE:
            return False
        raise ValueError(f"option {key!r} takes true or false, got {raw!r}")
    try:
        return kind(text)  # type: ignore[no-any-return]
    except ValueError:
        noun = "a whole number" if kind is _INT else "a number"
        raise ValueError(f"option {key!r} takes {noun}, got {raw!r}") from None


def parse_option(text: str) -> tuple[str, OptionValue]:
    """Parse one ``KEY=VALUE`` Ollama option, validating the key and converting the value."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ValueError(f"expected KEY=VALUE (for example num_ctx=2048), got {text!r}")
    if key not in OLLAMA_OPTIONS:
        known = ", ".join(sorted(OLLAMA_OPTIONS))
        raise ValueError(f"unknown Ollama option {key!r}; known options: {known}")
    return key, _convert(key, raw)


def option_arg(text: str) -> tuple[str, OptionValue]:
    """``argparse`` type for ``--chimera-option``: errors become argparse usage errors."""
    try:
        return parse_option(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def backend_arg(text: str) -> str:
    """``argparse`` type for ``--chimera-backend``."""
    if text not in BACKENDS:
        raise argparse.ArgumentTypeError(f"unknown backend {text!r}; choose one of {', '.join(BACKENDS)}")
    return text


def model_arg(text: str) -> str:
    """``argparse`` type for ``--chimera-model``: a non-empty name such as ``gemma3:270m``."""
    if not text.strip() or any(ch.isspace() for ch in text):
        raise argparse.ArgumentTypeError(f"model name must be non-empty without spaces, got {text!r}")
    return text


def record_mode_arg(text: str) -> str:
    """``argparse`` type for ``--chimera-record-mode``."""
    if text not in RECORD_MODES:
        raise argparse.ArgumentTypeError(f"unknown record mode {text!r}; choose one of {', '.join(RECORD_MODES)}")
    return text


_GO_DURATION = re.compile(r"-?(\d+(\.\d*)?(ns|us|µs|ms|s|m|h))+")
_SECONDS = re.compile(r"-?\d+(\.\d+)?")


def parse_keep_alive(text: str) -> str | int | float:
    """An Ollama ``keep_alive``: a duration (``5m``, ``1h30m``) or seconds (``300``; ``-1`` forever, ``0`` unload)."""
    value = text.strip()
    if _SECONDS.fullmatch(value):
        number = float(value)
        return int(number) if number.is_integer() else number
    if _GO_DURATION.fullmatch(value):
        return value
    raise ValueError(
        f"keep-alive takes a duration such as 5m, 1h or 30s, or seconds (-1 keeps the model loaded), got {text!r}"
    )


def keep_alive_arg(text: str) -> str | int | float:
    """``argparse`` type for ``--chimera-keep-alive``."""
    try:
        return parse_keep_alive(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def merge_options(pairs: Iterable[tuple[str, OptionValue]]) -> dict[str, OptionValue]:
    """Fold ``(key, value)`` pairs into a dict: later keys win, ``stop`` values accumulate."""
    merged: dict[str, OptionValue] = {}
    for key, value in pairs:
        if key == "stop" and isinstance(value, list):
            previous = merged.get("stop")
            merged["stop"] = (previous if isinstance(previous, list) else []) + value
        else:
            merged[key] = value
    return merged


def options_from_mapping(options: Mapping[str, Any], where: str) -> dict[str, OptionValue]:
    """Validate an options mapping written in Python (a marker's ``options={...}``)."""
    pairs: list[tuple[str, OptionValue]] = []
    for key, value in options.items():
        if key not in OLLAMA_OPTIONS:
            raise ValueError(f"{where}: unknown Ollama option {key!r}")
        if key == "stop":
            stops = [value] if isinstance(value, str) else list(value)
            pairs.append((key, [str(s) for s in stops]))
        else:
            pairs.append((key, _convert(key, str(value))))
    return merge_options(pairs)


@dataclass(frozen=True)
class Settings:
    """The resolved ``chimera`` settings of one pytest session."""

    enabled: bool = False
    backend: str = DEFAULT_BACKEND
    model: str = DEFAULT_MODEL
    corpus: Path | None = None
    options: dict[str, OptionValue] = field(default_factory=dict)
    cassettes: Path | None = None
    record_mode: str = DEFAULT_RECORD_MODE
    keep_alive: str | int | float | None = None

    def header(self) -> str:
        """The one-line summary shown in pytest's report header."""
        corpus = str(self.corpus) if self.corpus is not None else "(none)"
        line = f"chimera: backend={self.backend}, model={self.model}, corpus={corpus}"
        if self.cassettes is not None:
            line += f", cassettes={self.cassettes} ({self.record_mode})"
        return line


def resolve(
    *,
    enabled: bool,
    cli_backend: str | None,
    ini_backend: str,
    cli_model: str | None,
    ini_model: str,
    cli_corpus: str | None,
    ini_corpus: str,
    cli_options: Iterable[tuple[str, OptionValue]],
    ini_options: Iterable[str],
    rootdir: Path,
    cli_cassettes: str | None = None,
    ini_cassettes: str = "",
    cli_record_mode: str | None = None,
    ini_record_mode: str = "",
    cli_keep_alive: str | int | float | None = None,
    ini_keep_alive: str = "",
) -> Settings:
    """Resolve the settings: command line over ini over defaults; relative corpus against rootdir.

    Raises ``ValueError`` naming the ini key for a bad ini value.
    """
    backend = cli_backend or ini_backend or DEFAULT_BACKEND
    if backend not in BACKENDS:
        raise ValueError(f"ini chimera_backend: unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    model = cli_model or ini_model or DEFAULT_MODEL
    ini_pairs = []
    for line in ini_options:
        if line.strip():
            try:
                ini_pairs.append(parse_option(line))
            except ValueError as exc:
                raise ValueError(f"ini chimera_options: {exc}") from None
    options = merge_options(ini_pairs)
    options.update(merge_options(cli_options))  # per key, the command line replaces ini
    corpus_text = cli_corpus or ini_corpus
    corpus = (rootdir / corpus_text).resolve() if corpus_text else None
    cassettes_text = cli_cassettes or ini_cassettes
    cassettes = (rootdir / cassettes_text).resolve() if cassettes_text else None
    record_mode = cli_record_mode or ini_record_mode.strip() or DEFAULT_RECORD_MODE
    if record_mode not in RECORD_MODES:
        raise ValueError(
            f"ini chimera_record_mode: unknown record mode {record_mode!r}; choose one of {', '.join(RECORD_MODES)}"
        )
    keep_alive = cli_keep_alive
    if keep_alive is None and ini_keep_alive.strip():
        try:
            keep_alive = parse_keep_alive(ini_keep_alive)
        except ValueError as exc:
            raise ValueError(f"ini chimera_keep_alive: {exc}") from None
    return Settings(
        enabled=enabled,
        backend=backend,
        model=model,
        corpus=corpus,
        options=options,
        cassettes=cassettes,
        record_mode=record_mode,
        keep_alive=keep_alive,
    )
