"""The key figures kept across processes, so that a fresh process does not build the checker's fact index again.

The key figures (``figures.key_figures``) are a pure function of the facts, the persona and this package's
code, and the first ones of a process cost ~150 ms: numpy's import, the checker's fact index over every fact,
the checks of the candidate sentences. So they are stored, one small JSON file per
(facts, persona, code), under ``<cache>/key-figures/`` (``cachedir.cache_dir``: ``$PYTEST_CHIMERA_CACHE``,
else ``$XDG_CACHE_HOME/pytest-chimera``, else ``~/.cache/pytest-chimera``).

- The facts are named by a digest of their content: SHA-1 of the rows pickled without a memo (~11 ms for the
  12,141 facts of the real corpus; hashed as it is written, so 750,000 facts never hold 400 MB of pickle).
  Rows that differ in any key, value, unit, source or label give other bytes, and the same rows give the
  same bytes in every process. (``marshal`` is faster, ~6 ms, but it marks an object as shared by its
  reference count, so the same facts gave other bytes where something else still held one of their strings;
  a pickle's memo would make the bytes follow which equal strings are one object.)
- The code is named by this package's version and the size and modification time of every ``.py`` file of
  it, so an edited checker (or a mutant) never reads figures an older one chose, and of numpy's
  ``__init__.py`` (found, not imported), which the checker's index computes with.
- A missing, unreadable or malformed entry is computed again; an entry that cannot be written is skipped:
  the store never fails a run. ``PYTEST_CHIMERA_FIGURES_CACHE=0`` turns it off.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from types import SimpleNamespace

from pytest_chimera.agent.personas import Persona
from pytest_chimera.agent.prompts import Row

FORMAT = 1
KEEP = 256  # entries kept; the oldest go when a new one is written
OFF = frozenset({"0", "off", "no", "false"})
PACKAGE = Path(__file__).resolve().parent.parent


def enabled() -> bool:
    """Whether the store is on (``PYTEST_CHIMERA_FIGURES_CACHE`` is not 0 / off / no / false)."""
    return os.environ.get("PYTEST_CHIMERA_FIGURES_CACHE", "").strip().lower() not in OFF


@lru_cache(maxsize=4)
def code_stamp(package: Path = PACKAGE) -> str:
    """A digest of this package's version, the (path, size, mtime) of each of its ``.py`` files and of
    numpy's ``__init__.py`` (an upgraded numpy is another installation)."""
    from importlib.util import find_spec

    from pytest_chimera.version import __version__

    digest = hashlib.sha1(f"{FORMAT} {__version__} {sys.version_info[:2]}".encode(), usedforsecurity=False)
    numpy = find_spec("numpy")
    if numpy is not None and numpy.origin:
        info = os.stat(numpy.origin)
        digest.update(f"{numpy.origin} {info.st_size} {info.st_mtime_ns}\n".encode())
    for folder, dirs, files in os.walk(package):  # top down, each folder's subfolders in name order
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if name.endswith(".py"):
                info = os.stat(os.path.join(folder, name))
                digest.update(f"{folder}/{name} {info.st_size} {info.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def facts_digest(rows: Sequence[Row]) -> str | None:
    """A digest of the facts' content, or None for rows that cannot be pickled (an object of a local class)."""
    try:  # the C pickler alone: ``pickle`` adds ~1 ms of imports to a fresh process
        from _pickle import Pickler, PicklingError
    except ImportError:  # pragma: no cover - an interpreter without it
        from pickle import Pickler, PicklingError
    digest = hashlib.sha1(usedforsecurity=False)
    pickler = Pickler(SimpleNamespace(write=digest.update), protocol=5)  # hashed frame by frame, never held
    pickler.fast = True  # no memo: each object written whole, so equal rows give equal bytes
    try:
        pickler.dump(rows if isinstance(rows, list) else list(rows))
    except (PicklingError, TypeError, AttributeError, ValueError):
        return None
    return digest.hexdigest()


def entry(digest: str, persona: Persona, cache: Path | None = None) -> Path:
    """The store's file for these facts (``facts_digest``) and persona, under this code."""
    if cache is None:
        from pytest_chimera.cachedir import cache_dir

        cache = cache_dir()
    key = hashlib.sha1(f"{code_stamp()} {digest} {persona!r}".encode(), usedforsecurity=False).hexdigest()
    return cache / "key-figures" / f"{key}.json"


def load(path: Path) -> list[str] | None:
    """The sentences stored at ``path``, or None (absent, unreadable, not this format)."""
    try:
        stored = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    sentences = stored.get("sentences") if isinstance(stored, dict) and stored.get("format") == FORMAT else None
    if isinstance(sentences, list) and all(isinstance(s, str) for s in sentences):
        return sentences
    return None


def save(path: Path, sentences: Sequence[str], persona: Persona) -> None:
    """Store the sentences at ``path`` (whole or not at all), then keep the ``KEEP`` most recently written
    entries; any failure to write is ignored."""
    from pytest_chimera.atomic import write_atomic

    try:
        write_atomic(path, json.dumps({"format": FORMAT, "persona": persona.name, "sentences": list(sentences)}))
        entries = list(path.parent.glob("*.json"))
        if len(entries) > KEEP:
            entries.sort(key=lambda p: p.stat().st_mtime_ns)
            for old in entries[:len(entries) - KEEP]:
                old.unlink(missing_ok=True)
    except OSError:
        pass
