"""markdown-it-py for the report parser: the two parsers, the text and bold spans of inline tokens, and the
block-level parse that ``report.outline`` reads.

The full parser is CommonMark plus GFM tables (HTML allowed). The block parser runs the same block rules
but no inline rules, and stores each table compactly: one ``table_rows`` token holding its rows' cell
sources instead of ~17 tokens per row (a 10 MB pipe table is 3.7 million tokens, most of a check's peak
memory). ``parse_inline`` then parses headings and table cells with the full parser's inline rules, so their
text is the full parse's (a cell without a character that starts an inline rule is its own text, stripped);
``parse_paragraph`` does the same for one paragraph, as ``report.parse_report`` reaches it.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from markdown_it.token import Token

TABLE_ROWS = "table_rows"  # the block parser's compact table: ``meta["rows"]``, first the header row
_BATCH = 4096  # table cells parsed inline at a time (their tokens are dropped after each batch)
# a character that starts one of the full parser's inline rules (escape, code, emphasis, link, image, autolink,
# HTML, entity; ``~`` for strikethrough should it be enabled): a cell without any is its own text, stripped
_INLINE_START = re.compile(r"[\\`*_\[\]!<&~\n]")


def inline_text(token: Token) -> str:
    """Plain text of an inline token (markup removed, breaks as newlines)."""
    out: list[str] = []
    for child in token.children or []:
        if child.type in ("text", "code_inline", "html_inline"):
            out.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            out.append("\n")
        elif child.type == "image":
            out.append(child.content)
    return "".join(out)


def bold_spans(token: Token, first_line: int) -> list[tuple[str, int, bool]]:
    """(text, line, leads_its_line) for each bold span of an inline token."""
    spans: list[tuple[str, int, bool]] = []
    line = first_line
    depth = 0
    buf: list[str] = []
    line_has_text = False
    leads = False
    for child in token.children or []:
        if child.type in ("softbreak", "hardbreak"):
            line += 1
            line_has_text = False
            continue
        if child.type == "strong_open":
            if depth == 0:
                buf = []
                leads = not line_has_text
            depth += 1
            continue
        if child.type == "strong_close":
            depth = max(0, depth - 1)
            if depth == 0:
                spans.append(("".join(buf).strip(), line, leads))
            line_has_text = True
            continue
        if depth:
            buf.append(child.content)
        if child.content.strip():
            line_has_text = True
    return spans


def only_bold(token: Token) -> str | None:
    """The text when an inline token is exactly one bold span (whitespace aside), else None."""
    kids = [c for c in token.children or [] if not (c.type == "text" and not c.content.strip())]
    if len(kids) < 3 or kids[0].type != "strong_open" or kids[-1].type != "strong_close":
        return None
    if any(c.type in ("strong_open", "strong_close", "softbreak", "hardbreak") for c in kids[1:-1]):
        return None
    text = "".join(c.content for c in kids[1:-1]).strip()
    return text or None


@lru_cache(maxsize=2)
def parser(inline: bool = True) -> Any:
    """The full parser, or with ``inline=False`` the block parser (see the module docstring); cached."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": True}).enable("table")
    if not inline:
        md.core.ruler.enableOnly(["normalize", "block"])
        md.block.ruler.at("table", _compact_table, {"alt": ["paragraph", "reference"]})
    return md


class _Pushed:
    """A token the table rule pushes while ``_compact_table`` runs: the attributes the rule sets, no more."""

    __slots__ = ("type", "level", "map", "content", "children", "attrs")

    def __init__(self, ttype: str, level: int) -> None:
        self.type, self.level, self.map, self.content = ttype, level, None, ""


