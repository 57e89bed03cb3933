"""What one chimera test records: per-round metrics, their summary and notes, structure rules, identity.

``capture_rounds`` runs one uncounted warm-up round (model load, first-touch caches) and then ``rounds``
counted rounds through ``benchmark.pedantic``. Each round's run is reduced with :func:`runs.aggregate`
(the run's Metrics block) and stored under ``benchmark.extra_info["chimera"]``; a test that is not timed
(no benchmark, pytest-xdist, ``--benchmark-disable``, a replay) stores the same block with quality only,
one entry per sample. The same block is the test's entry in the session's chimera run record::

    {"schema": 2, "backend": ..., "model": ..., "options": {...},
     "rounds": N, "warmup_rounds": 1, "replayed": false, "timings": true,
     "per_round": {"ttft_ms": [...], "tokens_per_s": [...], ..., "contradicted": [...]},
     "summary":   {"ttft_ms": {"median", "mean", "p90", "stddev", "min", "max"}, ...},
     "prompt_cache": {"cached_prompt_tokens": [...per round...], "clean": true},
     "missing": ["load_ms", ...],   # only when a call could not measure them: absent from per_round, not 0
     "structure": {"spec": "collector", "rules": [...], "failed": [[rule ids failed], ...per round]},
     "samples": {"n", "seeds", "verdicts", "passed", "pass_rate", "flips", "min_pass_rate", "ok", "flaky"},
     "identity": {"digest", "quantization", "accelerator"},
     "notes": ["warm-up round not counted ...", "prompt caching: ..."]}

``samples`` and ``identity`` are added by the plugin once the test has run. Prompt caching: each counted
round must evaluate its whole prompt. The agent builds its prompts afresh every round and the backends
report ``CallMetrics.cached_prompt_tokens``; a counted round with cached prompt tokens is flagged
(``prompt_cache.clean`` false, a note and a warning), because its TTFT is flattered by a cache hit.
"""


from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pytest_chimera.agent.runs import ReportRun
from pytest_chimera.gating.rules import QUALITY_METRICS, TIMING_METRICS
from pytest_chimera.gating.stats import summarize

SCHEMA = 2
WARMUP_ROUNDS = 1

WARMUP_NOTE = "warm-up round not counted: 1 round ran before the counted rounds, so model load is not in the figures"
CACHE_NOTE = (
    "prompt caching: the agent builds fresh prompts each round and the embedded backend clears its context "
    "before every call (reuse_prefix=False); cached prompt tokens are recorded per round and a hit is flagged"
)
REPLAYED_NOTE = "replayed from a cassette: timings are recorded ones, not measurements; only quality is stored"
DISABLED_NOTE = (
    "timings not captured: pytest-benchmark is disabled (pytest-xdist or --benchmark-disable); the agent ran "
    "once per sample and only quality is stored. Run timing benchmarks without xdist (-p no:xdist or -n 0)"
)
UNTIMED_NOTE = "not benchmarked: the agent ran once per sample and only quality is stored"


@dataclass(frozen=True)
class Checked:
    """The quality of one run: counts keyed by QUALITY_METRICS, and the structure rules checked and failed."""

    counts: Mapping[str, int]
    spec: str | None = None
    rules: tuple[str, ...] = ()
    failed_rules: tuple[str, ...] = ()


Quality = Callable[[ReportRun], "Mapping[str, int] | Checked"]


def checked(run: ReportRun, quality: Quality | None) -> Checked:
    """``quality(run)`` as a Checked (a plain mapping of counts has no structure rules); keys validated."""
    if quality is None:
        return Checked({})
    result = quality(run)
    found = result if isinstance(result, Checked) else Checked(dict(result))
    unknown = sorted(set(found.counts) - set(QUALITY_METRICS))
    if unknown:
        raise ValueError(f"quality() returned unknown counts {unknown}; expected keys from {list(QUALITY_METRICS)}")
    return Checked({k: int(v) for k, v in found.counts.items()}, found.spec, tuple(found.rules),
                   tuple(found.failed_rules))


def unmeasured(run: ReportRun) -> set[str]:
    """The timing metrics of ``run`` some call could not measure (``ReportRun.missing_metrics``, derived ones
    included)."""
    return set(run.missing_metrics) & set(TIMING_METRICS)


def round_values(run: ReportRun, quality: Quality | None, *, timings: bool,
                 result: Checked | None = None) -> dict[str, float]:
    """The metrics of one round: measured timings from the aggregated calls (unless off), then quality counts.

    A timing metric a call could not measure is left out (no value), never stored as 0. ``result`` is the
    run's quality if already checked.
    """
    values: dict[str, float] = {}
    if timings:
        metrics = run.metrics
        skip = unmeasured(run)
        values.update({m: float(metrics[m]) for m in TIMING_METRICS if m not in skip})
    found = result if result is not None else checked(run, quality)
    values.update({k: float(v) for k, v in found.counts.items()})
    return values


def _structure(results: Sequence[Checked]) -> dict[str, Any] | None:
    specs = [r for r in results if r.rules]
    if not specs:
        return None
    return {"spec": specs[0].spec, "rules": list(specs[0].rules), "failed": [list(r.failed_rules) for r in results]}


def build_extra_info(
    runs: list[ReportRun], quality: Quality | None, *, warmup_rounds: int, timings_enabled: bool,
    untimed_note: str = DISABLED_NOTE,
) -> dict[str, Any]:
    """The ``extra_info["chimera"]`` block for counted ``runs`` (see the module docstring)."""
    if not runs:
        raise ValueError("no counted rounds to record")
    last = runs[-1]
    replayed = any(r.replayed for r in runs)
    timings = timings_enabled and not replayed
    per_round: dict[str, list[float]] = {}
    results = [checked(run, quality) for run in runs]
    # a metric unmeasured in any counted round is left out of every round (the lists stay one per round)
    missing = sorted(set().union(*(unmeasured(run) for run in runs))) if timings else []
    for run, result in zip(runs, results, strict=True):
        for metric, value in round_values(run, quality, timings=timings, result=result).items():
            if metric not in missing:
                per_round.setdefault(metric, []).append(value)
    notes = []
    if timings:
        notes.append(WARMUP_NOTE if warmup_rounds else "no warm-up round: model load may be in the figures")
        notes.append(CACHE_NOTE)
    elif replayed:
        notes.append(REPLAYED_NOTE)
    else:
        notes.append(untimed_note)
    cached = [sum(c.metrics.cached_prompt_tokens for c in r.calls) for r in runs]
    clean = not any(cached)
    if missing:
        notes.append(f"not measured by the backend, so not recorded (the gate does not compare them): "
                     f"{', '.join(missing)}")
    if timings and not clean:
        notes.append(f"prompt cache hit in counted rounds (cached prompt tokens per round: {cached}): "
                     "TTFT is flattered")
    block: dict[str, Any] = {
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
    if missing:
        block["missing"] = missing
    structure = _structure(results)
    if structure is not None:
        block["structure"] = structure
    return block


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


def test_identity(describe: Mapping[str, Any]) -> dict[str, str]:
    """The identity a test's entry carries: its backend's model digest (or sha256), quantization, accelerator."""
    entry = machine_info_for(describe)
    found = {
        "digest": entry["model_sha256"] or entry["ollama_digest"],
        "quantization": entry["quantization"],
        "accelerator": entry["accelerator"],
    }
    return {k: str(v) for k, v in found.items() if v not in (None, "")}
