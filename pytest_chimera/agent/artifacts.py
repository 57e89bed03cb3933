"""Files a run leaves behind: its markdown and run JSON, written atomically, named after the test id."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pytest_chimera.agent.runs import ReportRun
from pytest_chimera.atomic import write_atomic

MAX_STEM = 150  # characters of a file stem, well under every filesystem's 255-byte name limit


def sanitize_test_id(nodeid: str) -> str:
    """A file stem from a test id: ``tests/test_x.py::test_a[p-1]`` -> ``tests_test_x.py__test_a_p-1``.

    Characters other than letters, digits, ``.``, ``-`` and ``_`` become ``_``; a stem longer than
    ``MAX_STEM`` is cut and given a hash of the full id, so two long ids never share a file.
    """
    stem = re.sub(r"[^A-Za-z0-9._-]", "_", nodeid.replace("::", "__")).strip("._") or "test"
    if len(stem) > MAX_STEM:
        digest = hashlib.sha256(nodeid.encode("utf-8")).hexdigest()[:12]
        stem = f"{stem[: MAX_STEM - 13]}-{digest}"
    return stem


def run_json_text(run: ReportRun, checks: Mapping[str, Any] | None = None) -> str:
    """The run JSON (``ReportRun.to_json``, plus ``checks`` when given), indented, with a final newline."""
    data = run.to_json()
    if checks is not None:
        data["checks"] = dict(checks)
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def write_run(run: ReportRun, directory: Path, stem: str,
              checks: Mapping[str, Any] | None = None) -> tuple[Path, Path]:
    """Write ``<stem>.md`` and ``<stem>.json`` under ``directory``; returns both paths. ``checks``: what the
    run's checks found (the scorecard's row: structure, checked, supported, ...), stored as ``checks``."""
    md_path, json_path = directory / f"{stem}.md", directory / f"{stem}.json"
    write_atomic(md_path, run.markdown if run.markdown.endswith("\n") else run.markdown + "\n")
    write_atomic(json_path, run_json_text(run, checks))
    return md_path, json_path
