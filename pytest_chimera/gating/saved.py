"""Saved runs: chimera run records and pytest-benchmark JSON files, reduced to what the gate compares.

Two forms carry the same per-test block (see :mod:`pytest_chimera.gating.record`):

- a chimera run record, written by every session that ran a chimera test (``{"pytest_chimera_run": 1,
  "tests": {test id: block}, "machine_info": ..., ...}``, see :mod:`pytest_chimera.gating.runrecord`);
- a pytest-benchmark file, whose benchmarks carry the block in ``extra_info["chimera"]``.

Files are read defensively: whatever a file holds, reading it either gives a :class:`SavedRun` or raises
:class:`RunFileError` naming the file and the problem (invalid JSON, nesting too deep, a number too large, a
field of the wrong type). Non-finite values (NaN, Infinity, or null in a list of values) are kept: the
comparison reports them as a failure to measure. Identity (machine, backends, accelerator) is normalised here.
"""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_chimera.gating.rules import TIMING_METRICS

RECORD_KEY = "pytest_chimera_run"  # the top-level key that marks a chimera run record
MAX_FILE_BYTES = 256 * 1024 * 1024


class RunFileError(ValueError):
    """A saved run that cannot be read: the message names the file and the reason."""

    def __init__(self, path: Path | str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason


class IdentityMismatch(ValueError):
    """Baseline and current run were made with different backend, model, model file or machine."""


@dataclass(frozen=True)
class TestMetrics:
    """The chimera block of one test: per-round values, per-sample verdicts, structure rules, identity.

    ``per_round`` holds one value per checked run (a counted benchmark round, or a sample) per metric;
    ``verdicts`` one pass/fail per sample; ``structure_failed`` the failed rule ids of each checked run;
    ``missing`` the metrics the backend could not measure (left out of ``per_round``).
    """

    test: str
    backend: str
    model: str
    replayed: bool
    per_round: dict[str, list[float]]
    timings: bool = True
    verdicts: tuple[bool, ...] = ()
    structure_rules: tuple[str, ...] = ()
    structure_failed: tuple[tuple[str, ...], ...] = ()
    identity: dict[str, str] = field(default_factory=dict)
    missing: tuple[str, ...] = ()  # metrics the backend could not measure: absent from per_round, not 0

    def median(self, metric: str) -> float | None:
        values = self.per_round.get(metric)
        return statistics.median(values) if values else None

    @property
    def pass_rate(self) -> float | None:
        return sum(self.verdicts) / len(self.verdicts) if self.verdicts else None


@dataclass
class SavedRun:
    """One saved file (or the current session) reduced to what the gates need."""

    source: str
    machine_info: dict[str, Any] = field(default_factory=dict)
    commit_info: dict[str, Any] = field(default_factory=dict)
    datetime: str = ""
    tests: dict[str, TestMetrics] = field(default_factory=dict)
    kind: str = "pytest-benchmark"  # or "chimera record", "current run"
    backends: list[dict[str, str | None]] = field(default_factory=list)
    accelerator: str | None = None

    @property
    def label(self) -> str:
        commit = str(self.commit_info.get("id") or "")[:10]
        return f"{commit or Path(self.source).stem} {self.datetime[:19]}".strip()


# ------------------------------------------------------------------------------------------ fields


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _mapping(value: Any, where: str, source: str, *, optional: bool = True) -> Mapping[str, Any]:
    if value is None and optional:
        return {}
    if not isinstance(value, Mapping):
        raise RunFileError(source, f"{where} is not an object (got {_kind(value)})")
    return value


def _text(value: Any) -> str | None:
    """A string field of identity; numbers are written as text, anything else is left out."""
    if value is None or isinstance(value, (dict, list)):
        return None
    return str(value) if not isinstance(value, str) else value


def _number(value: Any, where: str, source: str) -> float:
    """A JSON number as a float: null means a value that was not finite (written so by chimera records)."""
    if value is None:
        return math.nan
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise RunFileError(source, f"{where} is not a list of numbers (holds {_kind(value)})")
    try:
        return float(value)
    except OverflowError:
        raise RunFileError(source, f"{where} holds a number too large for a float ({len(str(value))} digits)") from None


_NUMBERS = frozenset({int, float})  # exact JSON number types (bool is not a number here)


def _per_round(value: Any, where: str, source: str) -> dict[str, list[float]]:
    per_round = _mapping(value, where, source, optional=False)
    clean: dict[str, list[float]] = {}
    for metric, values in per_round.items():
        if not isinstance(values, list):
            raise RunFileError(source, f"{where}.{metric} is not a list of numbers (got {_kind(values)})")
        if _NUMBERS.issuperset(map(type, values)):  # the common case, checked at C speed
            try:
                clean[str(metric)] = list(map(float, values))
                continue
            except OverflowError:
                pass  # a huge integer: named below
        clean[str(metric)] = [_number(v, f"{where}.{metric}", source) for v in values]
    return clean


def _verdicts(block: Mapping[str, Any], where: str, source: str) -> tuple[bool, ...]:
    samples = _mapping(block.get("samples"), f"{where}.samples", source)
    verdicts = samples.get("verdicts", [])
    if not isinstance(verdicts, list) or any(v not in ("passed", "failed") for v in verdicts):
        raise RunFileError(source, f"{where}.samples.verdicts is not a list of 'passed'/'failed'")
    return tuple(v == "passed" for v in verdicts)


Structure = tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]  # (rule ids, failed rule ids per checked run)


