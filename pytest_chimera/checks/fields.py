"""JSON snippets a report says it took from the corpus: a quoted field (``"iterations": 1000``) that no JSON file
of the corpus has as a numeric field is ``contradicted``.

The corpus's JSON fields are all known (every finite numeric leaf is a fact ``json.<path>.<json.path>``), so
"this file has a field ``iterations``" is checked against the file itself, not guessed. A snippet counts as
taken from the corpus when the lines before its code fence name a JSON file of the corpus (then its fields
are that file's) or say where it came from (``PROVENANCE``: "extracted from a sample JSON file"; then its
fields are any JSON file's). An example or a proposed schema says neither and is left to the other rules.
"""

from __future__ import annotations

import re
import weakref
from dataclasses import dataclass

from pytest_chimera.checks.index import FactIndex
from pytest_chimera.checks.query import Decision

LEAD_LINES = 3  # the non-blank lines before a code fence read for the snippet's file or provenance
PROVENANCE = re.compile(r"\b(?:extracted|taken|copied|excerpted|pulled)\s+(?:directly\s+)?from\b|"
                        r"\bfrom\s+(?:the|a|one|this)\s+(?:sample\s+|actual\s+)?(?:json\s+)?(?:files?|corpus|dataset|data)\b",
                        re.I)
_FIELD_BEFORE = re.compile(r"\"([A-Za-z_][\w\-]*)\"\s*:\s*$")
_PATH_PART = re.compile(r"[.\[\]]+")
_FENCE = re.compile(r"^\s*(?:```|~~~)")
_MAX_BACK = 400  # lines scanned back for the fence that opens a snippet


@dataclass(frozen=True)
class JsonFields:
    """The numeric field names of each JSON file (by base name) and of all of them, lowercase."""

    by_file: dict[str, frozenset[str]]
    every: frozenset[str]


_CACHE: weakref.WeakKeyDictionary[FactIndex, JsonFields] = weakref.WeakKeyDictionary()


def json_fields(index: FactIndex) -> JsonFields:
    """The numeric JSON fields of the corpus behind ``index``, computed once per index."""
    hit = _CACHE.get(index)
    if hit is not None:
        return hit
    by_file: dict[str, set[str]] = {}
    for key in index.keys:
        if not key.startswith("json.") or ".json." not in key:
            continue
        path, _, leaf = key[5:].partition(".json.")
        parts = [p for p in _PATH_PART.split(leaf) if p and not p.isdigit()]
        if parts:
            by_file.setdefault(path.rsplit("/", 1)[-1].lower() + ".json", set()).add(parts[-1].lower())
    every = frozenset(f for fields in by_file.values() for f in fields)
    out = JsonFields({name: frozenset(fields) for name, fields in by_file.items()}, every)
    _CACHE[index] = out
    return out


def snippet_source(lines: list[str], line: int, files: set[str] | dict[str, frozenset[str]]) -> tuple[str, bool]:
    """(the corpus JSON file the snippet around 1-based ``line`` names, whether it says it came from the
    corpus), read from the ``LEAD_LINES`` non-blank lines before its opening fence; ("", False) when the line
    is in no fenced block."""
    k = line - 2  # 0-based index of the line above
    stop = max(-1, k - _MAX_BACK)
    while k > stop and not _FENCE.match(lines[k]):
        k -= 1
    if k <= stop:
        return "", False
    lead: list[str] = []
    j = k - 1
    while j >= 0 and len(lead) < LEAD_LINES:
        if _FENCE.match(lines[j]):
            break
        if lines[j].strip():
            lead.append(lines[j])
        j -= 1
    text = " ".join(reversed(lead))
    low = text.lower()
    named = next((name for name in sorted(files, key=len, reverse=True) if name in low), "")
    return named, bool(named) or PROVENANCE.search(text) is not None


def field_before(text: str, start: int) -> str:
    """The quoted JSON field a number at ``start`` is the value of (``"iterations": 1000``), else ""."""
    m = _FIELD_BEFORE.search(text, 0, start)
    return m.group(1) if m else ""


def check_field(field: str, named: str, fields: JsonFields) -> Decision | None:
    """``contradicted`` when the snippet's file (``named``), or any JSON file of the corpus when none is named,
    has no numeric field ``field``; ``None`` (other rules decide) when it has one."""
    low = field.lower()
    if named:
        own = fields.by_file.get(named, frozenset())
        if low in own:
            return None
        return Decision("contradicted", None, f"the snippet is from {named}, which has no numeric field {field!r} "
                        f"(its {len(own)} numeric fields: {', '.join(sorted(own)[:6])}"
                        f"{', ...' if len(own) > 6 else ''})", "derived")
    if not fields.every or low in fields.every:
        return None
    return Decision("contradicted", None, f"the snippet says it comes from the corpus, but none of its "
                    f"{len(fields.by_file)} JSON files has a numeric field {field!r}", "derived")
