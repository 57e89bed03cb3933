"""Markdown report -> ``ParsedReport``: plain JSON that structure specs are written against.

Parsing uses markdown-it-py (CommonMark plus GFM tables); nothing here is a line regex over markdown
syntax except the recognition of section numbers and metadata lines inside parsed blocks.

Sections are of two kinds: markdown headings (``kind="heading"``), and *bold-led paragraphs*
(``kind="bold"``): a paragraph outside lists and tables whose whole text is one bold span, such as
``**1. Data Ingestion Summary:**`` or ``**Executive Summary:**``. Models often write their sections that
way; a bold section's level is one deeper than the heading it follows (1 when none precedes it).

Parts: the seed layout of the Chimera agent is recognised when the document has a level-2 heading
``Workflow Summary``. Then the lines before the first thematic break (``---``) are the ``header`` when
they hold only headings and ``**Key:** value`` metadata lines, the level-2 headings ``Workflow Summary``,
``Metrics``, ``Key Findings``, ``Recommendations`` and ``Persona Prompt`` start parts of those names
(``workflow_summary``, ``metrics``, ``key_findings``, ``recommendations``, ``persona_prompt``) and the rest
is the ``body`` (the model-written report). Any other markdown is all ``body``.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from pytest_chimera.checks.mdtokens import (
    TABLE_ROWS,
    bold_spans,
    inline_text,
    only_bold,
    parse_inline,
    parse_paragraph,
    parser,
)
from pytest_chimera.checks.repetition import WORD_RE as _WORD_RE
from pytest_chimera.checks.repetition import Repetition, measure_repetition

if TYPE_CHECKING:
    from markdown_it.token import Token

PARTS = ("header", "body", "workflow_summary", "metrics", "key_findings", "recommendations", "persona_prompt")
LAYOUT_HEADINGS = {
    "workflow summary": "workflow_summary",
    "metrics": "metrics",
    "key findings": "key_findings",
    "recommendations": "recommendations",
    "persona prompt": "persona_prompt",
}
_NUMBER_RE = re.compile(r"^\s*(?:(?:section|part|step)\s+)?(\d+(?:\.\d+)*|[ivxlc]+)[.):]?\s+(?=\S)", re.I)
_ROMAN_RE = re.compile(r"^[ivxlc]+$", re.I)
_META_RE = re.compile(r"^\*\*[^*\n]{1,60}:\*\*")
_DIGIT_RE = re.compile(r"\d")
_RECOMMEND_RE = re.compile(r"recommend", re.I)


def count_words(text: str) -> int:
    """Words in plain text: runs of letters/digits; inner ' - . / : % and digit-group commas stay inside one
    word ("gemma3:270m", "tok/s", "1,234.5" are one word each)."""
    return len(_WORD_RE.findall(text))


@dataclass
class Table:
    """A GFM table. ``header``: header cells; ``rows``: body rows, cells as plain text."""

    header: list[str]
    rows: list[list[str]]
    line: int
    section: int | None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Section:
    """A heading or a bold-led paragraph and the content up to the next section of any level."""

    level: int
    number: str | None
    title: str
    kind: str  # "heading" | "bold"
    part: str
    line: int
    text: str = ""
    word_count: int = 0
    numbered_items: list[str] = field(default_factory=list)
    bullet_items: list[str] = field(default_factory=list)
    tables: list[int] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Block:
    """One leaf block of the document with its 1-based line range.

    kind: ``heading``, ``paragraph``, ``bullet_item``, ``numbered_item``, ``table``, ``code``, ``html``
    or ``hr``. ``section`` is the index in ``sections`` it belongs to (``None`` before the first).
    ``lead``: for paragraphs and list items that begin with a bold span, that span's text.
    """

    kind: str
    line_start: int
    line_end: int
    part: str
    section: int | None
    text: str
    lead: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Bold:
    """A bold span (``**x**`` / ``__x__``) and its 1-based line."""

    text: str
    line: int
    part: str


@dataclass
class Callout:
    """A bold metric callout: a bold span holding a quantity ("**283 tok/s**"), or a line led by a bold span
    that carries one ("**Total Files Analyzed:** 101"). Dates, list numbers, options and model sizes do not
    count. ``text``: the span, or the whole line; ``bold``: the bold span."""

    text: str
    bold: str
    line: int
    part: str


@dataclass
class ParsedReport:
    """A parsed markdown report. Every field is plain JSON (see ``to_json``); see README "Report checks"."""

    title: str | None
    layout: str  # "chimera" (seed layout recognised) or "plain"
    parts: dict[str, dict[str, int]]
    sections: list[Section]
    tables: list[Table]
    blocks: list[Block]
    bold: list[Bold]
    callouts: list[Callout]
    recommendations: list[str]
    numbered_items: list[str]
    bullet_items: list[str]
    body_text: str
    body_word_count: int
    word_count: int
    repetition: Repetition = field(default_factory=Repetition)
    source: str = field(repr=False, default="")

    def to_json(self) -> dict[str, Any]:
        """The report as plain JSON (without the markdown source)."""
        data = asdict(self)
        data.pop("source")
        return data

    def part_of_line(self, line: int) -> str:
        """The part (``header``, ``body``, ...) a 1-based line falls in."""
        for name, span in self.parts.items():
            if span["line_start"] <= line <= span["line_end"]:
                return name
        return "body"


# -- helpers ----------------------------------------------------------------------------------------


def _split_number(title: str) -> tuple[str | None, str]:
    """("2.1", "Title") from "2.1. Title:"; trailing colons are dropped from the title."""
    title = title.strip().rstrip(":").strip()
    m = _NUMBER_RE.match(title)
    if m and (not _ROMAN_RE.match(m.group(1)) or m.group(0).rstrip()[-1:] in ".):"):
        return m.group(1), title[m.end():].strip().rstrip(":").strip()
    return None, title


# -- the parser ---------------------------------------------------------------------------------------


def _layout_parts(tokens: list[Token], n_lines: int) -> tuple[str, dict[str, dict[str, int]]]:
    """Line spans (1-based, inclusive) of the seed layout's parts, or all body."""
    starts: list[tuple[int, str]] = []
    for i, tok in enumerate(tokens):
        if tok.type == "heading_open" and tok.tag == "h2" and tok.map:
            name = LAYOUT_HEADINGS.get(inline_text(tokens[i + 1]).strip().rstrip(":").lower())
            if name:
                starts.append((tok.map[0] + 1, name))
    if not any(name == "workflow_summary" for _, name in starts):
        return "plain", {"body": {"line_start": 1, "line_end": max(n_lines, 1)}}
    first_ws = next(line for line, name in starts if name == "workflow_summary")
    # parts start at the first layout heading at or after Workflow Summary, each name once
    layout: list[tuple[int, str]] = []
    seen: set[str] = set()
    for line, name in starts:
        if line >= first_ws and name not in seen:
            layout.append((line, name))
            seen.add(name)
    body_start = 1
    header_end = _header_end(tokens)
    parts: dict[str, dict[str, int]] = {}
    if header_end:
        parts["header"] = {"line_start": 1, "line_end": header_end}
        body_start = header_end + 1
    parts["body"] = {"line_start": body_start, "line_end": max(layout[0][0] - 1, body_start)}
    for k, (line, name) in enumerate(layout):
        end = layout[k + 1][0] - 1 if k + 1 < len(layout) else n_lines
        parts[name] = {"line_start": line, "line_end": max(end, line)}
    return "chimera", parts


