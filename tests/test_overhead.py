"""The agent's cost beside the model: overhead_ms, the ranking and token-count caches, one Facts per corpus."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from typing import Any

import pandas  # noqa: F401  # loaded before pytester's in-process runs, which cannot re-import numpy
import pytest
from agent_fakes import FakeBackend, FakeCorpus, fake_facts, plain_rank
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_chimera.agent import chimera as ag
from pytest_chimera.agent import figures as fg
from pytest_chimera.agent import prompts
from pytest_chimera.agent.personas import COLLECTOR, INSIGHT
from pytest_chimera.agent.runs import ReportRun
from pytest_chimera.backends.base import Generation
from pytest_chimera.evidence.facts import Fact, Facts

DELAY = 0.3  # seconds per fake model call


def _run(backend: FakeBackend, facts: Facts, ingest_ms: float = 0.0, **kwargs: object) -> ReportRun:
    return ag.run_agent(ag.TimedCorpus(FakeCorpus(), ingest_ms), backend, facts=facts,  # type: ignore[arg-type]
                        **kwargs)


# --- overhead_ms ------------------------------------------------------------------------------------------


def test_overhead_is_the_ingest_plus_the_time_outside_the_model_calls() -> None:
    facts = Facts.from_records(fake_facts())
    _run(FakeBackend(), facts)  # the first run imports the checks and ranks the facts
    run = _run(FakeBackend(delay=DELAY), facts, ingest_ms=500.0)
    assert run.overhead_ms is not None
    assert 500.0 <= run.overhead_ms < 500.0 + 1000 * DELAY  # the two calls (2 x 300 ms) are not overhead
    assert run.stages["total_ms"] >= run.overhead_ms + 2 * 1000 * DELAY * 0.99


def test_overhead_ms_in_the_run_json_and_old_run_json_still_loads() -> None:
    run = _run(FakeBackend(), Facts.from_records(fake_facts()))
    data = json.loads(json.dumps(run.to_json()))
    assert data["overhead_ms"] == run.overhead_ms
    assert ReportRun.from_json(data).overhead_ms == run.overhead_ms
    del data["overhead_ms"]  # a run JSON written before the field existed
    old = ReportRun.from_json(data)
    assert old.overhead_ms is None and "overhead_ms" not in old.to_json()
    with pytest.raises(ValueError, match="overhead_ms is 'fast', expected a number"):
        ReportRun.from_json({**data, "overhead_ms": "fast"})


def test_the_scorecard_shows_the_overhead() -> None:
    from pytest_chimera.plugin.scorecard import render, score

    run = replace(_run(FakeBackend(), Facts.from_records(fake_facts())), overhead_ms=12.345)
    card = score("t::a", run, None)
    assert card.overhead_ms == 12.345
    header, row, unknown = render([card, replace(card, test="t::b", overhead_ms=None)])
    assert header.split()[-2:] == ["overhead", "ms"]
    assert row.split()[-1] == "12.3" and unknown.split()[-1] == "-"


# --- the key figures: cached per (facts, persona); fitting per backend and budget --------------------------


def test_a_persona_never_reuses_another_personas_key_figures() -> None:
    records = [*fake_facts(), *fg_facts()]
    facts = Facts.from_records(records)
    # computed on their own (fresh Facts objects), the two personas lead with different figures
    insight, collector = (fg.key_figures(Facts.from_records(records), p) for p in (INSIGHT, COLLECTOR))
    ttft_first = replace(INSIGHT, name="ttft-first", keywords=("ttft", "latency"), units=("s", "ms"))
    ttft = fg.key_figures(Facts.from_records(records), ttft_first)
    assert len({tuple(insight), tuple(ttft)}) == 2
    # on one shared Facts object, in either order, each gets its own
    assert fg.key_figures(facts, INSIGHT) == insight
    assert fg.key_figures(facts, ttft_first) == ttft
    assert fg.key_figures(facts, COLLECTOR) == collector
    assert fg.key_figures(facts, INSIGHT) == insight


def fg_facts() -> list[Fact]:
    """Throughput and TTFT of two models: the insight persona leads with throughput, a TTFT persona with TTFT."""
    out = []
    for model, tps, ttft in (("gemma3:270m", 303.9, 0.0682), ("gemma3:1b", 187.2, 0.0962)):
        stem = f"table.reports/{model[:6]}/bench_{model[-4:]}.csv"
        labels = ("gemma3", model, model.replace(":", "_"))
        out += [
            Fact(f"{stem}.tokens_s.by_model.{model}.median", tps, "tok/s", f"reports/{model}.csv:tokens_s",
                 (*labels, "throughput", "tokens per second", "median")),
            Fact(f"{stem}.ttft_s.by_model.{model}.median", ttft, "s", f"reports/{model}-ttft.csv:ttft_s",
                 (*labels, "ttft", "latency", "median")),
        ]
    return out


def test_key_figures_are_computed_once_per_facts_and_persona(monkeypatch: pytest.MonkeyPatch) -> None:
    computed: Counter[str] = Counter()
    compute = fg._compute

    def counting(facts: object, persona: prompts.Persona) -> list[str]:
        computed[persona.name] += 1
        return compute(facts, persona)  # type: ignore[arg-type]

    monkeypatch.setattr(fg, "_compute", counting)
    facts = Facts.from_records(fake_facts())
    backend = FakeBackend()
    for _ in range(3):
        _run(backend, facts)
        _run(backend, facts, persona="collector")
    assert computed == {"insight": 1, "collector": 1}


class CountingBackend(FakeBackend):
    """A fake backend that counts its tokenizer calls; ``scale`` makes its tokens differ from another's."""

    def __init__(self, scale: int = 1, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.scale = scale
        self.counted: list[str] = []  # the texts the agent asked about (not the fake's own metrics)
        self.generating = False

    def count_tokens(self, text: str) -> int:
        if not self.generating:
            self.counted.append(text)
        return self.scale * super().count_tokens(text)

    def generate(self, prompt: str | None = None, **kwargs: Any) -> Generation:
        self.generating = True
        try:
            return super().generate(prompt, **kwargs)
        finally:
            self.generating = False


def test_a_later_run_tokenizes_only_what_is_new() -> None:
    facts = Facts.from_records(fake_facts())
    backend = CountingBackend()
    _run(backend, facts)
    first = list(backend.counted)
    backend.counted.clear()
    _run(backend, facts)
    assert len(backend.prompts) == 4 and backend.prompts[:2] == backend.prompts[2:]  # the same prompts
    assert len(set(first)) == len(first)  # even the first run counts no text twice
    # the second run asks the tokenizer about nothing: the analysis notes and both prompts are the same texts
    assert backend.counted == []


def test_token_counts_are_per_backend_and_the_budget_is_per_run() -> None:
    facts = Facts.from_records(fake_facts(extra=300))
    small, big = CountingBackend(scale=1), CountingBackend(scale=3)
    text = "Key figures (measured from the files):\n\n"
    assert prompts.token_counter(small)(text) * 3 == prompts.token_counter(big)(text)
    fitted = []
    for num_ctx in (4096, 170, 4096):  # one backend, one Facts object: each budget fits its own prompt
        backend = small
        backend.prompts.clear()
        _run(backend, facts, options={"num_ctx": num_ctx, "num_predict": 64})
        assert all(backend.count_tokens(p) <= num_ctx - 64 for p in backend.prompts)
        fitted.append(backend.prompts[1].count("\n- "))
    assert fitted[0] == fitted[2] > fitted[1]


def test_the_token_memo_starts_over_when_full(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(prompts, "MAX_COUNTED", 3)
    backend = CountingBackend()
    count = prompts.token_counter(backend)
    for text in ("a", "b c", "d", "e", "a"):
        assert count(text) == len(text.split())
    assert backend.counted == ["a", "b c", "d", "e", "a"]  # "a" was forgotten when the memo was full


def test_key_figures_read_the_same_rows_from_a_frame_a_row_list_or_facts() -> None:
    records = [*fake_facts(extra=20), *fg_facts()]
    table = Facts.from_records(records)

    class RowTable:  # a table that keeps plain rows (no DataFrame)
        rows = [(f.key, f.value, f.unit, f.source, f.labels) for f in records]

    def normal(rows: object) -> list[tuple[object, ...]]:
        return [(k, float(v), u, s, tuple(labels)) for k, v, u, s, labels in rows]  # type: ignore[attr-defined]

    expected = normal(RowTable.rows)
    assert normal(fg.rows_of(table)) == normal(fg.rows_of(records)) == expected
    assert fg.rows_of(RowTable()) is RowTable.rows  # type: ignore[arg-type]
    figures = fg.key_figures(table, INSIGHT)
    assert len(figures) >= 3
    assert fg.key_figures(records, INSIGHT) == fg.key_figures(RowTable(), INSIGHT) == figures  # type: ignore[arg-type]


# --- the ranking: the same order as the plain definition, faster -----------------------------------------


WORDS = st.sampled_from(["tok", "Tokens", "TTFT", "latency", "ΑΣ", "İ", "median", "best", "s", "ms", "x"])
TEXT = st.lists(st.one_of(WORDS, st.text(alphabet="aΣσς İ._-/:\t\u00a0\x1cTok", max_size=6)), max_size=4).map(
    lambda parts: "".join(parts))
FACTS = st.lists(
    st.builds(Fact, key=st.one_of(TEXT, TEXT.map(lambda t: f"files.{t}"), st.just("files.total")),
              value=st.one_of(st.floats(allow_nan=True), st.just(1.0)), unit=st.sampled_from(["tok/s", "ms", "s", ""]),
              source=st.sampled_from(["a.csv:x", "a.csv#2", "b.json:$.y", "c d"]),
              labels=st.lists(TEXT, max_size=4).map(tuple)),
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(facts=FACTS, keywords=st.lists(WORDS.map(str.lower), max_size=4), limit=st.integers(0, 50))
def test_rank_facts_matches_the_plain_definition(facts: list[Fact], keywords: list[str], limit: int) -> None:
    persona = replace(INSIGHT, keywords=(*keywords, "σς"), units=("ms", "tok/s"))
    expected = plain_rank(facts, persona)
    assert prompts.rank_facts(facts, persona) == expected
    assert prompts.rank_facts(facts, persona, limit) == expected[:limit]


def test_rank_facts_lower_cases_a_non_ascii_key_as_one_string() -> None:
    # "ΑΣ.x".lower() is "ασ.x": before a dot and a letter the capital sigma is not word-final, though "ΑΣ"
    # alone lower-cases to "ας"; so the key's words are not its segments' words lower-cased one by one
    facts = [Fact("b.x", 1.0, "", "b.csv"), Fact("ΑΣ.x", 1.0, "", "a.csv")]
    for word in ("ασ", "ας"):
        persona = replace(INSIGHT, keywords=(word,), units=())
        assert prompts.rank_facts(facts, persona) == plain_rank(facts, persona)
    assert plain_rank(facts, replace(INSIGHT, keywords=("ασ",), units=()))[0].key == "ΑΣ.x"


def test_rank_facts_matches_the_plain_definition_on_the_real_corpus(chimeraforge_corpus: object) -> None:
    from pytest_chimera.evidence.corpus import load_corpus
    from pytest_chimera.evidence.facts import compute_facts

    records = compute_facts(load_corpus(chimeraforge_corpus)).to_list()  # type: ignore[arg-type]
    for persona in (INSIGHT, COLLECTOR):
        assert prompts.rank_facts(records, persona, 200) == plain_rank(records, persona)[:200]


# --- one Facts object per corpus for the session, one ranking per persona --------------------------------

CONFTEST = """
import pytest
from agent_fakes import FakeBackend
from pytest_chimera.agent import figures

COMPUTED = []
_compute = figures._compute

def counting(facts, persona):
    COMPUTED.append((id(facts), persona.name))
    return _compute(facts, persona)

figures._compute = counting

@pytest.fixture
def chimera_model():
    return FakeBackend()
"""


def test_tests_sharing_a_corpus_share_one_facts_object_and_one_ranking(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CONFTEST)
    corpus = pytester.mkdir("corpus")
    (corpus / "runs.csv").write_text("model,tokens_s,ttft_ms\ngemma3:270m,41.5,812\ngemma3:1b,20.1,990\n")
    (corpus / "notes.md").write_text("# Notes\n\nBaseline runs.\n")
    pytester.makepyfile(
        test_share="""
        import json
        import pytest
        import conftest

        SEEN = []

        def test_first(chimera_report, chimera_facts):
            SEEN.append(chimera_facts)

        @pytest.mark.chimera(corpus="./corpus/")  # the same folder, spelled another way
        def test_second(chimera_report, chimera_facts):
            assert chimera_facts is SEEN[0]

        @pytest.mark.chimera(persona="collector")
        def test_third(chimera_report, chimera_facts):
            assert chimera_facts is SEEN[0]
            assert chimera_report.overhead_ms >= 0

        def test_last():
            assert [name for _, name in conftest.COMPUTED] == ["insight", "collector"]
            assert {facts_id for facts_id, _ in conftest.COMPUTED} == {id(SEEN[0])}
        """
    )
    pytester.syspathinsert()
    result = pytester.runpytest("--chimera", "--chimera-backend=llama-cpp", "--chimera-corpus=corpus",
                                "-p", "no:randomly")
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(["test * TTFT ms * tok/s * overhead ms", "test_share.py::test_first *[0-9].[0-9]"])
    run_json = json.loads((pytester.path / ".chimera" / "test_share.py__test_first.json").read_text())
    assert isinstance(run_json["overhead_ms"], float) and run_json["overhead_ms"] >= 0
