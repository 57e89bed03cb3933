"""Reading the numbers of a report: its text units, sentences and clauses, the words around each number, and
what kind of number it is (claim, config, run metric, date, ordinal, other).

Plain text handling, no facts: ``consistency`` decides verdicts on what this module reads. Label words are
normalised here (``tokens``) the same way the fact index normalises the facts' labels.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from pytest_chimera.checks.countwords import counted_noun
from pytest_chimera.checks.numbers import (
    COUNT_NOUNS,
    Number,
    a_verb,
    canonical_unit,
    dimension,
    find_numbers,
    is_unit_word,
)
from pytest_chimera.checks.report import Outline, ParsedReport
from pytest_chimera.checks.sums import clause_cuts
from pytest_chimera.evidence.labels import TEXT_MODEL

# ---- text helpers -------------------------------------------------------------------------------------------

_TOKEN_RE = re.compile(r"[a-z0-9%]+(?:[._:/\-][a-z0-9%]+)*")
PIECE_RE = re.compile(r"[._:/\-]")
NUMERIC_RE = re.compile(r"^[\d.,]+%?$")
_NUMERIC_START = frozenset("0123456789.,")
STOP = frozenset({"the", "of", "and", "per", "in", "to", "for", "a", "an", "is", "at", "on", "by", "with", "or",
                  "are", "was", "be", "as", "it", "its", "this", "that", "from", "all"})
_CODE_SPAN = re.compile(r"`[^`\n]*`")
_DIGITS = re.compile(r"\d")
_MARKUP = re.compile(r"\*\*|__|(?<!\w)[*_](?=\S)|(?<=\S)[*_](?!\w)|~~|\[|\]\([^)]*\)|<[^>\n]{1,40}>")
LINE_LEAD = re.compile(r"^\s*(?:#{1,6}\s+|>\s*)?(?:(?:[-*+]|\d+[.)])\s+)?")
BULLET = re.compile(r"^\s*(?:#{1,6}\s+|>\s*)*(?:[-*+]\s+)?")
_LEAD_LABEL = re.compile(r"^\s*([^:\n]{2,60}?):\s")
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\"'*\u0400-\u042f])")  # Cyrillic capitals too
_CLAUSE_SPLIT = re.compile(r"[;,]\s+|[，；。]\s*|\s+(?:while|whereas|but|however)\s+", re.I)  # Chinese marks too
# a list of single words ("CSV, JSON, and Markdown"): one noun phrase, whose commas split no clause; its first
# word is no unit after a number ("40 tok/s, latency, and TTFT": there the comma ends a quantity)
_WORD = r"[A-Za-z][A-Za-z\-]*"
# a run of comma-separated words (possessive: each run is read once, so a line of thousands costs linear time),
# then its last item after "and"/"or"
_LIST_RUN = re.compile(rf"(?<![\d/.])(?<!\d )\b{_WORD}(?:,\s+(?!(?:and|or)\b){_WORD})++")
_LIST_END = re.compile(rf",?\s+(?:and|or)\s+{_WORD}\b")


def in_lists(text: str) -> Callable[[int], bool] | None:
    """Whether an offset of ``text`` lies inside one of its lists of words (``word_lists``, by bisection);
    ``None`` when it has none: separators inside a list split nothing."""
    import bisect

    lists = word_lists(text) if may_list(text) else []
    if not lists:
        return None
    starts = [lo for lo, _ in lists]

    def inside(at: int) -> bool:
        k = bisect.bisect_left(starts, at) - 1
        return k >= 0 and at < lists[k][1]

    return inside


def word_lists(text: str) -> list[tuple[int, int]]:
    """(start, end) of each list of single words in ``text`` ("CSV, JSON, and Markdown")."""
    out = []
    for m in _LIST_RUN.finditer(text):
        end = _LIST_END.match(text, m.end())
        if end is not None:
            out.append((m.start(), end.end()))
    return out


def may_list(text: str) -> bool:
    """Whether ``text`` may hold a list of words: a comma and a lowercase "and" or "or" (a cheap test first)."""
    return "," in text and (" and " in text or " or " in text)


def clause_splits(sentence: str) -> list[tuple[int, int]]:
    """(start, end) of each clause boundary of ``sentence``: a ``;`` or ``,``, or a contrast word, but no comma
    inside a list of single words; the "+" and "=" of a written sum (``sums.clause_cuts``)."""
    found = [(m.start(), m.end()) for m in _CLAUSE_SPLIT.finditer(sentence)]
    inside = in_lists(sentence) if found else None
    if inside is not None:
        found = [(a, b) for a, b in found if not inside(a)]
    cuts = clause_cuts(sentence)
    return sorted(found + cuts) if cuts else found


_MORE_RE = re.compile(r"(?:and|plus)\s+$", re.I)
# the words right before a number that widen or bound it ("approximately 30%", "over 100 files", "under 5 ms")
_BOUND_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("approx", ("approximately", "approx.", "approx", "about", "around", "roughly", "nearly", "almost", "circa",
                "~", "≈", "some")),
    ("gt", ("over", "more than", "above", "exceeding", "exceeds", "exceeded", "exceed", "greater than", "at least",
            ">=", ">", "≥", "upwards of")),
    ("lt", ("under", "less than", "below", "at most", "up to", "fewer than", "<=", "<", "≤", "within")),
)
_BOUND_OF = {w: kind for kind, words in _BOUND_WORDS for w in words}
_SIZE_RE = re.compile(r"(?<![\w.])\d+(?:\.\d+)?[bm](?![\w])", re.I)
_JOINED_SIZE = re.compile(r"[-_](?=\d+(?:\.\d+)?[bm]$)")
_UNIT_WORD_RE = re.compile(r"[A-Za-z][A-Za-z/%]*(?:(?:\s+(?:generated|processed|produced|decoded|served|handled))?"
                           r"\s+per\s+second)?", re.I)
_NEXT_WORD = re.compile(r"\s+([A-Za-z]+)\b")
_HEAD_BEFORE_BRACKET = re.compile(r"((?:[A-Za-z]+\s+per\s+)?([A-Za-z][A-Za-z/%]*))\s*[(\[]\s*"
                                  r"(?:~|≈|approx\.?|approximately|about|around|roughly|nearly|over|under|up to)?\s*$",
                                  re.I)


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
    return [_norm(t) for t in _TOKEN_RE.findall(text.lower()) if not (t[0] in _NUMERIC_START and NUMERIC_RE.match(t))]


@lru_cache(maxsize=65536)
def phrase(label: str) -> tuple[str, ...]:
    toks = tuple(tokens(label))
    if len(toks) == 1 and (toks[0] in STOP or len(toks[0]) < 2):
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


def _has_digit(text: str) -> bool:
    """``any(ch.isdigit() for ch in text)``, by a regular expression where the text is ASCII."""
    return _DIGITS.search(text) is not None if text.isascii() else any(ch.isdigit() for ch in text)


@lru_cache(maxsize=4096)
def families_named(text: str) -> frozenset[str]:
    """Model families named in a piece of text ("gemma3", also inside "gemma3:270m")."""
    from pytest_chimera.evidence import labels as lb

    if not _has_digit(text):
        return frozenset()
    return frozenset(phrase_text for f in lb.families_in_text(text) if (phrase_text := _norm_model(f)))


@lru_cache(maxsize=4096)
def models_named(text: str) -> frozenset[str]:
    """Normalised specific model forms named in a piece of text (the family alone names no model)."""
    from pytest_chimera.evidence import labels as lb

    if not _has_digit(text):
        return frozenset()
    out: set[str] = set()
    for m in lb.models_in_text(text):
        m = _JOINED_SIZE.sub(":", m)  # "gemma3_270m", "gemma3-270m": the model gemma3:270m, as file names write it
        family = lb.family_of(m)
        out.update(_norm_model(f) for f in lb.model_forms(m) if f != family)
    out.update(s.lower() for s in _SIZE_RE.findall(text))
    return frozenset(out)



# ---- extraction and classification --------------------------------------------------------------------------


@dataclass
class _Unit:
    """A piece of text to read numbers from: its line, part and extra context words.

    ``context``: words that name what the text's numbers are (a table cell's row label and column header);
    ``hint``: where a bare number's unit is looked for after its own clause (a row's unit cell first)."""

    line: int
    text: str
    part: str
    in_code: bool = False
    context: str = ""
    excerpt: str = ""
    hint: str = ""
    subject: str = ""  # a table row's label and model cells: the model they name is the row's
    parents: str = ""  # the lead words of the list items the line is nested in (``ListLeads``)
    row_label: str = ""  # a table row's first cell as written, where it is the row's one number's label (``paths``)


def clean(line: str) -> str:
    """A line without markdown markup; an inline code span keeps its words ("`mean_ttft_s`" names a column)
    but not its digits (a file name or an option in code is not a number of the prose), between ‹ › so that
    "`param_tuning`: 6 files" does not read as a run option."""
    if "`" in line:
        line = _CODE_SPAN.sub(_code_words, line)
    if _MARKUP_START.search(line) is None:  # every markup _MARKUP removes starts with one of these
        return line
    return _MARKUP.sub(lambda m: "" if m.group(0) in ("**", "__", "~~", "[") else " ", line)


_MARKUP_START = re.compile(r"[*_~\[\]<]")


def _code_words(span: re.Match[str]) -> str:
    """An inline code span's words between ‹ ›: its digits go, unless the span is a model's name ("`gemma3_270m`"
    names gemma3:270m; "`conv_bench_20251002`" holds no number of the prose)."""
    inner = span.group(0)[1:-1]
    return "\u2039" + (inner if TEXT_MODEL.fullmatch(inner.lower()) else _DIGITS.sub(" ", inner)) + "\u203a"


_CONTAINERS = re.compile(r"^(?:\s*(?:>|[-*+](?=\s)|\d{1,9}[.)](?=\s)))*\s*")
_DIGIT = re.compile(r"\d")


def units_of(parsed: ParsedReport | Outline) -> list[_Unit]:
    """The text units of a report in line order: each line of its text blocks, each table cell, each code line.

    Lines no block covers but that hold a digit (the markdown parser gives up below 20 levels of nested
    blockquotes or lists) are read as plain lines, their container markers stripped: nesting never hides a
    number."""
    return list(iter_units(parsed))


def iter_units(parsed: ParsedReport | Outline) -> Iterator[_Unit]:
    """``units_of``, a table's cells made as they are read (a 10 MB table has a million), unless lines no block
    covers must be sorted in."""
    lines = parsed.source.split("\n")
    out: list[_Unit | Iterator[_Unit]] = []  # units, and each table's cells to come
    covered = bytearray(len(lines) + 2)
    tables: dict[int, Any] = {}  # each table by its first line (a report may hold 100,000 tables)
    for t in parsed.tables:
        tables.setdefault(t.line, t)
    parents = ListLeads()
    for block in parsed.blocks:
        lo, hi = max(block.line_start, 0), min(max(block.line_end, block.line_start), len(lines))
        if hi >= lo:
            covered[lo:hi + 1] = b"\x01" * (hi + 1 - lo)
        listed = parents.item(lines[block.line_start - 1] if 0 < block.line_start <= len(lines) else "",
                              block.kind)
        if block.kind in ("hr", "html"):
            continue
        if block.kind == "table":
            table = tables.get(block.line_start)
            if table is not None:
                out.append(_table_units(table, block.part))
                last = min(table.line + 1 + len(table.rows), len(lines))
                covered[table.line:last + 1] = b"\x01" * max(0, last + 1 - table.line)
            continue
        code = block.kind == "code"
        start, end = block.line_start, block.line_end
        if code:  # fences: skip the ``` lines themselves (an indented block may be one line)
            body = lines[start - 1:end]
            for k, raw in enumerate(body):
                if raw.strip().startswith(("```", "~~~")):
                    continue
                out.append(_Unit(start + k, raw, block.part, True))
            continue
        for k in range(start, min(end, len(lines)) + 1):
            raw = lines[k - 1]
            if raw.strip():
                out.append(_Unit(k, raw, block.part, parents=listed))
    missed = [k for k in range(1, len(lines) + 1) if not covered[k] and _DIGIT.search(lines[k - 1])]
    if not missed:
        for piece in out:
            if isinstance(piece, _Unit):
                yield piece
            else:
                yield from piece
        return
    flat = [unit for piece in out for unit in ((piece,) if isinstance(piece, _Unit) else piece)]
    spans = sorted((span["line_start"], span["line_end"], name) for name, span in parsed.parts.items())
    for k in missed:
        part = next((name for a, b, name in spans if a <= k <= b), "body")
        raw = lines[k - 1]
        flat.append(_Unit(k, raw[_CONTAINERS.match(raw).end():], part))  # type: ignore[union-attr]
    flat.sort(key=lambda u: u.line)
    yield from flat


_ITEM = re.compile(r"^((?:\s*>)*)(\s*)(?:[-*+]|\d{1,9}[.)])(?:\s+|$)")
_BOLD_LEAD = re.compile(r"(\*\*|__)(.+?)\1")
_ITEM_LEAD = re.compile(r"(.{2,60}?):(?:\s|$)")


class ListLeads:
    """The lead words of the list items a line is nested in, the way a table cell has its row and column
    headers: "- **File Distribution:**" then "  - CSV: 35" reads the 35 with "File Distribution". An item's lead
    is its bold lead, else its text before a colon (within 60 characters); the leads of every item above
    (nearest first) are the context of a nested item's lines. A block that is no list item at the margin ends
    the list."""

    def __init__(self) -> None:
        self.stack: list[tuple[int, str]] = []  # (indent, lead) of the open items, outermost first

    def item(self, first_line: str, kind: str) -> str:
        """The context of a block whose first line is ``first_line``: its parents' leads (a list item's), else ""."""
        m = _ITEM.match(first_line) if kind in ("bullet_item", "numbered_item") else None
        if m is None:
            if kind in ("heading", "table", "hr") or not first_line[:1].isspace():
                self.stack.clear()
            return ""
        indent = len(m.group(1)) + len(m.group(2).expandtabs(4))
        while self.stack and self.stack[-1][0] >= indent:
            self.stack.pop()
        context = " ".join(lead for _, lead in reversed(self.stack) if lead)
        body = first_line[m.end():]
        bold = _BOLD_LEAD.match(body)
        lead = bold.group(2) if bold else (label.group(1) if (label := _ITEM_LEAD.match(clean(body))) else "")
        self.stack.append((indent, lead.strip().rstrip(":").strip()))
        return context


_UNIT_HEADERS = frozenset({"unit", "units"})
_PER_SECOND = re.compile(r"(?:\bper\s+sec(?:ond)?|/\s*s(?:ec)?)\b", re.I)
_SUBJECT_HEADER = re.compile(r"\b(?:model|variant|size|name|file)", re.I)


# a row that is one file ("benchmark_001.json"): its cells are that file's values, not counts of the files the
# first column's header names ("File Name")
_FILE_NAME = re.compile(r"\s*[`'\"‘]?[A-Za-z0-9][\w\-./]*\.(?:csv|json|jsonl|md|txt|ya?ml|log)[`'\"’]?\s*", re.I)
# a count column's header says what its cells count ("Number of Files": files); the row says which: "JSON | 44"
# is the JSON files, not the "number of files" (the corpus's total) that header would name in prose
_COUNT_HEAD = re.compile(r"\s*(?:(?:total\s+)?(?:number|no\.|count)\s+of\s+|#\s*)([A-Za-z]+)\s*", re.I)
_VALUE_HEAD = re.compile(r"\s*(?:values?|results?|measurements?|mean|average|avg|median|min|max|minimum|maximum|"
                         r"p\d{2}|total)\b", re.I)  # a column of the metric's own values
_AVERAGE_HEAD = re.compile(r"\s*(?:average|avg\.?|mean)(?:\s+value)?\s*", re.I)
# a percentile or the median: "min" and "max" are also minutes and limits ("Duration (min)", "Max Tokens")
_ROW_STATISTIC = re.compile(r"\b(?:p\d{2}|median|\d{1,2}(?:st|nd|rd|th)\s+percentile)\b", re.I)


def _table_units(table: Any, part: str) -> Iterator[_Unit]:
    """One unit per cell; its context is the row label (with the first column's header, which says what the
    labels are: "File Type") and the column header; a "Units" column gives the row's numbers their unit."""
    header = [clean(h).strip() for h in table.header]
    units_col = next((j for j, h in enumerate(header) if h.lower() in _UNIT_HEADERS), None)
    counted = [m.group(1) if (m := _COUNT_HEAD.fullmatch(h)) else h for h in header]  # "Number of Files": files
    for r, row in enumerate(table.rows):
        label = clean(row[0]) if row else ""
        one_file = _FILE_NAME.fullmatch(label) is not None  # a file's name: no "*.json", no bare ".json"
        unit_cell = clean(row[units_col]) if units_col is not None and units_col < len(row) else ""
        if _PER_SECOND.search(label) and canonical_unit(unit_cell.strip()) in COUNT_NOUNS:
            unit_cell = ""  # "Token Per Second | 14.1 | tokens": the rate's numerator, not a count
        first = header[0] if header else ""
        excerpt = " | ".join(clean(c).strip() for c in row)
        subject = " ".join([label] + [clean(row[j]) for j, h in enumerate(header)
                                      if j and j < len(row) and _SUBJECT_HEADER.search(h)]).replace("_", " ")
        row_label = row[0] if row and "[" in row[0] and sum(len(find_numbers(clean(c))) for c in row[1:]) == 1 \
            else ""  # a path in the first cell ("json_results[2].ttft_s") names the row's one number
        for j, cell in enumerate(row):
            head = header[j] if j < len(header) else ""
            ctx = f"{label} {counted[j] if j < len(counted) and label.strip() else head}" if j else head
            if j and _AVERAGE_HEAD.fullmatch(head) and _ROW_STATISTIC.search(label):
                ctx = label  # "Latency (p50)" under "Average Value": the row's own statistic is what its cells are
            hint = f"{unit_cell} {head} {label} {'' if one_file else first}" if j else head
            if j and is_unit_word(unit_cell) and (not _BRACKET_UNIT.search(head) or _VALUE_HEAD.match(head)):
                hint = unit_cell  # a row's own unit beats a value column's bracket ("Value (Bytes)"), not "Change (%)"
            yield _Unit(table.line + 2 + r, clean(cell), part, False, ctx, excerpt, hint, subject,
                        row_label=row_label if j else "")


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
    for m_start, m_end in clause_splits(sentence):
        if m_end <= offset:
            start = m_end
        elif m_start >= offset:
            return sentence[start:m_start], start
    return sentence[start:], start