def _header_end(tokens: list[Token]) -> int:
    """The line of the first ``---`` when all before it is headings and ``**Key:** value`` lines, else 0."""
    saw_meta = False
    for i, tok in enumerate(tokens):
        if tok.level != 0 or tok.type.endswith("_close"):
            continue
        if tok.type == "hr":
            return tok.map[1] if tok.map and saw_meta else 0
        if tok.type == "heading_open":
            continue
        if tok.type == "paragraph_open":
            inline = tokens[i + 1]
            lines = inline.content.splitlines()
            if lines and all(_META_RE.match(x.strip()) for x in lines):
                saw_meta = True
                continue
            return 0
        return 0
    return 0


@dataclass
class Outline:
    """The block structure of a report without the inline content of its paragraphs and items: what the number
    checks read (``claims.units_of``: each line of a text block, each table cell), at a fraction of a full
    parse's cost. ``blocks`` and ``tables`` are those of ``parse_report`` with three differences, all from
    not parsing paragraphs inline: a bold-led paragraph is a ``paragraph``, not a section (``section`` indices
    count markdown headings only), and paragraphs and items have an empty ``text``. ``parts`` and ``layout``
    are those of ``parse_report``."""

    source: str
    layout: str
    parts: dict[str, dict[str, int]]
    blocks: list[Block]
    tables: list[Table]


