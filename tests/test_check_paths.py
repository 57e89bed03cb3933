"""The fast paths of the number check give exactly what the full ones give.

``check_consistency`` reads a report given as text from its ``Outline`` (a block-level parse; inline parsing
only for headings and table cells) instead of a full ``parse_report``. Both must yield the same text units,
hence the same numbers and verdicts: compared here on the real reports, the seed report and generated
markdown. The verdicts of the real reports are also compared with a recorded run (``data/verdicts.json``),
which speed work must not change; a deliberate rule change re-records it::

    python tests/test_check_paths.py   # rewrites tests/data/verdicts.json from the current checker
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_chimera.checks import claims as cl
from pytest_chimera.checks.consistency import check_consistency
from pytest_chimera.checks.report import outline, parse_report
from pytest_chimera.evidence.facts import Fact, Facts

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
RECORDED = Path(__file__).resolve().parent / "data" / "verdicts.json"


def _reports() -> list[Path]:
    return sorted((SHARED / "real_reports").glob("*_*.md")) + [SHARED / "seed" / "chimera_agent_b_report.md"]


def _same_outline(markdown: str) -> None:
    full, light = parse_report(markdown), outline(markdown)
    assert (light.layout, light.parts) == (full.layout, full.parts)
    assert [(t.header, t.rows, t.line) for t in light.tables] == [(t.header, t.rows, t.line) for t in full.tables]

    def shape(blocks: list[Any]) -> list[tuple[Any, ...]]:  # what the outline leaves out: bold-led sections, texts
        return [(b.kind if b.kind in ("table", "code", "html", "hr") else "text", b.line_start, b.line_end, b.part,
                 b.text if b.kind in ("table", "code", "html") else "") for b in blocks]

    assert shape(light.blocks) == shape(full.blocks)
    assert cl.units_of(light) == cl.units_of(full)


@pytest.mark.parametrize("path", _reports(), ids=lambda p: p.name[:40])
def test_outline_gives_the_units_of_the_full_parse_on_real_reports(path: Path) -> None:
    if not path.is_file():
        pytest.skip(f"{path} not found (the real reports live in ../shared beside the repo)")
    _same_outline(path.read_text(encoding="utf-8"))


LINES = st.sampled_from([
    "# Report 1", "## Workflow Summary", "## Metrics", "## 2. Findings", "### 2.1 Details:", "**Executive Summary:**",
    "**1. Data Ingestion Summary**", "The model reached **283 tok/s** in 12 runs.", "- **TTFT:** 45 ms",
    "- plain bullet with 3 files", "1. Raise num_ctx=2048 to 4096.", "2) second item, 14.5% faster",
    "  continued 7 lines", "> quoted 99 ms", "> - quoted bullet 5 GB", "", "", "---", "***", "```", "    code 42",
    "| model | ttft ms |", "|---|---|", "| gemma3:270m | 81.2 |", "| **bold** 3 | `code 4` |", "a | b", "--- | ---",
    "<div>html 5</div>", "Setext title 8", "===", "[ref]: http://x.org/1", "see [link 9][ref] and ![img 10](y.png)",
    "*emph 11* and _under 12_ and `span 13`", "\\*escaped 14\\*", "&amp; entity 15", "trailing hard break 16  ",
    "- - nested 17", "    - indented item 18", "+ plus item 19 tokens", "10. ten 20 runs", "| [cell 21][ref] | 22 |",
    "## [Metrics][ref]",
])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(LINES, min_size=1, max_size=40))
def test_outline_gives_the_units_of_the_full_parse_on_generated_markdown(lines: list[str]) -> None:
    _same_outline("\n".join(lines) + "\n")


def test_outline_resolves_link_references_in_headings_and_cells() -> None:
    """A reference defined anywhere ("[ref]: url") makes "[Metrics][ref]" a link in a heading or a cell."""
    markdown = ("# R\n\n## Workflow Summary\n\nran 3 s\n\n## [Metrics][ref]\n\n| [TTFT][ref] | ms |\n|---|---|\n"
                "| [mean][ref] | 81 |\n\n[ref]: http://example.org/\n")
    _same_outline(markdown)
    light = outline(markdown)
    assert "metrics" in light.parts and light.tables[0].header == ["TTFT", "ms"]


def _facts() -> Facts:
    return Facts.from_records([
        Fact("files.total", 101, "files", "count of files", ("files", "total")),
        Fact("t.ttft.mean", 81.2, "ms", "t.csv: mean of ttft", ("ttft", "mean", "gemma3:270m")),
        Fact("t.tps.mean", 283.0, "tok/s", "t.csv: mean of tokens_s", ("throughput", "mean", "gemma3:270m")),
    ])


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(LINES, min_size=1, max_size=40))
def test_text_and_parsed_report_get_the_same_verdicts(lines: list[str]) -> None:
    markdown = "\n".join(lines) + "\n"
    facts = _facts()
    assert check_consistency(markdown, facts).to_json() == check_consistency(parse_report(markdown), facts).to_json()


@pytest.mark.parametrize(("text", "stats"), [
    ("the 95th percentile TTFT", {"p95"}), ("TTFT standard deviation", {"std"}), ("on average 81 ms", {"mean"}),
    ("the median TTFT", {"median"}), ("TTFT was 81 ms", set())])
def test_stat_kinds_reads_one_and_two_word_statistics(text: str, stats: set[str]) -> None:
    from pytest_chimera.checks.query import Query, context, stat_kinds

    seq, bag = context(text)
    assert stat_kinds(Query(81.0, "ms", 0.5, "", bag, seq, frozenset())) == stats


def test_word_caches_stay_bounded() -> None:
    """The per-dimension caches of matched phrases and phrase weights hold at most ``CANDIDATE_CACHE`` entries,
    however many distinct sentences a report has."""
    from pytest_chimera.checks.index import FactIndex
    from pytest_chimera.checks.matching import _weigh
    from pytest_chimera.checks.query import CANDIDATE_CACHE, matched

    index = FactIndex(_facts())
    d = index.dims["time"]
    for k in range(CANDIDATE_CACHE + 10):
        seq = ["mean", "ttft", f"w{k}"]
        found = matched(d, set(seq), seq)
        assert found == [("mean",), ("ttft",)] or sorted(found) == [("mean",), ("ttft",)]
        _weigh(index, "time", d, found, {(f"w{k}",)})
    assert 0 < len(d.matched) <= CANDIDATE_CACHE and 0 < len(index.weighed) <= CANDIDATE_CACHE


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab1 *_~[]()<>`-", max_size=40))
def test_clean_skips_only_lines_without_markup(line: str) -> None:
    """``clean`` leaves out the substitutions a line without backticks or markup characters cannot match."""
    full = cl._CODE_SPAN.sub(lambda m: "\u2039" + cl._DIGITS.sub(" ", m.group(0)[1:-1]) + "\u203a", line)
    full = cl._MARKUP.sub(lambda m: "" if m.group(0) in ("**", "__", "~~", "[") else " ", full)
    assert cl.clean(line) == full


def _record(facts: Facts) -> dict[str, list[list[Any]]]:
    """Per report: [line, raw, kind, unit, verdict, rule, fact key] of every number, in report order."""
    out: dict[str, list[list[Any]]] = {}
    for path in _reports():
        result = check_consistency(path.read_text(encoding="utf-8"), facts)
        out[path.name] = [[n.line, n.raw, n.kind, n.unit, n.verdict, n.rule, n.fact.key if n.fact else None]
                          for n in result.numbers]
    return out


def test_real_report_verdicts_are_the_recorded_ones(chimeraforge_corpus: Path) -> None:
    if not all(p.is_file() for p in _reports()):
        pytest.skip("the real reports live in ../shared beside the repo")
    from pytest_chimera.evidence.corpus import load_corpus
    from pytest_chimera.evidence.facts import compute_facts

    recorded = json.loads(RECORDED.read_text(encoding="utf-8"))
    now = json.loads(json.dumps(_record(compute_facts(load_corpus(chimeraforge_corpus)))))
    assert len(now) == 25 and sum(map(len, now.values())) > 1500
    for name, numbers in recorded.items():
        assert now[name] == numbers, f"{name}: verdicts changed (re-record with `python {Path(__file__).name}` " \
                                     "only for a deliberate rule change)"
    assert now.keys() == recorded.keys()


def test_a_verdict_does_not_depend_on_what_was_checked_before(chimeraforge_corpus: Path) -> None:
    """The checker's caches live on the fact index, shared by every report checked against one ``Facts``: each
    report checked on fresh facts gets what it gets after all the others (in reverse order) on shared facts.
    (A cache key without the claim's unit once let "28 CSV files" decide a later "CSV: 28".)"""
    if not all(p.is_file() for p in _reports()):
        pytest.skip("the real reports live in ../shared beside the repo")
    from pytest_chimera.evidence.corpus import load_corpus
    from pytest_chimera.evidence.facts import compute_facts

    corpus = load_corpus(chimeraforge_corpus)
    shared = compute_facts(corpus)
    after_all = {}
    for path in reversed(_reports()):
        after_all[path.name] = [(n.line, n.raw, n.verdict, n.rule) for n in
                                check_consistency(path.read_text(encoding="utf-8"), shared).numbers]
    for path in _reports():
        alone = [(n.line, n.raw, n.verdict, n.rule) for n in
                 check_consistency(path.read_text(encoding="utf-8"), compute_facts(corpus)).numbers]
        assert alone == after_all[path.name], path.name


if __name__ == "__main__":
    from pytest_chimera.evidence.corpus import load_corpus
    from pytest_chimera.evidence.facts import compute_facts

    corpus = SHARED / "corpus" / "chimeraforge"
    if not corpus.is_dir():
        sys.exit(f"the real corpus is not at {corpus}")
    record = _record(compute_facts(load_corpus(corpus)))
    body = ",\n".join(f"{json.dumps(name)}: [\n" + ",\n".join(map(json.dumps, numbers)) + "\n]"
                      for name, numbers in record.items())
    RECORDED.write_text("{\n" + body + "\n}\n", encoding="utf-8")  # one number a line
    print(f"wrote {RECORDED}")
