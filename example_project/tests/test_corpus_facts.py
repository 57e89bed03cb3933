"""The corpus and its facts: what every report is judged against. No model needed: runs without --chimera."""

from __future__ import annotations

from pytest_chimera import Corpus, Facts


def test_the_corpus_loads_every_file(chimera_corpus: Corpus) -> None:
    assert len(chimera_corpus.files) == 28
    assert chimera_corpus.errors == []
    summary = chimera_corpus.data_summary()
    assert summary.startswith("Total files analyzed: 28")
    assert "CSV Files (8)" in summary and "JSON Files (12)" in summary and "MARKDOWN Files (8)" in summary


def test_facts_give_the_shares_a_report_may_cite(chimera_facts: Facts) -> None:
    assert chimera_facts.get("files.total").value == 28
    share = chimera_facts.get("files.by_type.json.pct")
    assert (round(share.value, 1), share.unit) == (42.9, "%")


def test_the_best_tuning_configuration_is_a_fact(chimera_facts: Facts) -> None:
    best = chimera_facts.get("tuning.reports/gemma3/gemma3_270m_param_tuning_summary.csv.best_tokens_per_s")
    assert best.unit == "tok/s"
    assert best.value > 0
    assert "gemma3:270m" in best.labels
