"""The corpus fixtures' logic: which corpus a test names, loaded once per path per session, and its facts.

A test's corpus is the ``corpus=`` argument of its closest ``chimera`` marker that has one, else
``--chimera-corpus``, else ini ``chimera_corpus``; relative paths resolve against the rootdir. Loaded corpora
and their facts are cached in ``config.stash`` per resolved path, so each distinct corpus is read once.
Nothing here imports pandas at module level (``corpus`` and ``facts`` import it on first use).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pytest_chimera.agent.chimera import empty_corpus_problem
from pytest_chimera.evidence.corpus import Corpus, load_corpus
from pytest_chimera.evidence.facts import Facts, compute_facts
from pytest_chimera.plugin.settings import settings_of
from pytest_chimera.plugin.stash import CORPUS_CACHE_KEY, CorpusCache


def cache_of(config: pytest.Config) -> CorpusCache:
    """This session's cache (created on first use)."""
    cache = config.stash.get(CORPUS_CACHE_KEY, None)
    if cache is None:
        cache = config.stash[CORPUS_CACHE_KEY] = CorpusCache()
    return cache


def corpus_path(request: pytest.FixtureRequest, configured: Path | None) -> tuple[Path, str]:
    """The resolved corpus directory for this test and where it came from (for error messages).

    Fails the test (no traceback) when none is configured or the marker's value is not a path.
    """
    config = request.config
    for mark in request.node.iter_markers("chimera"):
        if "corpus" in mark.kwargs and mark.kwargs["corpus"] is not None:
            value = mark.kwargs["corpus"]
            if not isinstance(value, (str, os.PathLike)):
                pytest.fail(f"@pytest.mark.chimera(corpus=...) takes a directory path, got {value!r}", pytrace=False)
            return (config.rootpath / os.fspath(value)).resolve(), f"@pytest.mark.chimera(corpus={value!r})"
    if configured is None:
        pytest.fail(
            "chimera_corpus: no corpus configured; pass --chimera-corpus DIR, set the ini key chimera_corpus, "
            "or mark the test @pytest.mark.chimera(corpus='DIR') (relative to the rootdir)",
            pytrace=False,
        )
    return configured, settings_of(config).sources.get("corpus", "--chimera-corpus")


def corpus_for(request: pytest.FixtureRequest, configured: Path | None) -> Corpus:
    """The loaded corpus for this test, from the session cache when already loaded."""
    path, source = corpus_path(request, configured)
    cache = cache_of(request.config)
    corpus = cache.corpora.get(path)
    if corpus is None:
        if not path.is_dir():
            what = "does not exist" if not path.exists() else "is not a directory"
            pytest.fail(f"chimera_corpus: corpus directory {path} {what} (from {source}); "
                        "point it at a folder of .csv/.json/.md benchmark files", pytrace=False)
        corpus = cache.corpora[path] = load_corpus(path)
    problem = empty_corpus_problem(corpus)
    if problem:  # a wrong folder: every file count 0, every number of a report unmatched
        pytest.fail(f"chimera_corpus: {problem} (from {source})", pytrace=False)
    return corpus


def facts_for(request: pytest.FixtureRequest, configured: Path | None) -> Facts:
    """The facts of this test's corpus, computed once per corpus per session."""
    corpus = corpus_for(request, configured)
    cache = cache_of(request.config)
    facts = cache.facts.get(corpus.root)
    if facts is None:
        facts = cache.facts[corpus.root] = compute_facts(corpus)
    return facts


def summary_lines(config: pytest.Config) -> list[str]:
    """Terminal-summary lines: the ingest errors of every corpus loaded in this session (none: no lines)."""
    cache = config.stash.get(CORPUS_CACHE_KEY, None)
    if cache is None:
        return []
    lines: list[str] = []
    for root, corpus in sorted(cache.corpora.items()):
        if corpus.errors:
            lines.append(f"{root}: {len(corpus.errors)} of {len(corpus.files)} files could not be ingested")
            lines += [f"  {error.path}: {error.reason}" for error in corpus.errors]
    return lines
