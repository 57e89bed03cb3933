"""The key figures' cold path: only the facts ``cite`` can write are ranked, each sentence is checked on its
written outline, and the fact index is built without numpy's lazily imported parts; each shortcut equals
the plain definition it replaces."""

from __future__ import annotations

import math
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from agent_fakes import plain_rank
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_chimera.agent import figures as fg
from pytest_chimera.agent.personas import BUILTIN, COLLECTOR, INSIGHT, Persona
from pytest_chimera.agent.prompts import format_number
from pytest_chimera.checks.consistency import check_consistency
from pytest_chimera.checks.index import _groups, _tags, stable_order
from pytest_chimera.checks.report import outline
from pytest_chimera.evidence.corpus import load_corpus
from pytest_chimera.evidence.facts import Fact, Facts, compute_facts
from pytest_chimera.evidence.synthetic import write_corpus


def _verdicts(sentence: str, facts: Facts) -> list[str | None]:
    return [n.verdict for n in check_consistency(f"- {sentence}\n", facts).numbers]  # the full markdown parse


def _supported(sentence: str, facts: Facts) -> bool:
    checked = [v for v in _verdicts(sentence, facts) if v is not None]
    return bool(checked) and all(v == "supported" for v in checked)


def _select(cited: Sequence[tuple[str, tuple[str, str, str]]], facts: Facts, first: list[str]) -> list[str]:
    """The key figures' choice among ranked cited sentences, as documented (the inventory first)."""
    out = list(first)
    taken: set[tuple[str, str, str]] = set()
    for first_pass in (True, False):
        kinds = {key[:2] for key in taken}
        for sentence, key in cited:
            if len(out) >= fg.MAX_FIGURES:
                return out
            if key in taken or (first_pass and key[:2] in kinds) or not _supported(sentence, facts):
                continue
            out.append(sentence)
            taken.add(key)
            kinds.add(key[:2])
    return out


def _inventory(records: list[Fact], facts: Facts) -> list[str]:
    sentence = fg.inventory_sentence(records)
    return [sentence] if sentence is not None and _supported(sentence, facts) else []


def reference(facts: Facts, persona: Persona) -> list[str]:
    """The key figures by their definition: the facts ``cite`` writes, in the persona's ranking of them
    (``plain_rank``), checked by the consistency check on the parsed markdown."""
    records = facts.to_list()
    citable = [f for f in records if fg.cite(f) is not None]
    cited = [found for f in plain_rank(citable, persona) if (found := fg.cite(f)) is not None]
    return _select(cited, facts, _inventory(records, facts))


def before(facts: Facts, persona: Persona, candidates: int = 200) -> list[str]:
    """The definition before: the citable facts among the top ``candidates`` of all facts' ranking."""
    records = facts.to_list()
    cited = [found for f in plain_rank(records, persona)[:candidates] if (found := fg.cite(f)) is not None]
    return _select(cited, facts, _inventory(records, facts))


@pytest.fixture(scope="module")
def real_facts(chimeraforge_corpus: Path) -> Facts:
    return compute_facts(load_corpus(chimeraforge_corpus))


INVENTORY = "The corpus holds 101 files: 28 CSV (27.72%), 44 JSON (43.56%) and 29 Markdown (28.71%)."
REAL = {
    "insight": [INVENTORY, "Best throughput of gemma3:1b-it-qat: 187.18 tok/s (parameter tuning).",
                "Median throughput of gemma3:1b-it-qat: 183.99 tok/s (parameter tuning).",
                "Median TTFT of gemma3:1b-it-qat: 0.0962 s (parameter tuning).",
                "Best throughput of gemma3:270m: 303.9 tok/s (parameter tuning)."],
    "collector": [INVENTORY, "Best throughput of gemma3:1b-it-qat: 187.18 tok/s (parameter tuning).",
                  "Median TTFT of gemma3:latest: 0.128 s.", "Median throughput of gemma3:latest: 101.52 tok/s.",
                  "Best throughput of gemma3:270m: 303.9 tok/s (parameter tuning)."],
}


def test_the_real_corpus_key_figures_equal_the_definition_for_every_persona(real_facts: Facts) -> None:
    for persona in BUILTIN.values():
        assert fg.key_figures(compute_facts_copy(real_facts), persona) == reference(real_facts, persona) == \
            REAL[persona.name], persona.name


