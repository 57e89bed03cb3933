"""``pytest-chimera generate``: one model call from the command line, with its metrics."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from pytest_chimera import config as cfg

METRICS = (
    "ttft_ms",
    "tokens_per_s",
    "prompt_eval_count",
    "prompt_eval_ms",
    "eval_count",
    "eval_ms",
    "load_ms",
    "total_ms",
    "wall_ms",
)


def _positive(text: str) -> float:
    from pytest_chimera.model_session import timeout_arg

    return timeout_arg(text)


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "generate",
        help="generate text from a prompt and print it with the call's metrics",
        description="One model call: prints the text as it streams, then ttft_ms, tokens_per_s and the other "
        "timings. Exit 0 ok, 1 the call failed, 2 a usage error.",
    )
    parser.add_argument("prompt", metavar="PROMPT", help="the prompt (raw text: the embedded base model continues it)")
    parser.add_argument(
        "--backend",
        type=cfg.backend_arg,
        default=cfg.DEFAULT_BACKEND,
        help=f"{' | '.join(cfg.BACKENDS)} (default {cfg.DEFAULT_BACKEND}: Ollama when it answers and has the "
        "model, else embedded llama.cpp)",
    )
    parser.add_argument("--model", type=cfg.model_arg, default=cfg.DEFAULT_MODEL, help=f"default {cfg.DEFAULT_MODEL}")
    parser.add_argument("--model-path", default=None, metavar="PATH", help="a GGUF file for the llama-cpp backend")
    parser.add_argument(
        "--option",
        type=cfg.option_arg,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="Ollama option (num_predict=64, temperature=0, num_ctx=2048, ...); repeatable",
    )
    parser.add_argument("--timeout", type=_positive, default=600.0, metavar="SECONDS", help="default 600")
    parser.add_argument("--host", default=None, help="Ollama host (default $OLLAMA_HOST, else 127.0.0.1:11434)")
    parser.add_argument("--cassettes", default=None, metavar="DIR", help="cassette directory for --backend replay")
    parser.add_argument("--record-mode", default=None, metavar="MODE", help="replay | record | auto (with --cassettes)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text and metrics")
    parser.set_defaults(func=run)


def _format_value(value: Any) -> str:
    if value is None:
        return "n/a"
    return f"{value:.1f}" if isinstance(value, float) else str(value)


def run(args: argparse.Namespace) -> int:
    from pytest_chimera.backends import BackendError, load_backend

    options = cfg.merge_options(args.option)
    if args.backend == "replay" and not args.cassettes:
        print("pytest-chimera generate: --backend replay needs --cassettes DIR", file=sys.stderr)
        return 2
    stream = not args.json

    def on_token(piece: str) -> None:
        sys.stdout.write(piece)
        sys.stdout.flush()

    try:
        backend = load_backend(
            args.backend,
            args.model,
            options=options,
            model_path=args.model_path,
            host=args.host,
            timeout=args.timeout,
            cassette_dir=args.cassettes,
            record_mode=args.record_mode,
        )
        try:
            result = backend.generate(args.prompt, options=options, on_token=on_token if stream else None)
        finally:
            backend.close()
    except BackendError as exc:
        if stream:
            sys.stdout.write("\n")
        print(f"pytest-chimera generate: {exc}", file=sys.stderr)
        return 1
    metrics = result.metrics.to_dict()
    if args.json:
        payload = {
            "text": result.text,
            "backend": result.backend,
            "model": result.model,
            "options": options,
            "metrics": {name: metrics[name] for name in METRICS},
        }
        print(json.dumps(payload, indent=2, ensure_ascii=False))
        return 0
    print()
    print(f"--- {result.backend} {result.model}")
    for name in METRICS:
        print(f"{name}: {_format_value(metrics[name])}")
    if metrics.get("cached_prompt_tokens"):
        print(f"cached_prompt_tokens: {metrics['cached_prompt_tokens']}")
    if metrics.get("replayed"):
        print("replayed: true (recorded timings, not a measurement)")
    return 0
