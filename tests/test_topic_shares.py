"""Counts and shares of files read as the sentence gives them (the twenty-first round):

- a share of the files said to be about a topic is contradicted beyond twice the largest count its words name
  (``topicshare``: "86% of the files are compilation benchmarks" where 4 of 22 files are under
  ``reports/compilation``);
- two numbers after two words pair in order when "respectively" follows them or they stand in brackets right
  after the words ("JSON and CSV files (9 and 11 respectively)"), not as the two types' sum;
- one file type before the count noun of a count's label names that type's count, "total" or not ("Total JSON
  files: 9", "| Total JSON Documents | 9 |"); "documents" alone names no Markdown files;
- the ends of a range said to be approximate ("around 15.50 - 15.58") are held to 5%, not to their digits;
- a value copied with every digit, said to be a maximum, is the maximum of a part only where the quantity's
  levels reach higher (``ranges.part_extreme`` on ``precise_value``'s finds);

and in the twenty-second round:

- a share of two file types together ("JSON and Markdown files (72%)") is the corpus's, whatever model family
  the sentence names after it, as one type's share already was;
- "File Count (JSON)" names the JSON count as "JSON files" does;
- a count inside its line's lead label ("CSV Files (28): ... for the gemma3 models") is named by the label alone;
- a value shown beside a claim never rounds to 0 ("nearest 0.43 MB", not "0 MB");

and in the twenty-third round:

- a size spelled out in a model's name ("Gemma 3 1 Billion parameter version") is part of the name, as "1B" is;
- files "ingested", "processed", "examined" or "scanned" are the corpus's;
- "ops/s" is a unit of its own, which no fact of a benchmark corpus of tokens has;
- a file type's share ending its line's lead label ("JSON Files (approx. 73%): Contain ...") is named by the
  label alone;
- "44 JSON files out of 101": the 101 is the total the 44 is part of, the count's noun phrase between them."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_verdict_rules import fact

from pytest_chimera.checks import topicshare
from pytest_chimera.checks.consistency import check_consistency
from pytest_chimera.evidence.corpus import load_corpus
from pytest_chimera.evidence.facts import Fact, Facts, compute_facts


def claims(markdown: str, facts: Facts) -> list[tuple[str, str | None, str, str]]:
    """(raw, verdict, rule, explanation) of each claim of ``markdown``."""
    return [(n.raw, n.verdict, n.rule, n.explanation)
            for n in check_consistency(f"# R\n\n{markdown}\n", facts).numbers if n.kind == "claim"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Facts:
    """22 files: 4 JSON under reports/compilation, 3 gemma3 CSVs (2 of gemma3:270m) under reports/gemma3,
    2 CSV under reports/kernels, 6 CSV and 4 JSON under data/, a JSON file under reports/raw, a Markdown file
    under reports/ and one under reports/demo (11 CSV, 9 JSON, 2 Markdown)."""
    root = tmp_path_factory.mktemp("corpus")
    files = [f"reports/compilation/c{k}.json" for k in range(4)]
    files += ["reports/gemma3/gemma3_270m_run1.csv", "reports/gemma3/gemma3_270m_run2.csv",
              "reports/gemma3/gemma3_1b_run1.csv"]
    files += ["reports/kernels/k0.csv", "reports/kernels/k1.csv"]
    files += [f"data/t{k}.csv" for k in range(6)] + [f"data/j{k}.json" for k in range(4)] + ["reports/raw/j4.json"]
    files += ["reports/notes_a.md", "reports/demo/notes_b.md"]
    for name in files:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        suffix = path.suffix
        path.write_text("a,b\n1,2\n" if suffix == ".csv" else '{"x": 1}' if suffix == ".json" else "# N\n")
    return compute_facts(load_corpus(Path(root)))


def verdict(line: str, facts: Facts) -> dict[str, tuple[str | None, str]]:
    return {raw: (got, rule) for raw, got, rule, _ in claims(line, facts)}


# ---- a share of the files about a topic ------------------------------------------------------------------------


@pytest.mark.parametrize(("line", "raw", "named"), [
    ("About 86% of the files are compilation benchmarks.", "86%", "by_dir.reports/compilation (4)"),
    ("Files related to compiling: roughly 80% of the dataset.", "80%", "by_dir.reports/compilation (4)"),
    ("The work centres on compiling the models, representing over 80% of the total files.", "80%",
     "by_dir.reports/compilation (4)"),  # the topic in the sentence's other clause
])
def test_a_topic_s_share_beyond_twice_its_ceiling_is_contradicted(line: str, raw: str, named: str,
                                                                    corpus: Facts) -> None:
    [(got_raw, got, rule, why)] = claims(line, corpus)
    assert (got_raw, got, rule) == (raw, "contradicted", "derived")
    assert named in why and "more than 2.5 times that" in why


@pytest.mark.parametrize("line", [
    "About 45% of the files are compilation benchmarks.",  # 18.2%: within 2.5 times
    "The gemma3 files make up 45% of the dataset.",  # a model's: its name fills other files too
    "65% of files are compilation or kernels related.",  # 6 of 22 together: 27.3%
    "gemma3_270m: 31.6% of files",  # a model: its name fills other files too
    "About 70% of the files are gemma3 results.",
    "Compilation is mentioned in 80% of the files.",  # a share by content
    "For compilation, 80% of the data points show a latency under 5 ms.",  # a share of measurements
    "For compilation, 80% of files show a TTFT under 0.1 s.",
    "Kernel work: 18% of files",  # 2 of 22, 9.1%: within 2.5 times
    "Demo files: 13% of files",  # 1 of 22, 4.5%: more than 2.5 times, but within twenty points
    "Non-compilation files make up about 80% of the files.",  # a share outside the topic
    "Excluding the compilation runs, 80% of the files are results.",
    "60% of files are compilation or gemma3 related.",  # a model's word beside the topic: no ceiling
    "90% of files are benchmark results.",  # every file may be a benchmark's result
    "90% of the files are reports.",  # a generic word, though a directory's name
    "90% of the files are raw results.",  # the same, of a directory of one file
    "Compilation speed improved by 86%.",  # no share of the files
])
def test_a_share_within_its_ceiling_or_of_no_topic_is_not_contradicted(line: str, corpus: Facts) -> None:
    assert [got for raw, got, _, _ in claims(line, corpus) if raw.endswith("%") and got == "contradicted"] == []


def test_the_generic_words_and_the_margins_are_what_the_rule_reads() -> None:
    assert {"benchmark", "results", "files", "data"} <= topicshare.GENERIC
    assert (topicshare.TOPIC_FACTOR, topicshare.TOPIC_POINTS) == (2.5, 20.0)


# ---- two numbers paired with two words -------------------------------------------------------------------------


@pytest.mark.parametrize("line", ["The data leans toward JSON and CSV files (9 and 11 respectively).",
                                  "The dataset leans toward JSON and CSV files (9 and 11 respectively).",
                                  "The data leans toward JSON and CSV files (9 and 11).",
                                  "JSON and CSV files: 9 and 11 files, respectively."])
def test_two_numbers_pair_in_order_with_two_words(line: str, corpus: Facts) -> None:
    assert set(verdict(line, corpus).values()) == {("supported", "exact fact")}


def test_swapped_pairs_are_each_contradicted_by_their_own_type(corpus: Facts) -> None:
    got = claims("The data leans toward JSON and CSV files (11 and 9 respectively).", corpus)
    assert [(raw, v) for raw, v, _, _ in got] == [("11", "contradicted"), ("9", "contradicted")]
    assert "9 files" in got[0][3] and "11 files" in got[1][3]


def test_a_list_of_another_length_pairs_nothing(corpus: Facts) -> None:
    got = verdict("The data holds JSON, CSV and Markdown files (9 and 11 respectively).", corpus)
    assert got["9"][0] == "contradicted"  # every type: 22, or two of them: 20, never the JSON files' 9


def test_the_sum_of_two_types_is_still_read_where_one_number_is_written(corpus: Facts) -> None:
    assert verdict("JSON and CSV files (20) make up most of it.", corpus) == {"20": ("supported", "derived")}


# ---- a type word in a count's label ----------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("Total JSON files: 9", "supported"),
    ("Total JSON files: 22", "contradicted"),
    ("| Metric | Value |\n| --- | --- |\n| Total JSON Documents | 9 |", "supported"),
    ("| Metric | Value |\n| --- | --- |\n| Total JSON Documents | 22 |", "contradicted"),
    ("| Metric | Value |\n| --- | --- |\n| JSON Documents | 2 |", "contradicted"),
    ("| Metric | Value |\n| --- | --- |\n| Markdown Documents | 2 |", "supported"),
    ("| Metric | Value |\n| --- | --- |\n| Total Files | 22 |", "supported"),
    ("| Metric | Value |\n| --- | --- |\n| Total JSON and Markdown Files | 11 |", "supported"),
    ("We found 2 documents.", "unverified"),  # files of no type: any count of files could be meant
    ("JSON/CSV files: 20", "supported"),  # two types together: their sum
    ("| Metric | Value |\n| --- | --- |\n| CSV/Markdown files | 13 |", "supported"),
    ("**Total files (JSON files being the largest share):** 22", "supported"),  # a gloss names no type
])
def test_a_type_before_the_count_noun_of_a_label_names_that_type(text: str, expected: str, corpus: Facts) -> None:
    [(_, got, _, why)] = claims(text, corpus)
    assert got == expected
    if got == "contradicted":
        assert "9 files" in why  # the JSON count, not the total or the Markdown count


# ---- an approximate range, a copied maximum ----------------------------------------------------------------------


def latencies() -> Facts:
    """One JSON array's three run means (15.4475, 15.502, 15.584 ms) and a far higher latency elsewhere."""
    return Facts.from_records([
        *(fact(f"json.b.json.runs[{k}].mean_ms", v, "ms", "mean_ms", "latency", "mean", "average")
          for k, v in enumerate((15.4475, 15.502165, 15.58403500039276))),
        *(fact(f"json.b.json.latency_percentiles.{p}", v, "ms", p, "latency", "latency percentiles", "percentile")
          for p, v in (("p50", 15.502165), ("p95", 15.58403500039276), ("p99", 15.58403500039276))),
        *(fact(f"json.k{k}.json.max_time_ms", v, "ms", "max_time_ms", "max time", "max", "maximum", "time")
          for k, v in enumerate((30.16, 244.09, 12.7))),
        fact("json.c.json.latency_ms", 1024.0, "ms", "latency_ms", "latency"),
        fact("json.d.json.latency_ms", 26.758, "ms", "latency_ms", "latency"),
    ])


