"""``formats.markdown_tables`` jumps from one line that may matter (a delimiter row, a fence) to the next: the
same tables as reading every line, the plain definition below."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_chimera.evidence.formats import _DELIM_CELL, _FENCES, _split_row, markdown_tables

_LINES = st.sampled_from(["| a | b |", "|---|---|", "| 1 | 2 |", "```", "~~~", "  ```py", "text - x", "", "| x |",
                          "-|-", "|-", "a|b", "| --- |", "``` | -", "|:-:|", "| 3.5 s | **4** |"])


def _every_line(text: str) -> list[tuple[int, tuple[str, ...], int]]:
    """(delimiter line, header, rows) of each table, reading every line in turn."""
    lines = text.splitlines()
    found: list[tuple[int, tuple[str, ...], int]] = []
    fence, i = False, 1
    while i < len(lines):
        line = lines[i]
        if line.lstrip().startswith(_FENCES):
            fence, i = not fence, i + 1
            continue
        delim = _split_row(line) if not fence and "|" in line and "-" in line else []
        if not delim or not all(_DELIM_CELL.match(c) for c in delim) or "|" not in lines[i - 1]:
            i += 1
            continue
        j = i + 1
        while j < len(lines) and "|" in lines[j] and lines[j].strip():
            j += 1
        header = _split_row(lines[i - 1])
        width = len(delim)
        found.append((i, tuple(header[-width:] if len(header) >= width else header + [""] * (width - len(header))),
                      j - i - 1))
        i = j
    return found


@settings(max_examples=400, deadline=None)
@given(st.lists(_LINES, max_size=12))
def test_the_tables_found_are_those_of_reading_every_line(lines: list[str]) -> None:
    text = "\n".join(lines)
    got = [(table.header, len(table.cells)) for table in markdown_tables("p.md", text)]
    assert got == [(header, rows) for _, header, rows in _every_line(text)]
