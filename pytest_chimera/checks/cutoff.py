"""Where a generation stopped by its token limit ends: the last line of each model-written part
(``part_ends``), and a number cut short there (``is_cut_off``: "28 CSV (27.72" may be "27.72%")."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pytest_chimera.checks.numbers import Number
    from pytest_chimera.checks.report import Outline, ParsedReport

# the parts a model writes: a generation stopped by ``num_predict`` ends inside one of them
MODEL_PARTS = ("body", "key_findings", "recommendations")
CUT_OFF = ("the model's text ends right after it (no unit, no punctuation): the generation may have stopped "
           "inside the number or before its unit")
_FILLER = re.compile(r"^\s*(?:[-*_=]{3,}|```.*|~~~.*)?\s*$")


def part_ends(parsed: ParsedReport | Outline) -> dict[int, str]:
    """The last line with text of each model-written part (``MODEL_PARTS``; a plain report is all body), by
    number: where a generation stopped by its token limit ends. Blank lines, thematic breaks and fences do not
    count."""
    lines = parsed.source.split("\n")
    out: dict[int, str] = {}
    for name in MODEL_PARTS:
        span = parsed.parts.get(name)
        if span is None:
            continue
        k = min(span["line_end"], len(lines))
        while k >= span["line_start"] and _FILLER.match(lines[k - 1]):
            k -= 1
        if k >= span["line_start"]:
            out[k] = lines[k - 1]
    return out


def is_cut_off(num: Number, text: str, raw_line: str) -> bool:
    """True for a number with no unit of its own that ends both its cleaned ``text`` and its ``raw_line``
    (a part's last line, ``part_ends``) inside a sentence: "28 CSV (27.72" may be "27.72%" cut short, never
    "27.72 files". A value after a label ("Total files: 101", "alpha: 7") is a finished line unless a bracket
    before it is still open."""
    if num.unit or text[num.end:].strip() or not raw_line.rstrip().endswith(num.raw):
        return False
    before = text[:num.start].rstrip()
    return not before.endswith((":", "=")) or before.count("(") > before.count(")")