def _structure(block: Mapping[str, Any], where: str, source: str) -> Structure:
    structure = _mapping(block.get("structure"), f"{where}.structure", source)
    rules, failed = structure.get("rules", []), structure.get("failed", [])
    if not isinstance(rules, list) or not all(isinstance(r, str) for r in rules):
        raise RunFileError(source, f"{where}.structure.rules is not a list of rule ids")
    if not isinstance(failed, list) or not all(
        isinstance(f, list) and all(isinstance(r, str) for r in f) for f in failed
    ):
        raise RunFileError(source, f"{where}.structure.failed is not a list of lists of rule ids")
    return tuple(rules), tuple(tuple(f) for f in failed)


def _missing(block: Mapping[str, Any], where: str, source: str) -> tuple[str, ...]:
    missing = block.get("missing", [])
    if not isinstance(missing, list) or not all(isinstance(m, str) for m in missing):
        raise RunFileError(source, f"{where}.missing is not a list of metric names (got {_kind(missing)})")
    return tuple(missing)


_TEST_IDENTITY = ("digest", "quantization", "accelerator")


def test_metrics(name: str, block: Mapping[str, Any], where: str, source: str) -> TestMetrics:
    """One test's block (``extra_info["chimera"]`` or a record's ``tests[name]``), validated."""
    per_round = _per_round(block.get("per_round"), f"{where}.per_round", source)
    rules, failed = _structure(block, where, source)
    identity_block = _mapping(block.get("identity"), f"{where}.identity", source)
    identity = {k: t for k in _TEST_IDENTITY if (t := _text(identity_block.get(k))) is not None}
    timings = block.get("timings")
    return TestMetrics(
        test=name,
        backend=_text(block.get("backend")) or "",
        model=_text(block.get("model")) or "",
        replayed=block.get("replayed") is True,
        per_round=per_round,
        timings=timings if isinstance(timings, bool) else any(m in per_round for m in TIMING_METRICS),
        verdicts=_verdicts(block, where, source),
        structure_rules=rules,
        structure_failed=failed,
        identity=identity,
        missing=_missing(block, where, source),
    )


def tests_from_benchmarks(benchmarks: Iterable[Any], source: str) -> dict[str, TestMetrics]:
    """Chimera metrics of each pytest-benchmark entry that carries an ``extra_info["chimera"]`` block."""
    tests: dict[str, TestMetrics] = {}
    for bench in benchmarks:
        if not isinstance(bench, Mapping):
            raise RunFileError(source, "an entry of 'benchmarks' is not an object")
        info = bench.get("extra_info")
        block = info.get("chimera") if isinstance(info, Mapping) else None
        if not isinstance(block, Mapping):
            continue
        name = _text(bench.get("fullname")) or _text(bench.get("name")) or "?"
        tests[name] = test_metrics(name, block, f"test {name}: extra_info.chimera", source)
    return tests


def _tests_from_record(tests: Any, source: str) -> dict[str, TestMetrics]:
    out: dict[str, TestMetrics] = {}
    for name, block in _mapping(tests, "tests", source, optional=False).items():
        out[str(name)] = test_metrics(
            str(name), _mapping(block, f"tests[{name!r}]", source, optional=False), f"test {name}", source
        )
    return out