# a model size ("270M", "7B") is part of a model's name ("gemma3 270M", "Gemma 3 1B", "gemma3:1b", "Qwen 2.5-7B",
# "the 1B model"), unless it stands after no model word and is said to be a model's size: "13B parameters",
# "from 270M to 13B parameters", "model sizes (1B, 270M)"; not "File sizes of 1M", nor "13B parameter models"
_MODEL_BEFORE = re.compile(r"(?:[A-Za-z][\w.]*\d[\w.]*|[A-Za-z]+\s+\d+(?:\.\d+)?)[\s:_\-]*$")
_SIZE_AFTER = re.compile(r"(?:\s*(?:to|-|–|and|or|,)\s*\d+(?:\.\d+)?\s*[MBmb]\b){0,8}\s*(?:parameters|params)\b",
                         re.I)  # "13B parameters"; "13B parameter models" (singular) is a class of models
_SPELLED_SIZE = re.compile(r"\d+(?:\.\d+)?\s*(?:billion|million)\b", re.I)  # "1 Billion", as "1B" in a model's name
_SIZE_BEFORE = re.compile(r"\b(?:model\s+sizes?|parameter\s+counts?)\b[^.;:|]*$", re.I)


def classify(num: Number, unit: _Unit, before: str, after: str) -> tuple[str, str]:
    """(kind, reason) of a number of ``unit``; ``before``/``after``: the text of its cleaned line around it (60
    and 80 characters: enough for every rule here, constant time per number)."""
    if num.form == "date":
        return "date", "a date or time"
    if num.form == "ordinal":
        return "ordinal", "list, section or step numbering"
    if num.form == "model":
        if _MODEL_BEFORE.search(before) or not (_SIZE_AFTER.match(after) or _SIZE_BEFORE.search(before)):
            return "other", "a size inside a model name"
        return "claim", "a model size"
    if num.form == "version":
        return "other", "a version number in a model's name (\"Gemma 3 model\")"
    if _SPELLED_SIZE.match(num.raw) and _MODEL_BEFORE.search(before):
        return "other", "a size spelled out in a model's name (\"Gemma 3 1 Billion parameter version\")"
    if num.form == "config":
        return "config", f"run option {num.key}={num.raw}"
    if unit.part == "persona_prompt":
        return "other", "Persona Prompt: instructions to the model, not a claim"
    if unit.part == "metrics":
        return "run_metric", "the report's Metrics block: measured by the run itself"
    if unit.part == "workflow_summary" and dimension(num.unit)[0] == "time":
        return "run_metric", "a Workflow Summary timing: measured by the run itself"
    if _MORE_RE.search(before) and after.lstrip().lower().startswith("more"):
        return "other", "a count of items left out of a listing"
    return "claim", "a quantity stated in the report"


