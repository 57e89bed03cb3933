"""The HTML page without a browser: safe markdown, numbers placed where they are written, the page's data and
its Content-Security-Policy, and the run data read defensively."""

from __future__ import annotations

import html.parser
import re
from pathlib import Path
from typing import Any

import pytest
from bench_files import saved_json, speeds, write
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_chimera.gating import compare_runs, parse_rules, run_from_json
from pytest_chimera.view import assets
from pytest_chimera.view.build import make_page
from pytest_chimera.view.inputs import FactsLoader, InputError, collect
from pytest_chimera.view.markdown import render_markdown
from pytest_chimera.view.model import Sample, view_from_json
from pytest_chimera.view.page import build_page, fragment, section_html

EXAMPLE_CORPUS = Path(__file__).resolve().parent.parent / "example_project" / "corpus"

# Tags and attributes the rendered report may contain; anything else would come from the report itself.
ALLOWED_TAGS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "code", "pre", "ul", "ol", "li", "a",
                "blockquote", "hr", "br", "table", "thead", "tbody", "tr", "th", "td", "span", "mark"}
ALLOWED_ATTRS = {"href", "rel", "class", "id", "tabindex", "data-verdict", "aria-describedby", "role", "aria-hidden",
                 "start"}


class _Tags(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.comments: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)


def tags_of(text: str) -> _Tags:
    parser = _Tags()
    parser.feed(text)
    return parser


def plain_mark(i: int, inner: str) -> str:
    return f'<mark data-verdict="{i}">{inner}</mark>'


def number(line: int, raw: str, verdict: str | None = "supported", kind: str = "claim", **more: Any) -> dict[str, Any]:
    return {"line": line, "raw": raw, "verdict": verdict, "kind": kind, "explanation": "", "fact": None, **more}


# ---- the report's markdown, rendered safely -----------------------------------------------------------------

HOSTILE = """# Report <script>alert(1)</script>

<script>window.pwned = 1</script>

<img src=x onerror="window.pwned = 2">

[dashboard](javascript:window.pwned=3) [docs](https://example.com/a?b=1&c="2") [mail](mailto:a@b.c)
[data](data:text/html;base64,PHNjcmlwdD4=) [rel](other.html) <javascript:alert(1)> ![pic](https://evil/x.png)
<!-- an HTML comment --> <a href="javascript:alert(2)">raw</a>
"""


def test_hostile_markup_is_shown_as_text_and_only_web_links_stay_links() -> None:
    out = render_markdown(HOSTILE, [], plain_mark).html
    found = tags_of(out)
    assert {t for t, _ in found.tags} <= ALLOWED_TAGS
    hrefs = [dict(a)["href"] for t, a in found.tags if t == "a"]
    assert hrefs == ['https://example.com/a?b=1&c=%222%22', "mailto:a@b.c"]
    assert all(dict(a).get("rel") == "noopener noreferrer nofollow" for t, a in found.tags if t == "a")
    assert found.comments == []
    assert "&lt;script&gt;window.pwned = 1&lt;/script&gt;" in out
    assert "&lt;!-- an HTML comment --&gt;" in out
    assert "[dashboard](javascript:window.pwned=3)" in out  # the link's text and target, as text
    assert "[image: pic] (https://evil/x.png)" in out  # never loaded


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(list("<>[]()!\"'=:/ \n`*#|-_ab1") + ["javascript:", "script", "onerror", "img src",
                                                                      "<!--", "-->", "http://x", "&#58;"]),
                max_size=60).map("".join))
def test_any_text_renders_to_allowed_tags_and_safe_links(text: str) -> None:
    out = render_markdown(text, [number(1, "1")], plain_mark).html
    found = tags_of(out)
    assert {t for t, _ in found.tags} <= ALLOWED_TAGS
    for tag, attrs in found.tags:
        assert {name for name, _ in attrs} <= ALLOWED_ATTRS, (tag, attrs)
        if tag == "a":
            assert dict(attrs)["href"].lower().startswith(("http://", "https://", "mailto:"))
    assert found.comments == []


