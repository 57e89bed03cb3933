"""Per-number clauses: which words of a line belong to which number.

Each line is split into sentences and clauses; within a clause, each number owns the words nearest it
(back and forward to the next separator, ``Stops``), and ``own_clauses`` blanks the words that belong to
another number. ``read_line`` gives every number its ``Reading`` in linear time in the numbers of the line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pytest_chimera.checks.claims import _BRACKET_ONLY, clause_splits, in_lists, sentences, tokens
from pytest_chimera.checks.numbers import Number
from pytest_chimera.checks.subjects import Mentions

# where the words nearest a number end: punctuation, conjunctions, and the words that open a description of
# it rather than name it ("101 files related to gemma3", "28 files representing ...", "files that ...")
_STOP_WORDS = (r"and|or|while|whereas|but|versus|vs|which|that|related|relating|representing|focused|focusing|"
               r"associated|reflecting|indicating|suggesting|including|primarily|predominantly|mainly|mostly|"
               r"largely|generated|produced")
_NEAR_STOP = re.compile(r"[|,;()\[\]]|\s[-–—]\s|(?<=[a-z])\.\s|\b(?:" + _STOP_WORDS + r")\b", re.I)
# the same on lowercased text, faster: a stop word starts with one of these letters, and each branch tests a
# character before any look-behind (most positions fail at once)
_NEAR_STOP_LOW = re.compile(r"[|,;()\[\]]|\s[-–—]\s|\.(?<=[a-z]\.)\s|(?=[abfgilmoprstvw])(?<![a-z0-9_])(?:"
                            + _STOP_WORDS + r")(?![a-z0-9_])")
_QUALIFIER = r"(?:~|≈|approx\.?|approximately|about|around|roughly|nearly|over|under|up to)?\s*"
APPOSITIVE = re.compile(r"\s*[(\[]\s*" + _QUALIFIER, re.I)
_BRACKETED = re.compile(r"[(\[]\s*" + _QUALIFIER + r"$", re.I)
_CONNECTOR = re.compile(r"\s*(?:-|–|—|to|vs\.?|versus|→|->|=>|/|and|or|x|×)\s*" + _QUALIFIER, re.I)
_RESPECTIVELY = re.compile(r"\brespectively\b", re.I)


WINDOW = 240  # characters read on each side of a number's own span in a longer clause


class Stops:
    """The separators of one line (``_NEAR_STOP``), found once: each number's nearest words are then looked up
    by bisection instead of scanning the text between it and its neighbours again. A separator is
    (start, end, text, is a conjunction)."""

    def __init__(self, text: str) -> None:
        low = text.lower()
        found = _NEAR_STOP_LOW.finditer(low) if len(low) == len(text) else _NEAR_STOP.finditer(text)
        self.found = [(m.start(), m.end(), m.group(0), m.group(0).lower() in _CONJUNCTIONS) for m in found]
        inside = in_lists(text) if self.found else None  # a list of single words is one phrase: no stop inside it
        if inside is not None:
            self.found = [f for f in self.found if not inside(f[0])]
        self.starts = [f[0] for f in self.found]
        self.ends = [f[1] for f in self.found]

    def within(self, a: int, b: int) -> list[tuple[int, int, str, bool]]:
        """The separators that lie inside ``[a, b)``, in order."""
        import bisect

        return self.found[bisect.bisect_left(self.starts, a):bisect.bisect_right(self.ends, b)]

    def first(self, a: int, b: int, skip_conjunctions: bool) -> tuple[int, int, str, bool] | None:
        """The first separator inside ``[a, b)`` (a conjunction does not count with ``skip_conjunctions``)."""
        import bisect

        for k in range(bisect.bisect_left(self.starts, a), len(self.found)):
            found = self.found[k]
            if found[1] > b:
                return None
            if not (skip_conjunctions and found[3]):
                return found
        return None


def _near_span(text: str, nums: list[Number], k: int, lo: int, hi: int, stops: Stops | None = None
               ) -> tuple[int, int]:
    """Where the words nearest a number start and end: back to the previous number or separator (comma,
    bracket, "and", ...) and forward to the next number or separator, within ``[lo, hi)``.

    A number that opens a bracket after words ("JSON (44)", "CSV files (28)") reaches back over the bracket
    to the words before it: they label it. A conjunction separates two numbers, not the words before the
    first or after the last ("JSON and Markdown files (62)")."""
    stops = stops if stops is not None else Stops(text)
    num = nums[k]
    first = not k or nums[k - 1].end <= lo
    last = k + 1 >= len(nums) or nums[k + 1].start >= hi
    start = max(lo, nums[k - 1].end if k else lo)
    end = max(min(hi, nums[k + 1].start if k + 1 < len(nums) else hi), num.end)
    before = stops.within(start, max(start, num.start))
    if first:
        before = [st for st in before if not st[3]]
    label_start = -1
    if before and before[-1][2] in "([" and _BRACKETED.search(text, before[-1][0], num.start) \
            and _WORD_END.search(text, start, before[-1][0]) and _BRACKET_ONLY.match(text, num.end):
        bracket = before.pop()  # "JSON files (44)": the noun phrase before the bracket labels the number
        breaks = list(_NP_BREAK.finditer(text, before[-1][1] if before else start, bracket[0]))
        label_start = breaks[-1].end() if breaks else -1
    if before:
        start = before[-1][1]
    start = max(start, label_start)
    stop = stops.first(num.end, end, last)
    return min(start, num.start), stop[0] if stop else end


# where the noun phrase before a bracket starts: after a preposition, verb or relative word
_NP_BREAK = re.compile(r"\b(?:across|over|in|for|of|with|from|to|towards?|at|on|by|during|between|among|within|under|"
                       r"after|before|than|into|about|is|are|was|were|be|been|has|have|had|includes?|contains?|"
                       r"comprises?|represents?|which|that)\b", re.I)
_CONJUNCTIONS = frozenset({"and", "or", "versus", "vs"})  # a stop between two numbers, not between two words
_WORD_END = re.compile(r"[A-Za-z][\w:.\-/]*\s*$")
_LABEL_WORD = re.compile(r"[A-Za-z][\w:.\-/]*")


def near(text: str, nums: list[Number], k: int, lo: int, hi: int, stops: Stops | None = None) -> str:
    """The words nearest a number (see ``_near_span``), the number itself left out."""
    start, end = _near_span(text, nums, k, lo, hi, stops)
    return text[start:nums[k].start] + " " + text[nums[k].end:end]


def own_clauses(text: str, nums: list[Number], members: list[int], lo: int, hi: int, stops: Stops | None = None
                ) -> dict[int, str]:
    """The clause ``text[lo:hi]`` of each number in ``members`` (indices into ``nums``, in order) with the words
    that belong to another number blanked; one pass over the clause for all its numbers.

    The clause is split into per-number spans: each other quantity owns its own text ("28 files") and its
    nearest words (``_near_span``), except the words before the first quantity of the clause, which are
    the subject they all share ("The average TTFT was 81 ms and 151 ms"). So in "28 files (8 CSV, ..."
    the label "CSV" is the 8's, not the 28's. Words nearest both ``k`` and another number stay. Numbers
    that only a connector separates ("272-883 tokens", "102.85 vs 76.59 tok/s", "11 → 22") share their
    words; a number opening a bracket ("44 files (43.6%)", "lower TTFT (~0.12s)") restates what precedes
    the bracket and keeps it. Labelled brackets in parallel ("JSON (62 files) and Markdown (39 files)")
    give each label to its own number: the first owns as many words before its bracket as the next one's
    label has. A sentence that distributes its labels ("... respectively") is left whole. A clause longer
    than ``2 * WINDOW`` characters is read ``WINDOW`` characters around each number's span (and the first
    ``WINDOW`` characters of its shared subject), so a line of thousands of numbers costs linear time."""
    inside = [j for j in members if nums[j].form == "quantity"]
    whole = _RESPECTIVELY.search(text, lo, hi) is not None or len(inside) < 2
    if whole:
        return {k: _window(text, lo, hi, nums[k].start, nums[k].end) for k in members}
    qs = [nums[j] for j in inside]  # other numbers (a model size "270m", a date) are words here
    groups: list[list[int]] = [[0]]  # runs of quantities joined by connectors only, as indices into qs
    for i in range(1, len(qs)):
        if _CONNECTOR.fullmatch(text, qs[i - 1].end, qs[i].start):
            groups[-1].append(i)
        else:
            groups.append([i])
    stops = stops if stops is not None else Stops(text)
    near_spans = [_near_span(text, qs, i, lo, hi, stops) for i in range(len(qs))]
    spans: list[tuple[int, int]] = []
    for g, group in enumerate(groups):
        start, end = near_spans[group[0]][0], near_spans[group[-1]][1]
        if g and _BRACKETED.search(text, qs[groups[g - 1][-1]].end, qs[group[0]].start):
            start = qs[groups[g - 1][-1]].end  # "lower TTFT (~0.12s)": the words before the bracket are its too
        spans.append((start if g else qs[group[0]].start, end))
    if len(groups) > 1:
        spans[0] = (_parallel_label(text, qs, groups, near_spans, spans[0]), spans[0][1])
    group_of = {i: g for g, group in enumerate(groups) for i in group}
    restated = [bool(g) and APPOSITIVE.fullmatch(text, qs[groups[g - 1][-1]].end, qs[groups[g][0]].start)
                is not None for g in range(len(groups))]
    starts = [start for start, _ in spans]
    out: dict[int, str] = {}
    for pos, j in enumerate(inside):
        mine = group_of[pos]
        out[j] = _blanked(text, (lo, hi), spans, starts, groups, qs, mine, restated[mine])
    for j in members:
        if j not in out:
            out[j] = _window(text, lo, hi, nums[j].start, nums[j].end)
    return out


def _parallel_label(text: str, qs: list[Number], groups: list[list[int]], near_spans: list[tuple[int, int]],
                    first: tuple[int, int]) -> int:
    """Where the first group's span starts: at its number, or, when it and the next group both open a bracket
    after a label, that many label words before its bracket."""
    head, nxt = qs[groups[0][0]], qs[groups[1][0]]
    before = text[near_spans[groups[0][0]][0]:head.start]
    bracket = _BRACKETED.search(before)
    if bracket is None or not _BRACKETED.search(text, qs[groups[0][-1]].end, nxt.start):
        return first[0]
    label_end = near_spans[groups[0][0]][0] + bracket.start()
    stops = list(_NEAR_STOP.finditer(text, qs[groups[0][-1]].end, nxt.start))
    if len(stops) < 2:
        return first[0]
    n_words = len(_LABEL_WORD.findall(text, stops[-2].end(), stops[-1].start()))
    if not n_words:
        return first[0]
    words = list(_LABEL_WORD.finditer(text, near_spans[groups[0][0]][0], label_end))
    return words[-n_words].start() if len(words) >= n_words else first[0]


def _window(text: str, lo: int, hi: int, start: int, end: int) -> str:
    if hi - lo <= 2 * WINDOW:
        return text[lo:hi]
    return text[lo:min(lo + WINDOW, start)] + " " + text[max(lo, start - WINDOW):min(hi, end + WINDOW)]


def _blanked(text: str, clause: tuple[int, int], spans: list[tuple[int, int]], starts: list[int],
             groups: list[list[int]], qs: list[Number], mine: int, restated: bool) -> str:
    """The clause of group ``mine``: other groups' spans blanked (within its window in a long clause)."""
    import bisect

    lo, hi = clause
    start, end = spans[mine]
    a, b = (lo, hi) if hi - lo <= 2 * WINDOW else (max(lo, start - WINDOW), min(hi, end + WINDOW))
    cuts: list[tuple[int, int]] = []
    for g in range(max(0, bisect.bisect_right(starts, a) - 2), len(spans)):
        g_start, g_end = spans[g]
        if g_start >= b:
            break
        if g == mine or g_start >= g_end or (restated and g == mine - 1):
            continue  # "44 files (43.6%)": a restatement keeps the number it restates
        cuts += [(g_start, min(g_end, start)), (max(g_start, end), g_end)]
        cuts += [(qs[i].start, qs[i].end) for i in groups[g]]
    out: list[str] = []
    at = a
    for c_start, c_end in sorted(cut for cut in cuts if cut[0] < cut[1]):
        if c_end <= at:
            continue
        c_start, c_end = max(c_start, at), min(c_end, b)
        if c_start >= b:
            break
        out += [text[at:c_start], " " * (c_end - c_start)]
        at = c_end
    own = "".join(out) + text[at:b] if out else text[a:b]
    if a > lo:  # a long clause: its shared subject, read from its start
        first = spans[0][0] if spans else hi
        own = text[lo:min(first, lo + WINDOW, a)] + " " + own
    return own


