"""Chimera run records: one JSON file per session that ran a chimera test, whatever pytest-benchmark did.

Where: ``<output dir>/runs/NNNN_<UTC time>.json`` (``.chimera/runs/`` by default), numbered like
pytest-benchmark's files. What::

    {"pytest_chimera_run": 1, "datetime": "2026-11-30T10:00:00+00:00",
     "machine_info": {"system", "machine", "node", "cpu": {"brand_raw", "count"}, "python_version",
                      "chimera": {"backends": [...], "accelerator": ...}},
     "commit_info": {"id", "time", "dirty", ...},
     "session": {"xdist_workers": 2, "benchmark": "disabled", "samples": 1},
     "tests": {"tests/test_r.py::test_a": {...the block of gating.record...}}}

Non-finite numbers are written as ``null`` (JSON has no NaN); a reader takes a null among values as a
failure to measure. The file is written atomically, so a reader sees the old state or the whole record.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pytest_chimera.atomic import write_atomic
from pytest_chimera.gating.saved import RECORD_KEY, saved_files

RECORD_VERSION = 1
RUNS_DIR = "runs"


def runs_dir(output: Path) -> Path:
    """Where the records of an output directory go."""
    return output / RUNS_DIR


def _finite(value: Any) -> Any:
    """``value`` with every non-finite float replaced by None (JSON cannot carry NaN or Infinity)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Mapping):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def build_record(
    tests: Mapping[str, Mapping[str, Any]],
    machine_info: Mapping[str, Any],
    commit_info: Mapping[str, Any],
    session: Mapping[str, Any],
    when: datetime | None = None,
) -> dict[str, Any]:
    """The record's JSON object (see the module docstring)."""
    moment = when or datetime.now(timezone.utc)
    return {
        RECORD_KEY: RECORD_VERSION,
        "datetime": moment.isoformat(),
        "machine_info": dict(machine_info),
        "commit_info": dict(commit_info),
        "session": dict(session),
        "tests": {name: dict(block) for name, block in sorted(tests.items())},
    }


def dumps(record: Mapping[str, Any]) -> str:
    """Strict JSON text of a record: non-finite numbers as null."""
    return json.dumps(_finite(record), indent=1, allow_nan=False, default=str) + "\n"


def next_path(folder: Path, when: datetime | None = None) -> Path:
    """``folder/NNNN_<YYYYmmddTHHMMSSZ>.json``, numbered one past the highest number there."""
    files = saved_files(folder)
    number = int(files[-1].name[:4]) + 1 if files else 1
    stamp = (when or datetime.now(timezone.utc)).strftime("%Y%m%dT%H%M%SZ")
    path = folder / f"{number:04d}_{stamp}.json"
    while path.exists():  # another session took the number in the meantime
        number += 1
        path = folder / f"{number:04d}_{stamp}.json"
    return path


def write_record(folder: Path, record: Mapping[str, Any], when: datetime | None = None) -> Path:
    """Write ``record`` as the next numbered file in ``folder`` (atomically); returns its path."""
    path = next_path(folder, when)
    write_atomic(path, dumps(record))
    return path
