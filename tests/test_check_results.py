"""What ``check_consistency`` hands back for each number, pinned field by field: its JSON, its one-line
description, the excerpt it quotes, the rule its explanation names, and the checks of run metrics and config
options against a run. Mutation testing of ``consistency.py`` found each of these unpinned (see
``bench/MUTANTS.md``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pytest

from pytest_chimera.checks.consistency import (
    RULES,
    ConsistencyResult,
    NumberCheck,
    check_consistency,
    iter_offending,
    run_facts,
)
from pytest_chimera.checks.index import index_of
from pytest_chimera.checks.query import Decision
from pytest_chimera.evidence.facts import Fact, Facts

FACTS = Facts.from_records([
    Fact("files.by_type.md", 29, "files", "corpus: markdown files", ("markdown", "files")),
    Fact("files.total", 101, "files", "corpus: all files", ("total", "files", "corpus")),
])
NOT_CHECKED = "not checked: no run given (pass a ReportRun, or --run run.json)"
# the seed layout: a Metrics block after the Workflow Summary
METRICS = "# R\n\nBody.\n\n## Workflow Summary\n- Files analyzed: 101\n\n## Metrics\n- TTFT: 814.05 ms\n"


def numbers(markdown: str, run: Mapping[str, object] | None = None) -> dict[str, NumberCheck]:
    return {n.raw: n for n in check_consistency(markdown, FACTS, run=run).numbers}


# ---- the JSON of a number and its explanation ---------------------------------------------------------------


def test_the_json_of_a_checked_claim_has_every_field_under_its_name() -> None:
    n = numbers("# R\n\nMarkdown files: 30.\n")["30"]
    out = n.to_json()
    assert out == {"line": 3, "text": "Markdown files: 30.", "raw": "30", "value": 30.0, "unit": "files",
                   "kind": "claim", "reason": n.reason, "part": "body", "verdict": "contradicted",
                   "fact": {"key": "files.by_type.md", "value": 29.0, "unit": "files",
                            "source": "corpus: markdown files"},
                   "explanation": n.explanation, "rule": "exact fact"}
    assert isinstance(n.reason, str) and n.reason  # why the number is a claim, for the user
    assert n.explanation.endswith(" (rule: exact fact)")


def test_the_json_of_a_number_without_a_fact_says_null() -> None:
    date = numbers("# R\n\nIt ran on 2025-11-14.\n")["2025-11-14"]
    assert date.to_json()["fact"] is None and date.to_json()["verdict"] is None


def test_the_explanation_names_the_rule_that_decided_and_no_rule_when_none_did() -> None:
    index = index_of(FACTS)
    check = NumberCheck(1, "Markdown files: 29", "29", 29.0, "files", "claim", "a claim", "body")
    check.decide(Decision("unverified", None, "several facts fit the words"), index)
    assert (check.verdict, check.rule, check.explanation, check.fact) == \
        ("unverified", "", "several facts fit the words", None)
    check.decide(Decision("supported", 0, "it has this value", "exact fact"), index)
    assert (check.verdict, check.rule, check.explanation) == \
        ("supported", "exact fact", "it has this value (rule: exact fact)")
    assert check.fact == index.fact(0)


def test_every_checked_claims_explanation_ends_with_its_rule() -> None:
    markdown = "# R\n\nMarkdown files: 30.\n\nThe corpus has 101 files in total.\n\nIt took 3 people.\n"
    checked = [n for n in check_consistency(markdown, FACTS).numbers if n.verdict is not None]
    assert {n.verdict for n in checked} == {"contradicted", "supported", "unverified"}
    for n in checked:
        assert n.rule in RULES or (n.rule == "" and n.verdict == "unverified")
        assert n.explanation.endswith(f" (rule: {n.rule})") == bool(n.rule)
        assert "(rule:" not in n.explanation or n.rule


# ---- the one-line description ---------------------------------------------------------------------------------


def described(text: str, fact: Fact | None) -> str:
    check = NumberCheck(7, text, "3", 3.0, "", "claim", "a claim", "body", "contradicted", fact, "why")
    return check.describe()


def test_describe_quotes_the_excerpt_whole_up_to_90_characters_and_cuts_a_longer_one() -> None:
    assert described("x" * 90, None) == "line 7: '3' (claim) contradicted: why -- \"" + "x" * 90 + "\""
    assert described("y" * 91, None) == "line 7: '3' (claim) contradicted: why -- \"" + "y" * 87 + "...\""


@pytest.mark.parametrize(("value", "unit", "shown"), [
    (29.0, "files", "29 files"),
    (3.0, "", "3"),  # no unit: no stray space before the comma
    (0.123456789, "s", "0.123457 s"),
    (999_999.0, "", "999999"),
    (1_000_000.0, "", "1,000,000"),  # from a million on: grouped digits, not 1e+06
    (1_000_000.5, "B", "1,000,000 B"),
    (-2_500_000.0, "", "-2,500,000"),
])
def test_describe_names_the_fact_its_value_and_source(value: float, unit: str, shown: str) -> None:
    out = described("Markdown files: 3", Fact("k.e.y", value, unit, "src.csv: col"))
    assert out.endswith(f" [fact k.e.y = {shown}, from src.csv: col]")


# ---- the result --------------------------------------------------------------------------------------------------


def test_the_result_lists_numbers_by_verdict_in_report_order() -> None:
    markdown = "# R\n\nMarkdown files: 30.\n\nIt took 3 people.\n\nThe corpus has 101 files in total.\n\n" \
               "We had 28 markdown files.\n\nOn 2025-11-14.\n"
    result = check_consistency(markdown, FACTS)
    assert isinstance(result, ConsistencyResult)
    assert [n.raw for n in result.with_verdict("contradicted")] == ["30", "28"]
    assert [n.raw for n in result.with_verdict("supported")] == ["101 files"]
    assert [n.raw for n in iter_offending(result)] == ["30", "3", "28"]
    assert [n.raw for n in iter_offending(result, ["unverified"])] == ["3"]
    assert iter_offending(result, []) == []
    assert result.counts() == {"supported": 1, "contradicted": 2, "unverified": 1}


# ---- the excerpt a number quotes -------------------------------------------------------------------------------


def test_a_claim_quotes_its_own_sentence() -> None:
    got = numbers("# R\n\nThe corpus has 101 files. Markdown files: 29.\n")
    assert got["101 files"].text == "The corpus has 101 files."
    assert got["29"].text == "Markdown files: 29."


def test_a_number_that_is_no_claim_quotes_its_line_or_240_characters_each_side_of_it() -> None:
    """The excerpt of a date (no claim: it has no sentence reading) is its whole line up to 480 characters,
    else the 240 characters on each side of it."""
    def excerpt(text: str) -> str:
        [date] = [n for n in check_consistency(f"# R\n\n{text}\n", FACTS).numbers if n.kind == "date"]
        return date.text

    head = "Run a" + "b" * 5  # the date at offset 11 of its line
    short = f"{head} 2025-11-14 " + "c" * (480 - len(head) - 12)
    assert len(short) == 480 and excerpt(short) == short
    long = short + "d" * 20  # 500 characters: the window
    assert excerpt(long) == long[:11 + 10 + 240]
    middle = "e" * 300 + " 2025-11-14 " + "f" * 300
    assert excerpt(middle) == middle[301 - 240:311 + 240]


# ---- run metrics and config ---------------------------------------------------------------------------------


def test_run_metrics_and_config_without_a_run_say_why_they_are_not_checked() -> None:
    got = numbers("# R\n\n**Configuration:** num_ctx=2048\n\n" + METRICS.removeprefix("# R\n\n"))
    assert (got["2048"].kind, got["2048"].verdict, got["2048"].explanation) == ("config", None, NOT_CHECKED)
    assert (got["814.05 ms"].kind, got["814.05 ms"].verdict, got["814.05 ms"].explanation) == \
        ("run_metric", None, NOT_CHECKED)


@pytest.mark.parametrize(("written", "actual", "verdict", "shown"), [
    ("2048", 2048, "supported", "2048"),
    ("2048", 2048.5, "supported", "2048.5"),  # within the half unit the written digits imply
    ("2048", 2049, "contradicted", "2049"),
    ("2048", 2047, "contradicted", "2047"),
    ("1000000", 1_000_000, "supported", "1,000,000"),
    ("0.7", 0.75, "supported", "0.75"),  # 0.7 is written to +/-0.05
    ("0.7", 0.76, "contradicted", "0.76"),
])
def test_a_config_number_is_checked_against_the_runs_option(written: str, actual: float, verdict: str,
                                                            shown: str) -> None:
    got = numbers(f"# R\n\n**Configuration:** num_ctx={written}\n", run={"options": {"num_ctx": actual}})
    check = got[written]
    assert (check.kind, check.verdict, check.rule) == ("config", verdict, "exact fact")
    assert check.explanation == f"the run's num_ctx is {shown}"
    assert check.fact == Fact("run.options.num_ctx", float(actual), "", "run options: num_ctx", ("num_ctx",))


def test_a_config_alias_is_checked_under_the_options_name() -> None:
    got = numbers("# R\n\n**Configuration:** n_ctx=4096, temp=0.5\n",
                  run={"options": {"num_ctx": 4096, "temperature": 0.5}})
    assert got["4096"].verdict == "supported" and got["4096"].fact is not None
    assert got["4096"].fact.key == "run.options.num_ctx"
    assert got["0.5"].verdict == "supported"


def test_run_facts_name_metrics_stages_and_numeric_options() -> None:
    facts, options = run_facts({"metrics": {"tokens_per_s": 41.45, "made_up": 3},
                                "stages": {"ingest_ms": 30, "made_up_ms": 5},
                                "options": {"Temperature": 0.7, "num_ctx": 2048, "use_mmap": True, "model": "x"}})
    assert list(facts) == [
        Fact("run.metrics.tokens_per_s", 41.45, "tok/s", "run metrics: tokens_per_s",
             ("throughput", "tokens per second", "tok/s", "decode speed", "speed")),
        Fact("run.metrics.made_up", 3.0, "", "run metrics: made_up", ("made_up",)),
        Fact("run.stages.ingest_ms", 30.0, "ms", "run stages: ingest_ms", ("ingest", "ingestion", "stage")),
        Fact("run.stages.made_up_ms", 5.0, "ms", "run stages: made_up_ms", ("made_up_ms", "stage")),
    ]
    assert options == {"temperature": 0.7, "num_ctx": 2048.0}  # a flag or a name is no numeric option


@dataclass
class PlainRun:
    """A run object with only what ``RunLike`` asks for (no ``missing_metrics``)."""

    markdown: str = ""
    stages: dict[str, float] = field(default_factory=dict)
    options: dict[str, object] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=lambda: {"ttft_ms": 814.05})


def test_a_run_object_without_missing_metrics_is_checked() -> None:
    got = {n.raw: n for n in check_consistency(METRICS, FACTS,
                                               run=PlainRun()).numbers}  # type: ignore[arg-type]
    assert got["814.05 ms"].verdict == "supported"
    facts, _ = run_facts(PlainRun())  # type: ignore[arg-type]
    assert [f.key for f in facts] == ["run.metrics.ttft_ms"]


# ---- the words around a number -------------------------------------------------------------------------------


@pytest.mark.parametrize("line", ["Files: a.csv, b.csv and 23 more", "- Files: a.csv, b.csv and 23 more",
                                  "**Files:** a.csv, b.csv and 23 more", "and 23 more", "- and 23 more"])
def test_the_count_of_a_listings_rest_is_no_claim_whatever_the_markup_before_it(line: str) -> None:
    """"... and 23 more" is read on the cleaned line: a bullet or bold lead before it moves no offset."""
    [n] = check_consistency(f"# R\n\n{line}\n", FACTS).numbers
    assert (n.raw, n.kind, n.verdict) == ("23", "other", None)


@pytest.mark.parametrize(("line", "verdict"), [("~30 markdown files", "supported"),
                                               ("30 markdown files", "contradicted"),
                                               ("- ~30 markdown files", "supported")])
def test_a_qualifier_at_the_start_of_a_line_widens_its_number(line: str, verdict: str) -> None:
    [n] = check_consistency(f"# R\n\n{line}\n", FACTS).numbers
    assert n.verdict == verdict


JSON_FACTS = Facts.from_records([
    Fact("json.reports/compilation/conv_bench_1.json.backends.eager.mean_time_ms", 3.8, "", "conv_bench_1.json",
         ("mean_time_ms", "mean")),
    *FACTS,
])


def test_a_quoted_field_in_prose_is_no_json_snippet() -> None:
    """Only a code block is a snippet whose fields are checked against its file's; a claim in prose under a
    file's name is matched against the facts as any other."""
    code = "# R\n\n**File:** conv_bench_1.json\n\n```json\n{\"iterations\": 1000}\n```\n"
    [n] = check_consistency(code, JSON_FACTS).numbers
    assert (n.verdict, n.rule) == ("contradicted", "derived")
    for prose in ("The \"iterations\": 1000 of it.", "It has 29 markdown files."):
        # right after the snippet, the line above the prose is a fence, and the snippet names the file
        md = f"# R\n\n**File:** conv_bench_1.json\n\n```json\n{{\"file\": \"conv_bench_1.json\"}}\n```\n{prose}\n"
        [n] = [n for n in check_consistency(md, JSON_FACTS).numbers if n.kind == "claim"]
        assert n.rule != "derived"


