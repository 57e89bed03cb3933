"""``pytest-chimera generate``: one model call from the command line, with its metrics."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from pytest_chimera.backends import options as mo
from pytest_chimera.backends.base import BackendError
from pytest_chimera.cli.common import add_model_arguments, in_cli_words, load_from_args, usage_problem

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


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "generate",
        help="generate text from a prompt and print it with the call's metrics",
        description="One model call: prints the text as it streams, then ttft_ms, tokens_per_s and the other "
        "timings. Exit 0 ok, 1 the call failed, 2 a usage error.",
    )
    parser.add_argument("prompt", metavar="PROMPT", help="the prompt (raw text: the embedded base model continues it)")
    add_model_arguments(parser, "num_predict=64, temperature=0, num_ctx=2048")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text and metrics")
    parser.set_defaults(func=run)


def _format_value(value: Any) -> str:
    if value is None:
        return "n/a"
    return f"{value:.1f}" if isinstance(value, float) else str(value)


def run(args: argparse.Namespace) -> int:
    options = mo.merge_options(args.option)
    problem = usage_problem(args)
    if problem:
        print(f"pytest-chimera generate: {problem}", file=sys.stderr)
        return 2
    stream = not args.json

    def on_token(piece: str) -> None:
        sys.stdout.write(piece)
        sys.stdout.flush()

    try:
        backend = load_from_args(args, options)
        try:
            result = backend.generate(args.prompt, options=options, on_token=on_token if stream else None)
        finally:
            backend.close()
    except BackendError as exc:
        if stream:
            sys.stdout.write("\n")
        print(f"pytest-chimera generate: {in_cli_words(str(exc))}", file=sys.stderr)
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