def test_a_range_whose_ends_another_object_of_the_file_holds_is_left_as_matched() -> None:
    """15.50 - 15.58: the run means' span starts at 15.4475, but the same file's p50 and p99 are the two ends: an
    approximate range may be of those; a plain "ranged from" is of the list."""
    assert verdict("Latency was around 15.50 - 15.58 ms.", latencies())["15.50"][0] == "supported"
    one_end = Facts.from_records([f for f in latencies() if not f.key.endswith(("p95", "p99"))])
    assert verdict("Latency was around 15.50 - 15.58 ms.", one_end)["15.50"] == ("contradicted", "span")
    assert verdict("Latency ranged from 15.50 to 15.58 ms.", latencies())["15.50"] == ("contradicted", "span")


@pytest.mark.parametrize("line", ["| Metric | Value (ms) |\n| --- | --- |\n| Maximum Latency | 15.58403500039276 |",
                                  "| Metric | Value |\n| --- | --- |\n| Maximum Latency | 15.58403500039276 |",
                                  "The maximum latency was 15.58403500039276 ms."])
def test_a_copied_maximum_of_a_part_is_unverified(line: str) -> None:
    [(_, got, rule, why)] = claims(line, latencies())
    assert (got, rule) == ("unverified", "span")
    assert "1024" in why and "of a part only?" in why


