"""Which model a number is about, when its clause names several ("Unlike gemma3:1b, the gemma3:270m throughput
reached 40 tok/s": the 40 is 270m's).

Plain text handling, no facts. A *mention* is a model name ("gemma3:270m", "llama3.1-8b"), a family
("gemma3") or a size ("the 270m model"). A mention right after a contrast word ("unlike", "than", "compared
to", "versus", "relative to", "over", ...), or joined to such a mention by "and", "or", "&" or "/" (not by a
comma: "Unlike gemma3:1b, gemma3:270m reached ..."), names the model the sentence compares against: the
*other* model. Of the mentions of a number's clause, the number is about:

1. the mention right after it behind a preposition ("40 tok/s for gemma3:270m"), no contrast word between;
2. else the nearest mention before it that is no contrast, or a contrast mention the number is attached to
   ("than gemma3:1b's 40 tok/s", "versus gemma3:1b (40 tok/s)": only a possessive, colon, "=", bracket or
   qualifier between; "faster than gemma3:1b with 40 tok/s" says it of the first model), with the mentions
   coordinated with it: "gemma3:1b and gemma3:270m both averaged 50 tok/s" is checked against the facts of
   either model, as a clause naming both always was (a value right for one of them is not flagged);
3. else the first mention after it that is no contrast ("40 tok/s is what gemma3:270m reached").

A clause that distributes its numbers ("... respectively") is about all its non-contrast mentions. A clause
with no mention the number is about gives ``None``: the caller looks further (a table row, the sentence's
non-contrast mentions: ``Mentions.subjects``).

Mentions are found once per line and looked up by bisection, so a line of thousands of numbers costs linear
time.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from pytest_chimera.evidence import labels as lb

_SIZE = re.compile(r"(?<![\w.])\d+(?:\.\d+)?[bm](?![\w])", re.I)
_CONTRAST = re.compile(r"(?:\b(?:unlike|than|versus|vs\.?|against|over|compared\s+(?:to|with)|relative\s+to|"
                       r"in\s+contrast\s+(?:to|with)|as\s+opposed\s+to)|\bvs\.)\s+(?:both\s+|either\s+)?"
                       r"(?:the\s+|a\s+|an\s+)?$", re.I)
_CONTRAST_WORD = re.compile(r"\b(?:unlike|than|versus|vs|compared|relative|contrast|opposed|against)\b", re.I)
_COORDINATED = re.compile(r"\s*(?:,|&|/|\band\b|\bor\b)\s*(?:(?:and|or)\s+)?(?:the\s+)?", re.I)
# between a mention and the number it is attached to ("gemma3:1b's 40 tok/s", "gemma3:1b (40 tok/s", "B: 40"); not
# "at"/"with": "A was faster than B with 40 tok/s" says it of A
_ATTACHED = re.compile(r"\s*(?:model|variant)?\s*(?:['\u2019]s)?\s*[:=(\[]?\s*"
                       r"(?:~|\u2248|approximately|about|around|roughly|nearly|only|just)?\s*", re.I)
# between a number and the mention after it that it belongs to ("40 tok/s for gemma3:270m")
_AFTER = re.compile(r"[^\d;()]{0,40}?\b(?:for|of|by|on|from|with|using)\s+(?:the\s+|a\s+|an\s+)?", re.I)
_JOINED = re.compile(r"\s*(?:&|/|\band\b|\bor\b)\s*(?:the\s+)?", re.I)  # no comma: "Unlike A, B reached ..."
_RESPECTIVELY = re.compile(r"\brespectively\b", re.I)


@dataclass(frozen=True)
class Mention:
    """A model, family or size named in a line: where, and whether a contrast word marks it as the other one."""

    start: int
    end: int
    contrast: bool


class Mentions:
    """The mentions of one line, found once, in order."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.found = _find(text)
        self.starts = [m.start for m in self.found]

    def within(self, lo: int, hi: int) -> list[Mention]:
        """The mentions that start inside ``[lo, hi)``."""
        return self.found[bisect.bisect_left(self.starts, lo):bisect.bisect_left(self.starts, hi)]

    def words(self, mentions: list[Mention]) -> str:
        """The mentions' text, as one string of words."""
        return " ".join(self.text[m.start:m.end] for m in mentions)

    def about(self, lo: int, hi: int, start: int, end: int, others: list[tuple[int, int]]) -> str | None:
        """The mentions (as text) the number at ``[start, end)`` in the clause ``[lo, hi)`` is about, ``None`` when
        the clause names none it is about. ``others``: where the clause's other quantities are, in order."""
        if not self.found:
            return None
        mine = self.within(lo, hi)
        if not mine:
            return None
        text = self.text
        if _RESPECTIVELY.search(text, lo, hi):
            return self.words([m for m in mine if not m.contrast]) or None
        ends = [b for _, b in others]
        k = bisect.bisect_left(ends, end)
        prev_end = others[k - 1][1] if k and others[k - 1][1] <= start else lo
        next_start = others[k][0] if k < len(others) and others[k][0] >= end else hi
        after = [m for m in mine if end <= m.start < next_start]
        if after and not after[0].contrast and _AFTER.fullmatch(text, end, after[0].start) \
                and not _CONTRAST_WORD.search(text, end, after[0].start):
            return self.words(_coordinated_after(text, after))
        before = [m for m in mine if m.end <= start]
        for j in range(len(before) - 1, -1, -1):
            m = before[j]
            if m.contrast and not (m.end >= prev_end and _ATTACHED.fullmatch(text, m.end, start)):
                continue
            group = [m]
            while j and _COORDINATED.fullmatch(text, before[j - 1].end, group[0].start) \
                    and before[j - 1].contrast == m.contrast:
                j -= 1
                group.insert(0, before[j])
            return self.words(group)
        later = [m for m in mine if m.start >= end and not m.contrast]
        return self.words(later[:1]) if later else None

    def subjects(self, lo: int, hi: int) -> str:
        """The non-contrast mentions in ``[lo, hi)`` (a sentence), as text."""
        return self.words([m for m in self.within(lo, hi) if not m.contrast])


def _coordinated_after(text: str, after: list[Mention]) -> list[Mention]:
    group = [after[0]]
    for m in after[1:]:
        if not _COORDINATED.fullmatch(text, group[-1].end, m.start):
            break
        group.append(m)
    return group


def _find(text: str) -> list[Mention]:
    """Every mention of ``text`` (models, then families and sizes outside them), in order, with its contrast mark."""
    low = text.lower()
    if len(low) != len(text):  # a character whose lower case is longer ("İ"): keep offsets
        low = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
    spans: list[tuple[int, int]] = []
    for m in lb.TEXT_FAMILY.finditer(low):
        model = lb.TEXT_MODEL.match(low, m.start())
        spans.append((m.start(), model.end() if model is not None else m.end()))
    ends = [b for _, b in spans]
    for m in _SIZE.finditer(low):
        at = bisect.bisect_right(ends, m.start())  # the first model span ending after the size starts
        if at == len(spans) or spans[at][0] > m.start():
            spans.append((m.start(), m.end()))
    spans.sort()
    out: list[Mention] = []
    for a, b in spans:
        contrast = _CONTRAST.search(text, max(0, a - 40), a) is not None
        if not contrast and out and out[-1].contrast and _JOINED.fullmatch(text, out[-1].end, a):
            contrast = True  # "than gemma3:1b and gemma3:4b": both are the other side
        out.append(Mention(a, b, contrast))
    return out
