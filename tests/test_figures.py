"""Key figures: the few facts a grounded prompt carries, each in a report's words and attributable."""

from __future__ import annotations

from pathlib import Path

from pytest_chimera.agent import figures as fg
from pytest_chimera.agent import prompts
from pytest_chimera.agent.personas import BUILTIN, INSIGHT, resolve_persona
from pytest_chimera.checks.consistency import check_consistency
from pytest_chimera.evidence.facts import Fact, Facts

MODEL = ("throughput", "tokens per second", "gemma3:270m", "270m")


def inventory() -> list[Fact]:
    return [
        Fact("files.total", 101, "files", "corpus", ("files", "total", "files analyzed", "corpus")),
        Fact("files.by_type.csv", 28, "files", "corpus", ("csv", "csv files", "files")),
        Fact("files.by_type.csv.pct", 27.7227, "%", "corpus", ("csv", "csv files", "percent", "share")),
        Fact("files.by_type.json", 44, "files", "corpus", ("json", "json files", "files")),
        Fact("files.by_type.json.pct", 43.5644, "%", "corpus", ("json", "json files", "percent", "share")),
        Fact("files.by_type.md", 29, "files", "corpus", ("markdown", "md", "markdown files", "files")),
        Fact("files.by_type.md.pct", 28.7129, "%", "corpus", ("markdown", "md", "percent", "share")),
    ]


def test_the_inventory_sentence_states_counts_and_shares_in_type_order() -> None:
    assert fg.inventory_sentence(reversed(inventory())) == (
        "The corpus holds 101 files: 28 CSV (27.72%), 44 JSON (43.56%) and 29 Markdown (28.71%).")
    assert fg.inventory_sentence(inventory()[:1]) == "The corpus holds 101 files."
    assert fg.inventory_sentence(inventory()[1:]) is None


def test_cite_writes_best_and_median_throughput_and_ttft_of_one_model() -> None:
    best = Fact("tuning.reports/g/gemma3_270m_param_tuning.csv.best_tokens_per_s", 303.9, "tok/s", "s",
                (*MODEL, "best"))
    median_ttft = Fact("table.reports/g/gemma3_270m_baseline.csv.ttft_s.by_model.gemma3:270m.median", 0.0682, "s",
                       "s", ("ttft", "median", "gemma3:270m"))
    assert fg.cite(best) == ("Best throughput of gemma3:270m: 303.9 tok/s (parameter tuning).",
                             ("best", "throughput", "gemma3:270m"))
    assert fg.cite(median_ttft) == ("Median TTFT of gemma3:270m: 0.0682 s (baseline).",
                                    ("median", "TTFT", "gemma3:270m"))
    no_model = Fact("table.r.csv.tokens_s.median", 41.0, "tok/s", "s", ("throughput", "median"))
    a_mean = Fact("table.r.csv.tokens_s.by_model.gemma3:270m.mean", 41.0, "tok/s", "s", MODEL)
    a_zero = Fact("table.r.csv.tokens_s.by_model.gemma3:270m.median", 0.0, "tok/s", "s", MODEL)
    other = Fact("table.r.csv.rows.by_model.gemma3:270m.median", 4.0, "", "s", MODEL)
    assert [fg.cite(f) for f in (no_model, a_mean, a_zero, other)] == [None] * 4


def test_only_sentences_the_consistency_check_can_attribute_are_used() -> None:
    median = Fact("table.b/gemma3_270m.csv.tokens_s.by_model.gemma3:270m.median", 289.68, "tok/s", "b",
                  (*MODEL, "median"))
    clear = Facts.from_records([*inventory(), median])
    assert fg.key_figures(clear, INSIGHT) == [
        "The corpus holds 101 files: 28 CSV (27.72%), 44 JSON (43.56%) and 29 Markdown (28.71%).",
        "Median throughput of gemma3:270m: 289.68 tok/s.",
    ]
    # a fact whose labels do not say "median" would be cited with words that name another fact: the check
    # would call a verbatim copy contradicted, so that sentence is left out and the other fact's is used
    unnamed = Fact("table.a/gemma3_270m.csv.tokens_s.by_model.gemma3:270m.median", 250.0, "tok/s", "a", MODEL)
    assert prompts.rank_facts([unnamed, median], INSIGHT) == [unnamed, median]  # the unnamed one is tried first
    assert fg.key_figures(Facts.from_records([*inventory(), unnamed, median]), INSIGHT)[1:] == [
        "Median throughput of gemma3:270m: 289.68 tok/s."]
    wrong = "Median throughput of gemma3:270m: 250 tok/s."
    assert [n.verdict for n in check_consistency(f"- {wrong}\n", Facts.from_records([unnamed, median])).numbers] == [
        "contradicted"]


def test_at_most_max_figures_one_per_statistic_metric_and_model_first() -> None:
    facts = list(inventory())
    for k, model in enumerate(("gemma3:270m", "gemma3:1b", "gemma3:4b", "gemma3:12b")):
        for stat, metric, unit, value in (("median", "tokens_s", "tok/s", 100.0 + k),
                                          ("median", "ttft_s", "s", 0.1 + k)):
            facts.append(Fact(f"table.f{k}.csv.{metric}.by_model.{model}.{stat}", value, unit, f"f{k}.csv",
                              (metric.split("_")[0], "median", model)))
    figures = fg.key_figures(Facts.from_records(facts), INSIGHT)
    assert len(figures) == fg.MAX_FIGURES
    assert figures[0].startswith("The corpus holds 101 files")
    assert {f.split(" of ")[0] for f in figures[1:3]} == {"Median throughput", "Median TTFT"}  # both kinds first
    assert len(set(figures)) == len(figures)


def test_key_figures_are_cached_per_facts_object() -> None:
    facts = Facts.from_records(inventory())
    first = fg.key_figures(facts, INSIGHT)
    assert fg.key_figures(facts, INSIGHT) == first and fg.key_figures(facts, INSIGHT) is not first
    assert fg.key_figures(inventory(), INSIGHT) == first  # a plain list works too (not cached)


def test_the_agent_writes_no_number_of_its_own_into_the_model_text(tmp_path: Path) -> None:
    """Every checked number of the body is the model's: the openings the model continues hold none."""
    custom = tmp_path / "sre.md"
    custom.write_text("You are SREBot. Write an incident review of 3 outages.\n")
    for persona in (*BUILTIN.values(), resolve_persona(str(custom))):
        body = prompts.report_opening(persona) + "\n"
        checked = [n for n in check_consistency(body, Facts.from_records(inventory())).numbers if n.verdict]
        assert checked == [], persona.name
    assert [n for n in check_consistency(prompts.ANALYSIS_OPENING, Facts.from_records(inventory())).numbers
            if n.verdict] == []
