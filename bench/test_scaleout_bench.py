"""Scaling out over llama.cpp servers: report tests per minute under 2 xdist workers against serially, and the
openai backend's client overhead per call.

Run: ``cd bench && pytest test_scaleout_bench.py -s`` (prints the figures and the load average; also in
extra_info). Goal: client overhead under 5 ms per call.

Servers: llama-cpp-python's OpenAI-compatible server (``tests/llama_server.py``: ``python -m llama_cpp.server``
with llama.cpp's extra CPU buffer types off where the CPU advertises AMX), the packaged gemma-3-270m, one
thread each (the development machine has 2 cores).

- Throughput: a project of ``N_TESTS`` report tests (the collector persona, ungrounded, ``num_predict`` 16,
  temperature 0) run by ``pytest`` in a subprocess, whole-command wall time: serially against one server;
  ``-n 2`` with both workers on that one server (2 workers per host); ``-n 2`` over two servers (1 per
  host). Tests per minute = N_TESTS / wall.
- Client overhead: one server started with ``--verbose True`` prints llama.cpp's ``total time`` of every
  call (from the reset of its counters at the start of the completion to the end of generation, which in a
  streaming server includes sending the chunks). Per call: the backend's ``wall_ms`` minus that server
  time, with a raw HTTP stream of the same request (``urllib``, no client library) alternating as the
  reference for what any client pays (HTTP round trip, the server's request handling before and after
  generation).
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from llama_server import llama_server  # noqa: E402

from pytest_chimera.backends.gguf import resolve_model_file  # noqa: E402
from pytest_chimera.backends.openai import OpenAIBackend  # noqa: E402

MODEL = "gemma3:270m"
N_TESTS = 8
CALLS = 15
PROMPT = "# Benchmark report\n\n## Executive summary\n\nThe median decode throughput is"
OPTIONS = {"num_predict": 8, "temperature": 0, "seed": 1}

PROJECT_TEST = """
import pytest

@pytest.mark.parametrize("i", range({n}))
@pytest.mark.chimera(persona="collector", grounding=False, options={{"num_predict": 16, "temperature": 0}})
def test_report(i, chimera_report):
    assert [c.stage for c in chimera_report.calls] == ["analysis", "report"]
