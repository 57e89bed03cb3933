"""Scan and parse a benchmark corpus: CSV, JSON and Markdown files under one root directory.

``load_corpus(root)`` walks ``root`` and reads every ``.csv``, ``.json`` and ``.md`` file (extension
case-insensitive). Paths are relative to the root, ``/``-separated and sorted by code point, so two runs
on two machines list the same files in the same order.

- CSV -> a pandas DataFrame (``Corpus.tables``; plain CSVs are read without pandas and their frame
  is built on first access, see ``parse_csv``).
- JSON -> the parsed value (``Corpus.json_data``) and its numeric leaves (``Corpus.json_leaves``: one
  DataFrame with columns ``file``, ``json_path``, ``value``, ``model``; ``json_path`` is ``results[0].ttft_s``).
- Markdown -> the text (``Corpus.markdown``) and its pipe tables (``Corpus.md_tables``), each cell parsed
  to a number where it is one (``3,503``, ``0.06s``, ``**303.9 tok/s**``, ``79.9%``, ``1.598x``).

Text encodings: UTF-8, UTF-8 with BOM, UTF-16 with BOM (LE or BE; a trailing odd byte, as in a truncated
UTF-16 file, is dropped), and UTF-16 whose BOM was itself re-encoded as UTF-8 (``c3 bf c3 be``, as in the
real corpus's ``reports/profiling/ncu_summary.csv``) or that has no BOM but a NUL in every other byte.
Anything else is an ingest error.

One bad file never aborts the ingest: it becomes an ``IngestError(path, reason)`` with a one-line reason
(invalid JSON, binary, empty, undecodable, over the size cap, unreadable, a symlink that leaves the root,
loops or dangles). Errored files still count as files of their type in ``Corpus.files``.

Size cap: ``MAX_FILE_BYTES`` (16 MiB) per file by default, ``load_corpus(root, max_bytes=...)`` to change
it; benchmark artefacts are small and a larger file is almost always a stray dump.

Walk rules: hidden entries (name starting with ``.``) are skipped, so ``.git`` or ``.benchmarks`` inside a
corpus are not ingested. Directory symlinks are not followed: one that stays inside the root would only
list the same files twice; one that leaves the root or points at its own ancestor (a loop) is an error.

Only the standard library is imported at module level; pandas is imported on first use.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_chimera.evidence import formats as fmt
from pytest_chimera.evidence import jsonleaves
from pytest_chimera.evidence.beneath import Opener, display_name, read_beneath, real_parts, within
from pytest_chimera.evidence.collector import bulk_build
from pytest_chimera.evidence.formats import CsvColumns, MarkdownTable, decode, markdown_tables, parse_csv

if TYPE_CHECKING:
    import pandas as pd

KINDS = ("csv", "json", "md")
KIND_TITLES = {"csv": "CSV", "json": "JSON", "md": "MARKDOWN"}
MAX_FILE_BYTES = 16 * 1024 * 1024
PREVIEW = 5

_EXTENSIONS = {".csv": "csv", ".json": "json", ".md": "md"}


@dataclass(frozen=True)
class CorpusFile:
    """One corpus file: relative ``/``-separated path, kind (csv|json|md), size in bytes, mtime (epoch s)."""

    path: str
    kind: str
    size: int
    mtime: float


@dataclass(frozen=True)
class IngestError:
    """A file that could not be read or parsed, with a one-line reason."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


