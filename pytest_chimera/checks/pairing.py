"""Which item of a list of words each number of a list of numbers goes with: "CSV, JSON and Markdown files: 28,
44 and 29" pairs 28 with CSV, 44 with JSON and 29 with Markdown, in order; so do "JSON and Markdown files (44 and
29)" and "... (44 and 29 respectively)". Each number's words then name its item, not the whole list (every type
together: the total, or the sum of two types)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from pytest_chimera.checks import claims as cl
from pytest_chimera.checks.numbers import Number

_LIST_ITEM_SPLIT = re.compile(r",\s*(?:and\s+|or\s+)?|\s+(?:and|or|&)\s+")
_RESPECTIVELY = re.compile(r"[\s,]*(?:[A-Za-z%/]+[\s,]+)?respectively\b", re.I)  # "44 and 29 ms, respectively"
_WORD_PAIR = re.compile(r"\b[A-Za-z][A-Za-z\-]*\s+(?:and|or|&)\s+[A-Za-z][A-Za-z\-]*\b")
_PAIR_BRACKET = re.compile(r"\b([A-Za-z][A-Za-z\-]*\s+(?:and|&)\s+[A-Za-z][A-Za-z\-]*)(?:\s+[A-Za-z]+){0,2}\s*\(\s*$")
_REACH = 200  # how far before a run of numbers its words are looked for
_LIST_GAP = re.compile(r"\s*(?:[A-Za-z%/]+\s*)?(?:,\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+)\s*", re.I)


def paired(text: str, nums: Sequence[Number], kinds: list[tuple[str, str]]) -> dict[int, tuple[str, str]]:
    """{index of a claim: (a list of words, its item)} where one list of words before a line's claims has as many
    items as there are claims after it: "CSV, JSON and Markdown files: 28, 44 and 29" pairs 28 with CSV, 44
    with JSON and 29 with Markdown, in order, instead of giving all three the whole list (every type: the
    total); else the runs of claims said to go "respectively" with the words before them (``_respective``)."""
    claims = [k for k, (kind, _) in enumerate(kinds) if kind == "claim"]
    if len(claims) < 2:
        return {}
    if not cl.may_list(text) or not all(_LIST_GAP.fullmatch(text, nums[a].end, nums[b].start)
                                        for a, b in zip(claims, claims[1:], strict=False)):
        return _respective(text, nums, claims)  # "6 files, 2 of them CSV, 3 of them JSON": no list of numbers
    spans = cl.word_lists(text[:nums[claims[0]].start])
    if len(spans) != 1:
        return _respective(text, nums, claims)
    words = text[spans[0][0]:spans[0][1]]
    items = [item for item in _LIST_ITEM_SPLIT.split(words) if item]
    if len(items) != len(claims):
        return _respective(text, nums, claims)
    return {k: (words, item) for k, item in zip(claims, items, strict=True)}


def _respective(text: str, nums: Sequence[Number], claims: list[int]) -> dict[int, tuple[str, str]]:
    """The pairs of each run of claims (joined as a list) that "respectively" follows, with the last list of
    words (or pair: "JSON and Markdown files (44 and 29 respectively)") before the run's first number, when it
    has as many items as the run has claims."""
    out: dict[int, tuple[str, str]] = {}
    run: list[int] = []
    for k in claims:
        if run and not _LIST_GAP.fullmatch(text, nums[run[-1]].end, nums[k].start):
            run = []
        run.append(k)
        if len(run) < 2:
            continue
        before = text[max(0, nums[run[0]].start - _REACH):nums[run[0]].start]  # the words next to it only: a
        # line of thousands of numbers costs linear time
        bracket = _PAIR_BRACKET.search(before) if before.rstrip().endswith("(") else None  # "... files (44 and 29)"
        if bracket is not None and before[:bracket.start(1)].rstrip().endswith(","):
            bracket = None  # the last two of a longer list ("JSON, CSV and Markdown files (9 and 11)")
        if bracket is None and _RESPECTIVELY.match(text, nums[k].end) is None:
            continue
        spans = [bracket.span(1)] if bracket is not None else \
            (cl.word_lists(before) if cl.may_list(before) else []) or [m.span() for m in _WORD_PAIR.finditer(before)]
        if spans:
            words = before[spans[-1][0]:spans[-1][1]]
            items = [item for item in _LIST_ITEM_SPLIT.split(words) if item]
            if len(items) == len(run):
                out.update({r: (words, item) for r, item in zip(run, items, strict=True)})
        run = []
    return out