def test_what_ranking_only_the_citable_facts_changed_on_the_real_corpus(real_facts: Facts) -> None:
    """Before, the citable facts were looked for in the top 200 of all 12,141 facts' ranking: the same
    sentences for insight; for collector, whose ranking puts file counts first, no TTFT fact reached the top
    200, so it got 4 figures without a TTFT; now the TTFT sentence is its third."""
    assert before(real_facts, INSIGHT) == REAL["insight"]
    assert before(real_facts, COLLECTOR) == [s for s in REAL["collector"] if "TTFT" not in s]


@pytest.mark.parametrize("n_files,seed", [(12, 0), (40, 3), (120, 5)])
def test_synthetic_key_figures_equal_the_definition(tmp_path: Path, n_files: int, seed: int) -> None:
    write_corpus(tmp_path, n_files, seed)
    facts = compute_facts(load_corpus(tmp_path))
    for persona in BUILTIN.values():
        assert fg.key_figures(compute_facts_copy(facts), persona) == reference(facts, persona), persona.name


def compute_facts_copy(facts: Facts) -> Facts:
    """A new ``Facts`` of the same records: nothing cached for it (key figures, fact index)."""
    return Facts.from_records(facts.to_list())


def plain_cite(fact: Fact) -> tuple[str, tuple[str, str, str]] | None:
    """``cite`` as first written (on a ``Fact``, the model label looked for first), the reference of
    ``cite_row``."""
    model = next((label for label in fact.labels if re.fullmatch(r"[a-z][\w.\-]*\d[\w.\-]*:[\w.\-]+", label)), None)
    key = fact.key.lower()
    last = key.rsplit(".", 1)[-1]
    metric = "TTFT" if "ttft" in key else "throughput" if re.search(r"tokens?_(?:per_)?s\b", key) else None
    stat = {"best_tokens_per_s": "best", "median": "median"}.get(last)
    if model is None or metric is None or stat is None or (stat == "best" and metric != "throughput"):
        return None
    if fact.value == 0:
        return None
    unit = f"{fact.unit}" if fact.unit != "%" else "%"
    value = f"{format_number(fact.value)}{unit}" if unit == "%" else f"{format_number(fact.value)} {unit}".rstrip()
    study = " (parameter tuning)" if "param_tuning" in key else " (baseline)" if "baseline" in key else ""
    return f"{stat.capitalize()} {metric} of {model}: {value}{study}.", (stat, metric, model)


def test_cite_row_is_the_plain_cite_on_every_fact(real_facts: Facts, tmp_path: Path) -> None:
    write_corpus(tmp_path, 60, 1)
    for facts in (real_facts, compute_facts(load_corpus(tmp_path))):
        records = facts.to_list()
        assert [fg.cite_row((f.key, f.value, f.unit, f.source, f.labels)) for f in records] == \
            [plain_cite(f) for f in records]
        assert sum(plain_cite(f) is not None for f in records) > 10


CITE_KEYS = st.sampled_from(["table.a_param_tuning.csv.tokens_s.median", "t.b.ttft_s.MEDIAN", "x.best_tokens_per_s",
                             "x.best_to\u212aens_per_s", "x.ttft.medİan",
                             "r.baseline.ttft.best_tokens_per_s", "token_s.median", "median", "a.tokens_per_s.mean",
                             "q.TTFT_ms.by_model.gemma3:270m.median", "files.total"])


@settings(max_examples=300, deadline=None)
@given(key=CITE_KEYS, value=st.floats(allow_nan=False) | st.sampled_from([0.0, 1.0, 0.0682, 303.9]),
       unit=st.sampled_from(["tok/s", "s", "%", "", "ms"]),
       labels=st.lists(st.sampled_from(["gemma3:270m", "Gemma3:1b", "llama3.1:8b-q4", "throughput", "x:y", "1b:2"]),
                       max_size=3).map(tuple))
def test_cite_row_is_the_plain_cite(key: str, value: float, unit: str, labels: tuple[str, ...]) -> None:
    fact = Fact(key, value, unit, "s", labels)
    expected = plain_cite(fact) if math.isfinite(value) else None  # the plain one raised on an infinity
    assert fg.cite_row((key, value, unit, "s", labels)) == fg.cite(fact) == expected