# ---- the twenty-second round --------------------------------------------------------------------------------------


def test_two_types_share_is_the_corpus_s_whatever_family_follows(corpus: Facts) -> None:
    line = "The data is skewed towards JSON and Markdown files (50%) with many files about gemma3 experiments."
    assert verdict(line, corpus) == {"50%": ("supported", "derived")}


@pytest.mark.parametrize(("value", "expected"), [("9", "supported"), ("22", "contradicted")])
def test_a_type_in_brackets_after_the_count_noun_names_that_type(value: str, expected: str, corpus: Facts) -> None:
    [(_, got, _, why)] = claims(f"| Metric | Value |\n| --- | --- |\n| File Count (JSON) | {value} |", corpus)
    assert got == expected and (got == "supported" or "9 files" in why)


def test_a_lead_s_total_of_and_a_lead_of_no_type_keep_their_line_s_words(corpus: Facts) -> None:
    assert verdict("- **CSV Files:** 3 for the gemma3 models.", corpus) == {"3": ("supported", "derived")}  # after it
    assert verdict("- **CSV Files (11 of 22):** the gemma3 tuning runs.", corpus)["22"] == ("supported", "exact fact")
    assert verdict("- **Tabular exports (3 files):** the CSV files of the gemma3 runs.", corpus) == {
        "3 files": ("supported", "derived")}  # a label of no file type: the line's words name the count


