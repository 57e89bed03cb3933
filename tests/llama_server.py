"""llama-cpp-python's OpenAI-compatible server on a free loopback port, for the tests and the benchmarks.

``llama_server(path)`` starts ``python -m llama_cpp.server`` in a subprocess, waits until it answers HTTP,
yields its base URL and stops it at the end. Run as a script, this file *is* that server, with one change:
llama.cpp's extra CPU buffer types are switched off where the embedded backend switches them off (a CPU
that advertises AMX: ggml's AMX kernels die with SIGILL on virtual machines that show the flags without
enabling them, see ``PYTEST_CHIMERA_EXTRA_BUFTS``). llama-cpp-python's server has no setting for it, so the
same patch of ``llama_model_default_params`` the embedded backend uses is applied around its ``main``.
"""

from __future__ import annotations

import contextlib
import os
import runpy
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import IO

START_TIMEOUT_S = 120.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def answers(url: str, timeout: float = 1.0) -> bool:
    """Whether an HTTP server answers at ``url`` (any status counts: 401 and 404 are answers)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout):
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


@contextlib.contextmanager
def llama_server(
    model_path: str | os.PathLike[str],
    *,
    alias: str = "gemma3:270m",
    threads: int = 1,
    n_ctx: int = 2048,
    api_key: str | None = None,
    interrupt_requests: bool = False,
    verbose: bool = False,
    log: IO[bytes] | None = None,
) -> Iterator[str]:
    """Serve ``model_path`` as ``alias``; yields ``http://127.0.0.1:PORT``. ``verbose`` makes llama.cpp print
    its per-call timings to the log (what the benchmark reads). ``interrupt_requests`` is off by default here:
    on, the server ends a streaming answer (``[DONE]``, no finish_reason) as soon as another request waits,
    which is what several xdist workers on one server do."""
    port = free_port()
    command = [
        sys.executable, __file__, "--model", str(model_path), "--model_alias", alias, "--host", "127.0.0.1",
        "--port", str(port), "--n_threads", str(threads), "--n_threads_batch", str(threads), "--n_ctx", str(n_ctx),
        "--verbose", str(verbose), "--interrupt_requests", str(interrupt_requests),
    ]
    if api_key is not None:
        command += ["--api_key", api_key]
    process = subprocess.Popen(command, stdout=log or subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not answers(url + "/v1/models"):
            if process.poll() is not None:
                raise RuntimeError(f"llama_cpp.server exited with {process.returncode} before answering: {command}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"llama_cpp.server did not answer within {START_TIMEOUT_S:g} s: {command}")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _serve() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from pytest_chimera.backends.llamacpp import _extra_buffer_types_enabled, _model_params

    with _model_params(_extra_buffer_types_enabled()):
        sys.argv[0] = "llama_cpp.server"
        runpy.run_module("llama_cpp.server", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    _serve()
