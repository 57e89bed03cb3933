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
from collections.abc import Sequence
from typing import NamedTuple

from pytest_chimera.checks.numbers import Number
from pytest_chimera.evidence import labels as lb

_SIZE = re.compile(r"(?<![\w.])\d+(?:\.\d+)?[bm](?![\w])", re.I)
_CONTRAST_WORDS = frozenset({"unlike", "than", "versus", "vs", "vs.", "against", "over"})
_CONTRAST_PAIRS = frozenset({("compared", "to"), ("compared", "with"), ("relative", "to"), ("contrast", "to"),
                             ("contrast", "with"), ("opposed", "to")})
_QUOTES = "\"'\u2018\u201c\u2039("  # may open a mention
_SKIPPED = frozenset({"the", "a", "an", "both", "either"})  # between a contrast word and the model it marks
_CONTRAST_WORD = re.compile(r"\b(?:unlike|than|versus|vs|compared|relative|contrast|opposed|against)\b", re.I)
_COORDINATED = re.compile(r"\s*(?:,|&|/|\band\b|\bor\b)\s*(?:(?:and|or)\s+)?(?:the\s+)?", re.I)
# a hedge between a model and its own number ("gemma3:1b's about 40 tok/s"), in _ATTACHED and _POSSESSIVE
_HEDGE = r"(?:~|\u2248|approximately|about|around|roughly|nearly|only|just)?\s*"
# between a mention and the number it is attached to ("gemma3:1b's 40 tok/s", "gemma3:1b (40 tok/s", "B: 40"); not
# "at"/"with": "A was faster than B with 40 tok/s" says it of A
_ATTACHED = re.compile(r"\s*(?:model|variant)?\s*(?:['\u2019]s)?\s*[:=(\[]?\s*" + _HEDGE, re.I)
# between a number and the mention after it that it belongs to ("40 tok/s for gemma3:270m")
_AFTER = re.compile(r"[^\d;()]{0,40}?\b(?:for|of|by|on|from|with|using)\s+(?:the\s+|a\s+|an\s+)?", re.I)
# a mention in brackets right after the number, the bracket closed right after it ("40 tok/s (gemma3:270m)")
_BRACKET_OPEN = re.compile(r"\s*[(\[]\s*(?:the\s+)?", re.I)
_BRACKET_CLOSE = re.compile(r"\s*[)\]]")
# a margin: "A outperformed B by 15 tok/s" is about neither model alone
_MARGIN = re.compile(r"\bby\s+(?:~|\u2248|about|around|roughly|nearly|almost|over|only|just)?\s*$", re.I)
# a possessive that hands the mention its own number ("B's 300 ms"): a later number is not B's
_POSSESSIVE = re.compile(r"['\u2019]s\s+" + _HEDGE, re.I)
_JOINED = re.compile(r"\s*(?:&|/|\band\b|\bor\b)\s*(?:the\s+)?", re.I)  # no comma: "Unlike A, B reached ..."
_RESPECTIVELY = re.compile(r"\brespectively\b", re.I)


class Mention(NamedTuple):
    """A model, family or size named in a line: where, and whether a contrast word marks it as the other one."""

    start: int
    end: int
    contrast: bool


