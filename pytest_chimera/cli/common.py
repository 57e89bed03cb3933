"""Arguments shared by the subcommands that call a model (``generate``, ``run``), and loading from them.

The flags, types, defaults and help come from ``plugin.options``: one definition serves pytest and the CLI.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence
from typing import Any

from pytest_chimera.backends.base import Backend, BackendError
from pytest_chimera.backends.options import DEFAULT_RECORD_MODE
from pytest_chimera.plugin.options import BY_NAME, add_cli_options

# What to do about a missing cassette, in this command's words (the backend's own names pytest's flags).
RECORD_HINT = ("Record it by running this command again with --record-mode record (or --record-mode auto to record "
               "only what is missing)")
_PLUGIN_FLAG = re.compile(r"--chimera-([a-z]+(?:-[a-z]+)*)")


def add_model_arguments(parser: argparse.ArgumentParser, option_example: str) -> None:
    """--backend, --model, --model-path, --option, --timeout, --host, --api-key-env, --cassettes, --record-mode."""
    add_cli_options(parser, ("backend", "model", "model-path", "option", "timeout", "host", "api-key-env",
                             "cassettes", "record-mode"), option_example)


def usage_problem(args: argparse.Namespace) -> str | None:
    """A usage error in the model arguments, or None."""
    if args.backend == "replay" and not args.cassettes:
        return "--backend replay needs --cassettes DIR"
    if args.backend != "replay" and (args.cassettes or args.record_mode != DEFAULT_RECORD_MODE):
        given = "--cassettes" if args.cassettes else f"--record-mode {args.record_mode}"
        return (f"{given} applies to --backend replay only; add --backend replay (it records with the backend auto "
                "picks), or nothing is recorded or replayed")
    return None


def in_cli_words(message: str) -> str:
    """A backend's message with the plugin's flags named as this command's (``--chimera-model-path PATH`` ->
    ``--model-path PATH``), so the advice can be followed as written; flags without a CLI form stay."""

    def flag(match: re.Match[str]) -> str:
        option = BY_NAME.get(match.group(1))
        return option.cli if option is not None and option.cli else match.group(0)

    return _PLUGIN_FLAG.sub(flag, message)


def pick_host(given: Sequence[str]) -> str | None:
    """The host a command uses: the only one given, else the first of several that answers (None: default)."""
    if len(given) <= 1:
        return given[0] if given else None
    from pytest_chimera.backends.hosts import check_hosts

    check = check_hosts(given)
    if not check.up:
        reasons = "; ".join(f"{h} ({why})" for h, why in check.down)
        raise BackendError(f"no model host answers: {reasons}; start a server or fix --host")
    return check.up[0]


def load_from_args(args: argparse.Namespace, options: dict[str, Any]) -> Backend:
    """The backend the arguments name; raises BackendError with what to do."""
    from pytest_chimera.backends import load_backend
    from pytest_chimera.backends.replay import ReplayBackend

    backend = load_backend(args.backend, args.model, options=options, model_path=args.model_path,
                           host=pick_host(args.host), timeout=args.timeout, cassette_dir=args.cassettes,
                           record_mode=args.record_mode, api_key_env=args.api_key_env)
    if isinstance(backend, ReplayBackend):
        backend.record_hint = RECORD_HINT
    return backend