def outline(markdown: str) -> Outline:
    """The ``Outline`` of a markdown report: a block-level parse, inline parsing only for headings and table
    cells (any text parses; nothing raises)."""
    env: dict[str, Any] = {}
    tokens = parser(inline=False).parse(markdown, env)
    parse_inline(tokens, env)
    layout, parts = _layout_parts(tokens, markdown.count("\n") + 1)
    walk = _walk(tokens, parts)
    return Outline(markdown, layout, parts, walk.blocks, walk.tables)


def parse_report(markdown: str) -> ParsedReport:
    """Parse a markdown report into a ``ParsedReport``; any text parses (nothing raises).

    The outline's block parse (a table one token), then the inline parse of each paragraph as the walk reaches
    it: the full parse's result, without the full parse's tokens of every table cell at once (a 10 MB pipe
    table is 3.7 million of them)."""
    env: dict[str, Any] = {}
    tokens = parser(inline=False).parse(markdown, env)
    parse_inline(tokens, env, keep_cells=True)
    return _report(markdown, tokens, env)


def _report(markdown: str, tokens: list[Token], env: dict[str, Any] | None) -> ParsedReport:
    """The ``ParsedReport`` of a token stream: the block parser's (``env``: its link references, see
    ``_walk``), or with ``env`` ``None`` the full parser's (what ``parse_report`` gave before; its tests
    compare the two)."""
    layout, parts = _layout_parts(tokens, markdown.count("\n") + 1)
    walk = _walk(tokens, parts, env)
    sections, blocks = walk.sections, walk.blocks
    words = [count_words(b.text) if b.text else 0 for b in blocks]  # a word never spans a joining newline
    _fill_sections(sections, blocks, words)
    body = [k for k, b in enumerate(blocks) if b.part == "body" and b.kind != "hr"]
    body_text = "\n".join(blocks[k].text for k in body)
    numbered = walk.orphans["numbered_item"] + [it for s in sections for it in s.numbered_items]
    bullets = walk.orphans["bullet_item"] + [it for s in sections for it in s.bullet_items]
    return ParsedReport(
        title=walk.title,
        layout=layout,
        parts=parts,
        sections=sections,
        tables=walk.tables,
        blocks=blocks,
        bold=walk.bolds,
        callouts=walk.callouts,
        recommendations=_recommendations(sections),
        numbered_items=numbered,
        bullet_items=bullets,
        body_text=body_text,
        body_word_count=sum(words[k] for k in body),
        word_count=sum(words),
        repetition=measure_repetition(body_text),
        source=markdown,
    )


@dataclass
class _Walked:
    """What one pass over the token stream collects."""

    sections: list[Section] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)
    bolds: list[Bold] = field(default_factory=list)
    callouts: list[Callout] = field(default_factory=list)
    title: str | None = None
    orphans: dict[str, list[str]] = field(default_factory=lambda: {"numbered_item": [], "bullet_item": []})


