"""The ``pytest-chimera`` command: the plugin's functions without pytest."""

from __future__ import annotations

import argparse
import codecs
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
        sub.choices[name].set_defaults(command_parser=sub.choices[name])  # for its own usage errors
    return parser


def _escape_unencodable(exc: UnicodeError) -> tuple[str, int]:
    """Text the output cannot encode: a byte a file name held that was not UTF-8 (a surrogate escape) as
    ``\\xNN``, as corpus paths show it; any other character as a backslash escape."""
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    out = []
    for char in exc.object[exc.start : exc.end]:
        code = ord(char)
        escaped = f"\\x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else None
        out.append(escaped or char.encode("ascii", "backslashreplace").decode("ascii"))
    return "".join(out), exc.end


def _safe_output() -> None:
    """Printing never fails on a character the terminal's encoding lacks (PYTHONIOENCODING=ascii, a file
    name that is not UTF-8): such characters are printed as escapes."""
    codecs.register_error("pytest_chimera.escape", _escape_unencodable)
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="pytest_chimera.escape")


def _one_blas_thread() -> None:
    """numpy's OpenBLAS starts a thread per core when numpy is imported (~40 ms CPU on 2 cores, a third of
    a ``run``'s time outside its calls); the CLI does no linear algebra, so it asks for one thread unless
    the user set ``OPENBLAS_NUM_THREADS``. Set before any command imports numpy."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def _unrecognized(parser: argparse.ArgumentParser, extra: list[str]) -> str:
    """argparse's message for arguments the command does not take, with the nearest flag for a typo."""
    import difflib

    flags = [flag for action in parser._actions for flag in action.option_strings]
    hints = []
    for arg in extra:
        close = difflib.get_close_matches(arg.split("=", 1)[0], flags, n=1) if arg.startswith("--") else []
        if close:
            hints.append(f"{arg}: did you mean {close[0]}?")
    return f"unrecognized arguments: {' '.join(extra)}" + (f" ({'; '.join(hints)})" if hints else "")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (0 ok, 1 a check failed, 2 usage error)."""
    _one_blas_thread()
    _safe_output()
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:  # named by the subcommand's own usage, not the top-level one (argparse's parse_args would)
        command: argparse.ArgumentParser = getattr(args, "command_parser", parser)
        command.error(_unrecognized(command, extra))
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(func(args))
    except BrokenPipeError:  # the reader went away (``pytest-chimera compare ... | head``): not an error
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115  # Python flushes stdout again at exit
        return 0
    except KeyboardInterrupt:  # Ctrl-C, often in a long model call: no traceback from inside llama.cpp
        print(f"\n{parser.prog}: interrupted (no file is left half-written)", file=sys.stderr)
        return 130