@pytest.mark.parametrize(("value", "expected"), [("11", "supported"), ("3", "contradicted")])
def test_a_count_in_a_lead_label_is_named_by_the_label(value: str, expected: str, corpus: Facts) -> None:
    line = f"- **CSV Files ({value}):** The many CSV files likely hold timing data for the gemma3 models."
    [(_, got, _, why)] = claims(line, corpus)
    assert got == expected and (got == "supported" or "11 files" in why)  # the CSV files, not gemma3's 3


def test_a_maximum_of_a_named_file_is_that_file_s() -> None:
    facts = Facts.from_records([Fact(f.key, f.value, f.unit, f"b.json: {f.key}", f.labels) for f in latencies()])
    assert verdict("The maximum latency in b.json was 15.58403500039276 ms.", facts) == {
        "15.58403500039276 ms": ("supported", "exact fact")}
    assert verdict("The maximum latency was 15.58403500039276 ms.", facts)["15.58403500039276 ms"][0] == "unverified"


def test_a_value_shown_beside_a_claim_never_rounds_to_0(corpus: Facts) -> None:
    [(_, got, _, why)] = claims("The JSON files come to about 15MB.", corpus)
    assert got == "unverified" and "nearest 0.00017 MB" in why and " 0 MB" not in why


# ---- the twenty-third round ---------------------------------------------------------------------------------------


def test_a_size_spelled_in_a_model_s_name_is_no_claim(corpus: Facts) -> None:
    got = check_consistency("# R\n\n* `1b-it-qat`: Gemma 3 1 Billion parameter quantized version.\n", corpus)
    assert [(n.raw, n.kind) for n in got.numbers if n.raw.startswith("1 Billion")] == [
        ("1 Billion parameter", "other")]


@pytest.mark.parametrize("line", ["Approximately 22 files were ingested.", "In all, 22 files were processed.",
                                  "The agent scanned 22 files."])
def test_files_ingested_or_processed_are_the_corpus_s(line: str, corpus: Facts) -> None:
    assert [(got, why) for _, got, _, why in claims(line, corpus)] == [
        ("supported", "a fact named by the same words has this value within the written precision (rule: exact fact)")]


def test_ops_per_second_is_a_unit_no_fact_has(corpus: Facts) -> None:
    [(_, got, _, why)] = claims("The average throughput is 65.11 ops/s.", latencies())
    assert got == "unverified" and "no fact has a unit compatible with ops/s" in why


@pytest.mark.parametrize(("value", "expected"), [("41%", "supported"), ("73%", "contradicted")])
def test_a_type_s_share_in_a_lead_label_is_named_by_the_label(value: str, expected: str, corpus: Facts) -> None:
    line = f"* **JSON Files (approx. {value}):** Fewer than the CSV and Markdown files together."
    assert verdict(line, corpus) == {value: (expected, "exact fact")}


@pytest.mark.parametrize("line", ["The corpus has 9 JSON files out of 22 in all.",
                                  "JSON files dominate (9 out of 22)."])
def test_a_total_after_a_count_s_noun_phrase_is_the_corpus_s(line: str, corpus: Facts) -> None:
    assert verdict(line, corpus)["22"] == ("supported", "exact fact")