def _walk(tokens: list[Token], parts: dict[str, dict[str, int]], env: dict[str, Any] | None = None) -> _Walked:
    """Sections, tables, blocks, bold spans and callouts of a token stream. Without ``env`` (the outline)
    paragraphs stay unparsed: empty texts and no bold spans, and table cells give none either; with it each
    paragraph is parsed inline when reached (its children dropped after) and the bold spans of the cells
    ``parse_inline`` kept are collected."""

    def part_of(line: int) -> str:
        for name, span in parts.items():
            if span["line_start"] <= line <= span["line_end"]:
                return name
        return "body"

    out = _Walked()
    sections, blocks, bolds, callouts = out.sections, out.blocks, out.bolds, out.callouts
    heading_level = 0
    list_stack: list[str] = []  # "bullet" | "ordered"
    table_rows: list[list[str]] | None = None
    table_header: list[str] = []
    table_line = 0
    row: list[str] = []

    def current() -> int | None:
        return len(sections) - 1 if sections else None

    i = 0
    while i < len(tokens):
        tok = tokens[i]
        t = tok.type
        line = tok.map[0] + 1 if tok.map else 0
        if t in ("bullet_list_open", "ordered_list_open"):
            list_stack.append("ordered" if t == "ordered_list_open" else "bullet")
        elif t in ("bullet_list_close", "ordered_list_close"):
            if list_stack:
                list_stack.pop()
        elif t == "heading_open":
            inline = tokens[i + 1]
            text = inline_text(inline).strip()
            level = int(tok.tag[1]) if tok.tag[1:].isdigit() else 1
            heading_level = level
            if out.title is None and level == 1 and text:
                out.title = text
            number, name = _split_number(text)
            part = part_of(line)
            sections.append(Section(level, number, name, "heading", part, line))
            blocks.append(Block("heading", line, line, part, current(), text))
            _collect_bold(inline, line, part, bolds, callouts)
            i += 3
            continue
        elif t == "table_open":
            table_rows, table_header, table_line = [], [], line
        elif t == "tr_open":
            row = []
        elif t in ("th_open", "td_open"):
            inline = tokens[i + 1]
            row.append(inline_text(inline).strip())
            _collect_bold(inline, inline.map[0] + 1 if inline.map else table_line, part_of(table_line), bolds,
                          callouts)
        elif t == "tr_close" and table_rows is not None:
            if not table_header and tokens[i - 1].type == "th_close":
                table_header = row
            else:
                table_rows.append(row)
        elif t == "table_close" and table_rows is not None:
            end = tok.map[1] if tok.map else table_line
            _add_table(out, Table(table_header, table_rows, table_line, current()), end, part_of(table_line))
            table_rows = None
        elif t == TABLE_ROWS:  # the block parser's compact table, its cells' texts parsed (``mdtokens``)
            header, *body = tok.meta["rows"]
            for (r, _), (text, spans) in sorted(tok.meta.get("bold", {}).items()) if env is not None else ():
                _add_bold(text, spans, tok.meta["lines"][r], part_of(line), bolds, callouts)
            _add_table(out, Table(header, body, line, current()), line, part_of(line))
        elif t == "paragraph_open":
            inline = tokens[i + 1]
            if env is not None:
                parse_paragraph(inline, env)
            end = tok.map[1] if tok.map else line
            part = part_of(line)
            text = inline_text(inline)
            lead_spans = bold_spans(inline, line)
            lead = lead_spans[0][0] if lead_spans and lead_spans[0][2] else None
            only = only_bold(inline)
            if only is not None and not list_stack and tok.level == 0:
                number, name = _split_number(only)
                sections.append(Section(min(heading_level + 1, 6), number, name, "bold", part, line))
                blocks.append(Block("heading", line, line, part, current(), text, lead))
            else:
                in_item = tokens[i - 1].type == "list_item_open" if i else False
                kind = "paragraph"
                if in_item and list_stack:
                    kind = "numbered_item" if list_stack[-1] == "ordered" else "bullet_item"
                    sec = current()
                    if sec is not None:
                        bucket = sections[sec].numbered_items if kind == "numbered_item" else sections[sec].bullet_items
                        bucket.append(text.strip())
                    else:
                        out.orphans[kind].append(text.strip())
                blocks.append(Block(kind, line, max(end, line), part, current(), text, lead))
            _collect_bold(inline, line, part, bolds, callouts)
            if env is not None:
                inline.children = []  # read: its tokens are not needed again
            i += 3
            continue
        elif t in ("fence", "code_block", "html_block"):
            end = tok.map[1] if tok.map else line
            kind = "html" if t == "html_block" else "code"
            blocks.append(Block(kind, line, max(end, line), part_of(line), current(), tok.content))
        elif t == "hr":
            blocks.append(Block("hr", line, line, part_of(line), current(), ""))
        i += 1
    return out

