"""A report's markdown as safe HTML, each checked number wrapped in a mark that carries its verdict.

The report is untrusted text. It is rendered with markdown-it-py with raw HTML off (``<script>`` and HTML
comments come out as visible text), links are kept only for ``http``, ``https`` and ``mailto`` URLs (any other
link, ``javascript:`` included, is shown as its text), images are shown as their alt text and URL, never
loaded, and every piece of text goes through :func:`html.escape`.

Numbers are located by line: the checks give each number its 1-based source line and its text as written
(``raw``); on that line the renderer looks for each raw text in order, left to right, in the text the
markdown leaves visible (paragraphs, headings, list items, table cells, code blocks). A number that cannot be
found there (markup split it, say) is not highlighted and is reported back, so the page lists it apart.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

SAFE_SCHEMES = ("http://", "https://", "mailto:")

# A located number: the mark's HTML given the number's index and its inner (already escaped) text.
MarkFn = Callable[[int, str], str]
# A piece of visible text: a text token (its id) or one line of a code block (the block's id, the line).
Key = tuple[int, int]


@dataclass
class Rendered:
    """The report's HTML and the indexes of the numbers that were not found in the visible text."""

    html: str
    unplaced: list[int] = field(default_factory=list)


def _pattern(raw: str) -> re.Pattern[str]:
    """``raw`` as written, not inside a longer number or word (``8`` never matches the 8 of ``28``)."""
    return re.compile(r"(?<![\w.,])" + re.escape(raw) + r"(?![\d])")


class _Placer:
    """Finds each number of a line in that line's text pieces, in order, and records where it goes."""

    def __init__(self, numbers: Sequence[Mapping[str, Any]]) -> None:
        self.by_line: dict[int, list[int]] = {}
        for i, n in enumerate(numbers):
            raw = n.get("raw")
            if isinstance(raw, str) and raw and isinstance(n.get("line"), int):
                self.by_line.setdefault(int(n["line"]), []).append(i)
        self.raws = [str(n.get("raw") or "") for n in numbers]
        self.pieces: dict[int, list[tuple[Key, str]]] = {}  # line -> (piece key, text) in document order
        self.marks: dict[Key, list[tuple[int, int, int]]] = {}  # piece key -> (start, end, number index)
        self.placed: set[int] = set()

    def add(self, line: int, key: Key, text: str) -> None:
        if line in self.by_line:
            self.pieces.setdefault(line, []).append((key, text))

    def place(self) -> None:
        for line, wanted in self.by_line.items():
            pieces = self.pieces.get(line, [])
            at_piece, at_char = 0, 0
            for index in wanted:
                pattern = _pattern(self.raws[index])
                for p in range(at_piece, len(pieces)):
                    key, text = pieces[p]
                    m = pattern.search(text, at_char if p == at_piece else 0)
                    if m:
                        self.marks.setdefault(key, []).append((m.start(), m.end(), index))
                        self.placed.add(index)
                        at_piece, at_char = p, m.end()
                        break


def _marked(text: str, marks: Sequence[tuple[int, int, int]], mark: MarkFn) -> str:
    out, at = [], 0
    for start, end, index in sorted(marks):
        out.append(html.escape(text[at:start]))
        out.append(mark(index, html.escape(text[start:end])))
        at = end
    out.append(html.escape(text[at:]))
    return "".join(out)


def _safe_href(href: str) -> bool:
    return href.strip().lower().startswith(SAFE_SCHEMES)


def _markdown() -> Any:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False}).enable("table")


def _collect(tokens: Sequence[Any], placer: _Placer) -> None:
    """Feed the placer every visible text piece with its source line; drop unsafe links' tags."""
    row_line = 0
    for tok in tokens:
        if tok.map and tok.type in ("tr_open", "thead_open", "tbody_open"):
            row_line = tok.map[0]
        if tok.type in ("fence", "code_block") and tok.map:
            first = tok.map[0] + (1 if tok.type == "fence" else 0)
            for k, text in enumerate(tok.content.split("\n")):
                placer.add(first + k + 1, (id(tok), k), text)
            continue
        if tok.type != "inline":
            continue
        line = (tok.map[0] if tok.map else row_line) + 1
        depth_unsafe: list[bool] = []
        for child in tok.children or []:
            if child.type in ("softbreak", "hardbreak"):
                line += 1
            elif child.type == "text":
                placer.add(line, (id(child), -1), child.content)
            elif child.type == "link_open":
                unsafe = not _safe_href(str(child.attrGet("href") or ""))
                depth_unsafe.append(unsafe)
                child.meta["chimera_drop"] = unsafe
            elif child.type == "link_close":
                child.meta["chimera_drop"] = depth_unsafe.pop() if depth_unsafe else False


def render_markdown(markdown: str, numbers: Sequence[Mapping[str, Any]], mark: MarkFn,
                    heading_offset: int = 0) -> Rendered:
    """Render ``markdown`` safely; ``numbers`` (the checks' JSON: ``line``, ``raw``) are wrapped by ``mark``.

    ``heading_offset`` moves the report's headings down (``# Title`` becomes ``<h4>`` with 3), so they nest
    under the page's own headings.
    """
    md = _markdown()
    tokens = md.parse(markdown)
    for tok in tokens:
        if tok.type in ("heading_open", "heading_close"):
            tok.tag = f"h{min(6, int(tok.tag[1:]) + heading_offset)}"
        style = tok.attrs.pop("style", None) if tok.attrs else None
        if isinstance(style, str) and style.startswith("text-align:"):  # a table column's alignment
            tok.attrSet("class", "align-" + style.split(":", 1)[1])  # a class: the page allows no inline style
    placer = _Placer(numbers)
    _collect(tokens, placer)
    placer.place()

    def text_rule(self: Any, toks: Sequence[Any], idx: int, options: Any, env: Any) -> str:
        tok = toks[idx]
        return _marked(tok.content, placer.marks.get((id(tok), -1), []), mark)

    def code_lines(tok: Any) -> str:
        lines = tok.content.split("\n")
        return "\n".join(_marked(text, placer.marks.get((id(tok), k), []), mark) for k, text in enumerate(lines))

    def fence_rule(self: Any, toks: Sequence[Any], idx: int, options: Any, env: Any) -> str:
        return f"<pre><code>{code_lines(toks[idx])}</code></pre>\n"

    def link_open(self: Any, toks: Sequence[Any], idx: int, options: Any, env: Any) -> str:
        tok = toks[idx]
        if tok.meta.get("chimera_drop"):
            return ""
        href = html.escape(str(tok.attrGet("href") or ""), quote=True)
        return f'<a href="{href}" rel="noopener noreferrer nofollow">'

    def link_close(self: Any, toks: Sequence[Any], idx: int, options: Any, env: Any) -> str:
        return "" if toks[idx].meta.get("chimera_drop") else "</a>"

    def image(self: Any, toks: Sequence[Any], idx: int, options: Any, env: Any) -> str:
        tok = toks[idx]
        alt = "".join(c.content for c in tok.children or [] if c.type == "text")
        src = str(tok.attrGet("src") or "")
        return f'<span class="image-text">[image: {html.escape(alt)}] ({html.escape(src)})</span>'

    md.add_render_rule("text", text_rule)
    md.add_render_rule("fence", fence_rule)
    md.add_render_rule("code_block", fence_rule)
    md.add_render_rule("link_open", link_open)
    md.add_render_rule("link_close", link_close)
    md.add_render_rule("image", image)
    body = md.renderer.render(tokens, md.options, {})
    unplaced = [i for lst in placer.by_line.values() for i in lst if i not in placer.placed]
    return Rendered(body, sorted(unplaced))
