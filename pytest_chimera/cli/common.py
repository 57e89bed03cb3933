"""Arguments shared by the subcommands that call a model (``generate``, ``run``), and loading from them.

The flags, types, defaults and help come from ``plugin.options``: one definition serves pytest and the CLI.
"""

from __future__ import annotations

import argparse
from typing import Any

from pytest_chimera.backends.base import Backend
from pytest_chimera.plugin.options import add_cli_options


def add_model_arguments(parser: argparse.ArgumentParser, option_example: str) -> None:
    """--backend, --model, --model-path, --option, --timeout, --host, --cassettes, --record-mode."""
    add_cli_options(parser, ("backend", "model", "model-path", "option", "timeout"), option_example)
    parser.add_argument("--host", default=None,
                        help="Ollama host. Default: $OLLAMA_HOST, else 127.0.0.1:11434.")
    add_cli_options(parser, ("cassettes", "record-mode"))


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
