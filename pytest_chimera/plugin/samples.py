"""Repeated samples in pytest: the test body checks each sample, and passes on ``min_pass_rate``.

A test with ``samples=N`` (marker) or ``--chimera-samples N`` gets N agent runs from ``chimera_report``
(``plugin.report``). ``call_per_sample`` runs the test function once per sample with ``chimera_report``
set to that sample's run: an ``AssertionError`` or ``pytest.fail`` fails the sample, any other exception
is an error of the test. The test passes when the share of passed samples reaches ``min_pass_rate``
(default 1: every sample); the verdicts, pass rate and flips go into the test's record entry.
"""

from __future__ import annotations

from typing import Any

import pytest

from pytest_chimera.gating.samples import summary
from pytest_chimera.plugin.stash import TEST_STATE_KEY, TestState


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    line = text.splitlines()[0]
    return f"{type(exc).__name__}: {line}" if isinstance(exc, AssertionError) else line


def verdict_lines(state: TestState, info: dict[str, Any]) -> list[str]:
    """One line per sample: index, seed, verdict and the first line of its failure."""
    verdicts = state.verdicts or []
    lines = [f"{info['passed']} of {info['n']} samples passed (pass rate {info['pass_rate']:.2f}, min_pass_rate "
             f"{info['min_pass_rate']:g}); the verdict flipped {info['flips']} time(s)"]
    for i, (ok, why) in enumerate(verdicts):
        seed = state.seeds[i] if i < len(state.seeds) else None
        lines.append(f"  sample {i} (seed {seed}): {'passed' if ok else 'failed: ' + why}")
    return lines


def call_per_sample(item: pytest.Function) -> bool:
    """Run the test body once per sample (True), or leave the call to pytest (False: one sample)."""
    state = item.stash.get(TEST_STATE_KEY, None)
    if state is None or len(state.runs) < 2 or "chimera_report" not in item.funcargs:
        return False
    fixtureinfo: Any = item._fixtureinfo  # pytest's own pyfuncitem call reads the same names
    args = {name: item.funcargs[name] for name in fixtureinfo.argnames}
    outcomes: list[tuple[bool, str]] = []
    for run in state.runs:
        args["chimera_report"] = run
        try:
            item.obj(**args)
        except (AssertionError, pytest.fail.Exception) as exc:
            outcomes.append((False, _first_line(exc)))
        else:
            outcomes.append((True, ""))
    state.verdicts = outcomes
    info = summary([ok for ok, _ in outcomes], state.min_pass_rate, state.seeds)
    lines = verdict_lines(state, info)
    item.add_report_section("call", "chimera samples", "\n".join(lines) + "\n")
    if not info["ok"]:
        pytest.fail("chimera samples: " + "\n".join(lines), pytrace=False)
    return True