class Mentions:
    """The mentions of one line, found once, in order, and where the line's quantities are: each number's
    mentions are then looked up by bisection (a line of thousands of numbers costs linear time)."""

    def __init__(self, text: str, nums: Sequence[Number] | None = None) -> None:
        """``nums``: the line's numbers (``numbers.find_numbers``): where its quantities are, and its model sizes
        ("the 270m model", form "model"); without them, sizes are found here."""
        self.text = text
        self.found = _find(text, None if nums is None else [(n.start, n.end) for n in nums if n.form == "model"])
        self.plain = len(self.found) == 1 and not self.found[0].contrast  # the commonest line: one model, plainly
        self.starts = [m.start for m in self.found]
        self._whole: dict[tuple[int, int], str] = {}  # a span's non-contrast mentions, as text
        if len(self.found) > 1 or (self.found and not self.plain):
            self._index([(n.start, n.end) for n in nums or () if n.form == "quantity"])

    def _index(self, quantities: list[tuple[int, int]]) -> None:
        """What a line of several mentions (or a contrast one) needs: where its quantities are; per mention, where
        its run of joined mentions of the same side starts and ends ("A and B"), and the nearest non-contrast
        mention at or before it and at or after it (-1, len: none)."""
        text, found = self.text, self.found
        self.q_starts, self.q_ends = [a for a, _ in quantities], [b for _, b in quantities]
        self._respectively: dict[tuple[int, int], bool] = {}  # whether a clause says "respectively"
        self._groups: dict[tuple[int, int], str] = {}
        n = len(found)
        self._run_start, self._run_end = list(range(n)), list(range(n))
        self._plain_before, self._plain_after = [-1] * n, [n] * n
        self._owned_at = [self._possessive_number(m.end) for m in found]  # "B's 300 ms": where B's number starts
        self._unowned_before = [-1] * n  # the nearest non-contrast mention at or before, with no number of its own
        for i in range(n):
            m = found[i]
            self._unowned_before[i] = i if not m.contrast and self._owned_at[i] < 0 else \
                (self._unowned_before[i - 1] if i else -1)
            if i and found[i - 1].contrast == m.contrast and _COORDINATED.fullmatch(text, found[i - 1].end, m.start):
                self._run_start[i] = self._run_start[i - 1]
            self._plain_before[i] = i if not m.contrast else (self._plain_before[i - 1] if i else -1)
        for i in range(n - 1, -1, -1):
            if i + 1 < n and self._run_start[i + 1] == self._run_start[i]:
                self._run_end[i] = self._run_end[i + 1]
            self._plain_after[i] = i if not found[i].contrast else (self._plain_after[i + 1] if i + 1 < n else n)

    def words(self, mentions: list[Mention]) -> str:
        """The mentions' text, as one string of words."""
        return " ".join(self.text[m.start:m.end] for m in mentions)

    def about(self, lo: int, hi: int, start: int, end: int) -> str | None:
        """The mentions (as text) the number at ``[start, end)`` in the clause ``[lo, hi)`` is about, ``None`` when
        the clause names none it is about."""
        found, text = self.found, self.text
        if self.plain:
            return text[found[0].start:found[0].end] if lo <= found[0].start < hi else None
        first, last = bisect.bisect_left(self.starts, lo), bisect.bisect_left(self.starts, hi)
        if first == last:
            return None
        spread = self._respectively.get((lo, hi))
        if spread is None:  # once per clause: a clause may hold thousands of numbers
            spread = self._respectively[lo, hi] = _RESPECTIVELY.search(text, lo, hi) is not None
        if spread:
            return self.subjects(lo, hi) or None
        k = bisect.bisect_right(self.q_ends, start)  # quantities ending at or before the number
        prev_end = max(lo, self.q_ends[k - 1]) if k else lo
        k = bisect.bisect_left(self.q_starts, end)  # the first quantity starting at or after its end
        next_start = min(hi, self.q_starts[k]) if k < len(self.q_starts) else hi
        j = bisect.bisect_left(self.starts, end, first, last)  # the first mention after the number
        if j < last and found[j].start < next_start and not found[j].contrast \
                and (_AFTER.fullmatch(text, end, found[j].start)
                     or (_BRACKET_OPEN.fullmatch(text, end, found[j].start)
                         and _BRACKET_CLOSE.match(text, found[j].end))) \
                and not _CONTRAST_WORD.search(text, end, found[j].start):
            return self._group(j, min(self._run_end[j], last - 1))
        if last - first > 1 and _MARGIN.search(text, max(prev_end, start - 24), start):
            return self.subjects(lo, hi) or None  # a margin between the models: either's facts, as before
        i = j - 1
        while i >= first and found[i].end > start:
            i -= 1
        if i >= first and found[i].contrast and found[i].end >= prev_end and _ATTACHED.fullmatch(text, found[i].end,
                                                                                                start):
            return self._group(max(first, self._run_start[i]), i)  # "than gemma3:1b's 40 tok/s"
        i = self._plain_before[i] if i >= first else -1
        if i >= first and 0 <= self._owned_at[i] < start:  # "beats B's 300 ms with 120 ms": the 120 is not B's
            i = self._unowned_before[i - 1] if i > first else -1
        if i >= first:
            return self._group(max(first, self._run_start[i]), i)
        i = self._plain_after[j] if j < len(found) else len(found)
        return self._group(i, i) if i < last else None

    def _possessive_number(self, at: int) -> int:
        """Where the quantity a mention ending at ``at`` takes by a possessive starts ("B's 300 ms"), else -1."""
        m = _POSSESSIVE.match(self.text, at)
        if m is None:
            return -1
        k = bisect.bisect_left(self.q_starts, m.end())
        return m.end() if k < len(self.q_starts) and self.q_starts[k] == m.end() else -1

    def _group(self, a: int, b: int) -> str:
        """The text of mentions ``a`` to ``b``, once per run."""
        hit = self._groups.get((a, b))
        if hit is None:
            hit = self._groups[a, b] = self.words(self.found[a:b + 1])
        return hit

    def subjects(self, lo: int, hi: int) -> str:
        """The non-contrast mentions in ``[lo, hi)`` (a sentence, a clause), as text; once per span."""
        hit = self._whole.get((lo, hi))
        if hit is None:
            inside = self.found[bisect.bisect_left(self.starts, lo):bisect.bisect_left(self.starts, hi)]
            hit = self._whole[lo, hi] = self.words([m for m in inside if not m.contrast])
        return hit


