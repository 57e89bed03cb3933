"""Chimera settings: validation of option values and resolution of command line over ini.

Plain functions and a frozen dataclass; nothing here imports pandas, ollama or llama_cpp.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union

BACKENDS = ("auto", "ollama", "llama-cpp", "replay")
DEFAULT_BACKEND = "auto"
DEFAULT_MODEL = "gemma3:270m"

OptionValue = Union[int, float, bool, str, list[str]]

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

    def header(self) -> str:
        """The one-line summary shown in pytest's report header."""
        corpus = str(self.corpus) if self.corpus is not None else "(none)"
        return f"chimera: backend={self.backend}, model={self.model}, corpus={corpus}"


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
    return Settings(enabled=enabled, backend=backend, model=model, corpus=corpus, options=options)
