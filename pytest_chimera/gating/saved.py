"""Saved runs: pytest-benchmark JSON files (and the current session) reduced to the chimera metrics the
gate compares, read defensively, and the identity (backend, model, machine) that makes two runs comparable."""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


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
    """The chimera block of one benchmarked test: per-round values and identity."""

    test: str
    backend: str
    model: str
    replayed: bool
    per_round: dict[str, list[float]]

    def median(self, metric: str) -> float | None:
        values = self.per_round.get(metric)
        return statistics.median(values) if values else None


@dataclass
class SavedRun:
    """One pytest-benchmark file (or the current session) reduced to what the gates need."""

    source: str
    machine_info: dict[str, Any] = field(default_factory=dict)
    commit_info: dict[str, Any] = field(default_factory=dict)
    datetime: str = ""
    tests: dict[str, TestMetrics] = field(default_factory=dict)

    @property
    def label(self) -> str:
        commit = str(self.commit_info.get("id") or "")[:10]
        return f"{commit or Path(self.source).stem} {self.datetime[:19]}".strip()


_NUMBER_TYPES = frozenset({int, float})  # exact JSON number types (bool is not a number here)


def tests_from_benchmarks(benchmarks: Iterable[Mapping[str, Any]], source: str) -> dict[str, TestMetrics]:
    """Chimera metrics of each benchmark entry that carries an ``extra_info["chimera"]`` block."""
    tests: dict[str, TestMetrics] = {}
    for bench in benchmarks:
        if not isinstance(bench, Mapping):
            raise RunFileError(source, "an entry of 'benchmarks' is not an object")
        info = bench.get("extra_info") or {}
        block = info.get("chimera") if isinstance(info, Mapping) else None
        if not isinstance(block, Mapping):
            continue
        name = str(bench.get("fullname") or bench.get("name") or "?")
        per_round = block.get("per_round")
        if not isinstance(per_round, Mapping):
            raise RunFileError(source, f"test {name}: extra_info.chimera.per_round is missing or not an object")
        clean: dict[str, list[float]] = {}
        for metric, values in per_round.items():
            if not isinstance(values, list) or not all(map(_NUMBER_TYPES.__contains__, map(type, values))):
                raise RunFileError(source, f"test {name}: per_round.{metric} is not a list of numbers")
            clean[str(metric)] = list(map(float, values))
        tests[name] = TestMetrics(
            test=name,
            backend=str(block.get("backend", "")),
            model=str(block.get("model", "")),
            replayed=bool(block.get("replayed", False)),
            per_round=clean,
        )
    return tests


def run_from_json(data: Any, source: str) -> SavedRun:
    """A SavedRun from parsed pytest-benchmark JSON; raises RunFileError for a foreign shape."""
    if not isinstance(data, Mapping):
        raise RunFileError(source, "not a pytest-benchmark file (top level is not an object)")
    benchmarks = data.get("benchmarks")
    if not isinstance(benchmarks, list):
        raise RunFileError(source, "not a pytest-benchmark file (no 'benchmarks' list)")
    machine = data.get("machine_info")
    commit = data.get("commit_info")
    return SavedRun(
        source=source,
        machine_info=dict(machine) if isinstance(machine, Mapping) else {},
        commit_info=dict(commit) if isinstance(commit, Mapping) else {},
        datetime=str(data.get("datetime", "")),
        tests=tests_from_benchmarks(benchmarks, source),
    )


def load_run(path: Path | str) -> SavedRun:
    """Read one saved pytest-benchmark JSON file; raises RunFileError naming the file and the reason."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RunFileError(path, f"cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise RunFileError(path, "not UTF-8 text") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RunFileError(path, f"invalid JSON (truncated or corrupt) at line {exc.lineno}: {exc.msg}") from None
    return run_from_json(data, str(path))


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
    """pytest-benchmark's numbered files (``NNNN_*.json``) in ``storage/machine_id``, oldest first."""
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


_MACHINE_KEYS = ("system", "machine")
_CPU_KEYS = ("brand_raw", "count")


def identity(run: SavedRun) -> dict[str, Any]:
    """What must match for two runs' timings to be comparable: machine and each backend's model file.

    The host name is left out on purpose: ephemeral CI runners of one kind differ only in it.
    """
    info = run.machine_info
    cpu_info, chimera_info = info.get("cpu"), info.get("chimera")
    cpu: Mapping[str, Any] = cpu_info if isinstance(cpu_info, Mapping) else {}
    chimera: Mapping[str, Any] = chimera_info if isinstance(chimera_info, Mapping) else {}
    backends = chimera.get("backends", [])
    models = sorted(
        (
            str(b.get("backend", "")),
            str(b.get("model", "")),
            str(b.get("model_sha256") or b.get("ollama_digest") or ""),
            str(b.get("quantization") or ""),
        )
        for b in backends
        if isinstance(b, Mapping)
    )
    return {
        **{k: info.get(k) for k in _MACHINE_KEYS},
        **{f"cpu.{k}": cpu.get(k) for k in _CPU_KEYS},
        "accelerator": chimera.get("accelerator"),
        "models": models,
    }


def identity_differences(baseline: SavedRun, current: SavedRun) -> list[str]:
    """Human-readable differences in identity (machine, accelerator, model files, per-test backend/model)."""
    diffs = []
    base_id, cur_id = identity(baseline), identity(current)
    for key in base_id:
        if base_id[key] != cur_id[key] and base_id[key] is not None and cur_id[key] is not None:
            diffs.append(f"{key}: baseline {base_id[key]!r}, current {cur_id[key]!r}")
    for name in sorted(set(baseline.tests) & set(current.tests)):
        b, c = baseline.tests[name], current.tests[name]
        if (b.backend, b.model) != (c.backend, c.model):
            diffs.append(f"{name}: baseline {b.backend}/{b.model}, current {c.backend}/{c.model}")
    return diffs
