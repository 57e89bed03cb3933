"""Model names, backends and Ollama model options: the values a model call may be given, validated.

Plain functions over plain values (no pytest, no argparse): the plugin's options, the CLI and the backends
all parse and check model options here.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

BACKENDS = ("auto", "ollama", "openai", "llama-cpp", "replay")
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

# Lower bounds of the options whose smaller values no backend accepts: llama.cpp fails to create a context for
# a negative num_ctx with a message that blames the model file.
MINIMUM: dict[str, int] = {"num_ctx": 0, "num_batch": 1, "num_thread": 0}

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _convert(key: str, raw: str) -> OptionValue:
    kind = OLLAMA_OPTIONS[key]
    text = raw.strip()
    if kind is _STR_LIST:
        if not text:
            raise ValueError(f"option {key!r} takes a non-empty string (an empty stop string ends every answer at "
                             "once)")
        return [text]
    if kind is _BOOL:
        if text.lower() in _TRUE:
            return True
        if text.lower() in _FALSE:
            return False
        raise ValueError(f"option {key!r} takes true or false, got {raw!r}")
    noun = "a whole number" if kind is _INT else "a number"
    try:
        value: int | float = kind(text)
    except ValueError:
        raise ValueError(f"option {key!r} takes {noun}, got {raw!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"option {key!r} takes a finite number, got {raw!r}")
    if key in MINIMUM and value < MINIMUM[key]:
        raise ValueError(f"option {key!r} takes {noun} >= {MINIMUM[key]}, got {raw!r}")
    return value


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