def _contrasted(low: str, at: int) -> bool:
    """Whether a contrast word ("unlike", "than", "compared to", ...) ends right before ``at`` in the lowercased
    line ``low``, "the", "a", "both" or "either" aside."""
    before = low[max(0, at - 40):at]
    bare = before.rstrip(_QUOTES)
    if not bare[-1:].isspace():  # "than gemma3:1b", "than ‹gemma3›", "than 'gemma3'"; not "a/gemma3"
        return False
    words = bare.split()
    while words and words[-1] in _SKIPPED:
        words.pop()
    if not words:
        return False
    return words[-1] in _CONTRAST_WORDS or (len(words) > 1 and (words[-2], words[-1]) in _CONTRAST_PAIRS)


def _find(text: str, sizes: list[tuple[int, int]] | None = None) -> list[Mention]:
    """Every mention of ``text`` (models, then families and sizes outside them), in order, with its contrast mark."""
    low = text.lower()
    if len(low) != len(text):  # a character whose lower case is longer ("İ"): keep offsets
        low = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
    spans: list[tuple[int, int]] = []
    for name in lb.FAMILY_NAMES:  # str.find per family: several times faster than one regex scan of the line
        at = low.find(name)
        while at >= 0:  # "llama" inside "codellama": refused by the mention's lookbehind
            m = lb.TEXT_MENTION.match(low, at)
            if m is not None:
                spans.append(m.span())
            at = low.find(name, at + 1)
    spans.sort()
    ends = [b for _, b in spans]
    for a, b in sizes if sizes is not None else [(m.start(), m.end()) for m in _SIZE.finditer(low)]:
        at = bisect.bisect_right(ends, a)  # the first model span ending after the size starts
        if at == len(ends) or spans[at][0] > a:
            spans.append((a, b))
    if not spans:
        return []
    spans.sort()
    out: list[Mention] = []
    for a, b in spans:
        contrast = _contrasted(low, a)
        if not contrast and out and out[-1].contrast and _JOINED.fullmatch(text, out[-1].end, a):
            contrast = True  # "than gemma3:1b and gemma3:4b": both are the other side
        out.append(Mention(a, b, contrast))
    return out
