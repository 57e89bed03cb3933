"""pytest-benchmark glue: rounds of an agent run, their metrics in ``extra_info``, identity in machine_info.

``capture_rounds`` runs one uncounted warm-up round (model load, first-touch caches) and then ``rounds``
counted rounds through ``benchmark.pedantic``. Each round's run is reduced with :func:`runs.aggregate`
(the run's Metrics block) and stored under ``benchmark.extra_info["chimera"]``::

    {"schema": 1, "backend": ..., "model": ..., "options": {...},
     "rounds": N, "warmup_rounds": 1, "replayed": false, "timings": true,
     "per_round": {"ttft_ms": [...], "tokens_per_s": [...], ..., "contradicted": [...]},
     "summary":   {"ttft_ms": {"median", "mean", "p90", "stddev", "min", "max"}, ...},
     "prompt_cache": {"cached_prompt_tokens": [...per round...], "clean": true},
     "notes": ["warm-up round not counted ...", "prompt caching: ..."]}

Prompt caching: each counted round must evaluate its whole prompt. The agent builds its prompts afresh
every round and the backends report ``CallMetrics.cached_prompt_tokens``; a counted round with cached
prompt tokens is flagged (``prompt_cache.clean`` false, a note and a warning), because its TTFT is
flattered by a cache hit. Replayed runs (record/replay backend) store quality only, never timings.
Under pytest-xdist pytest-benchmark disables itself; then the agent runs once and only quality is stored.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

import pytest

from pytest_chimera.compare import QUALITY_METRICS, TIMING_METRICS, summarize
from pytest_chimera.runs import ReportRun, aggregate

SCHEMA = 1
WARMUP_ROUNDS = 1

WARMUP_NOTE = "warm-up round not counted: 1 round ran before the counted rounds, so model load is not in the figures"
CACHE_NOTE = (
    "prompt caching: the agent builds fresh prompts each round and the embedded backend clears its context "
    "before every call (reuse_prefix=False); cached prompt tokens are recorded per round and a hit is flagged"
)
REPLAYED_NOTE = "replayed from a cassette: timings are recorded ones, not measurements; only quality is stored"
DISABLED_NOTE = (
    "timings not captured: pytest-benchmark is disabled (pytest-xdist or --benchmark-disable); the agent ran "
    "once and only quality is stored. Run timing benchmarks without xdist (-p no:xdist or -n 0)"
)

# Filled by the backends fixture with each loaded backend's ``describe()`` (see ``record_backend``).
DESCRIBED_KEY = pytest.StashKey[list[dict[str, Any]]]()

Quality = Callable[[ReportRun], Mapping[str, int]]


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


def _quality_counts(run: ReportRun, quality: Quality | None) -> dict[str, int]:
    if quality is None:
        return {}
    counts = dict(quality(run))
    unknown = sorted(set(counts) - set(QUALITY_METRICS))
    if unknown:
        raise ValueError(f"quality() returned unknown counts {unknown}; expected keys from {list(QUALITY_METRICS)}")
    return {k: int(v) for k, v in counts.items()}


def round_values(run: ReportRun, quality: Quality | None, *, timings: bool) -> dict[str, float]:
    """The metrics of one round: timings from the aggregated calls (unless off), then quality counts."""
    values: dict[str, float] = {}
    if timings:
        metrics = aggregate([c.metrics for c in run.calls])
        values.update({m: float(metrics[m]) for m in TIMING_METRICS})
    values.update({k: float(v) for k, v in _quality_counts(run, quality).items()})
    return values


def build_extra_info(
    runs: list[ReportRun], quality: Quality | None, *, warmup_rounds: int, timings_enabled: bool
) -> dict[str, Any]:
    """The ``extra_info["chimera"]`` block for counted ``runs`` (see the module docstring)."""
    if not runs:
        raise ValueError("no counted rounds to record")
    last = runs[-1]
    replayed = any(r.replayed for r in runs)
    timings = timings_enabled and not replayed
    per_round: dict[str, list[float]] = {}
    for run in runs:
        for metric, value in round_values(run, quality, timings=timings).items():
            per_round.setdefault(metric, []).append(value)
    notes = []
    if timings:
        notes.append(WARMUP_NOTE if warmup_rounds else "no warm-up round: model load may be in the figures")
        notes.append(CACHE_NOTE)
    elif replayed:
        notes.append(REPLAYED_NOTE)
    else:
        notes.append(DISABLED_NOTE)
    cached = [sum(c.metrics.cached_prompt_tokens for c in r.calls) for r in runs]
    clean = not any(cached)
    if timings and not clean:
        notes.append(f"prompt cache hit in counted rounds (cached prompt tokens per round: {cached}): "
                     "TTFT is flattered")
    return {
        "schema": SCHEMA,
        "backend": last.backend,
        "model": last.model,
        "options": dict(last.options),
        "rounds": len(runs),
        "warmup_rounds": warmup_rounds if timings else 0,
        "replayed": replayed,
        "timings": timings,
        "per_round": per_round,
        "summary": {metric: summarize(values) for metric, values in per_round.items()},
        "prompt_cache": {"cached_prompt_tokens": cached, "clean": clean},
        "notes": notes,
    }


def capture_rounds(
    benchmark: BenchmarkLike,
    run_once: Callable[[], ReportRun],
    rounds: int,
    *,
    quality: Quality | None = None,
) -> ReportRun:
    """Run ``run_once`` for 1 uncounted warm-up round plus ``rounds`` rounds; store metrics in extra_info.

    Returns the last counted round's run. ``quality(run)`` returns counts keyed by supported /
    contradicted / unverified / structure_failed. When pytest-benchmark is disabled (xdist,
    ``--benchmark-disable``) the agent runs once and only quality is stored; a replayed run stores
    quality only too.
    """
    if not isinstance(rounds, int) or isinstance(rounds, bool) or rounds < 1:
        raise ValueError(f"rounds must be a whole number >= 1, got {rounds!r}")
    results: list[ReportRun] = []

    def target() -> ReportRun:
        run = run_once()
        if not isinstance(run, ReportRun):
            raise TypeError(f"run_once must return a ReportRun, got {type(run).__name__}")
        results.append(run)
        return run

    # An xdist worker never times: parallel workers share the cores, whatever pytest-benchmark decides
    # (some 5.x releases keep benchmarks on in workers).
    if benchmark.disabled or os.environ.get("PYTEST_XDIST_WORKER"):
        run = target()
        benchmark.extra_info["chimera"] = build_extra_info([run], quality, warmup_rounds=0, timings_enabled=False)
        return run
    benchmark.pedantic(target, rounds=rounds, warmup_rounds=WARMUP_ROUNDS, iterations=1)
    # pedantic calls target warm-up rounds first, then the counted rounds (then once more under --benchmark-cprofile).
    counted = results[WARMUP_ROUNDS : WARMUP_ROUNDS + rounds]
    info = build_extra_info(counted, quality, warmup_rounds=WARMUP_ROUNDS, timings_enabled=True)
    benchmark.extra_info["chimera"] = info
    if info["timings"] and not info["prompt_cache"]["clean"]:
        warnings.warn(PromptCacheWarning(info["notes"][-1]), stacklevel=2)
    return counted[-1]


def chimera_line(info: Mapping[str, Any]) -> str:
    """One terminal line summarising a captured block: rounds, medians, and how they were measured."""
    summary = info.get("summary", {})

    def med(metric: str) -> str:
        stats = summary.get(metric)
        return f"{stats['median']:.1f}" if stats else "-"

    if not info.get("timings"):
        return f"chimera: {info.get('rounds')} round(s), quality only ({info.get('notes', ['?'])[0]})"
    return (
        f"chimera: {info['rounds']} counted rounds + {info['warmup_rounds']} warm-up round not counted; "
        f"median ttft_ms {med('ttft_ms')}, tokens_per_s {med('tokens_per_s')}; "
        f"prompt cache {'clean' if info['prompt_cache']['clean'] else 'HIT (TTFT flattered)'}"
    )


# ------------------------------------------------------------------------------------- machine info

_ALIASES: dict[str, tuple[str, ...]] = {
    "backend": ("backend", "name"),
    "model": ("model",),
    "model_sha256": ("model_sha256", "sha256"),
    "ollama_digest": ("ollama_digest", "digest"),
    "quantization": ("quantization", "quantisation", "quantization_level"),
    "options": ("options",),
    "accelerator": ("accelerator",),
    "model_file": ("model_file", "model_path", "path"),
}


# describe() keys that change from run to run: kept out of machine_info, which should identify the setup.
_VOLATILE = frozenset({"load_ms"})


def machine_info_for(describe: Mapping[str, Any]) -> dict[str, Any]:
    """A backend's ``describe()`` normalised to machine_info keys (missing ones are None).

    The normalised keys come first; the backend's other keys (n_ctx, n_threads, host, ...) follow as they
    are, except volatile ones such as ``load_ms``.
    """
    out: dict[str, Any] = {}
    used: set[str] = set()
    for key, aliases in _ALIASES.items():
        found = next((a for a in aliases if describe.get(a) not in (None, "")), None)
        out[key] = describe[found] if found else None
        used.update(aliases)
    out["options"] = dict(out["options"] or {})
    for key, value in describe.items():
        if key not in used and key not in _VOLATILE:
            out[str(key)] = value
    return out


def record_backend(config: pytest.Config, describe: Mapping[str, Any]) -> None:
    """Called by the backends fixture once per loaded backend: its identity goes into machine_info."""
    described = config.stash.setdefault(DESCRIBED_KEY, [])
    entry = machine_info_for(describe)
    if entry not in described:
        described.append(entry)


def update_machine_info(config: pytest.Config, machine_info: dict[str, Any]) -> None:
    """Add ``machine_info["chimera"]``: the backends used (model, sha256 or digest, quantization, options)."""
    described = config.stash.get(DESCRIBED_KEY, [])
    accelerators = sorted({str(d["accelerator"]) for d in described if d.get("accelerator")})
    machine_info["chimera"] = {
        "backends": [dict(d) for d in described],
        "accelerator": ", ".join(accelerators) or None,
    }


def make_storage_atomic(storage: Any) -> bool:
    """Make pytest-benchmark's FileStorage.save write a temporary file and rename it (same file names).

    Returns False (and changes nothing) for a storage that is not the file storage of pytest-benchmark 5.
    """
    from pytest_chimera.compare import atomic_write_bytes

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
        atomic_write_bytes(output_file, text.encode())
        store.logger.info(f"Saved benchmark data in: {output_file}")

    store.save = save
    return True
