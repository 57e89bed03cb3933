"""The variables pytest-xdist sets in each worker: a pytest session a test starts (``pytester``, a subprocess)
must not inherit them, or it takes itself for a worker (no timings, no gate, no files)."""

from __future__ import annotations

import os
from collections.abc import Mapping

WORKER_ENV = ("PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "PYTEST_XDIST_TESTRUNUID")


def inner_env(env: Mapping[str, str] | None = None, **extra: str) -> dict[str, str]:
    """``env`` (default: this process's environment) without xdist's worker variables, plus ``extra``."""
    base = dict(os.environ if env is None else env)
    for name in WORKER_ENV:
        base.pop(name, None)
    return {**base, **extra}