def test_numbers_are_marked_in_order_where_they_are_written() -> None:
    md = ("The corpus holds **28 files**: 8 CSV (28.6%) and 8 MD.\n\n| type | n |\n|---|---|\n| JSON | 12 |\n\n"
          "```\nTotal files analyzed: 28\n```\n")
    numbers = [number(1, "28 files"), number(1, "8"), number(1, "28.6%"), number(1, "8", verdict="contradicted"),
               number(5, "12"), number(8, "28"), number(1, "99")]
    out = render_markdown(md, numbers, plain_mark)
    assert re.findall(r'<mark data-verdict="(\d)">([^<]*)</mark>', out.html) == [
        ("0", "28 files"), ("1", "8"), ("2", "28.6%"), ("3", "8"), ("4", "12"), ("5", "28")]
    assert "<strong><mark" in out.html and "<td><mark" in out.html and "analyzed: <mark" in out.html
    assert out.unplaced == [6]  # 99 is not on line 1: listed apart, never guessed into another number


def test_a_short_number_is_never_marked_inside_a_longer_one() -> None:
    out = render_markdown("From 28 and 128.5 to 8.\n", [number(1, "8")], plain_mark)
    assert 'to <mark data-verdict="0">8</mark>.' in out.html


def test_table_alignment_becomes_a_class_as_the_policy_allows_no_inline_style() -> None:
    out = render_markdown("| a | b |\n|--:|:-:|\n| 1 | 2 |\n", [], plain_mark).html
    assert '<th class="align-right">a</th>' in out and '<td class="align-center">2</td>' in out
    assert "style" not in out


def test_report_headings_move_under_the_page_headings() -> None:
    out = render_markdown("# Title\n\n## Part\n\n#### Deep\n", [], plain_mark, heading_offset=3).html
    assert "<h4>Title</h4>" in out and "<h5>Part</h5>" in out and "<h6>Deep</h6>" in out


# ---- the page ------------------------------------------------------------------------------------------------


def run_json(markdown: str, **more: Any) -> dict[str, Any]:
    metrics = {"ttft_ms": 120.0, "tokens_per_s": 40.0, "prompt_eval_ms": 30.0, "eval_ms": 500.0, "load_ms": 5.0,
               "eval_count": 20, "prompt_eval_count": 10, "total_ms": 540.0, "replayed": False}
    return {"markdown": markdown, "persona": "brief", "agent_name": "Agent", "backend": "fake", "model": "m:1",
            "options": {"num_ctx": 2048}, "corpus": str(EXAMPLE_CORPUS), "stages": {"total_ms": 540.0},
            "calls": [{"stage": "report", "text": "", "metrics": metrics}], "metrics": metrics, **more}


WRONG = "# Brief\n\nThe corpus holds 28 files: 12 JSON files (40.9%) and <script>alert(1)</script>.\n"
RIGHT = "# Brief\n\nThe corpus holds 28 files.\n"


@pytest.fixture(scope="module")
def facts() -> FactsLoader:
    return FactsLoader(EXAMPLE_CORPUS)


def test_a_contradicted_number_is_marked_with_its_verdict_fact_and_source(facts: FactsLoader) -> None:
    view = view_from_json(run_json(WRONG), test="t::wrong", source="wrong.json", facts=facts.facts_for(None)[0])
    section = section_html(view, "test-1")
    mark = re.search(r'<mark class="num v-contradicted"[^>]*>40\.9%<span class="vh"> \(contradicted\)</span>'
                     r'<span class="icon" aria-hidden="true">✗</span></mark><span class="tip" role="tooltip" '
                     r'id="(test-1-s0-n\d+)-tip">(.*?)</span></span>', section)
    assert mark is not None, section
    assert 'aria-describedby="' + mark.group(1) + '-tip"' in section
    assert "Fact: files.by_type.json.pct = 42.8571 %" in mark.group(2)
    assert "Source: 12 .json files / 28 files * 100" in mark.group(2)
    assert 'data-failing="true"' in section
    assert "&lt;script&gt;" in section and "<script>" not in section


