"""The ``pytest-chimera`` command: the plugin's functions without pytest."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from pytest_chimera.version import __version__

# Subcommand modules under pytest_chimera.cli, in the order --help lists them.
COMMANDS: tuple[str, ...] = ("facts", "generate", "run", "check", "compare", "html")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="pytest-chimera",
        description="Benchmark-aware LLM evaluation: corpus facts, model calls, report checks, gates.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"pytest_chimera.cli.{name}").add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (0 ok, 1 a check failed, 2 usage error)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(func(args))
    except BrokenPipeError:  # the reader went away (``pytest-chimera compare ... | head``): not an error
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115  # Python flushes stdout again at exit
        return 0
