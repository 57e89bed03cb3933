"""A JSON leaf path a report names decides its number (``checks.paths``): the facts at that path, in any file."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pytest_chimera.checks.consistency import check_consistency
from pytest_chimera.checks.paths import named_path
from pytest_chimera.evidence.facts import Fact, Facts


def leaf(path: str, value: float, unit: str, *labels: str) -> Fact:
    return Fact(f"json.data/{path}", value, unit, f"data/{path}", labels)


def corpus() -> Facts:
    """Two files of five runs each (tokens/s and TTFT per run), and a third whose runs key their throughput
    ``tokens_s``; many other throughput and TTFT facts, so that no label word names one run."""
    rows = []
    for f, base in (("a.json", 14.0), ("b.json", 1.0)):
        for i in range(5):
            rows += [leaf(f"{f}.results[{i}].tokens_per_second", base + i / 10 + 0.0123456, "tok/s",
                          "tokens_per_second", "tokens per second", "throughput", "results"),
                     leaf(f"{f}.results[{i}].ttft_s", 0.1 + i / 100 + f.startswith("b") * 2, "s",
                          "ttft_s", "ttft", "results"),
                     leaf(f"{f}.results[{i}].tokens", 40.0 + i, "", "tokens", "results")]
    rows += [leaf(f"c.json.results[{i}].tokens_s", 180.0 + i + 0.4567, "tok/s", "tokens_s", "throughput", "results")
             for i in range(5)]
    rows += [Fact(f"table.t.csv.tokens_s.r{k}", 10.0 + k * 3.7, "tok/s", "t.csv", ("tokens_s", "throughput"))
             for k in range(60)]
    rows += [leaf(f"d.json.actions_taken[{i}].metrics_after.latency_ms", v, "ms", "latency_ms", "latency", "ms")
             for i, v in enumerate((1024.0, 100.0))]
    return Facts.from_records(rows)


def decided(markdown: str, facts: Facts) -> list[tuple[str, str | None, str]]:
    return [(n.raw, n.verdict, n.fact.key if n.fact else "") for n in check_consistency(markdown, facts).numbers
            if n.kind == "claim"]


def test_the_facts_at_a_named_path_decide_its_number() -> None:
    facts = corpus()
    right = "* **`json_results[2].tokens_per_second`:** 14.2123456 - a fast run."
    wrong = "* **`json_results[2].tokens_per_second`:** 14.0123456 - a fast run."  # results[0]'s value of a.json
    assert decided(right, facts) == [("14.2123456", "supported", "json.data/a.json.results[2].tokens_per_second")]
    [(_, verdict, _)] = decided(wrong, facts)
    assert verdict == "contradicted"
    [n] = [n for n in check_consistency(wrong, facts).numbers if n.kind == "claim"]
    assert "results[2].tokens_per_second" in n.explanation and "14.2123" in n.explanation


def test_a_table_row_with_one_number_is_named_by_its_first_cell() -> None:
    facts = corpus()
    table = ("| Key | Value | Unit |\n|---|---|---|\n"
             "| json_results[1].tokens_per_second | 1.1123456 | Tokens/Second |\n"
             "| json_results[3].tokens_per_second | 1.1123456 | Tokens/Second |\n")
    assert [v for _, v, _ in decided(table, facts)] == ["supported", "contradicted"]
    # a second number in the row: which cell the path names is not read, the words decide
    two = "| Key | Value | Std |\n|---|---|---|\n| json_results[3].tokens_per_second | 1.1123456 | 0.5 |\n"
    assert decided(two, facts)[0][1] != "contradicted"


def test_another_key_of_the_same_measure_at_the_item_counts() -> None:
    """The agents swap ``tokens_s`` and ``tokens_per_second``: the throughput of c.json's results[1] is at
    ``tokens_s``; a TTFT key at the item does not count for a throughput."""
    facts = corpus()
    assert decided("The `json_results[1].tokens_per_second` was 181.4567.", facts)[0][1:] == (
        "supported", "json.data/c.json.results[1].tokens_s")
    assert decided("The `json_results[1].tokens_per_second` was 181.4567 seconds.", facts)[0][1] != "supported"


def test_a_value_at_another_key_of_the_item_is_left_to_the_words() -> None:
    """"`json_results[0].tokens_per_second`: 40.0": 40 is results[0].tokens (a mislabelled key, not a wrong
    number for sure): no contradiction from the path."""
    facts = corpus()
    [n] = check_consistency("* `json_results[0].tokens_per_second`: 40.0", facts).numbers
    assert n.verdict != "contradicted" and "results[0].tokens_per_second" not in n.explanation
    # nor does a leaf of another measure support it: 0.1 s is results[0]'s TTFT
    assert decided("* `json_results[0].tokens_per_second`: 0.1", facts)[0][1] == "unverified"
    assert decided("* `json_results[0].tokens_per_second`: 47.0", facts)[0][1] == "contradicted"


def test_a_path_the_corpus_lacks_or_two_paths_decide_nothing() -> None:
    facts = corpus()
    assert decided("* `json_results[9].tokens_per_second`: 14.0123456", facts)[0][1] != "contradicted"
    both = "* `json_results[0].tokens_per_second` & `json_results[1].tokens_per_second`: 14.0123456"
    assert decided(both, facts)[0][1] != "contradicted"
    # a path names the number right after it, and no other
    first, then = [n for n in check_consistency("* `json_results[3].tokens_per_second`: 14.0123456, then 2.1 tok/s",
                                                facts).numbers if n.kind == "claim"]
    assert first.verdict == "contradicted" and "results[3]" in first.explanation
    assert "results[3]" not in then.explanation  # the words decide it (here: a gap in the throughputs' span)
    for other in ("* We examined `json_results[3].tokens_per_second` across the data, which spans 14.0123456 runs.",
                  "* `json_results[3].tokens_per_second` was the fastest of the 14.0123456 runs.",
                  "* Reduce `json_results[3].tokens_per_second` to below 14.0123456.",
                  "* We examined `json_results[3].tokens_per_second` across the data, overall 14.0123456."):
        assert decided(other, facts)[0][1] != "contradicted", other
    assert decided("* `csv_results[3].tokens_per_second`: 14.0123456", facts)[0][1] != "contradicted"  # no JSON


NAMES = st.from_regex(r"[a-z][a-z_]{0,7}", fullmatch=True).filter(lambda n: not n.startswith(("json_", "csv_", "md_")))


@given(st.sampled_from(["", "json_", "timing_stats.", "json_timing_stats."]), NAMES,
       st.integers(0, 99), st.lists(NAMES, min_size=1, max_size=3), st.sampled_from(["", "`", "**"]))
def test_a_path_is_read_as_written_without_its_prefixes(prefix: str, name: str, index: int, keys: list[str],
                                                        quote: str) -> None:
    """The path from the last key before its index on ("timing_stats.run_results[0].mean_ms" ->
    "run_results[0].mean_ms", as ``paths._items`` names the corpus's), without the agents' type prefix."""
    path = f"{name}[{index}]." + ".".join(keys)
    text = f"The {quote}{prefix}{path}{quote} was 5."
    named = named_path(text)
    assert named is not None and named.path == path and named.after == f"{quote} was 5."
    assert getattr(named_path(f"| {prefix.upper()}{path} |"), "path", None) == path
    assert named_path(text + f" and {name}[{index + 1}].{keys[0]} was 6.") is None  # two paths: none
    assert named_path(f"The {name}.{keys[0]} was 5.") is None  # no index: no one value
    assert named_path(f"The csv_{path} was 5.") is None and named_path(f"The md_{path} was 5.") is None  # no JSON


def test_a_path_through_an_object_of_a_list_item_is_named_too() -> None:
    facts = corpus()
    line = "* `json_actions_taken[{}].metrics_after.latency_ms`: 1024.0"
    assert decided(line.format(0), facts)[0][1:] == (
        "supported", "json.data/d.json.actions_taken[0].metrics_after.latency_ms")
    assert decided(line.format(1), facts)[0][1] == "contradicted"


def test_the_claim_s_unit_is_converted_to_the_fact_s() -> None:
    """The value is compared in the fact's unit: the claim's unit converted, else the one its key implies; a
    unit of another measure (a count, seconds for a throughput) decides nothing; approximately, and a bound that
    holds, are no contradiction."""
    facts = corpus()
    assert decided("* `json_results[0].ttft_s`: 100 ms", facts)[0][1:] == (
        "supported", "json.data/a.json.results[0].ttft_s")
    assert decided("* `json_results[0].ttft_s`: 250 ms", facts)[0][1] == "contradicted"
    assert decided("* `json_results[0].ttft_ms`: 100.0", facts)[0][1] == "supported"  # the key's ms
    assert decided("* `json_results[0].ttft_ms`: 0.1", facts)[0][1] != "supported"
    # the key's unit, also where the words give a count noun ("Time To First Token": tokens)
    assert decided("* Time To First Token: `json_results[0].ttft_ms` = 100.0", facts)[0][1] == "supported"
    # the named facts, compared in their unit, are not "another leaf" with the same digits: 0.1 ms is no 0.1 s
    [n] = check_consistency("* `json_results[0].ttft_s`: 0.1 ms", facts).numbers
    assert n.verdict == "contradicted" and "at results[0].ttft_s" in n.explanation
    [n] = check_consistency("* `JSON_Results[0].TTFT_s`: 0.1 s", facts).numbers  # the agents' capitals
    assert n.verdict == "supported" and "at results[0].ttft_s" in n.explanation
    # a count noun the number is written with is another measure: no support from a throughput's digits
    assert decided("* `json_results[1].tokens_s`: 181.4567 files", facts)[0][1] != "supported"
    table = "| Key | Value |\n|---|---|\n| json_results[2].tokens_per_second | {} |\n"
    assert decided(table.format("approximately 14 tok/s"), facts)[0][1] != "contradicted"
    ttft = "| Key | Value |\n|---|---|\n| json_results[0].ttft_s | {} |\n"
    assert decided(ttft.format("approximately 97 ms"), facts)[0][1] != "contradicted"  # 100 ms, converted
    assert decided(ttft.format("< 150 ms"), facts)[0][1] != "contradicted"
    assert decided(ttft.format("< 50 ms"), facts)[0][1] == "contradicted"
    assert decided(table.format("< 20 tok/s"), facts)[0][1] != "contradicted"
    assert decided(table.format("> 200 tok/s"), facts)[0][1] == "contradicted"  # c.json's 182.46 the highest