def test_page_policy_allows_exactly_its_own_style_and_script(facts: FactsLoader) -> None:
    view = view_from_json(run_json(WRONG), test="t::wrong", source="wrong.json", facts=facts.facts_for(None)[0])
    page = make_page([view], generated="now")
    policy = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', page)
    assert policy is not None and page.index(policy.group(0)) < page.index("<style>")
    styles = re.findall(r"<style>(.*?)</style>", page, re.S)
    scripts = re.findall(r"<script>(.*?)</script>", page, re.S)
    assert len(styles) == 1 and len(scripts) == 1
    rules = policy.group(1).replace("&#x27;", "'")
    assert "default-src 'none'" in rules
    assert f"style-src {assets.sha256_source(styles[0])};" in rules
    assert f"script-src {assets.sha256_source(scripts[0])};" in rules
    found = tags_of(page)
    assert not [t for t, a in found.tags if t in ("link", "iframe", "object", "embed", "img", "base")]
    assert not [a for t, a in found.tags if any(name == "src" or name.startswith("on") for name, _ in a)]


def test_summary_marks_failing_tests_and_counts_medians_over_samples(facts: FactsLoader) -> None:
    good = view_from_json(run_json(RIGHT), test="t::right", source="right.json", facts=facts.facts_for(None)[0])
    bad = view_from_json(run_json(WRONG), test="t::wrong", source="wrong.json", facts=facts.facts_for(None)[0])
    page = make_page([good, bad], generated="now")
    rows = re.findall(r'<tr data-failing="(true|false)"[^>]*><th scope="row"><a href="#(test-\d)">', page)
    assert rows == [("false", "test-1"), ("true", "test-2")]
    assert '<section class="card chimera-report" id="test-1" data-failing="false"' in page


def test_samples_give_a_pass_rate_flips_and_flipping_rules(facts: FactsLoader) -> None:
    rules_ok = [{"rule": "short", "description": "short", "ok": True, "detail": ""}]
    rules_bad = [{"rule": "short", "description": "short", "ok": False, "detail": "found 900"}]
    samples = [run_json(RIGHT, structure=rules_ok), run_json(WRONG, structure=rules_bad),
               run_json(RIGHT, structure=rules_ok), run_json(RIGHT, structure=rules_ok)]
    view = view_from_json(run_json(RIGHT, samples=samples), test="t", source="s.json", facts=facts.facts_for(None)[0])
    assert view.pass_rate() == (3, 4) and view.flips() == 2 and view.flipping_rules() == ["short"]
    section = section_html(view, "test-1")
    assert "Pass rate: 3 of 4 (75%)" in section and "flipped 2 time(s)" in section
    assert section.count("<summary>Sample ") == 4 and 'data-failing="true"' in section


def test_recorded_verdicts_are_shown_as_recorded_and_escaped() -> None:
    recorded = [number(3, "28 files", verdict="contradicted", explanation="recorded: <i>27</i>",
                       fact={"key": "files.<i>", "value": 27, "unit": "files", "source": "<img src=x onerror=1>"}),
                number(5, "2", verdict=None, kind="ordinal")]
    view = view_from_json(run_json(RIGHT, numbers=recorded), test="t", source="s.json", facts=None)
    sample = view.samples[0]
    assert sample.counts() == {"supported": 0, "contradicted": 1, "unverified": 0, "not checked": 0}
    assert [(n["raw"], n["verdict"], n["explanation"]) for n in sample.numbers] == [
        ("28 files", "contradicted", "recorded: <i>27</i>"), ("2", None, "")]
    section = section_html(view, "x")
    assert "recorded: &lt;i&gt;27&lt;/i&gt;" in section and "Fact: files.&lt;i&gt; = 27 files" in section
    assert "Source: &lt;img src=x onerror=1&gt;" in section
    assert not [t for t, _ in tags_of(section).tags if t in ("i", "img")]