class _Rows:
    """Stands in for ``StateBlock.push`` while markdown-it's table rule runs: keeps each row's cell sources
    and line, not tokens (a light stand-in for each, with the level ``push`` gives). A token is complete when
    the next one is pushed (the rule sets its content and map after pushing)."""

    def __init__(self, state: Any) -> None:
        self.state = state
        self.rows: list[list[str]] = []
        self.lines: list[int] = []  # each row's 1-based line
        self.open: _Pushed | None = None
        self.last: _Pushed | None = None

    def push(self, ttype: str, tag: str, nesting: int) -> _Pushed:
        self.flush()
        state = self.state
        if nesting < 0:
            state.level -= 1
        token = self.last = _Pushed(ttype, state.level)
        if nesting > 0:
            state.level += 1
        if ttype == "table_open":
            self.open = token
        elif ttype == "tr_open":
            self.rows.append([])
        return token

    def flush(self) -> None:
        last = self.last
        if last is not None and last.type == "inline":
            self.rows[-1].append(last.content)
        elif last is not None and last.type == "tr_open":
            self.lines.append(last.map[0] + 1 if last.map else 0)
        self.last = None


def _compact_table(state: Any, start: int, end: int, silent: bool) -> bool:
    """markdown-it's table rule, its tokens replaced by one ``table_rows`` token (``meta["rows"]``: the cell
    sources, header row first), with the ``table_open`` token's level and line map."""
    from markdown_it.rules_block.table import table
    from markdown_it.token import Token

    if silent:
        return table(state, start, end, True)
    rows = _Rows(state)
    state.push = rows.push  # the instance's push while the rule runs
    try:
        found = table(state, start, end, False)
    finally:
        del state.push
    rows.flush()
    if not found or rows.open is None:
        return found
    token = Token(TABLE_ROWS, "table", 0, map=rows.open.map, level=rows.open.level, block=True)
    token.meta["rows"], token.meta["lines"] = rows.rows, rows.lines
    state.tokens.append(token)
    return found


def parse_inline(tokens: list[Token], env: dict[str, Any], keep_cells: bool = False) -> None:
    """Parse what the block parser left unparsed that the outline reads, exactly as the full parse does (its
    inline rules, then its text joining; ``env`` carries the link reference definitions the block pass
    found): each heading's inline token gets its children, each compact table's cell sources become the
    cells' texts (``inline_text``, stripped). ``keep_cells``: each cell with a bold span keeps its text and
    ``bold_spans`` (on its row's line) in the table token's ``meta["bold"]`` by (row, cell); no parsed token is
    kept (a 10 MB table of marked-up cells held 2.5 GiB of them)."""
    from markdown_it.rules_core import inline, text_join
    from markdown_it.rules_core.state_core import StateCore
    from markdown_it.token import Token

    def run(wanted: list[Token]) -> None:
        state = StateCore("", parser(), env, wanted)
        inline(state)
        text_join(state)

    run([tokens[i + 1] for i, tok in enumerate(tokens)
         if tok.type == "heading_open" and i + 1 < len(tokens) and tokens[i + 1].type == "inline"])
    for tok in tokens:
        if tok.type != TABLE_ROWS:
            continue
        rows = tok.meta["rows"]
        cells = []  # the cells to parse, by (row, cell); a plain one is its own text, stripped (most of a table)
        for r, row in enumerate(rows):
            for k, cell in enumerate(row):
                if _INLINE_START.search(cell) is None:
                    row[k] = cell.strip()
                else:
                    cells.append((r, k))
        kept: dict[tuple[int, int], tuple[str, list[tuple[str, int, bool]]]] = {}
        for at in range(0, len(cells), _BATCH):
            batch = cells[at:at + _BATCH]
            parsed = [Token("inline", "", 0, content=rows[r][k], children=[]) for r, k in batch]
            run(parsed)
            for (r, k), cell in zip(batch, parsed, strict=True):
                rows[r][k] = inline_text(cell).strip()
                spans = bold_spans(cell, tok.meta["lines"][r]) if keep_cells else None
                if spans:
                    kept[r, k] = (inline_text(cell), spans)
        if keep_cells:
            tok.meta["bold"] = kept


def parse_paragraph(token: Token, env: dict[str, Any]) -> None:
    """Give an inline token the block parser left unparsed its children, as the full parse would."""
    from markdown_it.rules_core import inline, text_join
    from markdown_it.rules_core.state_core import StateCore

    token.children = []
    state = StateCore("", parser(), env, [token])
    inline(state)
    text_join(state)
