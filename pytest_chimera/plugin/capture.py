"""pytest-benchmark glue: rounds of an agent run through ``benchmark.pedantic``, identity in machine_info.

``capture_rounds`` runs one uncounted warm-up round, then ``rounds`` counted rounds through
``benchmark.pedantic``, and stores what :mod:`pytest_chimera.gating.record` builds in
``benchmark.extra_info["chimera"]``. An xdist worker, ``--benchmark-disable`` and replayed runs store quality only.
The same block becomes the test's entry in the session's chimera run record (``plugin.record``), so quality
is kept whatever pytest-benchmark saves.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

import pytest

from pytest_chimera.agent.runs import ReportRun
from pytest_chimera.atomic import write_atomic
from pytest_chimera.gating.record import WARMUP_ROUNDS, Quality, build_extra_info, machine_info_for
from pytest_chimera.plugin.stash import DESCRIBED_KEY, POOL_KEY


class BenchmarkLike(Protocol):
    """What ``capture_rounds`` uses of pytest-benchmark's ``BenchmarkFixture``."""

    extra_info: dict[str, Any]
    disabled: bool

    def pedantic(
        self,
        target: Callable[..., Any],
        args: tuple[Any, ...] = ...,
        kwargs: dict[str, Any] | None = ...,
        setup: Callable[[], Any] | None = ...,
        teardown: Callable[..., Any] | None = ...,
        rounds: int = ...,
        warmup_rounds: int = ...,
        iterations: int = ...,
    ) -> Any: ...


class PromptCacheWarning(pytest.PytestWarning):
    """A counted benchmark round served prompt tokens from a cache: its TTFT is flattered."""


def timing_off(benchmark: BenchmarkLike) -> bool:
    """True when this benchmark must not time: pytest-benchmark disabled it, or this is an xdist worker.

    An xdist worker never times, whatever the pytest-benchmark release decides (some 5.x releases keep
    benchmarks on in workers): parallel workers share the cores and the model.
    """
    return bool(benchmark.disabled or os.environ.get("PYTEST_XDIST_WORKER"))


def capture_rounds(
    benchmark: BenchmarkLike,
    run_once: Callable[[], ReportRun],
    rounds: int,
    *,
    quality: Quality | None = None,
) -> ReportRun:
    """Run ``run_once`` for 1 uncounted warm-up round plus ``rounds`` rounds; store metrics in extra_info.

    Returns the last counted round's run. ``quality(run)`` returns counts keyed by supported /
    contradicted / unverified / structure_failed (or a ``gating.record.Checked``). When pytest-benchmark is
    disabled (xdist, ``--benchmark-disable``) the agent runs once and only quality is stored; a replayed
    run stores quality only too.
    """
    return capture(benchmark, run_once, rounds, quality=quality)[-1]


def capture(
    benchmark: BenchmarkLike,
    run_once: Callable[[], ReportRun],
    rounds: int,
    *,
    quality: Quality | None = None,
) -> list[ReportRun]:
    """``capture_rounds``, returning every counted run (one when timing is off)."""
    if not isinstance(rounds, int) or isinstance(rounds, bool) or rounds < 1:
        raise ValueError(f"rounds must be a whole number >= 1, got {rounds!r}")
    results: list[ReportRun] = []

    def target() -> ReportRun:
        run = run_once()
        if not isinstance(run, ReportRun):
            raise TypeError(f"run_once must return a ReportRun, got {type(run).__name__}")
        results.append(run)
        return run

    if timing_off(benchmark):
        run = target()
        benchmark.extra_info["chimera"] = build_extra_info([run], quality, warmup_rounds=0, timings_enabled=False)
        return [run]
    benchmark.pedantic(target, rounds=rounds, warmup_rounds=WARMUP_ROUNDS, iterations=1)
    # pedantic calls target warm-up rounds first, then the counted rounds (then once more under --benchmark-cprofile).
    counted = results[WARMUP_ROUNDS : WARMUP_ROUNDS + rounds]
    info = build_extra_info(counted, quality, warmup_rounds=WARMUP_ROUNDS, timings_enabled=True)
    benchmark.extra_info["chimera"] = info
    if info["timings"] and not info["prompt_cache"]["clean"]:
        warnings.warn(PromptCacheWarning(info["notes"][-1]), stacklevel=3)
    return counted


def _key(entry: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(str(entry.get(k)) for k in ("backend", "model", "model_file", "host", "options"))


def record_backend(config: pytest.Config, describe: Mapping[str, Any]) -> None:
    """Called once per loaded backend (and again at the end): its identity goes into machine_info.

    A later description of the same backend replaces the earlier one (an Ollama model's accelerator is only
    known once it is loaded).
    """
    described = config.stash.setdefault(DESCRIBED_KEY, [])
    entry = machine_info_for(describe)
    for i, old in enumerate(described):
        if _key(old) == _key(entry):
            described[i] = entry
            return
    described.append(entry)


def refresh_backends(config: pytest.Config) -> None:
    """Describe the session's loaded backends again, now that they have run (best effort)."""
    pool = config.stash.get(POOL_KEY, None)
    for backend in pool.loaded() if pool is not None else []:
        try:
            record_backend(config, backend.describe())
        except Exception:  # identity is best effort here; the comparison says what it could not check
            continue


def chimera_machine_info(described: list[dict[str, Any]]) -> dict[str, Any]:
    """``machine_info["chimera"]``: the backends used and the accelerators they ran on."""
    accelerators = sorted({str(d["accelerator"]) for d in described if d.get("accelerator")})
    return {"backends": [dict(d) for d in described], "accelerator": ", ".join(accelerators) or None}


def update_machine_info(config: pytest.Config, machine_info: dict[str, Any]) -> None:
    """Add ``machine_info["chimera"]``: the backends used (model, sha256 or digest, quantization, options)."""
    refresh_backends(config)
    machine_info["chimera"] = chimera_machine_info(config.stash.get(DESCRIBED_KEY, []))


def make_storage_atomic(storage: Any) -> bool:
    """Make pytest-benchmark's FileStorage.save write a temporary file and rename it (same file names).

    Returns False (and changes nothing) for a storage that is not the file storage of pytest-benchmark 5.
    """
    try:
        from pytest_benchmark.storage.file import FileStorage
        from pytest_benchmark.utils import safe_dumps
    except ImportError:
        return False
    if type(storage) is not FileStorage or not hasattr(storage, "_next_num"):
        return False
    store: Any = storage  # pytest-benchmark is untyped; its FileStorage keeps these names since 3.0

    def save(output_json: Any, save: str) -> None:
        output_file: Path = store.get(f"{store._next_num}_{save}.json")
        text: str = safe_dumps(output_json, ensure_ascii=True, indent=4)  # type: ignore[no-untyped-call]
        write_atomic(output_file, text)
        store.logger.info(f"Saved benchmark data in: {output_file}")

    store.save = save
    return True