_BACKEND_KEYS = ("backend", "model", "model_sha256", "ollama_digest", "quantization", "accelerator", "host",
                 "workers_per_host")


def _backends(machine_info: Mapping[str, Any], source: str) -> tuple[list[dict[str, str | None]], str | None]:
    chimera = _mapping(machine_info.get("chimera"), "machine_info.chimera", source)
    backends = chimera.get("backends", [])
    if not isinstance(backends, list):
        raise RunFileError(source, f"machine_info.chimera.backends is not a list (got {_kind(backends)})")
    clean = []
    for i, entry in enumerate(backends):
        entry = _mapping(entry, f"machine_info.chimera.backends[{i}]", source, optional=False)
        clean.append({k: _text(entry.get(k)) for k in _BACKEND_KEYS})
    return clean, _text(chimera.get("accelerator"))


def run_from_json(data: Any, source: str) -> SavedRun:
    """A SavedRun from a parsed record or pytest-benchmark file; raises RunFileError for anything else."""
    if not isinstance(data, Mapping):
        raise RunFileError(source, "not a chimera run record or pytest-benchmark file (top level is not an object)")
    if RECORD_KEY in data:
        kind, tests = "chimera record", _tests_from_record(data.get("tests"), source)
    else:
        benchmarks = data.get("benchmarks")
        if not isinstance(benchmarks, list):
            raise RunFileError(source, "not a chimera run record or pytest-benchmark file (no 'benchmarks' list)")
        kind, tests = "pytest-benchmark", tests_from_benchmarks(benchmarks, source)
    machine = _mapping(data.get("machine_info"), "machine_info", source)
    backends, accelerator = _backends(machine, source)
    commit = data.get("commit_info")
    return SavedRun(
        source=source,
        machine_info=dict(machine),
        commit_info=dict(commit) if isinstance(commit, Mapping) else {},
        datetime=_text(data.get("datetime")) or "",
        tests=tests,
        kind=kind,
        backends=backends,
        accelerator=accelerator,
    )


def load_run(path: Path | str) -> SavedRun:
    """Read one saved run (either form); raises RunFileError naming the file and the reason, never anything else."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise RunFileError(path, f"larger than {MAX_FILE_BYTES // 2**20} MiB: not a saved run")
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise RunFileError(path, f"cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise RunFileError(path, "not UTF-8 text") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RunFileError(path, f"invalid JSON (truncated or corrupt) at line {exc.lineno}: {exc.msg}") from None
    except RecursionError:
        raise RunFileError(path, "JSON nested too deeply to read: not a saved run") from None
    except ValueError as exc:  # e.g. an integer over Python's 4300-digit conversion limit
        raise RunFileError(path, f"unreadable JSON value: {exc}") from None
    try:
        return run_from_json(data, str(path))
    except RunFileError:
        raise
    except (TypeError, ValueError, OverflowError, RecursionError) as exc:  # a shape no check above foresaw
        raise RunFileError(path, f"unexpected content ({type(exc).__name__}: {exc})") from None


def load_runs(paths: Iterable[Path | str]) -> tuple[list[SavedRun], list[RunFileError]]:
    """Read many files; each bad one is returned as an error and skipped, the others still load."""
    runs: list[SavedRun] = []
    errors: list[RunFileError] = []
    for path in paths:
        try:
            runs.append(load_run(path))
        except RunFileError as exc:
            errors.append(exc)
    return runs, errors


def saved_files(storage: Path, machine_id: str | None = None) -> list[Path]:
    """Numbered files (``NNNN_*.json``) in ``storage/machine_id`` (or ``storage``), oldest first."""
    folder = storage / machine_id if machine_id else storage
    if not folder.is_dir():
        return []
    return sorted(
        (p for p in folder.glob("[0-9][0-9][0-9][0-9]_*.json") if p.is_file()), key=lambda p: p.name
    )


def pick_baseline(choice: str, storage: Path, machine_id: str | None) -> Path | None:
    """The saved file chosen by ``latest``, a run number (``3`` or ``0003``) or a path; None if absent."""
    if choice not in ("latest",) and not choice.isdigit():
        path = Path(choice)
        return path if path.is_file() else None
    files = saved_files(storage, machine_id)
    if choice == "latest":
        return files[-1] if files else None
    number = int(choice)
    for path in files:
        if int(path.name[:4]) == number:
            return path
    return None