def own_clause(text: str, nums: list[Number], k: int, lo: int, hi: int) -> str:
    """The clause ``text[lo:hi]`` of number ``k`` with the words of other numbers blanked (``own_clauses``)."""
    members = [j for j in range(len(nums)) if lo <= nums[j].start < hi]
    if k not in members:
        return text[lo:hi]
    return own_clauses(text, nums, members, lo, hi)[k]


@dataclass
class Reading:
    """What one number of a line is read with: its sentence, clause and the words that are its own.

    ``clause`` is the number's clause (``WINDOW`` characters around it when the clause is long) with the
    number at ``offset``; ``own`` the clause with other numbers' words blanked (``own_clauses``); ``near`` the
    words nearest it; ``excerpt`` the sentence, or the clause window of a long one."""

    sentence: str
    clause: str
    offset: int
    near: str
    own: str
    excerpt: str
    lead_in_clause: bool
    total_of: int | None = None  # "44 out of 101": the 101 is the total the number at this index is part of
    about: str | None = None  # the models its clause says it is about (``subjects``), None: the clause names none
    subjects: str = ""  # the sentence's models that no contrast word marks as the other side


_PREDICATE = re.compile(r"\b(?:are|is|were|was|have|has|had|contain\w*|consist\w*|include\w*|represent\w*)\b",
                        re.I)
