"""Reading the numbers of a report: its text units, sentences and clauses, the words around each number, and
what kind of number it is (claim, config, run metric, date, ordinal, other).

Plain text handling, no facts: ``consistency`` decides verdicts on what this module reads. Label words are
normalised here (``tokens``) the same way the fact index normalises the facts' labels.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from pytest_chimera.checks.numbers import Number, canonical_unit, dimension, is_unit_word
from pytest_chimera.checks.report import ParsedReport

# ---- text helpers -------------------------------------------------------------------------------------------

_TOKEN_RE = re.compile(r"[a-z0-9%]+(?:[._:/\-][a-z0-9%]+)*")
PIECE_RE = re.compile(r"[._:/\-]")
NUMERIC_RE = re.compile(r"^[\d.,]+%?$")
_STOP = frozenset({"the", "of", "and", "per", "in", "to", "for", "a", "an", "is", "at", "on", "by", "with", "or",
                   "are", "was", "be", "as", "it", "its", "this", "that", "from", "all"})
_CODE_SPAN = re.compile(r"`[^`\n]*`")
_MARKUP = re.compile(r"\*\*|__|(?<!\w)[*_](?=\S)|(?<=\S)[*_](?!\w)|~~|\[|\]\([^)]*\)|<[^>\n]{1,40}>")
LINE_LEAD = re.compile(r"^\s*(?:#{1,6}\s+|>\s*)?(?:(?:[-*+]|\d+[.)])\s+)?")
BULLET = re.compile(r"^\s*(?:#{1,6}\s+|>\s*)*(?:[-*+]\s+)?")
_LEAD_LABEL = re.compile(r"^\s*([^:\n]{2,60}?):\s")
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\"'*])")
_CLAUSE_SPLIT = re.compile(r"[;,]\s+|\s+(?:while|whereas|but|however)\s+", re.I)
_MORE_RE = re.compile(r"(?:and|plus)\s+$", re.I)
_APPROX_RE = re.compile(r"(?:approximately|approx\.?|about|around|roughly|nearly|almost|circa|~|≈|some)\s*$", re.I)
_GT_RE = re.compile(r"(?:over|more than|above|exceeding|exceeds|exceed|greater than|at least|>=?|≥|upwards of)\s*$",
                    re.I)
_LT_RE = re.compile(r"(?:under|less than|below|at most|up to|fewer than|<=?|≤|within)\s*$", re.I)
_SIZE_RE = re.compile(r"(?<![\w.])\d+(?:\.\d+)?[bm](?![\w])", re.I)


def stem(word: str) -> str:
    if len(word) > 3 and word.isalpha():
        if word.endswith("ies"):
            return word[:-3] + "y"
        if word.endswith(("sses", "ches", "shes", "xes")):
            return word[:-2]
        if word.endswith("s") and not word.endswith(("ss", "us", "is")):
            return word[:-1]
    return word


@lru_cache(maxsize=65536)
def _norm(token: str) -> str:
    return stem(token.replace("_", "-").replace(":", "-"))


def tokens(text: str) -> list[str]:
    """Normalised word tokens: lowercase, ``_``/``:`` as ``-``, simple plural stemming; numbers dropped."""
    return [_norm(t) for t in _TOKEN_RE.findall(text.lower()) if not NUMERIC_RE.match(t)]


@lru_cache(maxsize=65536)
def phrase(label: str) -> tuple[str, ...]:
    toks = tuple(tokens(label))
    if len(toks) == 1 and (toks[0] in _STOP or len(toks[0]) < 2):
        return ()
    return toks


@lru_cache(maxsize=65536)
def model_forms_of_label(label: str) -> tuple[str, ...]:
    """The normalised model form a label spells (a size like 270m, or a family with size/tag), else ()."""
    from pytest_chimera.evidence import labels as lb

    low = label.lower().strip()
    if _SIZE_RE.fullmatch(low):
        return (low,)
    found = lb.models_in_text(low)
    if found and _norm_model(found[0]) == _norm_model(low):
        return (_norm_model(low),)
    return ()


def _norm_model(name: str) -> str:
    return re.sub(r"[:_ ]", "-", name.lower())


@lru_cache(maxsize=4096)
def models_named(text: str) -> frozenset[str]:
    """Normalised specific model forms named in a piece of text (the family alone names no model)."""
    from pytest_chimera.evidence import labels as lb

    if not any(ch.isdigit() for ch in text):
        return frozenset()
    out: set[str] = set()
    for m in lb.models_in_text(text):
        family = lb.family_of(m)
        out.update(_norm_model(f) for f in lb.model_forms(m) if f != family)
    out.update(s.lower() for s in _SIZE_RE.findall(text))
    return frozenset(out)



# ---- extraction and classification --------------------------------------------------------------------------


@dataclass
class _Unit:
    """A piece of text to read numbers from: its line, part and extra context words."""

    line: int
    text: str
    part: str
    in_code: bool = False
    context: str = ""
    excerpt: str = ""


def clean(line: str) -> str:
    line = _CODE_SPAN.sub(lambda m: " " * len(m.group(0)), line)
    return _MARKUP.sub(lambda m: "" if m.group(0) in ("**", "__", "~~", "[") else " ", line)


def units_of(parsed: ParsedReport) -> list[_Unit]:
    lines = parsed.source.split("\n")
    out: list[_Unit] = []
    for block in parsed.blocks:
        if block.kind in ("hr", "html"):
            continue
        if block.kind == "table":
            table = next((t for t in parsed.tables if t.line == block.line_start), None)
            if table is not None:
                out.extend(_table_units(table, block.part))
            continue
        code = block.kind == "code"
        start, end = block.line_start, block.line_end
        if code and end - start >= 1:  # fences: skip the ``` lines themselves
            body = lines[start - 1:end]
            for k, raw in enumerate(body):
                if raw.strip().startswith(("```", "~~~")):
                    continue
                out.append(_Unit(start + k, raw, block.part, True))
            continue
        for k in range(start, min(end, len(lines)) + 1):
            raw = lines[k - 1]
            if raw.strip():
                out.append(_Unit(k, raw, block.part))
    return out


def _table_units(table: Any, part: str) -> list[_Unit]:
    out: list[_Unit] = []
    for r, row in enumerate(table.rows):
        label = clean(row[0]) if row else ""
        for j, cell in enumerate(row):
            head = table.header[j] if j < len(table.header) else ""
            ctx = f"{label} {clean(head)}" if j else clean(head)
            excerpt = " | ".join(clean(c).strip() for c in row)
            out.append(_Unit(table.line + 2 + r, clean(cell), part, False, ctx, excerpt))
    return out


def sentences(text: str) -> list[tuple[int, str]]:
    out = []
    pos = 0
    for piece in _SENTENCE_SPLIT.split(text):
        at = text.find(piece, pos)
        out.append((max(at, 0), piece))
        pos = max(at, 0) + len(piece)
    return out


def clause(sentence: str, offset: int) -> tuple[str, int]:
    """The clause of ``sentence`` around ``offset`` and where it starts."""
    start = 0
    for m in _CLAUSE_SPLIT.finditer(sentence):
        if m.end() <= offset:
            start = m.end()
        elif m.start() >= offset:
            return sentence[start:m.start()], start
    return sentence[start:], start


def classify(num: Number, unit: _Unit, before: str) -> tuple[str, str]:
    if num.form == "date":
        return "date", "a date or time"
    if num.form == "ordinal":
        return "ordinal", "list, section or step numbering"
    if num.form == "model":
        return "other", "a size inside a model name"
    if num.form == "config":
        return "config", f"run option {num.key}={num.raw}"
    if unit.part == "persona_prompt":
        return "other", "Persona Prompt: instructions to the model, not a claim"
    if unit.part == "metrics":
        return "run_metric", "the report's Metrics block: measured by the run itself"
    if unit.part == "workflow_summary" and dimension(num.unit)[0] == "time":
        return "run_metric", "a Workflow Summary timing: measured by the run itself"
    if _MORE_RE.search(before) and unit.text[num.end:].strip().lower().startswith("more"):
        return "other", "a count of items left out of a listing"
    return "claim", "a quantity stated in the report"


def infer_unit(num: Number, clause: str, offset: int) -> str:
    """The unit word of the clause nearest after the number, else before it (bare numbers only)."""
    best: tuple[int, str] | None = None
    for m in re.finditer(r"[A-Za-z][A-Za-z/%]*(?:\s+per\s+second)?", clause):
        if not is_unit_word(m.group(0)) or len(m.group(0)) < 2:
            continue
        unit = canonical_unit(m.group(0))
        distance = m.start() - offset if m.start() >= offset else (offset - m.end()) + 1000
        if best is None or distance < best[0]:
            best = (distance, unit)
    return best[1] if best else ""



# ---- per-number spans ----------------------------------------------------------------------------------------------


_NEAR_STOP = re.compile(r"[|,;()\[\]]|\s[-–—]\s|(?<=[a-z])\.\s|\b(?:and|or|while|whereas|but|versus|vs)\b", re.I)
_QUALIFIER = r"(?:~|≈|approx\.?|approximately|about|around|roughly|nearly|over|under|up to)?\s*"
APPOSITIVE = re.compile(r"\s*[(\[]\s*" + _QUALIFIER, re.I)
_BRACKETED = re.compile(r"[(\[]\s*" + _QUALIFIER + r"$", re.I)
_CONNECTOR = re.compile(r"\s*(?:-|–|—|to|vs\.?|versus|→|->|=>|/|and|or|x|×)\s*" + _QUALIFIER, re.I)
_RESPECTIVELY = re.compile(r"\brespectively\b", re.I)


def _near_span(text: str, nums: list[Number], k: int, lo: int, hi: int) -> tuple[int, int]:
    """Where the words nearest a number start and end: back to the previous number or separator (comma,
    bracket, "and", ...) and forward to the next number or separator, within ``[lo, hi)``."""
    num = nums[k]
    start = max(lo, nums[k - 1].end if k else lo)
    end = max(min(hi, nums[k + 1].start if k + 1 < len(nums) else hi), num.end)
    stops = list(_NEAR_STOP.finditer(text, start, max(start, num.start)))
    if stops:
        start = stops[-1].end()
    stop = _NEAR_STOP.search(text, num.end, end)
    return min(start, num.start), stop.start() if stop else end


def near(text: str, nums: list[Number], k: int, lo: int, hi: int) -> str:
    """The words nearest a number (see ``_near_span``), the number itself left out."""
    start, end = _near_span(text, nums, k, lo, hi)
    return text[start:nums[k].start] + " " + text[nums[k].end:end]


def own_clause(text: str, nums: list[Number], k: int, lo: int, hi: int) -> str:
    """The clause ``text[lo:hi]`` of number ``k`` with the words that belong to another number blanked.

    The clause is split into per-number spans: each other quantity owns its own text ("28 files") and its
    nearest words (``_near_span``), except the words before the first quantity of the clause, which are
    the subject they all share ("The average TTFT was 81 ms and 151 ms"). So in "28 files (8 CSV, ..."
    the label "CSV" is the 8's, not the 28's. Words nearest both ``k`` and another number stay. Numbers
    that only a connector separates ("272-883 tokens", "102.85 vs 76.59 tok/s", "11 → 22") share their
    words; a number opening a bracket ("44 files (43.6%)", "lower TTFT (~0.12s)") restates what precedes
    the bracket and keeps it. A sentence that distributes its labels ("... respectively") is left whole."""
    inside = [j for j in range(len(nums)) if lo <= nums[j].start < hi and nums[j].form == "quantity"]
    if len(inside) < 2 or k not in inside or _RESPECTIVELY.search(text, lo, hi):
        return text[lo:hi]
    qs = [nums[j] for j in inside]  # other numbers (a model size "270m", a date) are words here
    groups: list[list[int]] = [[0]]  # runs of quantities joined by connectors only, as indices into qs
    for i in range(1, len(qs)):
        if _CONNECTOR.fullmatch(text, qs[i - 1].end, qs[i].start):
            groups[-1].append(i)
        else:
            groups.append([i])
    spans: list[tuple[int, int]] = []
    mine = 0
    for g, group in enumerate(groups):
        start, end = _near_span(text, qs, group[0], lo, hi)[0], _near_span(text, qs, group[-1], lo, hi)[1]
        if g and _BRACKETED.search(text, qs[groups[g - 1][-1]].end, qs[group[0]].start):
            start = qs[groups[g - 1][-1]].end  # "lower TTFT (~0.12s)": the words before the bracket are its too
        spans.append((start if g else qs[group[0]].start, end))
        if inside.index(k) in group:
            mine = g
    start, end = spans[mine]
    if mine and APPOSITIVE.fullmatch(text, qs[groups[mine - 1][-1]].end, qs[groups[mine][0]].start):
        spans[mine - 1] = (lo, lo)  # "44 files (43.6%)": a restatement keeps the number it restates
    cuts: list[tuple[int, int]] = []
    for g, (g_start, g_end) in enumerate(spans):
        if g != mine and g_start < g_end:
            cuts += [(g_start, min(g_end, start)), (max(g_start, end), g_end)]
            cuts += [(qs[i].start, qs[i].end) for i in groups[g]]
    out: list[str] = []
    at = lo
    for c_start, c_end in sorted(cut for cut in cuts if cut[0] < cut[1]):
        if c_end <= at:
            continue
        c_start, c_end = max(c_start, at), min(c_end, hi)
        out += [text[at:c_start], " " * (c_end - c_start)]
        at = c_end
    return "".join(out) + text[at:hi] if out else text[lo:hi]


def lead(text: str) -> str:
    m = _LEAD_LABEL.match(text)
    return m.group(1) if m else ""



def bound(before: str) -> str:
    if _APPROX_RE.search(before):
        return "approx"
    if _GT_RE.search(before):
        return "gt"
    if _LT_RE.search(before):
        return "lt"
    return ""
