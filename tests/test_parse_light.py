"""``parse_report`` reads the block parse the outline reads (each table one token) and parses paragraphs
inline as it reaches them: its ``ParsedReport``, and so every structure result, is the one the full
markdown-it parse gives (``report._report`` on the full parser's tokens, as ``parse_report`` was)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_check_paths import LINES as CHECK_LINES

from pytest_chimera.checks import report as rp
from pytest_chimera.checks.mdtokens import parser
from pytest_chimera.checks.structure import check_structure

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"


def _full(markdown: str) -> rp.ParsedReport:
    return rp._report(markdown, parser().parse(markdown), None)


def _same(markdown: str, specs: tuple[str, ...] = ("insight", "collector")) -> None:
    light, full = rp.parse_report(markdown), _full(markdown)
    assert light.to_json() == full.to_json()  # what a spec validates
    for spec in specs:
        assert check_structure(light, spec) == check_structure(full, spec)


def _reports() -> list[Path]:
    return (sorted((SHARED / "real_reports").glob("*_*.md")) + [SHARED / "seed" / "chimera_agent_b_report.md"]
            + sorted((Path(__file__).parent / "data" / "looped").glob("*.md")))


@pytest.mark.parametrize("path", _reports(), ids=lambda p: p.name[:40])
def test_light_parse_is_the_full_parse_on_real_reports(path: Path) -> None:
    if not path.is_file():
        pytest.skip(f"{path} not found (the real reports live in ../shared beside the repo)")
    _same(path.read_text(encoding="utf-8"))


# the outline tests' lines, and more bold table cells (bold spans and callouts of cells)
LINES = st.one_of(CHECK_LINES, st.sampled_from([
    "| **Risk** | **Mitigation:** 5 ms |", "| __x__ 1 | y **2 GB** |", "**Key:** value 3", "## Recommendations",
    "| **Total:** 101 files | ok |"]))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(LINES, min_size=1, max_size=40))
def test_light_parse_is_the_full_parse_on_generated_markdown(lines: list[str]) -> None:
    _same("\n".join(lines) + "\n", specs=())


def test_bold_table_cells_keep_their_lines_and_callouts() -> None:
    markdown = "# R\n\n| what | value |\n|---|---|\n| plain | 1 |\n| **Peak:** 283 tok/s | x |\n"
    parsed = rp.parse_report(markdown)
    assert [(b.text, b.line) for b in parsed.bold] == [("Peak:", 6)]
    assert [(c.text, c.line) for c in parsed.callouts] == [("Peak: 283 tok/s", 6)]
    assert parsed.to_json() == _full(markdown).to_json()


@pytest.mark.parametrize("cell", ["**b** 1", "__u__ 2", "*e* 3", "_e_ 4", "`c` 5", "[l](u) 6", "![i](p) 7",
                                  "<b>h</b> 8", "&amp; 9", "a \\| b 10", "\\*x\\* 11", "~~s~~ 12", "plain 13"])
def test_a_cell_with_markup_is_parsed_inline(cell: str) -> None:
    """Every character that starts an inline rule sends a table cell to the inline parser (the outline and
    the parsed report); a cell without one is its own text."""
    markdown = f"# R\n\n| a | b |\n|---|---|\n| {cell} | x |\n"
    light, full = rp.outline(markdown), _full(markdown)
    assert light.tables[0].rows == full.tables[0].rows
    assert rp.parse_report(markdown).to_json() == full.to_json()


TABLE = "| a | b |\n|---|---|\n| **x:** 1 | 2 |\n"


@pytest.mark.parametrize("markdown", [
    f"# R\n\n{TABLE}\n**Executive Summary:**\n\ntext 3\n",  # a bold section after a table: level 0 again
    "# R\n\n> " + TABLE.replace("\n", "\n> ") + "\n**Findings:**\n\n- item 4\n",  # a table in a blockquote
    "# R\n\n- item\n\n  " + TABLE.replace("\n", "\n  ") + "\n**Key:** value\n\n---\n\n## Workflow Summary\n",
    f"**Model:** x\n\n{TABLE}\n---\n\n## Workflow Summary\n\nran 5 s\n",  # a table in the would-be header
])
def test_tables_in_containers_keep_the_levels_of_the_full_parse(markdown: str) -> None:
    _same(markdown, specs=())


def test_a_tables_parsed_cells_are_not_kept_only_their_bold_spans() -> None:
    """``parse_report`` keeps no parsed token of a table cell (a 10 MB table of emphasised cells held 2.5 GiB of
    them with ``--spec``): a cell with a bold span keeps its text and spans, other cells nothing."""
    from markdown_it.token import Token

    from pytest_chimera.checks.mdtokens import TABLE_ROWS, parse_inline

    markdown = "| a | b |\n|---|---|\n| *em* 1 | `c` 2 |\n| **Peak:** 3 ms | [l](u) |\n"
    env: dict[str, object] = {}
    tokens = parser(inline=False).parse(markdown, env)
    parse_inline(tokens, env, keep_cells=True)
    [table] = [t for t in tokens if t.type == TABLE_ROWS]
    assert table.meta["bold"] == {(2, 0): ("Peak: 3 ms", [("Peak:", 4, True)])}
    assert not any(isinstance(v, Token) for v in table.meta.values())
    parsed = rp.parse_report(markdown)
    assert [(b.text, b.line) for b in parsed.bold] == [("Peak:", 4)] and parsed.to_json() == _full(markdown).to_json()
