"""Arguments shared by the subcommands that call a model (``generate``, ``run``), and loading from them."""

from __future__ import annotations

import argparse
from typing import Any

from pytest_chimera import config as cfg
from pytest_chimera.backends.base import Backend


def _positive(text: str) -> float:
    from pytest_chimera.model_session import timeout_arg

    return timeout_arg(text)


def add_model_arguments(parser: argparse.ArgumentParser, option_example: str) -> None:
    """--backend, --model, --model-path, --option, --timeout, --host, --cassettes, --record-mode."""
    parser.add_argument(
        "--backend",
        type=cfg.backend_arg,
        default=cfg.DEFAULT_BACKEND,
        help=f"{' | '.join(cfg.BACKENDS)} (default {cfg.DEFAULT_BACKEND}: Ollama when it answers and has the "
        "model, else embedded llama.cpp)",
    )
    parser.add_argument("--model", type=cfg.model_arg, default=cfg.DEFAULT_MODEL, help=f"default {cfg.DEFAULT_MODEL}")
    parser.add_argument("--model-path", default=None, metavar="PATH", help="a GGUF file for the llama-cpp backend")
    parser.add_argument("--option", type=cfg.option_arg, action="append", default=[], metavar="KEY=VALUE",
                        help=f"Ollama option ({option_example}, ...); repeatable")
    parser.add_argument("--timeout", type=_positive, default=600.0, metavar="SECONDS", help="default 600")
    parser.add_argument("--host", default=None, help="Ollama host (default $OLLAMA_HOST, else 127.0.0.1:11434)")
    parser.add_argument("--cassettes", default=None, metavar="DIR", help="cassette directory for --backend replay")
    parser.add_argument("--record-mode", type=cfg.record_mode_arg, default=None, metavar="MODE",
                        help=f"{' | '.join(cfg.RECORD_MODES)} (with --cassettes)")


def usage_problem(args: argparse.Namespace) -> str | None:
    """A usage error in the model arguments, or None."""
    if args.backend == "replay" and not args.cassettes:
        return "--backend replay needs --cassettes DIR"
    return None


def load_from_args(args: argparse.Namespace, options: dict[str, Any]) -> Backend:
    """The backend the arguments name; raises BackendError with what to do."""
    from pytest_chimera.backends import load_backend

    return load_backend(args.backend, args.model, options=options, model_path=args.model_path, host=args.host,
                        timeout=args.timeout, cassette_dir=args.cassettes, record_mode=args.record_mode)