def _add_table(out: _Walked, table: Table, end: int, part: str) -> None:
    """A table, its block (its text: the rows' cells joined by " | ") and its place in its section."""
    out.tables.append(table)
    if table.section is not None:
        out.sections[table.section].tables.append(len(out.tables) - 1)
    text = "\n".join(" | ".join(r) for r in [table.header, *table.rows])
    out.blocks.append(Block("table", table.line, max(end, table.line), part, table.section, text))


def _collect_bold(inline: Token, line: int, part: str, bolds: list[Bold], callouts: list[Callout]) -> None:
    _add_bold(inline_text(inline), bold_spans(inline, line), line, part, bolds, callouts)


def _add_bold(whole: str, spans: list[tuple[str, int, bool]], line: int, part: str, bolds: list[Bold],
              callouts: list[Callout]) -> None:
    """The bold spans (``bold_spans``) of an inline text ``whole`` starting on ``line``, and their callouts."""
    lines = whole.split("\n")
    for text, at, leads in spans:
        if not text:
            continue
        bolds.append(Bold(text, at, part))
        line_text = lines[at - line].strip() if 0 <= at - line < len(lines) else text
        if _has_quantity(text):
            callouts.append(Callout(text, text, at, part))
        elif leads and _has_quantity(line_text[len(text):]):
            callouts.append(Callout(line_text, text, at, part))


def _has_quantity(text: str) -> bool:
    """True when the text holds a number that is a quantity (not a date, ordinal, option or model size)."""
    from pytest_chimera.checks.numbers import find_numbers

    return _DIGIT_RE.search(text) is not None and any(n.form == "quantity" for n in find_numbers(text))


def _fill_sections(sections: list[Section], blocks: list[Block], words: list[int]) -> None:
    """Each section's text and word count (``words``: each block's)."""
    texts: dict[int, list[str]] = {}
    counts: dict[int, int] = {}
    for b, n in zip(blocks, words, strict=True):
        if b.section is not None and b.kind not in ("heading", "hr"):
            texts.setdefault(b.section, []).append(b.text)
            counts[b.section] = counts.get(b.section, 0) + n
    for k, s in enumerate(sections):
        s.text = "\n".join(texts.get(k, []))
        s.word_count = counts.get(k, 0)


def _recommendations(sections: list[Section]) -> list[str]:
    """Items of the first section titled "...recommend...": body sections first, then any part.

    Numbered items when it has any, else bullet items.
    """
    ordered = [s for s in sections if s.part == "body"] + [s for s in sections if s.part != "body"]
    for s in ordered:
        if _RECOMMEND_RE.search(s.title) and (s.numbered_items or s.bullet_items):
            return list(s.numbered_items or s.bullet_items)
    return []