def test_without_a_corpus_claims_are_not_checked_but_run_metrics_are() -> None:
    md = ("# Brief\n\nThe corpus holds 28 files.\n\n---\n\n## Workflow Summary\n\n## Metrics\n"
          "- Throughput: 40.00 tok/s\n")
    data = run_json(md, corpus=None)
    found, note = FactsLoader(None).facts_for(data["corpus"])
    view = view_from_json(data, test="t", source="s.json", facts=found, notes=[note])
    verdicts = {n["raw"]: n["verdict"] for n in view.samples[0].numbers}
    assert verdicts == {"28 files": None, "40.00 tok/s": "supported"}
    assert "pass --corpus DIR" in view.notes[0]


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.sampled_from(["markdown", "persona", "calls", "metrics", "samples", "numbers",
                                        "structure", "options", "passed", "corpus"]),
                       st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                                    lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=5),
                                                                                               kids, max_size=3),
                                    max_leaves=8)))
def test_odd_run_data_gives_notes_never_exceptions(data: dict[str, Any]) -> None:
    view = view_from_json(data, test="t", source="s.json", facts=None)
    section_html(view, "t")
    fragment(view)


ANY = (st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=6)
       | st.lists(st.integers(), max_size=2))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.fixed_dictionaries({}, optional={k: ANY | st.dictionaries(st.sampled_from(
    ["key", "value", "unit", "source"]), ANY) for k in ("line", "raw", "kind", "verdict", "explanation", "fact")}),
    max_size=4),
       st.lists(st.fixed_dictionaries({}, optional={k: ANY for k in ("rule", "description", "ok", "detail")}),
                max_size=3))
def test_odd_recorded_checks_are_shown_never_raise(numbers: list[Any], rules: list[Any]) -> None:
    data = {"markdown": "# R\n\n1 2 3\n", "numbers": numbers, "structure": rules, "samples": [1, "x"]}
    view = view_from_json(data, test="t", source="s.json", facts=None)
    assert len(view.samples) == 1 and len(view.samples[0].numbers) == len(numbers)
    section_html(view, "t")
    make_page([view], generated="now")


def test_the_comparison_marks_regressions_and_the_trend_draws_each_run(tmp_path: Path, facts: FactsLoader) -> None:
    test = "tests/test_speed.py::test_collector_speed"
    runs = [run_from_json(saved_json({test: {"tokens_per_s": speeds(s, 6), "ttft_ms": speeds(100, 6),
                                             "contradicted": [1] * 6}}, when=f"2026-11-2{k}T10:00:00"), f"{k}.json")
            for k, s in enumerate((50, 51, 30))]
    comparison = compare_runs(runs[0], runs[-1], parse_rules("tokens_per_s:-10%"))
    view = view_from_json(run_json(RIGHT), test=test, source="x.json", facts=facts.facts_for(None)[0])
    page = make_page([view], comparison=comparison, trend=runs, generated="now")
    assert re.search(r'<tr class="regression"><th scope="row">tokens_per_s</th><td class="n">49\.92</td>'
                     r'<td class="n">29\.95</td><td class="n">-40\.0%</td><td class="n">0\.001082</td>'
                     r'<td><span class="badge bad">✗ regression</span> broke rule tokens_per_s:-10%</td></tr>', page)
    assert '<tr data-failing="true" class="failing">' in page and "✗ 1</td>" in page  # the test's row
    charts = re.findall(r'<svg class="chart".*?</svg>', page, re.S)
    assert len(charts) == 3  # ttft_ms, tokens_per_s, contradicted
    assert all(c.count("<g><circle") == 3 for c in charts)
    assert "<title>tests/test_speed.py::test_collector_speed · run #3" in charts[1]
    one = make_page([view], trend=runs[:1], generated="now")
    assert "Trend charts need at least two saved benchmark runs; this page has 1." in one


def test_the_trend_keeps_the_newest_runs_and_says_so() -> None:
    runs = [run_from_json(saved_json({"t": {"ttft_ms": [float(k)]}}, when=f"2026-11-27T10:{k:02d}:00"), f"{k}.json")
            for k in range(35)]
    page = make_page([], trend=runs, generated="now")
    assert "the trend shows the newest 30 of 35 saved runs" in page
    assert re.search(r'<svg class="chart".*?</svg>', page, re.S).group(0).count("<circle") == 30  # type: ignore[union-attr]
    assert "#1 deadbeef 2026-11-27T10:05:00" in page and "10:04:00" not in page


