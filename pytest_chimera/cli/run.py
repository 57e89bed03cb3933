"""``pytest-chimera run CORPUS``: the Chimera agent from the command line, with progress on stderr."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, TextIO

from pytest_chimera.atomic import unwritable
from pytest_chimera.backends import options as mo
from pytest_chimera.backends.base import BackendError
from pytest_chimera.cli.common import add_model_arguments, in_cli_words, load_from_args, usage_problem

PROG = "pytest-chimera run"


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "run",
        help="run the Chimera report agent over a corpus and write its report and run JSON",
        description="Ingest CORPUS, run the analysis and report calls, assemble the report in the seed layout. "
        "Progress (stage, tokens so far) goes to stderr. Exit 0 ok, 1 the model call failed, 2 a usage error.",
    )
    parser.add_argument("corpus", metavar="CORPUS", help="the benchmark corpus directory")
    parser.add_argument("--persona", default="insight",
                        help="insight (default), collector, instruction text, or a file holding the prompt")
    parser.add_argument("--agent-name", default=None, metavar="NAME",
                        help="shown as '# Chimera NAME' (default: Agent B for insight, Agent A for collector)")
    add_model_arguments(parser, "num_ctx=2048, num_predict=256, temperature=1")
    parser.add_argument("--no-grounding", action="store_true",
                        help="give the model the file inventory only, as the original agent did (default: grounded)")
    parser.add_argument("--out", default=None, metavar="PATH", help="write the report here (default: stdout)")
    parser.add_argument("--json", default=None, metavar="PATH", help="write the run JSON here")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    parser.set_defaults(func=run)


class ProgressPrinter:
    """Progress on a stream: one updating line on a terminal, else a line per stage and every 32 tokens."""

    EVERY = 32

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.stage = ""

    def __call__(self, event: Any) -> None:
        if self.tty:
            end = "\n" if event.stage == "done" else ""
            self.stream.write(f"\r{event.agent}: {event.stage}, {event.tokens} tokens\033[K{end}")
        elif event.stage != self.stage or event.stage == "done":
            self.stream.write(f"{event.agent}: {event.stage}" + (f", {event.tokens} tokens" if event.tokens else "")
                              + "\n")
        elif event.tokens and event.tokens % self.EVERY == 0:
            self.stream.write(f"{event.agent}: {event.stage}, {event.tokens} tokens so far\n")
        self.stage = event.stage
        self.stream.flush()


def _usage(message: str) -> int:
    print(f"{PROG}: {message}", file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    from pytest_chimera.agent.artifacts import run_json_text
    from pytest_chimera.agent.chimera import AgentError, run_agent
    from pytest_chimera.agent.personas import PersonaError, resolve_persona
    from pytest_chimera.agent.runs import speed_text
    from pytest_chimera.atomic import write_atomic

    corpus = Path(args.corpus)
    if not corpus.is_dir():
        return _usage(f"corpus {args.corpus!r} is not a directory; give the benchmark corpus folder")
    problem = usage_problem(args)
    if problem:
        return _usage(problem)
    for flag, target in (("--out", args.out), ("--json", args.json)):
        problem = unwritable(flag, target) if target is not None else None
        if problem:
            return _usage(problem)
    try:
        persona = resolve_persona(args.persona)
    except PersonaError as exc:
        return _usage(f"--persona: {exc}")
    options = mo.merge_options(args.option)
    try:
        backend = load_from_args(args, options)
    except BackendError as exc:
        print(f"{PROG}: {in_cli_words(str(exc))}", file=sys.stderr)
        return 1
    try:
        result = run_agent(corpus, backend, persona=persona, options=options, grounding=not args.no_grounding,
                           agent_name=args.agent_name, on_progress=None if args.quiet else ProgressPrinter(sys.stderr))
    except AgentError as exc:
        return _usage(str(exc))
    except BackendError as exc:
        print(f"\n{PROG}: {in_cli_words(str(exc))}", file=sys.stderr)
        return 1
    finally:
        backend.close()
    if args.json:
        write_atomic(Path(args.json), run_json_text(result))
    if args.out:
        write_atomic(Path(args.out), result.markdown)
    else:
        sys.stdout.write(result.markdown)
    if not args.quiet:
        print(f"{PROG}: {result.backend} {result.model}: {speed_text(result)} | "
              f"{result.stages['total_ms'] / 1000:.2f} s", file=sys.stderr)
    return 0
