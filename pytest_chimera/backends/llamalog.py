"""llama.cpp's log during a model load: kept for the error message, never printed.

llama-cpp-python prints llama.cpp's log lines on stderr from its own callback, and with ``verbose=False`` it
still prints the ones it ranks as errors. Its table of levels is ggml's old one (3 was error; ggml now has 3
for a warning, 4 for an error), so it prints warnings such as "llama_kv_cache_iswa: using full-size SWA
cache", which every gemma3 load writes: a stray line in the middle of a pytest run's output.

``captured_log()`` takes the lines for the block instead: every line goes to the ``pytest_chimera.llama_cpp``
logger at DEBUG, and the error lines to the list it yields, so that a failed load can say what llama.cpp said
("gguf_init_from_reader: invalid magic characters"). Blocks nest; when the outermost ends, llama-cpp-python's
own callback is set back.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import re
import threading
from collections.abc import Iterator
from typing import Any

LOGGER = logging.getLogger("pytest_chimera.llama_cpp")
_LOCK = threading.RLock()
_SINKS: list[list[str]] = []  # the innermost block's list last
_PARTIAL: list[str] = []  # a line llama.cpp writes in pieces
_LEVEL = [0]  # the level of the line in _PARTIAL
_CALLBACK: Any = None  # the ctypes callback: kept alive for as long as llama.cpp may call it


ERROR = 4  # ggml's ggml_log_level: 1 debug, 2 info, 3 warn, 4 error, 5 continues the line before
_CONTINUED = 5


def _receive(level: int, text: bytes, _user: Any) -> None:
    if level != _CONTINUED or not _PARTIAL:
        _LEVEL[0] = level
    _PARTIAL.append(text.decode("utf-8", errors="replace"))
    if not _PARTIAL[-1].endswith("\n"):
        return
    line = "".join(_PARTIAL).rstrip()
    _PARTIAL.clear()
    if line:
        LOGGER.debug("%s", line)
        if _SINKS and _LEVEL[0] == ERROR:
            _SINKS[-1].append(line)


_FAILURE = re.compile(r"error|fail|invalid|bad |cannot|unable|out of memory", re.IGNORECASE)


def cause(lines: list[str]) -> str | None:
    """The error line that says why a load failed: the first that names a failure, else the last."""
    return next((line for line in lines if _FAILURE.search(line)), lines[-1] if lines else None)


def _set(callback: Any) -> None:
    import llama_cpp

    llama_cpp.llama_log_set(callback, ctypes.c_void_p(0))


@contextlib.contextmanager
def captured_log() -> Iterator[list[str]]:
    """Yield the list that receives llama.cpp's error lines during the block; no line is printed."""
    global _CALLBACK
    import llama_cpp

    lines: list[str] = []
    with _LOCK:
        if _CALLBACK is None:
            _CALLBACK = llama_cpp.llama_log_callback(_receive)
        _SINKS.append(lines)
        _set(_CALLBACK)
        try:
            yield lines
        finally:
            del _SINKS[next(k for k in range(len(_SINKS) - 1, -1, -1) if _SINKS[k] is lines)]
            if not _SINKS:  # the outermost block: llama-cpp-python's own callback back
                _PARTIAL.clear()
                _restore()


def _restore() -> None:
    try:
        from llama_cpp._logger import llama_log_callback as own
    except ImportError:  # a llama-cpp-python without it: ours stays, and only logs at DEBUG
        return
    _set(own)