def test_the_fragment_carries_its_style_and_no_script(facts: FactsLoader) -> None:
    view = view_from_json(run_json(WRONG), test="t::w", source="s.json", facts=facts.facts_for(None)[0])
    part = fragment(view)
    assert part.startswith("<div><style>") and "<script>" not in part and "<mark class=\"num v-contradicted\"" in part


# ---- inputs ----------------------------------------------------------------------------------------------------


def test_collect_sorts_runs_and_benchmarks_and_skips_foreign_json_in_folders(tmp_path: Path) -> None:
    write(tmp_path / "a.json", run_json(RIGHT))
    (tmp_path / "bench").mkdir()
    write(tmp_path / "bench" / "0001_x.json", saved_json({"t": {"ttft_ms": [1.0]}}))
    (tmp_path / "other.json").write_text('{"tests": []}', encoding="utf-8")
    (tmp_path / "broken.json").write_text("{", encoding="utf-8")
    inputs = collect([tmp_path])
    assert [p.name for p, _ in inputs.runs] == ["a.json"] and len(inputs.benchmarks) == 1
    assert any("other.json: neither" in n for n in inputs.notes) and any("broken.json" in n for n in inputs.notes)
    with pytest.raises(InputError, match=r"other\.json: neither a run JSON"):
        collect([tmp_path / "other.json"])
    with pytest.raises(InputError, match=r"broken\.json: invalid JSON at line 1"):
        collect([tmp_path / "broken.json"])
    with pytest.raises(InputError, match=r"missing\.json: no such file or folder"):
        collect([tmp_path / "missing.json"])


def test_facts_loader_uses_the_runs_corpus_where_it_is_here_else_the_default(tmp_path: Path) -> None:
    loaded: list[Path] = []

    def load(path: Path) -> Any:
        loaded.append(path)
        return object()

    loader = FactsLoader(tmp_path, load=load)
    assert loader.corpus_for(str(EXAMPLE_CORPUS)) == EXAMPLE_CORPUS
    assert loader.corpus_for("/no/such/dir") == tmp_path and loader.corpus_for(None) == tmp_path
    loader.facts_for(None)
    loader.facts_for(None)
    assert loaded == [tmp_path.resolve()]  # once per corpus
    assert "not checked" in FactsLoader(tmp_path / "nope").facts_for(None)[1]


def test_a_sample_passes_on_its_record_else_on_its_checks() -> None:
    base: dict[str, Any] = {"markdown": "", "numbers": [], "rules": None, "spec": None, "calls": [], "metrics": {}}
    assert Sample(**base).ok and not Sample(**{**base, "passed": False}).ok
    bad = number(1, "3", verdict="contradicted")
    assert not Sample(**{**base, "numbers": [bad]}).ok and Sample(**{**base, "numbers": [bad], "passed": True}).ok


def test_build_page_escapes_titles_and_test_ids(facts: FactsLoader) -> None:
    view = view_from_json(run_json(RIGHT), test="t::<b>x</b>", source="<i>.json", facts=facts.facts_for(None)[0])
    page = make_page([view], title="<script>x</script>", generated="<now>")
    assert "<script>x" not in page and "<b>x</b>" not in page and "<i>.json" not in page and "<now>" not in page
    assert build_page.__doc__


def test_an_xdist_worker_never_writes_the_page(tmp_path: Path) -> None:
    from types import SimpleNamespace

    from pytest_chimera.plugin.html import HtmlRecorder
    from pytest_chimera.plugin.settings import Settings

    worker: Any = SimpleNamespace(workerinput={"workerid": "gw0"})
    HtmlRecorder(worker, Settings(html=tmp_path / "page.html")).write_page(SimpleNamespace())  # type: ignore[arg-type]
    assert not (tmp_path / "page.html").exists()
