"""The key figures kept across processes (``agent.figstore``): read where facts, persona and code are the same,
computed again where any of them differs, and never a reason for a run to fail."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from agent_fakes import FakeBackend
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_chimera.agent import figstore
from pytest_chimera.agent import figures as fg
from pytest_chimera.agent.personas import COLLECTOR, INSIGHT
from pytest_chimera.cli import main
from pytest_chimera.evidence.facts import Fact, Facts

MODEL = ("throughput", "tokens per second", "gemma3:270m", "270m", "median")
FACTS = [
    Fact("files.total", 3, "files", "corpus", ("files", "total", "files analyzed", "corpus")),
    Fact("files.by_type.csv", 3, "files", "corpus", ("csv", "csv files", "files")),
    Fact("table.b/gemma3_270m.csv.tokens_s.by_model.gemma3:270m.median", 289.68, "tok/s", "b", MODEL),
]
MARK = "Median throughput of gemma3:270m: 1.5 tok/s (written into the store by this test)."


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The store on, in a folder of this test's own."""
    monkeypatch.setenv("PYTEST_CHIMERA_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("PYTEST_CHIMERA_FIGURES_CACHE", "1")
    return tmp_path / "cache" / "key-figures"


def fresh() -> Facts:
    """The same facts as a new object: nothing of an earlier one is cached in memory."""
    return Facts.from_records(FACTS)


def computed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record each time the key figures are computed rather than read."""
    calls: list[str] = []
    real = fg._compute

    def counting(facts: Any, persona: Any) -> list[str]:
        calls.append(persona.name)
        return real(facts, persona)

    monkeypatch.setattr(fg, "_compute", counting)
    return calls


def test_the_same_facts_read_the_stored_figures(store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = computed(monkeypatch)
    first = fg.key_figures(fresh(), INSIGHT)
    assert first and calls == ["insight"]
    [entry] = store.glob("*.json")
    assert json.loads(entry.read_text()) == {"format": figstore.FORMAT, "persona": "insight", "sentences": first}
    entry.write_text(json.dumps({"format": figstore.FORMAT, "sentences": [MARK]}))
    assert fg.key_figures(fresh(), INSIGHT) == [MARK]  # read, not computed: the store's own sentence
    assert calls == ["insight"]


def test_other_facts_or_another_persona_compute_their_own(store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = computed(monkeypatch)
    fg.key_figures(fresh(), INSIGHT)
    fg.key_figures(fresh(), COLLECTOR)
    changed = Facts.from_records([*FACTS[:2], Fact(FACTS[2].key, 289.69, "tok/s", "b", MODEL)])
    assert fg.key_figures(changed, INSIGHT) == [
        "The corpus holds 3 files: 3 CSV.", "Median throughput of gemma3:270m: 289.69 tok/s."]
    assert calls == ["insight", "collector", "insight"]
    assert len(list(store.glob("*.json"))) == 3


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2), st.integers(0, 4), st.data())
def test_a_change_in_any_field_of_any_fact_changes_the_digest(row: int, column: int, data: st.DataObject) -> None:
    rows = [(f.key, float(f.value), f.unit, f.source, tuple(f.labels)) for f in FACTS]
    old = rows[row][column]
    if column == 1:
        new: Any = data.draw(st.floats(allow_nan=False).filter(lambda v: v != old))
    elif column == 4:
        new = data.draw(st.lists(st.text(max_size=5), max_size=4).map(tuple).filter(lambda v: v != old))
    else:
        new = data.draw(st.text(max_size=8).filter(lambda v: v != old))
    changed = [r if i != row else (*r[:column], new, *r[column + 1:]) for i, r in enumerate(rows)]
    assert figstore.facts_digest(changed) != figstore.facts_digest(rows)
    assert figstore.facts_digest(list(rows)) == figstore.facts_digest(rows)


def test_rows_that_are_not_plain_data_are_not_stored(store: Path) -> None:
    class Number(float):
        pass

    rows = [(f.key, Number(f.value), f.unit, f.source, tuple(f.labels)) for f in FACTS]
    assert figstore.facts_digest(rows) is None
    assert fg.key_figures([Fact.of_row(r) for r in rows], INSIGHT)  # computed, as without a store
    assert not store.exists()


def test_the_code_stamp_follows_every_source_file(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    (package / "sub" / "__pycache__").mkdir(parents=True)
    (package / "a.py").write_text("A = 1\n")
    (package / "sub" / "b.py").write_text("B = 1\n")
    before = figstore.code_stamp.__wrapped__(package)
    (package / "sub" / "__pycache__" / "b.cpython-311.pyc").write_bytes(b"compiled")
    (package / "notes.txt").write_text("not code")
    assert figstore.code_stamp.__wrapped__(package) == before
    (package / "sub" / "b.py").write_text("B = 22\n")  # an edited module (a mutant, say)
    edited = figstore.code_stamp.__wrapped__(package)
    assert edited != before
    stat = (package / "sub" / "b.py").stat()
    os.utime(package / "sub" / "b.py", ns=(stat.st_atime_ns, stat.st_mtime_ns + 1))  # same size, touched
    assert figstore.code_stamp.__wrapped__(package) not in (before, edited)
    (package / "c.py").write_text("")
    assert len({before, edited, figstore.code_stamp.__wrapped__(package)}) == 3


def test_an_entry_written_under_other_code_is_not_read(store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = computed(monkeypatch)
    fg.key_figures(fresh(), INSIGHT)
    monkeypatch.setattr(figstore, "code_stamp", lambda: "another version of the checker")
    fg.key_figures(fresh(), INSIGHT)
    assert calls == ["insight", "insight"]


@pytest.mark.parametrize("written", ["{not json", '{"format": 0, "sentences": ["old"]}', '{"sentences": [1]}',
                                     '["a list"]'])
def test_a_malformed_entry_is_computed_again_and_replaced(store: Path, written: str) -> None:
    first = fg.key_figures(fresh(), INSIGHT)
    [entry] = store.glob("*.json")
    entry.write_text(written)
    assert fg.key_figures(fresh(), INSIGHT) == first
    assert json.loads(entry.read_text())["sentences"] == first


def test_a_store_that_cannot_be_written_fails_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "cache").write_text("a file where the cache folder should be")
    monkeypatch.setenv("PYTEST_CHIMERA_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("PYTEST_CHIMERA_FIGURES_CACHE", "1")
    assert fg.key_figures(fresh(), INSIGHT) == fg._compute(fresh(), INSIGHT)


@pytest.mark.parametrize("off", ["0", "off", "No", "false"])
def test_the_store_can_be_turned_off(store: Path, monkeypatch: pytest.MonkeyPatch, off: str) -> None:
    calls = computed(monkeypatch)
    fg.key_figures(fresh(), INSIGHT)
    monkeypatch.setenv("PYTEST_CHIMERA_FIGURES_CACHE", off)
    fg.key_figures(fresh(), INSIGHT)
    assert calls == ["insight", "insight"]
    assert len(list(store.glob("*.json"))) == 1  # only the first, made while it was on


def test_only_the_newest_entries_are_kept(store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(figstore, "KEEP", 2)
    made = []
    for value in (1.0, 2.0, 3.0):
        facts = Facts.from_records([*FACTS[:2], Fact(FACTS[2].key, value, "tok/s", "b", MODEL)])
        fg.key_figures(facts, INSIGHT)
        made.append(figstore.entry(str(figstore.facts_digest(facts.rows)), INSIGHT))
        os.utime(made[-1], ns=(len(made) * 10**9, len(made) * 10**9))  # distinct ages, oldest first
    assert sorted(store.glob("*.json")) == sorted(made[1:])


_SCRIPT = """
import json, sys
from pytest_chimera.agent.figures import key_figures
from pytest_chimera.agent.personas import INSIGHT
from pytest_chimera.evidence.corpus import load_corpus
from pytest_chimera.evidence.facts import compute_facts
print(json.dumps(key_figures(compute_facts(load_corpus(sys.argv[1])), INSIGHT)))
"""


def test_a_fresh_process_reads_what_an_earlier_one_stored(store: Path, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "gemma3_270m_baseline.csv").write_text("model,tokens_s\ngemma3:270m,41.5\ngemma3:270m,44.0\n")

    def figures_of_a_fresh_process() -> list[str]:
        done = subprocess.run([sys.executable, "-c", _SCRIPT, str(corpus)], capture_output=True, text=True,
                              check=True, env=dict(os.environ))
        return list(json.loads(done.stdout))

    first = figures_of_a_fresh_process()
    assert any("tok/s" in sentence for sentence in first)
    [entry] = store.glob("*.json")
    entry.write_text(json.dumps({"format": figstore.FORMAT, "sentences": [MARK]}))
    assert figures_of_a_fresh_process() == [MARK]


def test_pytest_chimera_run_reads_the_store(store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "gemma3_270m_baseline.csv").write_text("model,tokens_s\ngemma3:270m,41.5\ngemma3:270m,44.0\n")
    backends: list[FakeBackend] = []

    def load_backend(name: str, model: str, **kwargs: Any) -> FakeBackend:
        backends.append(FakeBackend(model=model))
        return backends[-1]

    monkeypatch.setattr("pytest_chimera.backends.load_backend", load_backend)
    out = str(tmp_path / "report.md")
    assert main(["run", str(corpus), "--quiet", "--out", out]) == 0
    [entry] = store.glob("*.json")
    stored = json.loads(entry.read_text())["sentences"]
    assert stored and all(sentence in backends[0].prompts[0] for sentence in stored)
    entry.write_text(json.dumps({"format": figstore.FORMAT, "sentences": [MARK]}))
    assert main(["run", str(corpus), "--quiet", "--out", out]) == 0
    assert MARK in backends[1].prompts[0] and stored[0] not in backends[1].prompts[0]


def test_the_code_stamp_follows_numpy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "a.py").write_text("A = 1\n")
    fake = tmp_path / "numpy" / "__init__.py"
    fake.parent.mkdir()
    fake.write_text("version = 1\n")

    class Spec:
        origin = str(fake)

    monkeypatch.setattr("importlib.util.find_spec", lambda name: Spec() if name == "numpy" else None)
    before = figstore.code_stamp.__wrapped__(package)
    fake.write_text("version = 22\n")  # another numpy installed
    assert figstore.code_stamp.__wrapped__(package) != before


def test_an_iterator_of_facts_is_read_once_for_both_name_and_figures(store: Path) -> None:
    expected = fg._compute(fresh(), INSIGHT)
    assert fg.key_figures(iter(FACTS), INSIGHT) == expected  # a generator: nothing left to compute from after
    assert fg.key_figures((f for f in FACTS), INSIGHT) == expected  # naming it, had it been read twice
    [entry] = store.glob("*.json")
    assert json.loads(entry.read_text())["sentences"] == expected


def test_a_table_whose_frame_changes_is_named_by_what_it_holds_now(store: Path) -> None:
    import pandas as pd

    frame = pd.DataFrame([(f.key, float(f.value), f.unit, f.source, tuple(f.labels)) for f in FACTS[:2]],
                         columns=["key", "value", "unit", "source", "labels"])
    facts = Facts(frame)
    assert fg.key_figures(facts, INSIGHT) == ["The corpus holds 3 files: 3 CSV."]
    last = FACTS[2]
    frame.loc[2] = [last.key, float(last.value), last.unit, last.source, tuple(last.labels)]  # its owner adds one
    now = fg._compute(Facts.from_records(FACTS), COLLECTOR)
    assert fg.key_figures(facts, COLLECTOR) == now  # another persona: named by the three rows, not the two
    two = Facts.from_records(FACTS[:2])
    assert fg.key_figures(two, COLLECTOR) == fg._compute(two, COLLECTOR)  # the two rows' entry: their own


def test_a_store_with_no_home_to_live_in_fails_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PYTEST_CHIMERA_CACHE", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("PYTEST_CHIMERA_FIGURES_CACHE", "1")

    def no_home() -> Path:
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.setattr(Path, "home", staticmethod(no_home))
    assert fg.key_figures(fresh(), INSIGHT) == fg._compute(fresh(), INSIGHT)


def test_an_entry_nested_beyond_the_parsers_depth_is_computed_again(store: Path) -> None:
    first = fg.key_figures(fresh(), INSIGHT)
    [entry] = store.glob("*.json")
    entry.write_text("[" * 100_000 + "]" * 100_000)
    assert fg.key_figures(fresh(), INSIGHT) == first