# "44 out of 101", "44 of the 101", "44/101", "44 JSON files out of 101"
_TOTAL_OF = re.compile(r"\s*(?:out\s+of|of)\s+(?:the|all|a\s+total\s+of)?\s*(?:total\s+)?|/"
                       r"|(?:\s+[A-Za-z]+){1,3}\s+out\s+of\s+(?:the|all)?\s*(?:total\s+)?", re.I)


def read_line(text: str, nums: list[Number], lead_text: str = "", wanted: set[int] | None = None
              ) -> list[Reading | None]:
    """A ``Reading`` for each number of a line (of those in ``wanted``, when given; ``None`` for the others), in
    linear time in the numbers and the line's length."""
    import bisect

    sents = sentences(text)
    sent_starts = [a for a, _ in sents]
    stops = Stops(text)
    lead_at = text.find(lead_text) if lead_text else -1
    # clause bounds (absolute) of each number, numbers grouped by clause
    bounds: list[tuple[int, int, int]] = []  # (sentence index, lo, hi)
    splits: dict[int, tuple[list[int], list[int]]] = {}
    for num in nums:
        si = max(0, bisect.bisect_right(sent_starts, num.start) - 1)
        s_at, sentence = sents[si]
        if si not in splits:
            found = clause_splits(sentence)
            splits[si] = ([a for a, _ in found], [b for _, b in found])
        starts, ends = splits[si]
        offset = num.start - s_at
        k = bisect.bisect_right(ends, offset)  # splits ending at or before the number
        c_start = ends[k - 1] if k else 0
        j = bisect.bisect_left(starts, offset, lo=k)  # the first split starting at or after it
        c_end = starts[j] if j < len(starts) else len(sentence)
        bounds.append((si, s_at + c_start, s_at + c_end))
    members: dict[tuple[int, int], list[int]] = {}
    for k, (_, lo, hi) in enumerate(bounds):
        members.setdefault((lo, hi), []).append(k)
    owns: dict[int, str] = {}
    for (lo, hi), ks in members.items():
        if wanted is None or not wanted.isdisjoint(ks):
            owns.update(own_clauses(text, nums, ks, lo, hi, stops))
    mentions = Mentions(text, nums)
    out: list[Reading | None] = []
    for k, (si, lo, hi) in enumerate(bounds):
        if wanted is not None and k not in wanted:
            out.append(None)
            continue
        num = nums[k]
        a, b = (lo, hi) if hi - lo <= 2 * WINDOW else (max(lo, num.start - WINDOW), min(hi, num.end + WINDOW))
        sentence = sents[si][1]
        excerpt = sentence if len(sentence) <= 2 * WINDOW else text[a:b]
        near_text = near(text, nums, k, lo, hi, stops)
        if k and not tokens(near_text) and APPOSITIVE.fullmatch(text, nums[k - 1].end, num.start):
            near_text = near(text, nums, k - 1, lo, hi, stops)  # a bare restatement "(43.6%)": its head's words
        lead_in = lead_at >= 0 and lo <= lead_at and lead_at + len(lead_text) <= hi
        total_of = k - 1 if k and _TOTAL_OF.fullmatch(text, nums[k - 1].end, num.start) else None
        own = owns[k]
        if total_of is not None:  # the total's words: "total" and what follows it ("101 files", "101 total"), up
            tail = text[num.end:_near_span(text, nums, k, lo, hi, stops)[1]]  # to a verb: "44 out of 101 files
            near_text = "total " + _PREDICATE.split(tail, 1)[0]  # are JSON files" says what the 44 are
            own = near_text
        about, subjects = None, ""
        if mentions.found:
            about = mentions.about(lo, hi, num.start, num.end)
            if about is None:
                subjects = mentions.subjects(sents[si][0], sents[si][0] + len(sentence))
        out.append(Reading(sentence, text[a:b], num.start - a, near_text, own, excerpt, lead_in, total_of, about,
                           subjects))
    return out