def test_a_fact_without_a_finite_value_is_never_cited() -> None:
    """Every fact is looked at before the ranking (which drops non-finite values) now: an infinite median
    is no sentence (and no crash)."""
    infinite = Fact("table.b/gemma3_270m.csv.tokens_s.by_model.gemma3:270m.median", math.inf, "tok/s", "b",
                    ("throughput", "tokens per second", "gemma3:270m", "270m", "median"))
    nan = Fact("table.c/gemma3_1b.csv.ttft_s.by_model.gemma3:1b.median", math.nan, "s", "c",
               ("ttft", "gemma3:1b", "median"))
    assert fg.cite(infinite) is None and fg.cite(nan) is None
    assert fg.key_figures(Facts.from_records([infinite, nan]), INSIGHT) == []


def test_a_check_of_the_written_outline_is_the_check_of_the_parsed_sentence(real_facts: Facts) -> None:
    sentences = [found[0] for f in real_facts.to_list() if (found := fg.cite(f)) is not None]
    sentences.append(INVENTORY)
    for sentence in sentences:
        written = fg.bullet_outline(sentence)
        assert not isinstance(written, str), sentence
        assert check_consistency(written, real_facts).to_json() == \
            check_consistency(f"- {sentence}\n", real_facts).to_json()


MARKUP = "*_`<>|#-=+[]()!\\ \t\x0b\x0c\u2028\u0085\x00\r\n:1.aZ~&;"


@settings(max_examples=400, deadline=None)
@given(head=st.one_of(st.from_regex(r"[A-Z][a-z]+ ", fullmatch=True), st.text(alphabet=MARKUP, max_size=3)),
       rest=st.one_of(st.text(alphabet=MARKUP, max_size=30), st.text(max_size=30)))
def test_the_written_outline_is_the_parsers(head: str, rest: str) -> None:
    sentence = head + rest
    written = fg.bullet_outline(sentence)
    if isinstance(written, str):  # not a plain one-line sentence: the checker parses it
        assert written == f"- {sentence}\n"
    else:
        assert written == outline(f"- {sentence}\n")


@settings(max_examples=200, deadline=None)
@given(values=st.lists(st.integers(-(2**63), 2**63 - 1) | st.integers(-3, 3), max_size=60))
def test_groups_is_numpys_unique(values: list[int]) -> None:
    array = np.array(values, dtype=np.int64)
    _, first, inverse = np.unique(array, return_index=True, return_inverse=True)
    got_first, got_inverse = _groups(array)
    assert got_first.tolist() == first.tolist() and got_inverse.tolist() == inverse.ravel().tolist()


def test_tags_are_fixed_and_distinct() -> None:
    tags = _tags(50_000)
    assert tags.dtype == np.int64 and len(set(tags.tolist())) == 50_000
    assert _tags(3).tolist() == tags[:3].tolist()


def test_key_figures_import_neither_markdown_it_nor_numpy_extras(chimeraforge_corpus: Path) -> None:
    """In a fresh interpreter the first key figures import no markdown parser, no pandas and none of numpy's
    lazily loaded parts (``numpy.ma`` comes with ``np.unique``, ``numpy.random`` with its generators)."""
    code = (
        "import sys\n"
        "from pytest_chimera.agent import figures\n"
        "from pytest_chimera.agent.personas import BUILTIN\n"
        "from pytest_chimera.evidence.corpus import load_corpus\n"
        "from pytest_chimera.evidence.facts import compute_facts\n"
        f"facts = compute_facts(load_corpus({str(chimeraforge_corpus)!r}))\n"
        "for persona in BUILTIN.values():\n"
        "    assert figures.key_figures(facts, persona)\n"
        "print(sorted(m for m in ('markdown_it', 'pandas', 'numpy.ma', 'numpy.random') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


@settings(max_examples=200, deadline=None)
@given(keys=st.lists(st.integers(0, 2**16 - 1) | st.integers(0, 2**32 - 1) | st.integers(0, 2**62) | st.integers(0, 3),
                     max_size=80))
def test_stable_order_is_numpys_stable_argsort(keys: list[int]) -> None:
    array = np.array(keys, dtype=np.int64)
    assert stable_order(array).tolist() == np.argsort(array, kind="stable").tolist()