def _facts(*rows: tuple[str, float, str, tuple[str, ...]]) -> Facts:
    return Facts.from_records([Fact(key, value, unit, f"test: {key}", labels) for key, value, unit, labels in rows])


GEMMA = ("throughput", "tokens per second", "gemma3:270m", "gemma3-270m", "270m", "gemma3")
RULE_CASES = [
    ("exact fact", "Markdown files: 30.", FACTS, ("the fact it names is 29 files",)),
    ("span", "gemma3:270m reached 5 tok/s of throughput.",
     _facts(*((f"tps{k}", v, "tok/s", GEMMA) for k, v in enumerate((212.0, 250.0, 303.9)))),
     ("between 212 tok/s and 304 tok/s", "(3 facts)", "25% margin")),
    ("chance guard", "The mean latency was 12 ms.",
     _facts(*((f"l{k}", 10 + 4 * k / 40, "ms", ("latency", "mean")) for k in range(40))),
     ("40 facts fit the words equally", "by chance")),
    ("derived", "**File:** conv_bench_1.json\n\n```json\n{\"iterations\": 1000}\n```", JSON_FACTS,
     ("conv_bench_1.json", "no numeric field 'iterations'")),
]


@pytest.mark.parametrize(("rule", "markdown", "facts", "says"), RULE_CASES, ids=[c[0] for c in RULE_CASES])
def test_each_rules_explanation_says_what_decided(rule: str, markdown: str, facts: Facts,
                                                   says: tuple[str, ...]) -> None:
    """A user reads why: the explanation names the rule and the evidence it rests on."""
    [n] = [n for n in check_consistency(f"# R\n\n{markdown}\n", facts).numbers if n.kind == "claim"]
    assert n.rule == rule and n.explanation.endswith(f" (rule: {rule})")
    for words in says:
        assert words in n.explanation


def test_a_code_line_is_read_as_written_not_as_markdown() -> None:
    """Backticks and underscores in a code block are code, not markup: "`29`" there is a number (a JS template
    string), "_29_" part of a name."""
    markdown = "# R\n\n```js\nconst label = `29` + \" files\";\nconst k = _29_;\n```\n"
    assert [(n.line, n.raw) for n in check_consistency(markdown, FACTS).numbers] == [(4, "29")]


@pytest.mark.parametrize("body", ["    const k = _29_;\n", "    const k = _29_;\n    done();\n"])
def test_an_indented_code_block_of_one_line_is_code_too(body: str) -> None:
    """A one-line indented code block was read as prose: "_29_" became emphasis and 29 a claim."""
    assert [(n.line, n.raw) for n in check_consistency(f"# R\n\ntext\n\n{body}", FACTS).numbers] == []
