"""The embedded backend's decode speed and TTFT against llama.cpp's own counters and a bare llama-cpp-python loop.

Run: ``cd bench && CHIMERA_BENCH_THREADS=1 pytest test_backend_bench.py -s`` (prints the figures; also in
extra_info). ``CHIMERA_BENCH_THREADS`` sets llama.cpp's threads (default: all cores).

One model instance serves every side, with the same prompt, greedy sampling (repeat_penalty 1.1 over the
last 64 tokens, Ollama's default) and the same token count; rounds alternate the backend (its sampling in
backends/sampling.py), the backend with ``native_sampling`` (every step through llama.cpp's whole native
sampler chain, the path before issue 18) and the bare loop, so a noisy machine hits all alike. Per round:

- the backend's reported ``tokens_per_s`` (eval_count / (llama.cpp decode time + sampling time)) against
  llama.cpp's own ``n_eval / t_eval`` for the same call (goal >= 0.95). eval_count counts the N generated
  tokens and n_eval the N - 1 fed back, so the ratio carries a factor N / (N - 1); ``decode_share`` is
  t_eval / (t_eval + sampling time), the same comparison without that factor;
- the sampling time per token (wall; the backend's eval_ms minus llama.cpp's t_eval, over eval_count), and
  the whole Python-side cost per token beside llama.cpp's decode: the client's time per token between the
  first and the last token's arrival minus llama.cpp's t_eval / n_eval (sampling, detokenising, stop
  strings, llama-cpp-python's eval, the callback);
- decode tokens/s measured client-side the same way for the backend and the bare loop, in wall time and in
  process CPU time (steadier when other jobs share the cores; with one llama.cpp thread it is the work done);
- TTFT: the backend's ``ttft_ms`` against llama.cpp's prompt time for the same call (goal: within a few ms)
  and against the bare loop's time to its first token;
- the grammar's cost: per-token time with a JSON Schema ``format`` against the same call without one.

The tokens of the backend's two sampling paths are compared too: they must be the same.
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


def _ours(backend: LlamaCppBackend, native: bool = False, **kwargs: Any) -> dict[str, Any]:
    arrivals: list[float] = []
    cpu: list[float] = []
    pieces: list[str] = []

    def on_token(piece: str) -> None:
        arrivals.append(time.perf_counter())
        cpu.append(time.process_time())
        pieces.append(piece)

    backend.native_sampling = native
    try:
        result = backend.generate(PROMPT, options=OPTIONS, on_token=on_token, **kwargs)
    finally:
        backend.native_sampling = False
    perf = llama_cpp.llama_perf_context(backend._llm._ctx.ctx)  # the same call's counters (reset at its start)
    m = result.metrics
    sample_ms = m.eval_ms - perf.t_eval_ms
    engine_ms_per_decode = perf.t_eval_ms / perf.n_eval
    return {
        "pieces": pieces,
        "tokens": m.eval_count,
        "client_tps": (len(arrivals) - 1) / (arrivals[-1] - arrivals[0]),
        "cpu_tps": (len(cpu) - 1) / (cpu[-1] - cpu[0]),
        "reported_tps": m.tokens_per_s or 0.0,
        "engine_tps": perf.n_eval / perf.t_eval_ms * 1000,
        "decode_share": perf.t_eval_ms / (perf.t_eval_ms + sample_ms),
        "sample_us_per_token": sample_ms / m.eval_count * 1000,
        "beside_decode_us_per_token": (
            ((arrivals[-1] - arrivals[0]) * 1000 / (len(arrivals) - 1) - engine_ms_per_decode) * 1000
        ),
        "ttft_ms": m.ttft_ms or 0.0,
        "engine_prompt_ms": perf.t_p_eval_ms,
        "ms_per_token": m.eval_ms / m.eval_count,
    }


def _bare(llm: llama_cpp.Llama) -> dict[str, Any]:
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


def _med(rows: list[dict[str, Any]], key: str) -> float:
    return statistics.median(r[key] for r in rows)


def test_embedded_backend_against_bare_loop(benchmark: BenchmarkFixture) -> None:
    backend = LlamaCppBackend(options={"num_ctx": 2048, "num_thread": THREADS})
    try:
        _ours(backend)  # warm-up: first-touch costs of the graph and the mapped weights
        _ours(backend, native=True)
        _bare(backend._llm)
        ours: list[dict[str, Any]] = []
        native: list[dict[str, Any]] = []
        bare: list[dict[str, Any]] = []
        for _ in range(ROUNDS):  # interleaved
            ours.append(_ours(backend))
            native.append(_ours(backend, native=True))
            bare.append(_bare(backend._llm))
        grammar = [_ours(backend, format=SCHEMA) for _ in range(3)]
        plain = [_ours(backend) for _ in range(3)]
        info = backend.describe()
    finally:
        backend.close()
    assert {r["tokens"] for r in ours} == {r["tokens"] for r in native} == {r["tokens"] for r in bare} == {N_TOKENS}
    assert all(o["pieces"] == n["pieces"] for o, n in zip(ours, native, strict=True))  # the same tokens
    figures = {
        "tokens": N_TOKENS,
        "rounds": ROUNDS,
        "prompt_chars": len(PROMPT),
        "ours_reported_tps": _med(ours, "reported_tps"),
        "engine_tps": _med(ours, "engine_tps"),
        "ratio_reported_to_engine_tps": _med([{"r": o["reported_tps"] / o["engine_tps"]} for o in ours], "r"),
        "decode_share": _med(ours, "decode_share"),
        "native_reported_tps": _med(native, "reported_tps"),
        "native_engine_tps": _med(native, "engine_tps"),
        "native_ratio_reported_to_engine_tps": _med(
            [{"r": n["reported_tps"] / n["engine_tps"]} for n in native], "r"
        ),
        "native_decode_share": _med(native, "decode_share"),
        "sample_us_per_token": _med(ours, "sample_us_per_token"),
        "native_sample_us_per_token": _med(native, "sample_us_per_token"),
        "beside_decode_us_per_token": _med(ours, "beside_decode_us_per_token"),
        "native_beside_decode_us_per_token": _med(native, "beside_decode_us_per_token"),
        "ours_client_tps": _med(ours, "client_tps"),
        "native_client_tps": _med(native, "client_tps"),
        "bare_client_tps": _med(bare, "client_tps"),
        "ours_cpu_tps": _med(ours, "cpu_tps"),
        "native_cpu_tps": _med(native, "cpu_tps"),
        "bare_cpu_tps": _med(bare, "cpu_tps"),
        "ours_ttft_ms": _med(ours, "ttft_ms"),
        "engine_prompt_ms": _med(ours, "engine_prompt_ms"),
        "ttft_over_engine_prompt_ms": _med([{"d": o["ttft_ms"] - o["engine_prompt_ms"]} for o in ours], "d"),
        "native_ttft_over_engine_prompt_ms": _med(
            [{"d": n["ttft_ms"] - n["engine_prompt_ms"]} for n in native], "d"
        ),
        "bare_ttft_ms": _med(bare, "ttft_ms"),
        "grammar_ms_per_token": _med(grammar, "ms_per_token"),
        "plain_ms_per_token": _med(plain, "ms_per_token"),
        "grammar_tokens": _med(grammar, "tokens"),
        "n_threads": info["n_threads"],
        "extra_buffer_types": info["extra_buffer_types"],
    }
    figures["ratio_client_tps"] = figures["ours_client_tps"] / figures["bare_client_tps"]
    figures["ratio_cpu_tps"] = figures["ours_cpu_tps"] / figures["bare_cpu_tps"]
    figures["ratio_cpu_tps_to_native"] = figures["ours_cpu_tps"] / figures["native_cpu_tps"]
    figures["grammar_cost_x"] = figures["grammar_ms_per_token"] / figures["plain_ms_per_token"]
    f = figures
    print(
        f"\nembedded gemma3:270m, {N_TOKENS} tokens, greedy + repeat_penalty 1.1 over 64 tokens, medians of {ROUNDS} "
        f"interleaved rounds (n_threads={info['n_threads']}):\n"
        f"  tokens_per_s vs llama.cpp n_eval/t_eval: backend {f['ours_reported_tps']:.1f} vs {f['engine_tps']:.1f} "
        f"(ratio {f['ratio_reported_to_engine_tps']:.3f}, decode share {f['decode_share']:.4f}); "
        f"native chain {f['native_reported_tps']:.1f} vs {f['native_engine_tps']:.1f} "
        f"(ratio {f['native_ratio_reported_to_engine_tps']:.3f}, decode share {f['native_decode_share']:.4f})\n"
        f"  sampling per token: backend {f['sample_us_per_token']:.0f} us, native chain "
        f"{f['native_sample_us_per_token']:.0f} us; client time per token beside llama.cpp's decode: backend "
        f"{f['beside_decode_us_per_token']:.0f} us, native chain {f['native_beside_decode_us_per_token']:.0f} us\n"
        f"  decode tok/s client-side: backend {f['ours_client_tps']:.1f}, native chain {f['native_client_tps']:.1f}, "
        f"bare loop {f['bare_client_tps']:.1f} (backend / bare {f['ratio_client_tps']:.3f})\n"
        f"  decode tokens per CPU-second: backend {f['ours_cpu_tps']:.1f}, native chain {f['native_cpu_tps']:.1f}, "
        f"bare loop {f['bare_cpu_tps']:.1f} (backend / bare {f['ratio_cpu_tps']:.3f}, backend / native "
        f"{f['ratio_cpu_tps_to_native']:.3f})\n"
        f"  TTFT: backend {f['ours_ttft_ms']:.1f} ms, llama.cpp prompt time {f['engine_prompt_ms']:.1f} ms "
        f"(+{f['ttft_over_engine_prompt_ms']:.1f} ms; native chain +{f['native_ttft_over_engine_prompt_ms']:.1f} ms), "
        f"bare loop {f['bare_ttft_ms']:.1f} ms\n"
        f"  grammar (JSON Schema format): {f['grammar_ms_per_token']:.1f} ms/token vs "
        f"{f['plain_ms_per_token']:.1f} without ({f['grammar_cost_x']:.1f}x)"
    )
    benchmark.extra_info.update(figures)
    benchmark.pedantic(lambda: None, rounds=1)
