"""The session's settings: every option resolved once, command line over ini over default, in ``config.stash``.

``resolve`` is a plain function over plain values (tested without pytest); ``from_config`` reads pytest's
option values and ini keys and raises ``pytest.UsageError`` naming the ini key of a bad ini value, and, with
``--chimera``, naming an output folder that cannot be written.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from pytest_chimera.atomic import unwritable
from pytest_chimera.backends import options as mo
from pytest_chimera.gating.rules import Rule
from pytest_chimera.plugin.options import DEFAULT_OUTPUT, DEFAULT_TIMEOUT_S, OPTIONS


@dataclass(frozen=True)
class Settings:
    """The resolved ``chimera`` settings of one pytest session."""

    enabled: bool = False
    backend: str = mo.DEFAULT_BACKEND
    model: str = mo.DEFAULT_MODEL
    corpus: Path | None = None
    options: dict[str, mo.OptionValue] = field(default_factory=dict)
    cassettes: Path | None = None
    record_mode: str = mo.DEFAULT_RECORD_MODE
    keep_alive: str | int | float | None = None
    model_path: Path | None = None
    hosts: tuple[str, ...] = ()
    api_key_env: str | None = None
    timeout: float = DEFAULT_TIMEOUT_S
    output: Path = Path(DEFAULT_OUTPUT)
    grounding: bool = True
    compare: str | None = None
    fail_on: dict[str, Rule] | None = None
    compare_any: bool = False
    allow_empty: bool = False
    require_baseline: bool = False
    html: Path | None = None
    samples: int = 1
    # where each path setting came from ("--chimera-corpus", "ini chimera_corpus"), for error messages
    sources: dict[str, str] = field(default_factory=dict)

    def header(self) -> str:
        """The one-line summary shown in pytest's report header."""
        corpus = str(self.corpus) if self.corpus is not None else "(none)"
        line = f"chimera: backend={self.backend}, model={self.model}, corpus={corpus}"
        if self.cassettes is not None:
            line += f", cassettes={self.cassettes} ({self.record_mode})"
        return line


_PATHS = ("corpus", "cassettes", "model-path", "output", "html")


def resolve(cli: Mapping[str, Any], ini: Mapping[str, Any], rootdir: Path) -> Settings:
    """Resolve every option: the command line's value, else the ini key's (parsed), else the default.

    ``cli`` and ``ini`` are keyed by option name (``"record-mode"``); a missing or empty value means "not
    given". ``option`` merges per key (the command line replaces ini's value of the same key); ``host`` given on
    the command line replaces ini's list. Relative paths
    resolve against ``rootdir``. Raises ``ValueError`` naming the ini key for a bad ini value.
    """
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for option in OPTIONS:
        given = cli.get(option.name)
        raw = ini.get(option.name)
        if option.action == "append":
            ini_values = []
            for line in raw or []:
                if line.strip():
                    try:
                        ini_values.append(option.parse(line) if option.parse else line.strip())
                    except (ValueError, argparse.ArgumentTypeError) as exc:
                        raise ValueError(f"ini {option.ini_key}: {exc}") from None
            if option.name == "option":  # per key, the command line replaces ini's value
                merged = mo.merge_options(ini_values)
                merged.update(mo.merge_options(given or []))
                values[option.name] = merged
            else:  # a list given on the command line replaces ini's list
                values[option.name] = tuple(given or ini_values)
                if given or ini_values:
                    sources[option.name] = option.flag if given else f"ini {option.ini_key}"
            continue
        if given is not None and given is not False and given != "":  # 0 is a value (keep-alive 0)
            values[option.name], sources[option.name] = given, option.flag
        elif option.ini and isinstance(raw, str) and raw.strip():
            text = raw.strip()
            try:
                values[option.name] = option.parse(text) if option.parse else text
            except (ValueError, argparse.ArgumentTypeError) as exc:
                raise ValueError(f"ini {option.ini_key}: {exc}") from None
            sources[option.name] = f"ini {option.ini_key}"
        else:
            values[option.name] = option.default
    for name in _PATHS:
        if values[name] is not None:
            values[name] = (rootdir / Path(str(values[name])).expanduser()).resolve()
    return Settings(
        enabled=bool(values[""]),
        backend=values["backend"],
        model=values["model"],
        corpus=values["corpus"],
        options=values["option"],
        cassettes=values["cassettes"],
        record_mode=values["record-mode"],
        keep_alive=values["keep-alive"],
        model_path=values["model-path"],
        hosts=values["host"],
        api_key_env=values["api-key-env"],
        timeout=values["timeout"],
        output=values["output"],
        grounding=not values["no-grounding"],
        compare=values["compare"],
        fail_on=values["fail-on"],
        compare_any=bool(values["compare-any"]),
        allow_empty=bool(values["allow-empty"]),
        require_baseline=bool(values["require-baseline"]),
        html=values["html"],
        samples=values["samples"],
        sources=sources,
    )


