"""Write a synthetic benchmark corpus in the shape of the real chimeraforge one, deterministic for a seed.

``write_corpus(root, n_files, seed)`` writes exactly ``n_files`` files (about 28% CSV, 43% JSON, 29%
Markdown, as in the real corpus) and returns their paths in the order written. The same seed gives the same
bytes and the same modification times (set from the seed, not the clock), so data summaries and facts are
reproducible. Layout, per round of about 14 files, one model per round:

    reports/gemma3/<model>_baseline.csv / .json         five prompts: ttft_s, tokens_s, load_s, ... per model
    reports/gemma3/<model>_param_tuning.csv             num_gpu x num_ctx x temperature grid, with config_name
    reports/gemma3/<model>_param_tuning_summary.csv     the grid's means, sorted by mean_tokens_s
    reports/gemma3/<model>_benchmark_report.md          a Markdown summary with a metric table
    reports/compilation/<bench>_<stamp>.json / .md      eager/jit/torch_compile/onnx timings and their table
    reports/ollama/<stamp>/<model>_benchmark_runs.csv / _summary.json / _lessons.md   prompt suite runs
    csv_data/baselines/<name>_baseline_<epoch>.json     timing_stats with p50/p95/p99
    csv_data/demo_inference_<epoch>.json                one timing block
    reports/diagnostics/ascii_demo_<stamp>.json         counters
    reports/integration/<name>_digest.md                a short digest
    csv_data/ollama_param_tuning_<stamp>.csv            a tuning grid with a model column (every 8th round)

The first rounds use the real corpus's plain names (``gemma3_270m_baseline.csv``); later rounds add a
``_r<N>`` suffix so 10,000 files never collide. Numbers are plausible for each model: tokens/s around
its typical decode speed, a slow first (cold) prompt, TTFT mostly under 0.2 s.
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path

# (model, typical tokens/s, typical warm ttft in s, model size in GB)
MODELS: tuple[tuple[str, float, float, float], ...] = (
    ("gemma3:270m", 290.0, 0.06, 0.29),
    ("gemma3:1b-it-qat", 185.0, 0.10, 1.0),
    ("gemma3:latest", 102.0, 0.13, 3.3),
    ("llama3.1:8b-instruct-q4_0", 77.0, 0.10, 4.7),
)
PROMPTS = (
    "banter prompt: Player failed a mission but needs encouragement.",
    "Give a battle quote for a co-op shooter win.",
    "Prompt for rare loot find celebration banter.",
    "Craft a witty remark after a close racing finish.",
    "Offer a calm line after a long boss fight.",
)
BENCHES = ("mlp", "conv", "transformer")
START = datetime(2025, 9, 28, 18, 0, 0, tzinfo=timezone.utc)


def _stem(model: str) -> str:
    """``gemma3:270m`` -> ``gemma3_270m``; ``gemma3:latest`` -> ``gemma3`` (the real corpus's file names)."""
    base, _, tag = model.partition(":")
    return base if tag in ("", "latest") else f"{base}_{tag}"


def _csv(header: list[str], rows: Sequence[Sequence[object]]) -> str:
    def cell(v: object) -> str:
        text = str(v)
        return f'"{text}"' if ("," in text or '"' in text) else text

    return "\n".join([",".join(header)] + [",".join(cell(v) for v in row) for row in rows]) + "\n"


class _Writer:
    def __init__(self, root: Path, seed: int, limit: int) -> None:
        self.root = root
        self.rng = random.Random(seed)
        self.limit = limit
        self.paths: list[Path] = []
        self.clock = START

    def full(self) -> bool:
        return len(self.paths) >= self.limit

    def write(self, rel: str, text: str) -> None:
        if self.full():
            return
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        self.clock += timedelta(minutes=self.rng.randint(1, 90))
        stamp = self.clock.timestamp()
        os.utime(path, (stamp, stamp))
        self.paths.append(path)

    def jitter(self, value: float, spread: float = 0.03) -> float:
        return value * (1 + self.rng.uniform(-spread, spread))


def _runs(w: _Writer, tps: float, ttft: float) -> list[dict[str, float]]:
    out = []
    for i, _ in enumerate(PROMPTS):
        cold = i == 0
        eval_count = w.rng.randint(120, 900)
        speed = w.jitter(tps * (0.85 if cold else 1.0))
        load = w.jitter(2.0 if cold else ttft * 0.85, 0.1)
        prompt_eval = w.jitter(0.25 if cold else ttft * 0.15, 0.2)
        out.append({"ttft_s": round(load + prompt_eval, 7), "tokens_s": round(speed, 6), "load_s": round(load, 7),
                    "prompt_eval_s": round(prompt_eval, 7), "eval_s": round(eval_count / speed, 7),
                    "eval_count": eval_count, "response_chars": eval_count * w.rng.randint(3, 5)})
    return out


def _baseline(w: _Writer, r: int, model: str, tps: float, ttft: float, suffix: str) -> None:
    runs = _runs(w, tps, ttft)
    name = f"reports/gemma3/{_stem(model)}_baseline{suffix}"
    keys = ["ttft_s", "tokens_s", "load_s", "prompt_eval_s", "eval_s", "eval_count", "response_chars"]
    w.write(f"{name}.csv", _csv(["prompt", *keys, "error"], [[p, *(run[k] for k in keys), ""]
                                                             for p, run in zip(PROMPTS, runs, strict=True)]))
    results = [{"prompt": p, **run} for p, run in zip(PROMPTS, runs, strict=True)]
    w.write(f"{name}.json", json.dumps({"model": model, "results": results}, indent=2) + "\n")


def _tuning(w: _Writer, r: int, model: str, tps: float, ttft: float, suffix: str) -> None:
    rows: list[list[float | str | int]] = []
    summary: list[list[float | str | int]] = []
    for gpu in (60, 80, 999):
        for ctx in (1024, 2048, 4096):
            for temp in (0.2, 0.4, 0.8):
                config = f"g{gpu}_c{ctx}_t{temp}"
                first = gpu == 60 and ctx == 1024 and temp == 0.2
                speed = w.jitter(tps, 0.04)
                t = w.jitter(ttft * (20 if first else 1), 0.2)
                load = t * 0.85
                count = w.rng.randint(300, 900)
                rows.append([gpu, ctx, temp, config, round(t, 7), round(speed, 6), round(load, 7),
                             round(t - load, 7), round(count / speed, 7), count, ""])
                summary.append([config, gpu, ctx, temp, round(speed, 6), round(t, 7), round(load, 7)])
    name = f"reports/gemma3/{_stem(model)}_param_tuning"
    w.write(f"{name}{suffix}.csv", _csv(["num_gpu", "num_ctx", "temperature", "config_name", "ttft_s", "tokens_s",
                                         "load_s", "prompt_eval_s", "eval_s", "eval_count", "error"], rows))
    summary.sort(key=lambda row: -float(row[4]))
    w.write(f"{name}_summary{suffix}.csv", _csv(["config_name", "num_gpu", "num_ctx", "temperature",
                                                 "mean_tokens_s", "mean_ttft_s", "mean_load_s"], summary))


def _model_report(w: _Writer, r: int, model: str, tps: float, ttft: float, size: float, suffix: str) -> None:
    mean_tps = w.jitter(tps)
    text = (
        f"# {model} Benchmark Summary\n\n## Quick Stats\n\n| Metric | Value |\n|--------|-------|\n"
        f"| **Model** | {model} |\n| **Size** | {size} GB |\n| **Mean Throughput** | {mean_tps:.2f} tokens/s |\n"
        f"| **Mean TTFT** | {w.jitter(ttft):.3f} s (warm) |\n"
        f"| **Peak Throughput** | {mean_tps * 1.03:.2f} tokens/s |\n\n"
        f"## Recommendation\n\nUse num_gpu=999 and num_ctx=2048 for {model}.\n"
    )
    w.write(f"reports/gemma3/{_stem(model)}_benchmark_report{suffix}.md", text)


def _compilation(w: _Writer, r: int, stamp: str) -> None:
    bench = BENCHES[r % len(BENCHES)]
    device = "cuda" if r % 2 else "cpu"
    scale = 0.3 if device == "cuda" else 1.0
    backends = {}
    table = ["| Backend | Success | Compile Time (s) | Mean (ms) | Std (ms) | Min (ms) | Max (ms) |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for backend, base_ms, compile_s in (("eager", 3.8, 0.0), ("jit", 3.7, 0.1), ("torch_compile", 4.1, 12.9),
                                        ("onnx", 0.7, 0.13)):
        mean = w.jitter(base_ms * scale, 0.1)
        std = mean * w.rng.uniform(0.02, 0.25)
        low, high = mean - 1.5 * std, mean + 2.5 * std
        comp = round(w.jitter(compile_s, 0.1), 4)
        backends[backend] = {"backend": backend, "benchmark": {"mean_time_ms": mean, "std_time_ms": std,
                                                               "min_time_ms": low, "max_time_ms": high,
                                                               "metadata": {"compile_time_s": comp}}}
        table.append(f"| {backend} | yes | {comp:.4f} | {mean:.3f} | {std:.3f} | {low:.3f} | {high:.3f} |")
    name = f"reports/compilation/{bench}{'_cuda' if device == 'cuda' else ''}_bench_{stamp}"
    doc = {"generated_at": w.clock.isoformat(), "model": {"name": bench, "device": device, "batch_size": 4},
           "settings": {"runs": 10, "warmup_runs": 3, "backends": list(backends)}, "backends": backends}
    w.write(f"{name}.json", json.dumps(doc, indent=1) + "\n")
    w.write(f"{name}.md", f"# Compilation Benchmark Report - Generated: {w.clock.isoformat()}\n- Model: {bench}\n"
                          f"- Device: {device}\n\n" + "\n".join(table) + "\n")


def _suite(w: _Writer, r: int, model: str, tps: float, ttft: float, stamp: str) -> None:
    runs = _runs(w, tps, ttft)
    keys = ["ttft_s", "tokens_s", "load_s", "prompt_eval_s", "eval_s", "eval_count", "response_chars"]
    rows = [[w.clock.isoformat(), model, i + 1, p, *(run[k] for k in keys), "",
             '"{""temperature"":0.3,""top_p"":0.9}"'] for i, (p, run) in enumerate(zip(PROMPTS, runs, strict=True))]
    header = ["timestamp", "model", "prompt_index", "prompt_text", *keys, "error", "options"]
    lines = [",".join(header)] + [",".join(str(v) for v in row) for row in rows]
    folder = f"reports/ollama/{stamp}/{_stem(model)}_benchmark"
    w.write(f"{folder}_runs.csv", "\n".join(lines) + "\n")
    summary = {"generated_at": w.clock.isoformat(), "prompt_count": len(PROMPTS), "models": [model],
               "summary": {model: {"mean_tokens_s": sum(x["tokens_s"] for x in runs) / len(runs),
                                   "mean_ttft_s": sum(x["ttft_s"] for x in runs) / len(runs)}}}
    w.write(f"{folder}_summary.json", json.dumps(summary, indent=2) + "\n")
    table = "\n".join(f"| {i + 1} | {run['ttft_s']:.3f} | {run['tokens_s']:.1f} | {run['eval_count']} |"
                      for i, run in enumerate(runs))
    w.write(f"{folder}_lessons.md", f"# Prompt suite lessons ({model})\n\nThe first prompt pays the model load.\n\n"
                                    "| Prompt | TTFT (s) | Tokens/s | Eval Count |\n| --- | --- | --- | --- |\n"
                                    + table + "\n")


def _small_json(w: _Writer, r: int, epoch: int, stamp: str) -> None:
    base = w.jitter(10.5, 0.2)
    runs = [{"samples": 20, "p50_ms": w.jitter(base, 0.01), "p95_ms": w.jitter(base * 1.02, 0.01),
             "p99_ms": w.jitter(base * 1.04, 0.01), "mean_ms": w.jitter(base, 0.01)} for _ in range(3)]
    w.write(f"csv_data/baselines/inference_baseline_{epoch}.json",
            json.dumps({"test_name": "inference_baseline", "runs": 3, "samples_per_run": 20,
                        "timing_stats": {"overall_mean_ms": sum(x["mean_ms"] for x in runs) / 3,
                                         "run_results": runs}}) + "\n")
    mean = w.jitter(0.072, 0.05)
    w.write(f"csv_data/demo_inference_{epoch}.json",
            json.dumps({"benchmark_name": "demo_inference", "timestamp": epoch,
                        "timing": {"samples": 10, "p50_ms": mean * 0.98, "p95_ms": mean * 1.18, "mean_ms": mean,
                                   "stdev_ms": mean * 0.05}}) + "\n")
    w.write(f"reports/diagnostics/ascii_demo_{stamp}.json",
            json.dumps({"demo_timestamp": w.clock.isoformat(), "cycles_completed": 5,
                        "anomalies_detected": w.rng.randint(1, 8), "actions_taken": w.rng.randint(1, 5),
                        "success_rate": round(w.rng.uniform(0.1, 0.9), 3)}, indent=2) + "\n")


def _digest(w: _Writer, r: int, model: str, tps: float, suffix: str) -> None:
    w.write(f"reports/integration/{_stem(model)}_digest{suffix}.md",
            f"# Performance digest\n\nModel {model} ran the prompt suite at about {tps:.0f} tokens/s.\n"
            "No telemetry was collected for GPU memory in this run.\n")


def _grid(w: _Writer, r: int, model: str, tps: float, ttft: float, stamp: str) -> None:
    rows: list[list[float | str | int]] = []
    for gpu in (40, 80, 999):
        for temp in (0.2, 0.8):
            speed = w.jitter(tps, 0.02)
            t = w.jitter(ttft, 0.2)
            count = w.rng.randint(90, 300)
            rows.append([f"2025-09-30T20:11:{len(rows):02d}", model, gpu, 2048, temp, round(t, 4), round(speed, 2),
                         round(t * 0.85, 4), round(t * 0.15, 4), round(count / speed, 4), 25, count, count + 25, ""])
    w.write(f"csv_data/ollama_param_tuning_{stamp}.csv",
            _csv(["timestamp", "model", "num_gpu", "num_ctx", "temperature", "ttft_s", "tokens_s", "load_s",
                  "prompt_eval_s", "eval_s", "prompt_eval_count", "eval_count", "total_tokens", "error"], rows))


def write_corpus(root: str | os.PathLike[str], n_files: int, seed: int = 0) -> list[Path]:
    """Write exactly ``n_files`` benchmark files under ``root`` (created if needed); same seed, same bytes."""
    if n_files < 0:
        raise ValueError(f"n_files must be >= 0, got {n_files}")
    base = Path(root)
    base.mkdir(parents=True, exist_ok=True)
    w = _Writer(base, seed, n_files)
    r = 0
    while not w.full():
        model, tps, ttft, size = MODELS[r % len(MODELS)]
        suffix = "" if r < len(MODELS) else f"_r{r:05d}"
        stamp = (START + timedelta(hours=r)).strftime("%Y%m%d-%H%M%S")
        epoch = int((START + timedelta(hours=r)).timestamp())
        _baseline(w, r, model, tps, ttft, suffix)  # 1 csv, 1 json
        _tuning(w, r, model, tps, ttft, suffix)  # 2 csv
        _model_report(w, r, model, tps, ttft, size, suffix)  # 1 md
        _compilation(w, r, stamp)  # 1 json, 1 md
        _suite(w, r, model, tps, ttft, stamp)  # 1 csv, 1 json, 1 md
        _small_json(w, r, epoch, stamp)  # 3 json
        _digest(w, r, model, tps, suffix)  # 1 md
        if r % 8 == 7:
            _grid(w, r, model, tps, ttft, stamp)  # 1 csv
        r += 1
    return w.paths
