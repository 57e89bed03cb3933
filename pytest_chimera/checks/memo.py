"""Repeated lines in a report, and the bound on the numbers one check reads.

A model stuck in a loop writes the same lines again and again. A line (a text line or a table cell, with the
context it is read in: a cell's row label, header and unit hint) that repeats an earlier one takes the earlier
one's checks, its line number (and table row excerpt) changed: the number check reads a line from its text
and context alone. Code lines are always read afresh: a JSON field in a snippet is checked against the file
the lines above it name. The memo holds at most ``MAX_LINES`` lines.

The **bound** (``max_numbers``): the numbers on lines read afresh are counted as they are found, and the
check stops with ``TooManyNumbers`` once they exceed the limit; numbers on repeated lines are free, so a
looping report is checked in full. (A memo of single claims, keyed by every field of the query, was tried
and dropped: on non-repeating text it saved nothing, and it cost the 5,000-word check 7%.)"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pytest_chimera.checks.claims import _Unit

DEFAULT_MAX_NUMBERS = 50_000  # ``check --max-numbers``: 100 times a long real report's, about 5-10 s of checking
MAX_LINES = 100_000  # distinct lines remembered


class TooManyNumbers(ValueError):  # noqa: N818 - named for what the user did, like SpecError
    """A report holds more numbers to check than ``max_numbers`` allows; the message says how to raise it."""

    def __init__(self, limit: int, line: int, lines: int) -> None:
        self.limit, self.line, self.lines = limit, line, lines
        super().__init__(f"more than {limit:,} numbers to check (the limit is passed on line {line:,} of "
                         f"{lines:,}; numbers on lines that repeat an earlier line do not count)")


class Repeats:
    """The line memo of one check and its count of numbers read (``max_numbers``: the bound, ``None`` for none).
    A line's checks are ``consistency.NumberCheck`` objects (``Any`` here: that module imports this one)."""

    def __init__(self, max_numbers: int | None, lines: int) -> None:
        self.max_numbers, self.lines = max_numbers, lines
        self.counted = 0
        self._lines: dict[tuple[str, ...], list[Any]] = {}
        self._key: tuple[str, ...] | None = None  # the key of the line ``repeat`` was last asked about

    def repeat(self, unit: _Unit) -> list[Any] | None:
        """The checks of an earlier line ``unit`` repeats, moved to its line, or ``None``."""
        key = self._key = None if unit.in_code else (unit.text, unit.part, unit.context, unit.hint, unit.subject,
                                                          unit.parents)
        earlier = self._lines.get(key) if key is not None else None
        if earlier is None:
            return None
        out = []
        for check in earlier:
            moved = copy.copy(check)
            moved.line = unit.line
            if unit.excerpt:  # a table cell shows its own row
                moved.text = unit.excerpt
            out.append(moved)
        return out

    def count(self, found: int, unit: _Unit) -> None:
        """Count ``found`` numbers of a line read afresh; raise ``TooManyNumbers`` past the bound."""
        self.counted += found
        if self.max_numbers is not None and self.counted > self.max_numbers:
            raise TooManyNumbers(self.max_numbers, unit.line, self.lines)

    def keep(self, checks: list[Any]) -> None:
        """Remember the checks of the line ``repeat`` was last asked about, read afresh."""
        key = self._key
        if key is not None and len(self._lines) < MAX_LINES:
            self._lines[key] = checks
