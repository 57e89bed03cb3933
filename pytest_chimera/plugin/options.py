"""Every option of pytest-chimera, defined once: flag, type, default, help and ini key.

The plugin registers them all in its ``chimera`` option group (``add_pytest_options``); the CLI registers
the model options under shorter flags (``add_cli_options``), the way pytest-benchmark's CLI reuses its
plugin's option functions. Types are plain parsers that raise ``argparse.ArgumentTypeError`` with a message
naming the bad value; no pytest import here, so the CLI stays free of it.
"""

from __future__ import annotations

import argparse
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_chimera.backends import options as mo
from pytest_chimera.backends.hosts import parse_host
from pytest_chimera.gating.rules import DEFAULT_RULES, Rule, RuleError, parse_rules
from pytest_chimera.gating.stats import MIN_ROUNDS

GROUP = "chimera"
GROUP_TITLE = "benchmark-aware LLM evaluation (pytest-chimera)"
DEFAULT_TIMEOUT_S = 600.0
DEFAULT_OUTPUT = ".chimera"


def _typed(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """An argparse type from a parser that raises ValueError: the message becomes the usage error."""

    def convert(text: str) -> Any:
        try:
            return parse(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    convert.__name__ = parse.__name__
    return convert


def parse_backend(text: str) -> str:
    if text not in mo.BACKENDS:
        raise ValueError(f"unknown backend {text!r}; choose one of {', '.join(mo.BACKENDS)}")
    return text


def parse_model(text: str) -> str:
    if not text.strip() or any(ch.isspace() for ch in text):
        raise ValueError(f"model name must be non-empty without spaces, got {text!r}")
    return text


def parse_record_mode(text: str) -> str:
    if text not in mo.RECORD_MODES:
        raise ValueError(f"unknown record mode {text!r}; choose one of {', '.join(mo.RECORD_MODES)}")
    return text


def parse_timeout(text: str) -> float:
    """A positive, finite number of seconds."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not value > 0 or value == math.inf:
        raise ValueError(f"timeout must be a positive number of seconds, got {text!r}")
    return value


def parse_env_name(text: str) -> str:
    """The name of an environment variable (letters, digits, underscores; not starting with a digit)."""
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", text.strip()):
        raise ValueError(f"{text!r} is not an environment variable name (for example MY_VLLM_KEY)")
    return text.strip()


def parse_compare(text: str) -> str:
    """``latest``, a saved run number, or an existing JSON file."""
    if text == "latest" or text.isdigit():
        return text
    if text.endswith(".json") and Path(text).is_file():
        return text
    raise ValueError(
        f"{text!r} is not 'latest', a saved run number (e.g. 3 or 0003) or an existing .json file; "
        "to compare with the latest saved run while naming test paths, write --chimera-compare=latest"
    )


def parse_samples(text: str) -> int:
    """A whole number of samples >= 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise ValueError(f"samples must be a whole number >= 1, got {text!r}")
    return value


def parse_fail_on(text: str) -> dict[str, Rule]:
    try:
        return parse_rules(text)
    except RuleError as exc:
        raise ValueError(str(exc)) from None


@dataclass(frozen=True)
class Option:
    """One option: ``--chimera-<name>`` in pytest (dest ``chimera_<name>``), ``--<cli>`` in the CLI."""

    name: str
    help: str
    default: Any = None  # the value when neither the command line nor ini gives one
    default_text: str = ""  # the default as help shows it
    parse: Callable[[str], Any] | None = None  # text -> value; ValueError names what is wrong
    metavar: str | None = None
    action: str | None = None  # "store_true" | "append" | None
    ini: str | None = None  # "string" | "linelist" | None (no ini key)
    ini_help: str = ""
    cli: str | None = None  # the CLI flag for the same option, None: pytest only
    extra: dict[str, Any] = field(default_factory=dict)  # nargs/const

    @property
    def flag(self) -> str:
        return f"--chimera-{self.name}" if self.name else "--chimera"

    @property
    def dest(self) -> str:
        return self.flag[2:].replace("-", "_")

    @property
    def ini_key(self) -> str:
        return self.dest + ("s" if self.action == "append" else "")

    def argparse_kwargs(self, default: Any) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"default": default, **self.extra}
        if self.action:
            kwargs["action"] = self.action
        if self.parse is not None:
            kwargs["type"] = _typed(self.parse)
        if self.metavar:
            kwargs["metavar"] = self.metavar
        return kwargs

    def pytest_help(self) -> str:
        default = f"ini {self.ini_key}, else {self.default_text}" if self.ini else self.default_text
        return f"{self.help} Default: {default}."


_BACKEND_WHY = "Ollama when it answers and has the model, else embedded llama.cpp"

OPTIONS: tuple[Option, ...] = (
    Option("", "Run LLM evaluation: tests marked 'chimera' and tests using the model fixtures. Without it they "
           "are skipped.", default=False, default_text="off", action="store_true"),
    Option("backend", f"Model backend: {' | '.join(mo.BACKENDS)}.", default=mo.DEFAULT_BACKEND,
           default_text=f"{mo.DEFAULT_BACKEND!r} ({_BACKEND_WHY})", parse=parse_backend, metavar="NAME",
           ini="string", ini_help=f"Model backend (default {mo.DEFAULT_BACKEND!r}).", cli="--backend"),
    Option("model", "Model name.", default=mo.DEFAULT_MODEL, default_text=repr(mo.DEFAULT_MODEL), parse=parse_model,
           metavar="NAME", ini="string", ini_help=f"Model name (default {mo.DEFAULT_MODEL!r}).", cli="--model"),
    Option("corpus", "Benchmark corpus directory, relative to the rootdir.", default_text="none", metavar="DIR",
           ini="string", ini_help="Benchmark corpus directory, relative to the rootdir."),
    Option("option", "Ollama model option (num_ctx, num_gpu, temperature, top_p, top_k, seed, num_predict, ...); "
           "repeatable, each key replaces the same key from ini chimera_options.", default=[], default_text="none",
           parse=mo.parse_option, metavar="KEY=VALUE", action="append", ini="linelist",
           ini_help="Ollama model options, one KEY=VALUE a line.", cli="--option"),
    Option("compare", "Compare this run with a saved run: 'latest' (when no value is given) or a run number, "
           "looked up in the chimera run records of <--chimera-output>/runs/, else in --benchmark-storage (default "
           "./.benchmarks, this machine's folder); or a .json file (a run record or a pytest-benchmark file). A "
           "regression fails the session.", default_text="off",
           parse=parse_compare, metavar="NUM|latest|PATH", extra={"nargs": "?", "const": "latest"}),
    Option("fail-on", "Comma-separated rules METRIC:+N%%|-N%%|+N, each the change of the metric's median (the "
           "pass rate for pass_rate) that fails (a rise for +, a fall for -; improvements never fail). With "
           f">={MIN_ROUNDS} values a side a rule also needs p<0.01 in a one-sided test (Mann-Whitney U; Fisher's "
           "exact test for pass_rate). Rules given here must each compare something.",
           default_text=repr(DEFAULT_RULES.replace("%", "%%")), parse=parse_fail_on, metavar="RULES",
           cli="--fail-on"),
    Option("compare-any", "Compare even when backend, model, model file, accelerator or machine differ from the "
           "baseline.", default=False, default_text="off", action="store_true", cli="--compare-any"),
    Option("allow-empty", "Let a comparison that compares nothing pass with a message: no baseline, no test in "
           "both runs, no metric on both sides, or a rule given with fail-on that has no data (each fails "
           "otherwise).",
           default=False, default_text="off (comparing nothing fails)", action="store_true", cli="--allow-empty"),
    Option("require-baseline", "Compare with the latest saved run and fail when there is none (the same as "
           "--chimera-compare=latest, kept for older command lines).", default=False, default_text="off",
           action="store_true"),
    Option("samples", "Run each chimera_report test's agent N times, with seeds derived from the test id and the "
           "sample index; the test body checks every sample, and passes on the marker's min_pass_rate= "
           "(default: all samples).", default=1, default_text="1", parse=parse_samples, metavar="N",
           ini="string", ini_help="Samples per chimera_report test (default 1)."),
    Option("cassettes", "Record/replay model calls as JSON cassettes in DIR, relative to the rootdir (one file "
           "per call).", default_text="none (calls go to the model)", metavar="DIR", ini="string",
           ini_help="Record/replay cassette directory, relative to the rootdir.", cli="--cassettes"),
    Option("record-mode", f"Cassette mode: {' | '.join(mo.RECORD_MODES)} (replay: a missing cassette is an error; "
           "record: call the model and overwrite; auto: record only what is missing).",
           default=mo.DEFAULT_RECORD_MODE, default_text=repr(mo.DEFAULT_RECORD_MODE), parse=parse_record_mode,
           metavar="MODE", ini="string", cli="--record-mode",
           ini_help=f"Cassette mode: {', '.join(mo.RECORD_MODES)} (default {mo.DEFAULT_RECORD_MODE!r})."),
    Option("keep-alive", "How long Ollama keeps the model loaded after a call: a duration (5m, 1h) or seconds "
           "(-1 forever, 0 unload at once).", default_text="Ollama's own (5m)", parse=mo.parse_keep_alive,
           metavar="DURATION", ini="string", ini_help="Ollama keep_alive: a duration (5m) or seconds (-1 forever)."),
    Option("model-path", "GGUF file for the embedded llama-cpp backend, relative to the rootdir (any GGUF "
           "llama.cpp loads).", default_text="the packaged gemma3:270m", metavar="PATH", ini="string",
           ini_help="GGUF file for the embedded backend, relative to the rootdir.", cli="--model-path"),
    Option("host", "Model server for the ollama and openai backends: a URL (http://gpu1:11434, "
           "https://vllm.internal/v1) or HOST:PORT. Repeatable: pytest-xdist workers are spread over the hosts that "
           "answer at session start, each keeping one (a host that does not answer is reported and left out); the "
           "CLI uses the first that answers.", default=[],
           default_text="$OLLAMA_HOST or 127.0.0.1:11434 (ollama), $OPENAI_BASE_URL or 127.0.0.1:8000/v1 (openai)",
           parse=parse_host, metavar="URL", action="append", ini="linelist",
           ini_help="Model server URLs for the ollama and openai backends, one a line.", cli="--host"),
    Option("api-key-env", "Environment variable that holds the openai backend's API key (the key itself is never "
           "written to a record, a cassette or the terminal).", default_text="OPENAI_API_KEY",
           parse=parse_env_name, metavar="NAME", ini="string", cli="--api-key-env",
           ini_help="Environment variable holding the openai backend's API key (default OPENAI_API_KEY)."),
    Option("timeout", "Time limit of one model call in seconds.", default=DEFAULT_TIMEOUT_S,
           default_text=f"{DEFAULT_TIMEOUT_S:g}", parse=parse_timeout, metavar="SECONDS", ini="string",
           ini_help=f"Time limit of one model call in seconds (default {DEFAULT_TIMEOUT_S:g}).", cli="--timeout"),
    Option("output", "Write the markdown and run JSON of every chimera_report test under DIR, named after the "
           "test id (relative to the rootdir).", default=DEFAULT_OUTPUT, default_text=f"{DEFAULT_OUTPUT}/",
           metavar="DIR", ini="string", ini_help=f"Directory for report artefacts (default {DEFAULT_OUTPUT}/)."),
    Option("html", "Write one self-contained HTML page of the session's report tests to PATH at the end of the "
           "session, relative to the rootdir: each report with its numbers marked by verdict, structure rules, "
           "model-call timings, the comparison with the baseline and trend charts.", default_text="off",
           metavar="PATH"),
    Option("no-grounding", "Give the agent the file inventory only, no computed facts (the original agent's "
           "behaviour), where a test's chimera marker does not set grounding=.", default=False,
           default_text="grounded", action="store_true"),
)

BY_NAME: dict[str, Option] = {o.name: o for o in OPTIONS}


def add_pytest_options(group: Any, parser: Any) -> None:
    """Register every option in pytest's ``chimera`` group, and every ini key (``parser.addini``)."""
    for option in OPTIONS:
        default: Any = [] if option.action == "append" else (False if option.action == "store_true" else None)
        group.addoption(option.flag, dest=option.dest, help=option.pytest_help(), **option.argparse_kwargs(default))
    for option in OPTIONS:
        if option.ini:
            parser.addini(option.ini_key, help=option.ini_help, type=option.ini, default=[] if option.ini ==
                          "linelist" else "")


def add_cli_options(parser: argparse.ArgumentParser, names: Sequence[str], option_example: str = "") -> None:
    """Register the named options under their CLI flags, with their resolved defaults (the CLI has no ini)."""
    for name in names:
        option = BY_NAME[name]
        assert option.cli is not None, f"{name} has no CLI flag"
        text = option.help
        if name == "option" and option_example:
            text = f"Ollama option ({option_example}, ...); repeatable."
        parser.add_argument(option.cli, dest=name.replace("-", "_"),
                            help=f"{text} Default: {option.default_text}.".replace("%%", "%").replace("%", "%%"),
                            **option.argparse_kwargs(list(option.default) if option.action == "append"
                                                     else option.default))
