"""The plugin's session state in ``config.stash``: one key per kind of state, all in this one module.

The plugin imports this module when it loads. A lazily imported module can be loaded twice in one process
(pytester's in-process runs unload it), and two copies of a key would not find each other's values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from pytest_chimera.agent.runs import ReportRun
    from pytest_chimera.backends import BackendPool  # noqa: F401 (named in a StashKey string)
    from pytest_chimera.backends.hosts import HostCheck  # noqa: F401 (named in a StashKey string)
    from pytest_chimera.evidence.corpus import Corpus
    from pytest_chimera.evidence.facts import Facts
    from pytest_chimera.plugin.scorecard import Score


@dataclass
class CorpusCache:
    """Corpora and facts loaded in this session, per resolved corpus path."""

    corpora: dict[Path, Corpus] = field(default_factory=dict)
    facts: dict[Path, Facts] = field(default_factory=dict)


@dataclass
class TestState:
    """What a chimera test recorded for the session's run record (in ``item.stash``).

    ``block`` is the test's chimera block (the same dict as ``benchmark.extra_info["chimera"]`` when it was
    benchmarked); ``runs`` the sample runs its body checks, one per seed; ``verdicts`` each sample's
    pass/fail with the first line of its failure, once the body ran per sample.
    """

    block: dict[str, Any] | None = None
    runs: list[ReportRun] = field(default_factory=list)
    seeds: list[int | None] = field(default_factory=list)
    min_pass_rate: float = 1.0
    verdicts: list[tuple[bool, str]] | None = None
    identity: dict[str, str] = field(default_factory=dict)
    score: dict[str, Any] | None = None  # the scorecard row, as plain data (it travels from xdist workers)


TEST_STATE_KEY = pytest.StashKey[TestState]()  # per item: what the test records (plugin.record)
SCORES_KEY = pytest.StashKey[list["Score"]]()  # the scorecard's rows, one per chimera_report test
CORPUS_CACHE_KEY = pytest.StashKey[CorpusCache]()  # corpora and facts loaded in this session, per path
POOL_KEY = pytest.StashKey["BackendPool"]()  # the session's loaded backends
DESCRIBED_KEY = pytest.StashKey[list[dict[str, Any]]]()  # each loaded backend's identity, for machine_info
HOSTS_KEY = pytest.StashKey["HostCheck"]()  # which --chimera-host hosts answered at session start
