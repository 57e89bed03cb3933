"""Which count a count's words name: the words between a count and its noun ("28 CSV files"), the file type
right beside a share ("CSV (28%)") or before a label's count noun ("Total JSON files", "File Count (JSON)"), a
line's lead label when the count follows it ("Compilation Benchmarks: 20 Files") or holds it ("CSV Files (28):
..."), and whether a label names the count noun at all ("Total tokens generated: 187.17")."""

from __future__ import annotations

import re

from pytest_chimera.checks.numbers import COUNT_UNITS, Number, canonical_unit, is_unit_word
from pytest_chimera.checks.query import context

_NEXT_WORD = re.compile(r"\s+([^\W\d_][\w+-]*)")


def labels_noun(label: str, unit: str) -> bool:
    """Whether a line's lead or a cell's row label and header name the count noun ``unit`` ("Total tokens
    generated: 187.17": a count of tokens, as "187.17 tokens" would be)."""
    return unit in COUNT_UNITS and re.search(rf"\b{unit[:-1]}", _BRACKETED.sub(" ", label), re.I) is not None


_BRACKETED = re.compile(r"\([^)]*\)")  # "Latency (TTFS - Time To First Sample)": a gloss, not the label's noun


def qualifier(text: str, end: int, unit: str) -> frozenset[str]:
    """The words between a count and its count noun, as label words ("28 CSV files": {"csv"}); empty when the
    noun does not follow within three words or the number is no count."""
    if unit not in COUNT_UNITS:
        return frozenset()
    words: list[str] = []
    pos = end + 1 if text.startswith((")", "]"), end) else end  # "A notable number of files (28) are CSV files"
    for _ in range(4):
        m = _NEXT_WORD.match(text, pos)
        if m is None:
            return frozenset()
        if is_unit_word(m.group(1)) and canonical_unit(m.group(1)) == unit:
            return frozenset(context(" ".join(words))[1]) if words else frozenset()
        if not (is_unit_word(m.group(1)) and canonical_unit(m.group(1)) in COUNT_UNITS):
            words.append(m.group(1))  # another count noun ("30 CSV benchmark files") is part of the noun, as
            # ``numbers`` reads "101 benchmark files" as files: no subset
        pos = m.end()
    return frozenset()


_LEAD_GAP = re.compile(r"\s*(?:~|≈|approx\.?|approximately|about|around|roughly|nearly|almost|over|under|some)?\s*",
                       re.I)


_TYPES = {"csv": "csv", "json": "json", "markdown": "md", "md": "md"}
_TYPE_BEFORE = re.compile(r"\b(csv|json|markdown|md)(?:\s+files?)?\s*[(:=\-\u2013]?\s*$", re.I)
_TYPE_AFTER = re.compile(r"\s*(?:of\s+(?:the\s+|all\s+)?files\s+(?:are\s+|is\s+)?)?(csv|json|markdown|md)\b", re.I)


def share_of(text: str, num: Number) -> str:
    """The file type ("csv", "json", "md") written right beside a share: before it ("CSV (28%)", "CSV files:
    28%") or after it ("28% CSV", "28% of the files are CSV"), else ""."""
    m = _TYPE_BEFORE.search(text, max(0, num.start - 24), num.start) or _TYPE_AFTER.match(text, num.end)
    return _TYPES[m.group(1).lower()] if m else ""


# "JSON files", "JSON Documents", "File Count (JSON)"
_TYPE_NOUN = re.compile(r"\b(csv|json|markdown|md)\s+(?:files?|documents?)\b|"
                        r"\b(?:files?|documents?)(?:\s+count)?\s*\(\s*(csv|json|markdown|md)\s*\)", re.I)


_JOINED_TYPE = re.compile(r"\b(?:csv|json|markdown|md)\s*(?:/|\+|&|,|\band\b|\bor\b)\s*(?:csv|json|markdown|md)\b",
                          re.I)


_GLOSS = re.compile(r"\((?!\s*(?:csv|json|markdown|md)\s*\))[^)]*\)", re.I)  # a bracket that is more than "(JSON)"


def type_of(label: str) -> frozenset[str]:
    """The one file type a count's label names right before its count noun ("Total JSON files", "JSON
    Documents"), as a qualifier (``qualifier``): the words say which count it is, "total" or not; empty when
    the label names none or several ("JSON files and CSV files"). "JSON and Markdown files" names Markdown:
    the pair's count carries that word too."""
    label = _GLOSS.sub(" ", label)  # "Total files (JSON files being the largest share)": a gloss
    found = {(m.group(1) or m.group(2)).lower() for m in _TYPE_NOUN.finditer(label)}
    if found and _JOINED_TYPE.search(label):  # "JSON/Markdown files: 73", "CSV & JSON files": two types together
        return frozenset()
    return frozenset(found) if len(found) == 1 else frozenset()


_OF_TOTAL = re.compile(r"(?:\bof|/)\s*$", re.I)  # "CSV Files (28 of 101):", "(29/101)": the total of what is counted


def in_lead(text: str, lead: str, num: Number) -> bool:
    """Whether ``num`` is written inside its line's lead label ("CSV Files (28): ...", not the total after "of" in
    "CSV Files (28 of 101):"): the label names the count; the sentence after the colon says something of it, not
    which files it counts."""
    at = text.find(lead + ":") if lead else -1
    return 0 <= at <= num.start and num.end <= at + len(lead) and _OF_TOTAL.search(text, at, num.start) is None


def lead_subset(text: str, lead: str, num: Number, unit: str) -> frozenset[str]:
    """A count's "Lead:" words, when the count follows its line's lead label right away ("Compilation Benchmarks
    (JSON & Markdown): 20 Files"): they say which files it counts, as the words between a count and its noun do
    (``qualifier``, which come first: "Parameter Tuning Dominance: 28 CSV files" counts CSV files, the lead is a
    topic); else empty."""
    if not lead or unit not in COUNT_UNITS:
        return frozenset()
    at = text.find(lead + ":")
    if at < 0 or not _LEAD_GAP.fullmatch(text, at + len(lead) + 1, num.start):
        return frozenset()
    return frozenset(context(lead)[1])
