"""How much a text repeats itself: the measure behind the built-in specs' "no repetition loop" rule.

A small model at greedy decoding often falls into a loop: the same lines or paragraphs again and again
until the token limit (``num_predict``; Ollama's ``done_reason`` is then ``"length"``). Such a report has
few or no numbers to check, so it must fail on its own account. The measure, over the model-written text:

- the text is cut into words (``report.count_words``' rule) and lowercased; numbers stay as written, so
  lines of the same shape with different figures (a list of measurements, table rows) do not repeat;
- ``share``: the share of words that lie inside a run of ``NGRAM`` words seen earlier in the text;
  repeated lines, paragraphs and any looped stretch count, a repeated short phrase does not;
- ``tail_share``: the same share over the last ``TAIL`` of the words; a loop that runs until the token
  limit leaves the text repeating itself up to its last word (``loop_at_end``: ``tail_share`` at least
  ``TAIL_LOOP``);
- ``passage`` and ``count``: the most repeated passage (the most frequent ``NGRAM``-word run, widened
  while every occurrence goes on alike), quoted from the text, and how often it occurs.

On the 24 real reports of the original agents and the seed report, ``share`` is at most 0.077 and
``tail_share`` 0; looped outputs of gemma-3-270m (tests/data/looped/) have ``share`` 0.30-0.87 and
``loop_at_end``. The built-in specs' rule allows ``share`` up to 0.2 and no ``loop_at_end``.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

NGRAM = 8  # words per run: shorter runs recur in honest prose ("tokens per second", table cells)
TAIL = 0.1  # the last tenth of the words: a loop that starts late still shows there
TAIL_LOOP = 0.8
PASSAGE_CHARS = 60  # a quoted passage is cut to this many characters (a spec failure shows it whole)
WORD_RE = re.compile(r"[^\W_](?:(?:[\w'’.\-/:%]|,(?=\d))*[^\W_%])?%?")


@dataclass(frozen=True)
class Repetition:
    """How much a text repeats itself (see the module docstring). Plain JSON through ``to_json``."""

    share: float = 0.0
    tail_share: float = 0.0
    loop_at_end: bool = False
    passage: str = ""
    count: int = 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def describe(self) -> str:
        """``'<passage>' occurs 12 times; 62% of the words repeat earlier text (loops to the end)``."""
        if not self.passage:
            return f"{self.share:.0%} of the words repeat earlier text"
        end = " (loops to the end)" if self.loop_at_end else ""
        return f"{self.passage!r} occurs {self.count} times; {self.share:.0%} of the words repeat earlier text{end}"


def measure_repetition(text: str) -> Repetition:
    """The repetition of ``text``: shares of repeated words, the most repeated passage and its count."""
    spans = [m.span() for m in WORD_RE.finditer(text)]
    words = [text[a:b].lower() for a, b in spans]
    n = len(words)
    if n < 2 * NGRAM:
        return Repetition()
    seen: dict[tuple[str, ...], list[int]] = {}
    repeated = bytearray(n)
    for i in range(n - NGRAM + 1):
        gram = tuple(words[i : i + NGRAM])
        starts = seen.setdefault(gram, [])
        if starts:
            repeated[i : i + NGRAM] = b"\x01" * NGRAM
        starts.append(i)
    share = sum(repeated) / n
    tail_from = n - max(NGRAM, int(n * TAIL))
    tail_share = sum(repeated[tail_from:]) / (n - tail_from)
    starts = max(seen.values(), key=len)
    occurrences = _non_overlapping(starts, NGRAM)
    if len(occurrences) < 2:
        return Repetition(round(share, 3), round(tail_share, 3), tail_share >= TAIL_LOOP)
    first, last = _widen(words, occurrences, NGRAM)
    passage = " ".join(text[spans[first][0] : spans[last][1]].split())
    if len(passage) > PASSAGE_CHARS:
        passage = passage[: PASSAGE_CHARS - 3].rstrip() + "..."
    return Repetition(round(share, 3), round(tail_share, 3), tail_share >= TAIL_LOOP, passage, len(occurrences))


def _non_overlapping(starts: list[int], width: int) -> list[int]:
    out: list[int] = []
    for s in starts:
        if not out or s >= out[-1] + width:
            out.append(s)
    return out


def _widen(words: list[str], occurrences: list[int], width: int) -> tuple[int, int]:
    """(first word, last word) of the first occurrence, widened right while every occurrence goes on alike
    and stays clear of the next one."""
    length = width
    limit = min(b - a for a, b in zip(occurrences, occurrences[1:], strict=False))
    while length < limit and all(
        s + length < len(words) and words[s + length] == words[occurrences[0] + length] for s in occurrences
    ):
        length += 1
    return occurrences[0], occurrences[0] + length - 1
