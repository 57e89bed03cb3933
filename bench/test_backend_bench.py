"""The embedded backend's decode speed and TTFT against a bare llama-cpp-python loop and llama.cpp's own counters.

Run: ``cd bench && CHIMERA_BENCH_THREADS=1 pytest test_backend_bench.py -s`` (prints the figures; also in
extra_info). ``CHIMERA_BENCH_THREADS`` sets llama.cpp's threads (default: all cores).

One model instance serves both sides, with the same prompt, greedy sampling (repeat_penalty 1.1 over the
last 64 tokens, Ollama's default, on both) and the same token count; rounds alternate backend / bare loop
so a noisy machine hits both alike. Compared per round:

- decode tokens/s measured client-side the same way for both: (N - 1) tokens between the first and the
  last token's arrival, in wall time and in process CPU time (steadier when other jobs share the cores;
  with one llama.cpp thread it is the work done); the goal is backend / bare >= 0.95;
- the backend's reported ``tokens_per_s`` (eval_count / (llama.cpp decode time + native sampling time))
  against llama.cpp's own ``n_eval / t_eval`` for the same call (decode only, so a little higher);
- TTFT: the backend's ``ttft_ms`` against llama.cpp's prompt time for the same call (goal: within 5% plus
  a few ms) and against the bare loop's time to its first token;
- the grammar's cost: per-token time with a JSON Schema ``format`` against the same call without one.
"""

from __future__ import annotations

import os
import statistics
import time
from typing import Any

import llama_cpp
from pytest_benchmark.fixture import BenchmarkFixture

from pytest_chimera.backends.llamacpp import LlamaCppBackend

N_TOKENS = 128
# llama.cpp threads; on a small machine shared with other work, 1 thread gives far steadier figures than all
# cores (a descheduled worker stalls every barrier of a multi-threaded decode).
THREADS = int(os.environ.get("CHIMERA_BENCH_THREADS", os.cpu_count() or 1))
ROUNDS = 7
PROMPT = (
    "# Benchmark report: local LLM inference\n\n"
    "## Executive summary\n\n"
    "This report analyses 101 benchmark files (CSV, JSON and Markdown) produced by the inference benchmark "
    "suite between October and November. The runs compare gemma3 models served by Ollama with different "
    "GPU layer counts, context sizes and temperatures. The median decode throughput is 102 tokens per "
    "second and the median time to first token is 0.65 seconds. The best configuration offloads all layers "
    "to the GPU with a 2048-token context.\n\n"
    "## Performance analysis\n\n"
)
OPTIONS = {"temperature": 0, "repeat_penalty": 1.1, "repeat_last_n": 64, "num_predict": N_TOKENS}
SCHEMA = {
    "type": "object",
    "properties": {"findings": {"type": "array", "items": {"type": "string"}}},
    "required": ["findings"],
}


def _ours(backend: LlamaCppBackend, **kwargs: Any) -> dict[str, float]:
    arrivals: list[float] = []
    cpu: list[float] = []

    def on_token(_: str) -> None:
        arrivals.append(time.perf_counter())
        cpu.append(time.process_time())

    result = backend.generate(PROMPT, options=OPTIONS, on_token=on_token, **kwargs)
    perf = llama_cpp.llama_perf_context(backend._llm._ctx.ctx)  # the same call's counters (reset at its start)
    m = result.metrics
    return {
        "tokens": m.eval_count,
        "client_tps": (len(arrivals) - 1) / (arrivals[-1] - arrivals[0]),
        "cpu_tps": (len(cpu) - 1) / (cpu[-1] - cpu[0]),
        "reported_tps": m.tokens_per_s or 0.0,
        "engine_tps": perf.n_eval / perf.t_eval_ms * 1000,
        "ttft_ms": m.ttft_ms or 0.0,
        "engine_prompt_ms": perf.t_p_eval_ms,
        "ms_per_token": m.eval_ms / m.eval_count,
    }


def _bare(llm: llama_cpp.Llama) -> dict[str, float]:
    tokens = llm.tokenize(PROMPT.encode(), add_bos=True, special=True)
    llm.reset()  # the backend clears the context per call too: no prefix reuse on either side
    arrivals: list[float] = []
    cpu: list[float] = []
    start = time.perf_counter()
    for token in llm.generate(tokens, temp=0.0, repeat_penalty=1.1):
        llm.detokenize([token])
        arrivals.append(time.perf_counter())
        cpu.append(time.process_time())
        if len(arrivals) == N_TOKENS:
            break
    return {
        "tokens": len(arrivals),
        "client_tps": (len(arrivals) - 1) / (arrivals[-1] - arrivals[0]),
        "cpu_tps": (len(cpu) - 1) / (cpu[-1] - cpu[0]),
        "ttft_ms": (arrivals[0] - start) * 1000,
    }


