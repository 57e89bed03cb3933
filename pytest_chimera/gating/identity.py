"""Identity: what must match for two runs to be comparable, and exactly what differs when it does not.

Compared always: each model's file (sha256 or Ollama digest) and quantization, the accelerator, and each
test's backend and model; a run that mixes two digests or accelerators for one model is refused too.
Compared when timings are (a test both runs timed): the machine (system, architecture, CPU model and count;
not the host name, since ephemeral CI runners differ only in it), and per model the model server it ran on
(``host``) and how many xdist workers shared it (``workers_per_host``): TTFT under load includes queueing.
Quality does not depend on the runner's CPU model, and CI runners of one kind do not all have the same one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pytest_chimera.gating.saved import SavedRun

_MACHINE_KEYS = ("system", "machine")
_CPU_KEYS = ("brand_raw", "count")


def _plain(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    return str(value)


def machine(run: SavedRun) -> dict[str, str | None]:
    """system, machine, cpu.brand_raw, cpu.count as text (None where the run does not say)."""
    info = run.machine_info
    cpu = info.get("cpu")
    cpu_info: Mapping[str, Any] = cpu if isinstance(cpu, Mapping) else {}
    return {
        **{k: _plain(info.get(k)) for k in _MACHINE_KEYS},
        **{f"cpu.{k}": _plain(cpu_info.get(k)) for k in _CPU_KEYS},
    }


def _models(run: SavedRun) -> dict[str, dict[str, set[str]]]:
    """Per ``model (backend)``: the digests, quantizations and accelerators the run reports for it."""
    out: dict[str, dict[str, set[str]]] = {}
    for entry in run.backends:
        key = f"{entry.get('model') or '?'} ({entry.get('backend') or '?'})"
        seen = out.setdefault(key, {"model file": set(), "quantization": set(), "accelerator": set()})
        digest = entry.get("model_sha256") or entry.get("ollama_digest")
        for name, value in (("model file", digest), ("quantization", entry.get("quantization")),
                            ("accelerator", entry.get("accelerator"))):
            if value:
                seen[name].add(value)
    for test in run.tests.values():  # per-test identity (chimera records) joins the same sets
        key = f"{test.model or '?'} ({test.backend or '?'})"
        seen = out.setdefault(key, {"model file": set(), "quantization": set(), "accelerator": set()})
        for name, field in (("model file", "digest"), ("quantization", "quantization"),
                            ("accelerator", "accelerator")):
            if test.identity.get(field):
                seen[name].add(test.identity[field])
    return out


def _serving(run: SavedRun) -> dict[str, dict[str, set[str]]]:
    """Per ``model (backend)``: the servers it ran on and how many workers shared each (timings depend on both)."""
    out: dict[str, dict[str, set[str]]] = {}
    for entry in run.backends:
        key = f"{entry.get('model') or '?'} ({entry.get('backend') or '?'})"
        seen = out.setdefault(key, {"host": set(), "workers per host": set()})
        for name, field in (("host", "host"), ("workers per host", "workers_per_host")):
            if entry.get(field):
                seen[name].add(str(entry[field]))
    return out


def _show(values: set[str]) -> str:
    return " and ".join(sorted(values))


def timed_both(baseline: SavedRun, current: SavedRun) -> bool:
    """True when some test has timings in both runs (then the machine must match too)."""
    return any(baseline.tests[n].timings and current.tests[n].timings for n in set(baseline.tests) & set(current.tests))


def identity_differences(baseline: SavedRun, current: SavedRun) -> list[str]:
    """Each difference that makes the runs incomparable, in words: what, the baseline's, the current's."""
    diffs = []
    base_machine, cur_machine = machine(baseline), machine(current)
    for key, b in base_machine.items() if timed_both(baseline, current) else ():
        c = cur_machine[key]
        if b is not None and c is not None and b != c:
            diffs.append(f"machine {key}: baseline {b!r}, current {c!r}")
    if timed_both(baseline, current):
        base_serving, cur_serving = _serving(baseline), _serving(current)
        for model in sorted(set(base_serving) & set(cur_serving)):
            for name in ("host", "workers per host"):
                b_seen, c_seen = base_serving[model][name], cur_serving[model][name]
                if b_seen and c_seen and b_seen != c_seen:
                    diffs.append(f"{model} {name} (timings): baseline {_show(b_seen)}, current {_show(c_seen)}")
    base_models, cur_models = _models(baseline), _models(current)
    for label, models in (("baseline", base_models), ("current run", cur_models)):
        for model, seen in sorted(models.items()):
            for name, values in seen.items():
                if len(values) > 1:
                    diffs.append(f"mixed {name} within the {label}: {model} ran with {_show(values)}")
    for model in sorted(set(base_models) & set(cur_models)):
        for name in ("model file", "quantization", "accelerator"):
            b_seen, c_seen = base_models[model][name], cur_models[model][name]
            if b_seen and c_seen and b_seen != c_seen:
                diffs.append(f"{model} {name}: baseline {_show(b_seen)}, current {_show(c_seen)}")
    if baseline.accelerator and current.accelerator and baseline.accelerator != current.accelerator:
        diffs.append(f"accelerator: baseline {baseline.accelerator!r}, current {current.accelerator!r}")
    for name in sorted(set(baseline.tests) & set(current.tests)):
        b_test, c_test = baseline.tests[name], current.tests[name]
        if (b_test.backend, b_test.model) != (c_test.backend, c_test.model):
            diffs.append(f"{name}: baseline {b_test.backend}/{b_test.model}, current {c_test.backend}/{c_test.model}")
    return diffs


def identity_notes(baseline: SavedRun, current: SavedRun) -> list[str]:
    """What could not be checked: an accelerator or model file known on one side only."""
    notes = []
    if bool(baseline.accelerator) != bool(current.accelerator):
        side = "baseline" if not baseline.accelerator else "current run"
        notes.append(f"the {side} does not say which accelerator it ran on; accelerators not compared")
    return notes