SETTINGS_KEY = pytest.StashKey[Settings]()


def path_taken_for_rootdir(config: pytest.Config) -> str | None:
    """Why pytest's rootdir is not what the user meant, or None.

    pytest chooses its rootdir (and ini file) before it loads plugins, so the PATH of ``--chimera-corpus PATH``
    given as two arguments is taken for a test path. When the rootdir then lies at or inside that path, or (no
    ini file found) is the common ancestor of it and the invocation folder, the project's pytest.ini is
    ignored, relative paths resolve against the wrong folder and ``.chimera/`` is written there: into the
    corpus, say. Never when the rootdir is the invocation folder.
    """
    params = config.invocation_params
    root = config.rootpath
    if config.getoption("rootdir", None) or root == params.dir:
        return None
    args = list(params.args)
    for flag, value in zip(args, args[1:], strict=False):
        if flag not in _PATH_FLAGS:
            continue
        path = (params.dir / value).resolve()
        if not path.exists():
            continue
        folder = path if path.is_dir() else path.parent
        if root == folder or folder in root.parents or (config.inipath is None and root in folder.parents):
            return (f"{flag} {value}: pytest took this path for a test path when it chose its rootdir ({root}), "
                    f"before pytest-chimera's options were known, so the project's ini file, relative paths and "
                    f"{DEFAULT_OUTPUT}/ would go by that folder; write {flag}={value} (one argument), or pass "
                    "--rootdir")
    return None


_PATH_FLAGS = frozenset(f"--chimera-{name}" for name in (*_PATHS, "compare"))


def from_config(config: pytest.Config) -> Settings:
    """Resolve the session's settings from pytest's options and ini keys; a bad ini value is a UsageError."""
    problem = path_taken_for_rootdir(config)
    if problem:
        raise pytest.UsageError(problem)
    cli = {o.name: config.getoption(o.dest, None) for o in OPTIONS}
    ini = {o.name: config.getini(o.ini_key) for o in OPTIONS if o.ini}
    try:
        settings = resolve(cli, ini, config.rootpath)
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from None
    # every report test writes there: a file in its place would fail each of them after its model run
    if settings.enabled:
        problem = cassette_problem(settings) or unwritable(settings.sources.get("output", "--chimera-output"),
                                                           settings.output, folder=True)
        if problem:
            raise pytest.UsageError(problem)
    return settings


def cassette_problem(settings: Settings) -> str | None:
    """A replay backend or a record mode without a cassette folder: every test would fail the same way (or, for
    a record mode, nothing would be recorded); or None."""
    if settings.cassettes is not None:
        return None
    if settings.backend == "replay":
        return (f"{settings.sources.get('backend', '--chimera-backend')} replay needs --chimera-cassettes DIR (or the "
                "ini key chimera_cassettes): the folder of recorded calls")
    if "record-mode" in settings.sources and settings.record_mode != mo.DEFAULT_RECORD_MODE:
        return (f"{settings.sources['record-mode']} {settings.record_mode} needs --chimera-cassettes DIR (or the ini "
                "key chimera_cassettes): the folder to record into; without one nothing is recorded")
    return None


def settings_of(config: pytest.Config) -> Settings:
    """The resolved chimera settings of this session."""
    return config.stash[SETTINGS_KEY]
