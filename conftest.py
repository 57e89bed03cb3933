"""Root conftest: the shared corpus location for tests that read the real chimeraforge corpus."""

from __future__ import annotations

import os
from pathlib import Path

# pytester's in-process runs unload modules first imported during the run, and numpy cannot be imported
# twice in one process: importing it here, once, keeps every in-process run that loads pandas working.
import numpy  # noqa: F401
import pytest

from pytest_chimera.backends.gguf import cache_dir

# pytester points HOME at a temporary folder; keep inner sessions on the one assembled model file
# instead of assembling 253 MB again per test. Tests of the cache itself set their own folder.
os.environ.setdefault("PYTEST_CHIMERA_CACHE", str(cache_dir()))
# tests replace the checker's parts in memory, which the key figures' store (keyed by the code's files) cannot
# see: it is off here, whatever the caller's setting; tests/test_figstore.py turns it on, in a folder of its own
os.environ["PYTEST_CHIMERA_FIGURES_CACHE"] = "0"

SHARED = Path(__file__).resolve().parent.parent / "shared"


@pytest.fixture(scope="session")
def chimeraforge_corpus() -> Path:
    """The real 101-file corpus in ../shared; tests using it skip where that folder is absent."""
    path = SHARED / "corpus" / "chimeraforge"
    if not path.is_dir():
        pytest.skip(f"real corpus not found at {path} (it lives in ../shared beside the repo)")
    return path


@pytest.fixture(scope="session")
def seed_report() -> Path:
    """The original Chimera Agent B report in ../shared; tests using it skip where it is absent."""
    path = SHARED / "seed" / "chimera_agent_b_report.md"
    if not path.is_file():
        pytest.skip(f"seed report not found at {path} (it lives in ../shared beside the repo)")
    return path