def _med(rows: list[dict[str, float]], key: str) -> float:
    return statistics.median(r[key] for r in rows)


def test_embedded_backend_against_bare_loop(benchmark: BenchmarkFixture) -> None:
    backend = LlamaCppBackend(options={"num_ctx": 2048, "num_thread": THREADS})
    try:
        _ours(backend)  # warm-up: first-touch costs of the graph and the mapped weights
        _bare(backend._llm)
        ours: list[dict[str, float]] = []
        bare: list[dict[str, float]] = []
        for _ in range(ROUNDS):  # interleaved
            ours.append(_ours(backend))
            bare.append(_bare(backend._llm))
        grammar = [_ours(backend, format=SCHEMA) for _ in range(3)]
        plain = [_ours(backend) for _ in range(3)]
        info = backend.describe()
    finally:
        backend.close()
    assert {r["tokens"] for r in ours} == {r["tokens"] for r in bare} == {N_TOKENS}
    figures = {
        "tokens": N_TOKENS,
        "rounds": ROUNDS,
        "prompt_tokens": len(PROMPT),
        "ours_client_tps": _med(ours, "client_tps"),
        "bare_client_tps": _med(bare, "client_tps"),
        "ours_cpu_tps": _med(ours, "cpu_tps"),
        "bare_cpu_tps": _med(bare, "cpu_tps"),
        "ours_reported_tps": _med(ours, "reported_tps"),
        "engine_tps": _med(ours, "engine_tps"),
        "ours_ttft_ms": _med(ours, "ttft_ms"),
        "engine_prompt_ms": _med(ours, "engine_prompt_ms"),
        "bare_ttft_ms": _med(bare, "ttft_ms"),
        "grammar_ms_per_token": _med(grammar, "ms_per_token"),
        "plain_ms_per_token": _med(plain, "ms_per_token"),
        "grammar_tokens": _med(grammar, "tokens"),
        "n_threads": info["n_threads"],
        "extra_buffer_types": info["extra_buffer_types"],
    }
    figures["ratio_client_tps"] = figures["ours_client_tps"] / figures["bare_client_tps"]
    figures["ratio_cpu_tps"] = figures["ours_cpu_tps"] / figures["bare_cpu_tps"]
    figures["ratio_reported_to_engine_tps"] = figures["ours_reported_tps"] / figures["engine_tps"]
    figures["ttft_over_engine_prompt_ms"] = figures["ours_ttft_ms"] - figures["engine_prompt_ms"]
    figures["grammar_cost_x"] = figures["grammar_ms_per_token"] / figures["plain_ms_per_token"]
    print(
        f"\nembedded gemma3:270m, {N_TOKENS} tokens, greedy, median of {ROUNDS} interleaved rounds "
        f"(n_threads={info['n_threads']}):\n"
        f"  decode tok/s client-side: backend {figures['ours_client_tps']:.1f}, bare loop "
        f"{figures['bare_client_tps']:.1f}, ratio {figures['ratio_client_tps']:.3f}\n"
        f"  decode tokens per CPU-second (process time, less disturbed by other jobs): backend "
        f"{figures['ours_cpu_tps']:.1f}, bare loop {figures['bare_cpu_tps']:.1f}, "
        f"ratio {figures['ratio_cpu_tps']:.3f}\n"
        f"  backend tokens_per_s {figures['ours_reported_tps']:.1f} vs llama.cpp n_eval/t_eval "
        f"{figures['engine_tps']:.1f} (ratio {figures['ratio_reported_to_engine_tps']:.3f})\n"
        f"  TTFT: backend {figures['ours_ttft_ms']:.1f} ms, llama.cpp prompt time {figures['engine_prompt_ms']:.1f} ms "
        f"(+{figures['ttft_over_engine_prompt_ms']:.1f} ms), bare loop {figures['bare_ttft_ms']:.1f} ms\n"
        f"  grammar (JSON Schema format): {figures['grammar_ms_per_token']:.1f} ms/token vs "
        f"{figures['plain_ms_per_token']:.1f} without ({figures['grammar_cost_x']:.1f}x)"
    )
    benchmark.extra_info.update(figures)
    benchmark.pedantic(lambda: None, rounds=1)