def infer_unit(num: Number, clause: str, offset: int) -> str:
    """The unit word of the clause nearest after the number, else before it (bare numbers only).

    A unit word after the number counts only inside its noun phrase: no preposition or verb between ("14.59
    across all configurations" is not a count of configurations). A number in brackets right after a unit
    word takes that word ("JSON files (75)"); one in brackets after other words ("Markdown (29)") looks no
    further than its bracket. ``offset`` -1: the number is not in ``clause`` (a table cell's header and row
    label): a unit word in brackets there is the unit ("Model Size (Parameters)", "Latency (ms)" under a
    "Min" column: not minutes), else its words are read in order, "Min" last ("Tokens/Second" under "Min")."""
    end = len(clause)
    if offset < 0:  # a table cell: a unit its row label or header states in brackets ("Latency (ms)") is its unit
        for m in _BRACKET_UNIT.finditer(clause):  # "(%)" too; no other one-letter unit ("(s)": a plural)
            if is_unit_word(m.group(1)) and (len(m.group(1)) > 1 or m.group(1) == "%"):
                return canonical_unit(m.group(1))
            if m.group(1) == "s" and _TIMED_BEFORE.search(clause, 0, m.start()):
                return "s"  # "Latency (s)", "Compile Time (s)": seconds after a time word, not a plural
    if offset >= 0:
        head = _HEAD_BEFORE_BRACKET.search(clause, 0, offset)
        for word in (head.group(1), head.group(2)) if head else ():  # "tokens per second (14.59)": not seconds
            if is_unit_word(word) and len(word) > 1:
                return canonical_unit(word)
        if _BRACKET_BEFORE.search(clause, 0, offset) and _BRACKET_ONLY.match(clause, offset + len(num.raw)):
            end = offset  # "Markdown (29): probably reports ...": the bracket closes the number's phrase
    cell = offset < 0
    offset = max(offset, 0)
    best: tuple[int, str] | None = None
    for m in _UNIT_WORD_RE.finditer(clause, 0, end):
        if not is_unit_word(m.group(0)) or len(m.group(0)) < 2 or a_verb(m.group(0), clause, m.end()):
            continue
        counted = ""
        if _in_identifier(clause, m.start(), m.end()):
            counted = counted_noun(clause, m.start(), m.end(), -1 if cell else offset)
            if not counted:
                continue
        if m.start() >= offset and end == len(clause) and clause[offset:offset + len(num.raw)] == num.raw \
                and _PHRASE_BREAK.search(clause, offset + len(num.raw), m.start()):
            continue
        unit = counted or canonical_unit(m.group(0))
        head = None if counted else _NEXT_WORD.match(clause, m.end())
        if unit in COUNT_NOUNS and head and canonical_unit(head.group(1)) in COUNT_NOUNS:
            unit = canonical_unit(head.group(1))  # "benchmark files": the head noun counts
        distance = m.start() - offset if m.start() >= offset else (offset - m.end()) + 1000
        if cell and m.group(0).lower() == "min":
            distance += 10**6  # a "Min" column is a minimum, unless nothing else in the header gives a unit
        if best is None or distance < best[0]:
            best = (distance, unit)
    return best[1] if best else ""


