"""``collector.bulk_build``: automatic collection off during a build, young passes only, the caller's state
restored; the ingest and the facts use it (young passes between files and tables, nothing older)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_chimera.evidence import collector
from pytest_chimera.evidence.collector import bulk_build
from pytest_chimera.evidence.corpus import load_corpus
from pytest_chimera.evidence.facts import compute_facts
from pytest_chimera.evidence.synthetic import write_corpus


@pytest.fixture()
def passes() -> Iterator[list[int]]:
    """The generation of every collection that starts while the test runs."""
    seen: list[int] = []

    def record(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            seen.append(info["generation"])

    gc.collect()
    gc.callbacks.append(record)
    try:
        yield seen
    finally:
        gc.callbacks.remove(record)


def test_the_collector_is_restored_however_the_block_ends() -> None:
    assert gc.isenabled()
    with pytest.raises(RuntimeError), bulk_build():
        assert not gc.isenabled()
        raise RuntimeError("boom")
    assert gc.isenabled()
    gc.disable()
    try:
        with bulk_build():
            pass
        assert not gc.isenabled()  # it was off before: left off
    finally:
        gc.enable()


def test_tick_collects_the_young_generation_only_and_only_when_due(passes: list[int]) -> None:
    keep = []
    thresholds = gc.get_threshold()
    with bulk_build(young=500) as tick:
        tick()
        assert passes == []  # nothing made yet: no pass
        keep += [[i] for i in range(5000)]  # 5,000 lists, tracked
        assert passes == []  # automatic collection is off
        tick()
        assert passes == [0]
        tick()
        assert passes == [0]  # nothing new since
    assert gc.get_threshold() == thresholds  # untouched
    assert len(keep) == 5000


def test_tick_does_nothing_when_the_collector_was_off(passes: list[int]) -> None:
    gc.disable()
    try:
        with bulk_build(young=10) as tick:
            keep = [[i] for i in range(1000)]
            tick()
        assert passes == [] and len(keep) == 1000  # the caller turned it off: no collection at all
    finally:
        gc.enable()


def test_the_ingest_and_the_facts_run_young_passes_and_nothing_older(tmp_path: Path, passes: list[int],
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    write_corpus(tmp_path, 60, seed=3)
    monkeypatch.setattr(collector, "YOUNG", 300)  # a pass every 300 objects: several per build of 60 files
    corpus = load_corpus(tmp_path)
    during_load = list(passes)
    facts = compute_facts(corpus)
    during_facts = passes[len(during_load):]
    assert len(facts) > 2000
    # young passes while each is built (the rows untracked while in the cache), never an older generation
    # inside; at most one automatic pass as the collector resumes (whatever generation is due then)
    assert during_load.count(0) >= 5 and all(g == 0 for g in during_load[:-1]), during_load
    assert during_facts.count(0) >= 5 and all(g == 0 for g in during_facts[:-1]), during_facts


def test_the_young_passes_untrack_the_rows_and_their_labels(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows and labels untracked in the pass after they were made: later collections never walk them (held
    labels keep their place ahead of their rows, see collector)."""
    write_corpus(tmp_path, 60, seed=3)
    monkeypatch.setattr(collector, "YOUNG", 300)
    rows = compute_facts(load_corpus(tmp_path)).rows
    tracked = sum(map(gc.is_tracked, rows))
    assert len(rows) > 2000 and tracked < len(rows) // 20, (tracked, len(rows))  # the last few made may remain
    assert sum(gc.is_tracked(row[4]) for row in rows) < len(rows) // 20