"""
CORPUS = "model,tokens_s,ttft_ms\ngemma3:270m,41.5,812\ngemma3:1b,20.1,990\n"
TOTAL_TIME = re.compile(r"llama_perf_context_print:\s+total time =\s+([\d.]+) ms")


def _gguf() -> Path:
    return resolve_model_file(MODEL, None).path


@pytest.fixture(scope="module")
def project() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "corpus").mkdir()
        (root / "corpus" / "runs.csv").write_text(CORPUS)
        (root / "test_reports.py").write_text(PROJECT_TEST.format(n=N_TESTS))
        (root / "pytest.ini").write_text("[pytest]\n")
        yield root


def _run(project: Path, hosts: list[str], *extra: str) -> float:
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--chimera",
               "--chimera-backend=openai", "--chimera-corpus=corpus", *[f"--chimera-host={h}" for h in hosts], *extra]
    start = time.perf_counter()
    done = subprocess.run(command, cwd=project, capture_output=True, text=True, timeout=1800)
    wall = time.perf_counter() - start
    problems = [line for line in done.stdout.splitlines() if "Failed:" in line or line.startswith("E ")]
    assert done.returncode == 0 and f"{N_TESTS} passed" in done.stdout, "\n".join(problems[:10]) or done.stdout[-3000:]
    return wall


def test_report_tests_per_minute_serial_and_under_two_workers(project: Path, benchmark: BenchmarkFixture) -> None:
    model = _gguf()
    logs = Path(tempfile.mkdtemp(prefix="chimera-scaleout-"))
    print(f"\nserver logs: {logs}")
    with open(logs / "one.log", "wb") as log_one, open(logs / "two.log", "wb") as log_two, \
            llama_server(model, log=log_one) as one, llama_server(model, log=log_two) as two:
        serial = _run(project, [one])
        shared = _run(project, [one], "-n", "2")
        pool = _run(project, [one, two], "-n", "2")
    rates = {name: N_TESTS / wall * 60 for name, wall in
             (("serial, 1 server", serial), ("-n 2, 1 server", shared), ("-n 2, 2 servers", pool))}
    load = os.getloadavg()
    print(f"\n{N_TESTS} report tests (2 calls each, num_predict 16), load average {load[0]:.2f}:")
    for (name, rate), wall in zip(rates.items(), (serial, shared, pool), strict=True):
        print(f"  {name:<16} {wall:6.1f} s  {rate:5.1f} tests/min  x{rate / rates['serial, 1 server']:.2f}")
    benchmark.extra_info.update({"walls_s": {"serial": serial, "n2_one_server": shared, "n2_two_servers": pool},
                                 "tests_per_minute": rates, "loadavg": load})
    benchmark.pedantic(lambda: None, rounds=1, iterations=1)


def _raw_stream(url: str) -> float:
    body = {"model": MODEL, "prompt": PROMPT, "max_tokens": OPTIONS["num_predict"], "temperature": 0, "seed": 1,
            "stream": True}
    request = urllib.request.Request(url + "/v1/completions", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    start = time.perf_counter()
    with urllib.request.urlopen(request, timeout=120) as reply:
        for _line in reply:
            pass
    return (time.perf_counter() - start) * 1000


def _server_ms(log: Path, seen: int) -> tuple[float, int]:
    """The newest llama.cpp ``total time`` in the server's log once there are more than ``seen``."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        times = TOTAL_TIME.findall(log.read_text(errors="replace"))
        if len(times) > seen:
            return float(times[-1]), len(times)
        time.sleep(0.01)
    raise AssertionError("the server printed no llama.cpp timings (is --verbose on?)")


def test_client_overhead_per_call(benchmark: BenchmarkFixture, tmp_path: Path) -> None:
    log_path = tmp_path / "server.log"
    rows: list[dict[str, Any]] = []
    with open(log_path, "wb") as log, llama_server(_gguf(), verbose=True, log=log) as url:
        backend = OpenAIBackend(MODEL, host=url, timeout=120)
        backend.generate(PROMPT, options=OPTIONS)  # warm-up: connection, /v1/models, first-touch caches
        seen = len(TOTAL_TIME.findall(log_path.read_text(errors="replace")))
        for _ in range(CALLS):
            wall = backend.generate(PROMPT, options=OPTIONS).metrics.wall_ms
            server, seen = _server_ms(log_path, seen)
            raw = _raw_stream(url)
            raw_server, seen = _server_ms(log_path, seen)
            rows.append({"backend_wall_ms": wall, "server_ms": server, "overhead_ms": wall - server,
                         "raw_wall_ms": raw, "raw_server_ms": raw_server, "raw_overhead_ms": raw - raw_server})
        backend.close()
    overhead = statistics.median(r["overhead_ms"] for r in rows)
    raw_overhead = statistics.median(r["raw_overhead_ms"] for r in rows)
    load = os.getloadavg()
    print(f"\nclient overhead per call, {CALLS} calls of {OPTIONS['num_predict']} tokens, load average {load[0]:.2f}:")
    print(f"  openai backend: median wall {statistics.median(r['backend_wall_ms'] for r in rows):.1f} ms, server "
          f"{statistics.median(r['server_ms'] for r in rows):.1f} ms, overhead {overhead:.2f} ms "
          f"(min {min(r['overhead_ms'] for r in rows):.2f})")
    print(f"  raw HTTP stream: median overhead {raw_overhead:.2f} ms "
          f"(min {min(r['raw_overhead_ms'] for r in rows):.2f}); "
          f"the backend's own share {overhead - raw_overhead:.2f} ms")
    benchmark.extra_info.update({"median_overhead_ms": overhead, "median_raw_overhead_ms": raw_overhead,
                                 "rows": rows, "loadavg": load})
    benchmark.pedantic(lambda: None, rounds=1, iterations=1)
