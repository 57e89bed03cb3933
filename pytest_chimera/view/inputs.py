"""The page's inputs: run JSON files and saved pytest-benchmark runs, found in files and folders, and the
corpus facts each run is checked against (loaded once per corpus).

A JSON file is a run JSON when it is an object with a ``markdown`` text (``ReportRun.to_json``), a chimera run
record when it carries ``pytest_chimera_run`` (``.chimera/runs/``), a saved benchmark run when it has a
``benchmarks`` list (pytest-benchmark's format); any other JSON file in a folder is skipped with a note. A file
named on the command line that is none of these, or cannot be read, is an :class:`InputError` naming it. The
run JSON of sample ``i`` > 0 of a test lies beside the first as ``<stem>.sample<i>.json``
(:func:`group_samples` folds them into the first one's ``samples`` list).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_chimera.gating.saved import RECORD_KEY, RunFileError, SavedRun, run_from_json

SAMPLE_FILE = re.compile(r"(?P<stem>.+)\.sample(?P<index>[1-9][0-9]*)")

if TYPE_CHECKING:
    from pytest_chimera.evidence.facts import Facts


class InputError(ValueError):
    """An input file or folder that cannot be used; the message names it and says why."""


@dataclass
class Inputs:
    """Run JSON files (path, parsed data), chimera run records and saved benchmark runs, in the order found."""

    runs: list[tuple[Path, dict[str, Any]]] = field(default_factory=list)
    records: list[SavedRun] = field(default_factory=list)
    benchmarks: list[SavedRun] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _read(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: invalid JSON at line {exc.lineno}: {exc.msg}") from None


def kind_of(data: Any) -> str | None:
    """``run`` for a run JSON, ``record`` for a chimera run record, ``benchmark`` for a pytest-benchmark file,
    None for anything else."""
    if isinstance(data, dict) and isinstance(data.get("markdown"), str):
        return "run"
    if isinstance(data, dict) and RECORD_KEY in data:
        return "record"
    if isinstance(data, dict) and isinstance(data.get("benchmarks"), list):
        return "benchmark"
    return None


def _add(path: Path, inputs: Inputs, *, named: bool) -> None:
    try:
        data = _read(path)
    except InputError as exc:
        if named:
            raise
        inputs.notes.append(f"skipped {exc}")
        return
    kind = kind_of(data)
    if kind == "run":
        inputs.runs.append((path, data))
    elif kind in ("record", "benchmark"):
        try:
            (inputs.records if kind == "record" else inputs.benchmarks).append(run_from_json(data, str(path)))
        except RunFileError as exc:
            if named:
                raise InputError(str(exc)) from None
            inputs.notes.append(f"skipped {exc}")
    elif named:
        raise InputError(f"{path}: neither a run JSON (no 'markdown' text), a chimera run record nor a "
                         "pytest-benchmark file (no 'benchmarks' list)")
    else:
        inputs.notes.append(f"skipped {path}: neither a run JSON, a chimera run record nor a pytest-benchmark file")


def collect(paths: Iterable[Path]) -> Inputs:
    """Read every named file, and every ``*.json`` under every named folder (sorted by path)."""
    inputs = Inputs()
    for path in paths:
        if path.is_dir():
            for found in sorted(p for p in path.rglob("*.json") if p.is_file()):
                _add(found, inputs, named=False)
        elif path.exists():
            _add(path, inputs, named=True)
        else:
            raise InputError(f"{path}: no such file or folder")
    return inputs


def group_samples(runs: Sequence[tuple[Path, dict[str, Any]]], counts: Mapping[str, int] | None = None
                  ) -> list[tuple[Path, dict[str, Any]]]:
    """Fold each ``<stem>.sample<i>.json`` into the ``samples`` list of ``<stem>.json`` beside it, in order.

    ``counts`` (samples per file stem, from a run record) keeps the first n: a later session with fewer samples
    leaves older sample files behind. A sample file without its first run stays a run of its own.
    """
    extra: dict[tuple[Path, str], dict[int, dict[str, Any]]] = {}
    for path, data in runs:
        m = SAMPLE_FILE.fullmatch(path.stem)
        if m:
            extra.setdefault((path.parent, m["stem"]), {})[int(m["index"])] = data
    bases = {(path.parent, path.stem) for path, _ in runs if not SAMPLE_FILE.fullmatch(path.stem)}
    out = []
    for path, data in runs:
        m = SAMPLE_FILE.fullmatch(path.stem)
        if m and (path.parent, m["stem"]) in bases:
            continue
        more = extra.get((path.parent, path.stem), {})
        n = (counts or {}).get(path.stem)
        kept = [more[i] for i in sorted(more) if n is None or i < n]
        if kept and not isinstance(data.get("samples"), list):
            data = {**data, "samples": [data, *kept]}
        out.append((path, data))
    return out


class FactsLoader:
    """The facts of each corpus, computed once; a run names its corpus, else the default one is used.

    ``cache`` may be shared with its owner (the pytest session's corpus cache): facts found there are reused
    and facts computed here are added to it.
    """

    def __init__(self, default: Path | None = None, *, cache: MutableMapping[Path, Facts] | None = None,
                 load: Callable[[Path], Facts] | None = None) -> None:
        self.default = default
        self.cache: MutableMapping[Path, Facts] = cache if cache is not None else {}
        self._load = load or _compute
        self.errors: dict[Path, str] = {}

    def corpus_for(self, named: Any) -> Path | None:
        """The corpus to check a run against: the one it names when that folder is here, else the default."""
        if isinstance(named, str) and named and Path(named).is_dir():
            return Path(named)
        return self.default

    def facts_for(self, named: Any) -> tuple[Facts | None, str]:
        """(facts, note): the note says why there are none."""
        corpus = self.corpus_for(named)
        if corpus is None:
            where = f"its corpus {named} is not here" if isinstance(named, str) and named else "it names no corpus"
            return None, f"numbers not checked against a corpus: {where} (pass --corpus DIR)"
        key = corpus.resolve()
        if key in self.errors:
            return None, self.errors[key]
        if key not in self.cache:
            try:
                self.cache[key] = self._load(key)
            except (OSError, ValueError) as exc:
                self.errors[key] = f"corpus {corpus} could not be loaded ({exc}): numbers not checked"
                return None, self.errors[key]
        return self.cache[key], ""


def _compute(corpus: Path) -> Facts:
    from pytest_chimera.evidence.corpus import load_corpus
    from pytest_chimera.evidence.facts import compute_facts

    if not corpus.is_dir():
        raise ValueError(f"{corpus} is not a directory")
    return compute_facts(load_corpus(corpus))