@dataclass
class Corpus:
    """A loaded corpus: the files found, what parsed, and what did not."""

    root: Path
    files: list[CorpusFile]
    tables: Tables = field(default_factory=lambda: Tables())
    json_data: dict[str, Any] = field(default_factory=dict)
    markdown: dict[str, str] = field(default_factory=dict)
    md_tables: dict[str, list[MarkdownTable]] = field(default_factory=dict)
    errors: list[IngestError] = field(default_factory=list)
    encodings: dict[str, str] = field(default_factory=dict)
    _leaves: list[tuple[str, str, float, str]] = field(default_factory=list, repr=False)
    _leaves_frame: pd.DataFrame | None = field(default=None, repr=False)

    def by_kind(self, kind: str) -> list[CorpusFile]:
        """The files of one kind (csv, json, md), in corpus order."""
        return [f for f in self.files if f.kind == kind]

    def count(self, kind: str | None = None) -> int:
        """Number of files, of one kind or in all."""
        return len(self.files) if kind is None else sum(1 for f in self.files if f.kind == kind)

    @property
    def json_leaves(self) -> pd.DataFrame:
        """Numeric leaves of every JSON file: columns ``file``, ``json_path``, ``value``, ``model`` (the nearest
        enclosing ``"model"`` string, or ""); built on first use."""
        if self._leaves_frame is None:
            import pandas as pd

            self._leaves_frame = pd.DataFrame(self._leaves, columns=["file", "json_path", "value", "model"])
        return self._leaves_frame

    def iter_json_leaves(self) -> Iterator[tuple[str, str, float, str]]:
        """``(file, json_path, value, model)`` for every numeric JSON leaf, in corpus order, without pandas."""
        return iter(self._leaves)

    def data_summary(self, preview: int = PREVIEW) -> str:
        """The inventory block the original agent fed its model (seed report's "Data summary").

        ``Total files analyzed: N``; per type with files ``CSV Files (28)``, the first ``preview`` paths,
        ``... and N more``, ``Latest modified: YYYY-MM-DD HH:MM:SS UTC``; then ingest errors, if any.
        """
        lines = [f"Total files analyzed: {len(self.files)}"]
        for kind in KINDS:
            files = self.by_kind(kind)
            if not files:
                continue
            lines += ["", f"{KIND_TITLES[kind]} Files ({len(files)})"]
            lines += [f"  - {f.path}" for f in files[:preview]]
            if len(files) > preview:
                lines.append(f"  ... and {len(files) - preview} more")
            latest = max(f.mtime for f in files)
            stamp = datetime.fromtimestamp(latest, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
            lines.append(f"  Latest modified: {stamp} UTC")
        if self.errors:
            lines += ["", f"Ingest errors ({len(self.errors)})"]
            lines += [f"  - {e}" for e in self.errors]
        return "\n".join(lines)


class Tables(MutableMapping[str, "pd.DataFrame"]):
    """``Corpus.tables``: path -> DataFrame, in corpus order.

    A CSV that ``parse_csv`` read is kept as its text and columns; its DataFrame is made with ``read_csv``
    on first access (the same frame an eager ``read_csv`` gives). ``columns(path)`` gives the parsed
    columns without building the frame (None for a frame set or read directly).
    """

    def __init__(self, frames: dict[str, pd.DataFrame] | None = None) -> None:
        self._entries: dict[str, Any] = dict(frames or {})
        self._parsed: dict[str, tuple[str, CsvColumns]] = {}

    def add_parsed(self, path: str, text: str, columns: CsvColumns) -> None:
        self._entries[path] = None
        self._parsed[path] = (text, columns)

    def columns(self, path: str) -> CsvColumns | None:
        entry = self._parsed.get(path)
        return None if entry is None else entry[1]

    def __getitem__(self, path: str) -> pd.DataFrame:
        frame = self._entries[path]
        if frame is None:
            try:
                frame = fmt.read_csv(self._parsed[path][0])
            except fmt.SkipFile as exc:  # parse_csv takes only what read_csv reads; never seen, but name the file
                raise ValueError(f"{path}: {exc}") from None
            self._entries[path] = frame
        return frame

    def __setitem__(self, path: str, frame: pd.DataFrame) -> None:
        self._parsed.pop(path, None)
        self._entries[path] = frame

    def __delitem__(self, path: str) -> None:
        del self._entries[path]
        self._parsed.pop(path, None)

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, path: object) -> bool:
        return path in self._entries

    def __repr__(self) -> str:
        return f"Tables({len(self._entries)} tables, {len(self._parsed)} read without pandas)"



# ---- walking ---------------------------------------------------------------------------------------------


Candidate = tuple[str, str, os.DirEntry[str], tuple[str, ...]]


def _walk(root: Path, errors: list[IngestError]) -> list[Candidate]:
    """``(relative path, kind, entry, names)`` of every candidate file under root, sorted by path.

    The relative path is for display and keys (``display_name`` of each part); ``entry.path`` is the real one,
    ``names`` the real names from the root down to it.
    """
    found: list[Candidate] = []
    pending: list[tuple[str, str, tuple[str, ...]]] = [(str(root), "", ())]
    while pending:
        directory, prefix, names = pending.pop()
        try:
            entries = list(os.scandir(directory))
        except OSError as exc:
            errors.append(IngestError(prefix.rstrip("/") or ".", f"unreadable directory: {exc.strerror or exc}"))
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            rel = prefix + display_name(entry.name)
            try:
                is_link = entry.is_symlink()
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError as exc:
                errors.append(IngestError(rel, f"unreadable: {exc.strerror or exc}"))
                continue
            if is_dir:
                pending.append((entry.path, rel + "/", (*names, entry.name)))
                continue
            dot = entry.name.rfind(".")  # os.path.splitext's extension: the name does not start with "."
            kind = _EXTENSIONS.get(entry.name[dot:].lower()) if dot > 0 else None
            if is_link and kind is None:
                # a link without a corpus extension matters only as a directory (or a loop that may be one)
                problem = _link_problem(Path(entry.path), root)
                if problem is not None and problem[1] and (os.path.isdir(entry.path) or "loop" in problem[0]):
                    errors.append(IngestError(rel, problem[0]))
                continue
            if kind is not None:
                found.append((rel, kind, entry, (*names, entry.name)))
    found.sort(key=lambda item: item[0])
    return found


