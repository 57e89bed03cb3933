"""A number said of a file the corpus does not hold is not verified by the corpus.

"`conv_bench_it_qat_1b.json` - p50 = 15.502165" or a table row "| `conv_bench_cuda_1.json` | 0.125 | 70 |" states
values of one file. Where every CSV or JSON file named before the number on its line (or in its table row's
first cell) is absent from the corpus, a fact that happens to have the value (another file's p50, another run's
TTFT) does not support it: the claim is about data the corpus does not have, so it is `unverified`, never
`supported`. The corpus's files are those its facts come from: every CSV and JSON file it holds gives facts, a
Markdown file without a table does not, so Markdown names are not judged. A glob ("conv_bench_*.json") or a bare
extension names no one file; a number after a file the corpus holds is left as matched, and so is a table row
or list item whose table or list the line above calls examples ("Example Data Points (Extracted from
Representative JSON Files):"): its file names stand for files of the corpus.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pytest_chimera.checks.index import FactIndex

# a CSV or JSON file: every one the corpus holds gives facts (a Markdown file without a table, a README, gives none)
_NAMED = re.compile(r"(?<![\w*./-])([A-Za-z0-9][\w\-./]*\.(?:csv|json))(?![\w*.])", re.I)
_EXAMPLES = re.compile(r"\b(?:examples?|representative|illustrat\w*|hypothetical|for instance)\b|\be\.g\.", re.I)
_ROW_OR_ITEM = re.compile(r"\s*(?:\||[*+-]\s|\d+[.)]\s)")
_SOURCE = re.compile(r"[^\s:]+\.(?:csv|json|jsonl|md)\b", re.I)


def corpus_files(index: FactIndex) -> frozenset[str]:
    """The lowercased base names of the files the index's facts come from (read from their sources), on first
    use."""
    found = index.file_names
    if found is None:
        names: set[str] = set()
        for source in set(index.sources):
            names.update(m.rsplit("/", 1)[-1].lower() for m in _SOURCE.findall(source))
        found = index.file_names = frozenset(names)
    return found


def absent_files(text: str, index: FactIndex) -> list[str]:
    """The file names ``text`` writes when there are some and the corpus holds none of them, else []."""
    named = [m.group(1) for m in _NAMED.finditer(text)]
    if not named:
        return []
    held = corpus_files(index)
    if not held or any(name.rsplit("/", 1)[-1].lower() in held for name in named):
        return []
    return named


def called_examples(lines: list[str], line: int) -> bool:
    """Whether 1-based ``line`` is a table row or list item and the text before its table or list (the first
    line above it that is neither a table row, a list item nor blank) calls what follows examples."""
    if not 0 < line <= len(lines) or not _ROW_OR_ITEM.match(lines[line - 1]):
        return False
    k = line - 2
    while k >= 0 and (not lines[k].strip() or _ROW_OR_ITEM.match(lines[k])):
        k -= 1
    return k >= 0 and _EXAMPLES.search(lines[k]) is not None