_TIMED_BEFORE = re.compile(r"\b(?:latency|time|ttft|duration|delay|elapsed)\s*$", re.I)
_BRACKET_UNIT = re.compile(r"[(\[]\s*([A-Za-z%][A-Za-z/% ]{0,24}?)\s*[)\]]")


def _in_identifier(text: str, start: int, end: int) -> bool:
    """True for a word inside an identifier ("tokens" in "avg_tokens_per_second"): not a unit of the prose."""
    return (start > 0 and text[start - 1] in "_.") or (end < len(text) and text[end] == "_")


_BRACKET_BEFORE = re.compile(r"[(\[]\s*(?:~|≈|approx\.?|approximately|about|around|roughly|nearly|over|under|"
                             r"up to)?\s*$", re.I)
# what may follow a number that restates the label before its bracket: "(44)", "(101 total)", "(44 out of 101)"
_BRACKET_ONLY = re.compile(r"\s*(?:(?:total|overall|in total|combined|altogether)\s*)?(?:[)\]]|(?:out\s+)?of\b)",
                           re.I)
# words that end a number's noun phrase: prepositions, conjunctions, punctuation ("14.59 across all
# configurations"); a copula does not ("2 are Markdown files")
_PHRASE_BREAK = re.compile(r"[,;:()\[\]|]|\s[-–—]\s|\b(?:across|over|in|for|of|with|from|to|at|on|by|during|"
                           r"between|among|within|per|under|after|before|than|and|or|which|that|while)\b", re.I)


def lead(text: str) -> str:
    m = _LEAD_LABEL.match(text)
    return m.group(1) if m else ""



def bound(before: str) -> str:
    """"approx", "gt" or "lt" when the text right before a number ends with a qualifier ("approximately",
    "over", "~", "at most"), else ""."""
    tail = before[-24:].lower().rstrip()
    if not tail:
        return ""
    for sym in (tail[-2:], tail[-1:]):
        if sym in _BOUND_OF:
            return _BOUND_OF[sym]
    words = tail.split()
    last = words[-1].lstrip("([*_'\"")
    if len(words) > 1 and f"{words[-2].lstrip('([*_')} {last}" in _BOUND_OF:
        return _BOUND_OF[f"{words[-2].lstrip('([*_')} {last}"]
    return _BOUND_OF.get(last, "")