def _link_problem(link: Path, root: Path) -> tuple[str, bool] | None:
    """Why a symlink is not ingested: ``(reason, is_error)``, or None when it is a file link inside the root.

    A directory link inside the root is skipped silently (``is_error`` False): its files are listed where
    they really live.
    """
    try:
        target = link.resolve(strict=True)
    except RuntimeError:
        return "symlink loop", True
    except FileNotFoundError:
        try:
            return f"broken symlink (target {display_name(os.readlink(link))!r} does not exist)", True
        except OSError:  # the link itself went away since the scan
            return "vanished while the corpus was read", True
    except OSError as exc:
        if exc.errno == 40:  # ELOOP
            return "symlink loop", True
        return f"unreadable symlink: {exc.strerror or exc}", True
    if not within(target, root):
        return f"symlink leaves the corpus root (points to {display_name(str(target))})", True
    if target.is_dir():
        if within(link.parent.resolve(), target):
            return f"symlink loops back to its ancestor directory {display_name(str(target))}", True
        return "directory symlink inside the root (not followed)", False
    return None


def load_corpus(root: str | os.PathLike[str], *, max_bytes: int = MAX_FILE_BYTES,
                fast_csv: bool = True) -> Corpus:
    """Scan and parse a corpus directory. Per-file problems become ``Corpus.errors``; never raises for them.

    ``fast_csv=False`` reads every CSV with ``pd.read_csv`` at once (the reference path ``parse_csv`` is
    tested and benchmarked against); the tables and facts are the same either way.
    Raises ``NotADirectoryError`` / ``FileNotFoundError`` naming the path when ``root`` is not a directory.
    """
    base = Path(root)
    if not base.exists():
        raise FileNotFoundError(f"corpus directory not found: {base}")
    if not base.is_dir():
        raise NotADirectoryError(f"corpus path is not a directory: {base}")
    base = base.resolve()
    errors: list[IngestError] = []
    candidates = _walk(base, errors)
    corpus = Corpus(root=base, files=[], errors=errors)
    opener = Opener(base)
    with bulk_build() as tick:  # young passes between files, nothing older: see collector
        try:
            for candidate in candidates:
                corpus.files.append(_ingest_file(corpus, opener, candidate, max_bytes, fast_csv))
                tick()
        finally:
            opener.close()
    errors.sort(key=lambda e: e.path)
    return corpus


def _scanned_regular(entry: os.DirEntry[str]) -> bool:
    """Whether the scan saw a regular file: the directory listing's file type, no stat (read_beneath checks
    the type of what it opens again)."""
    return entry.is_file(follow_symlinks=False)


def _ingest_file(corpus: Corpus, opener: Opener, candidate: Candidate, max_bytes: int,
                 fast_csv: bool) -> CorpusFile:
    """Read and parse one file into ``corpus``: all of what it gives, or (an IngestError) none of it.

    Its size and mtime: of the file read, else (not read) of the entry the scan found, else 0."""
    rel, kind, entry, names = candidate
    size, mtime = -1, 0.0
    try:
        if entry.is_symlink():
            problem = _link_problem(Path(entry.path), corpus.root)
            if problem is not None:
                raise fmt.SkipFile(problem[0])
            names = real_parts(entry, corpus.root)
        elif not _scanned_regular(entry):
            raise fmt.SkipFile("not a regular file")
        data, info = read_beneath(opener, names, max_bytes)
        size, mtime = info.st_size, info.st_mtime
        try:
            text, encoding = decode(data)
        except ValueError as exc:
            raise fmt.SkipFile(str(exc)) from None
        if kind == "csv":
            parsed = parse_csv(text) if fast_csv else None
            if parsed is None:
                corpus.tables[rel] = fmt.read_csv(text)
            else:
                corpus.tables.add_parsed(rel, text, parsed)
        elif kind == "json":
            value = jsonleaves.read_json(text)
            leaves: list[tuple[str, str, float, str]] = []
            jsonleaves.json_leaves(value, rel, leaves)
            corpus.json_data[rel] = value  # only now: a file that fails part-way gives no facts
            corpus._leaves.extend(leaves)
        else:
            found = markdown_tables(rel, text)
            corpus.markdown[rel] = text
            if found:
                corpus.md_tables[rel] = found
        corpus.encodings[rel] = encoding
    except fmt.SkipFile as exc:
        corpus.errors.append(IngestError(rel, str(exc)))
    except OSError as exc:
        corpus.errors.append(IngestError(rel, f"unreadable: {exc.strerror or exc}"))
    except (ImportError, MemoryError):
        raise  # the environment's problem, not this file's
    except Exception as exc:  # noqa: BLE001 - one bad file never aborts the ingest
        corpus.errors.append(IngestError(rel, f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"))
    if size < 0:  # not read: what the scan's entry says (a link: the link itself), if it still exists
        try:
            info = entry.stat(follow_symlinks=False)
            size, mtime = info.st_size, info.st_mtime
        except OSError:
            size = 0
    return CorpusFile(rel, kind, size, mtime)
