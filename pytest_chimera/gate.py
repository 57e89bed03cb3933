"""The gate's options and wiring, kept light: ``compare`` is imported only when a gate option is used.

``configure`` registers a :class:`pytest_chimera.gate_plugin.Gate` only when ``--chimera-compare`` (or
``--chimera-require-baseline``) is given.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from pytest_chimera.compare import Rule

# Mirrors of pytest_chimera.compare's constants for the help text (tests check they agree).
DEFAULT_RULES = "tokens_per_s:-10%,ttft_ms:+20%,contradicted:+0,structure_failed:+0"
MIN_ROUNDS = 6

GATE_PLUGIN = "chimera-gate"


def compare_choice_arg(text: str) -> str:
    """``argparse`` type for ``--chimera-compare``: ``latest``, a run number, or an existing JSON file."""
    if text == "latest" or text.isdigit():
        return text
    if text.endswith(".json") and Path(text).is_file():
        return text
    raise argparse.ArgumentTypeError(
        f"{text!r} is not 'latest', a saved run number (e.g. 3 or 0003) or an existing .json file; "
        "to compare with the latest saved run while naming test paths, write --chimera-compare=latest"
    )


def rules_arg(text: str) -> dict[str, Rule]:
    """``argparse`` type for ``--chimera-fail-on``."""
    from pytest_chimera.compare import RuleError, parse_rules

    try:
        return parse_rules(text)
    except RuleError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_options(group: Any) -> None:
    """The gate's options, in the plugin's ``chimera`` option group."""
    group.addoption(
        "--chimera-compare",
        nargs="?",
        const="latest",
        default=None,
        type=compare_choice_arg,
        metavar="NUM|latest|PATH",
        help="Compare this run's chimera benchmarks with a saved pytest-benchmark run in --benchmark-storage "
        "(default ./.benchmarks, this machine's folder): 'latest' (when no value is given), a run number, or a "
        "JSON file; a regression fails the session. Default: off.",
    )
    group.addoption(
        "--chimera-fail-on",
        type=rules_arg,
        default=None,
        metavar="RULES",
        help="Comma-separated rules METRIC:+N%%|-N%%|+N, each the change of the metric's median that fails "
        "(a rise for +, a fall for -; improvements never fail). Timing rules need p<0.01 (one-sided "
        f"Mann-Whitney U) with >={MIN_ROUNDS} rounds a side. Default: {DEFAULT_RULES.replace('%', '%%')!r}.",
    )
    group.addoption(
        "--chimera-compare-any",
        action="store_true",
        default=False,
        help="Compare even when backend, model, model file or machine differ from the baseline. Default: off.",
    )
    group.addoption(
        "--chimera-require-baseline",
        action="store_true",
        default=False,
        help="Fail the session when there is no baseline to compare with (implies --chimera-compare=latest). "
        "Default: off (a missing baseline is a message).",
    )


def configure(config: pytest.Config) -> None:
    """Register the Gate when --chimera-compare or --chimera-require-baseline is given (not on xdist workers)."""
    choice = config.getoption("chimera_compare", None)
    require = bool(config.getoption("chimera_require_baseline", False))
    if choice is None and require:
        choice = "latest"
    if choice is None:
        for flag in ("chimera_fail_on", "chimera_compare_any"):
            if config.getoption(flag, None):
                raise pytest.UsageError(f"--{flag.replace('_', '-')} needs --chimera-compare[=NUM|latest|PATH]")
        return
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return
    from pytest_chimera.compare import parse_rules
    from pytest_chimera.gate_plugin import Gate

    rules = config.getoption("chimera_fail_on", None)
    gate = Gate(
        config,
        choice,
        rules if rules is not None else parse_rules(DEFAULT_RULES),
        compare_any=bool(config.getoption("chimera_compare_any", False)),
        require_baseline=require,
    )
    config.pluginmanager.register(gate, GATE_PLUGIN)


def benchmark_session(config: pytest.Config) -> Any | None:
    """pytest-benchmark's session object (``config._benchmarksession``), or None when it is not active."""
    return getattr(config, "_benchmarksession", None)


def current_benchmarks(config: pytest.Config) -> list[dict[str, Any]]:
    """This session's benchmark results as plain dicts (fullname, extra_info), errors left out."""
    bs = benchmark_session(config)
    if bs is None:
        return []
    return [
        {"fullname": m.fullname, "name": m.name, "extra_info": m.extra_info}
        for m in bs.benchmarks
        if m and not m.has_error
    ]


def xdist_active(config: pytest.Config) -> bool:
    """True on an xdist controller or worker (where pytest-benchmark switches itself off)."""
    return config.getoption("dist", "no") != "no" or bool(os.environ.get("PYTEST_XDIST_WORKER"))


def capture_lines(config: pytest.Config) -> list[str]:
    """One line per test that captured chimera rounds: rounds, medians, warm-up and cache notes."""
    from pytest_chimera.bench import chimera_line

    lines = []
    for bench in current_benchmarks(config):
        block = bench["extra_info"].get("chimera")
        if isinstance(block, Mapping):
            lines.append(f"{bench['fullname']}: {chimera_line(block)}")
    return lines
