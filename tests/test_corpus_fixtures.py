"""The ``chimera_corpus`` / ``chimera_facts`` fixtures and the ingest-error terminal summary, through pytester."""

from __future__ import annotations

import pandas  # noqa: F401  - imported once here: in-process pytester runs cannot re-import numpy
import pytest


def _corpus(pytester: pytest.Pytester, name: str, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = pytester.path / name / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


@pytest.fixture
def two_corpora(pytester: pytest.Pytester) -> None:
    _corpus(pytester, "alpha", {"a.csv": "tokens_s\n10\n20\n", "b.json": '{"x": 1}'})
    _corpus(pytester, "beta", {"only.md": "# beta\n"})


def test_option_corpus_and_facts_without_chimera(pytester: pytest.Pytester, two_corpora: None) -> None:
    pytester.makepyfile(
        """
        def test_counts(chimera_corpus, chimera_facts):
            assert [f.path for f in chimera_corpus.files] == ["a.csv", "b.json"]
            assert chimera_facts.get("table.a.csv.tokens_s.mean").value == 15.0
        """
    )
    result = pytester.runpytest("--chimera-corpus", "alpha")
    result.assert_outcomes(passed=1)


def test_ini_corpus(pytester: pytest.Pytester, two_corpora: None) -> None:
    pytester.makeini("[pytest]\nchimera_corpus = beta\n")
    pytester.makepyfile("def test_it(chimera_corpus):\n    assert chimera_corpus.count('md') == 1\n")
    pytester.runpytest().assert_outcomes(passed=1)


def test_marker_corpus_wins_over_option_and_loads_once(pytester: pytest.Pytester, two_corpora: None) -> None:
    pytester.makepyfile(
        """
        import pytest
        from pytest_chimera.plugin import corpus as corpus_session

        SEEN = []

        @pytest.mark.chimera(corpus="beta")
        def test_marker(chimera_corpus):
            assert [f.path for f in chimera_corpus.files] == ["only.md"]
            SEEN.append(chimera_corpus)

        @pytest.mark.chimera(corpus="beta")
        def test_marker_again(chimera_corpus, request):
            assert chimera_corpus is SEEN[0]  # the same object: loaded once per path
            assert len(corpus_session.cache_of(request.config).corpora) == 1

        def test_option(chimera_corpus, request):
            assert chimera_corpus.count() == 2
            assert len(corpus_session.cache_of(request.config).corpora) == 2
        """
    )
    result = pytester.runpytest("--chimera", "--chimera-corpus", "alpha", "-p", "no:randomly")
    result.assert_outcomes(passed=3)


def test_no_corpus_configured_is_a_clear_failure(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_it(chimera_corpus):\n    pass\n")
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*chimera_corpus: no corpus configured; pass --chimera-corpus DIR*"])
    result.stdout.no_fnmatch_line("*Traceback*")
    result.stdout.no_fnmatch_line("*corpus_session.py*")


def test_missing_path_names_the_option_and_path(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        def test_option(chimera_corpus):
            pass

        @pytest.mark.chimera(corpus="nowhere/else")
        def test_marker(chimera_facts):
            pass
        """
    )
    result = pytester.runpytest("--chimera", "--chimera-corpus", "missing_dir")
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines([
        "*chimera_corpus: corpus directory */missing_dir does not exist (from --chimera-corpus)*",
        "*chimera_corpus: corpus directory */nowhere/else does not exist "
        "(from @pytest.mark.chimera(corpus='nowhere/else'))*",
    ])
    result.stdout.no_fnmatch_line("*Traceback*")


def test_a_corpus_without_corpus_files_fails_naming_the_folder_and_option(pytester: pytest.Pytester) -> None:
    _corpus(pytester, "notes", {"readme.txt": "28 files"})
    pytester.makepyfile("def test_it(chimera_facts):\n    pass\n")
    result = pytester.runpytest("--chimera-corpus", "notes")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*chimera_corpus: corpus '*/notes' holds no .csv, .json or .md file (searched "
                                 "recursively, hidden folders skipped); give the folder of benchmark files "
                                 "(from --chimera-corpus)*"])
    result.stdout.no_fnmatch_line("*Traceback*")


def test_ingest_errors_in_the_terminal_summary_with_chimera(pytester: pytest.Pytester) -> None:
    _corpus(pytester, "c", {"good.csv": "a\n1\n", "bad.json": "{oops"})
    pytester.makepyfile("def test_it(chimera_corpus):\n    assert len(chimera_corpus.errors) == 1\n")
    result = pytester.runpytest("--chimera", "--chimera-corpus", "c")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([
        "*chimera corpus ingest errors*",
        "*/c: 1 of 2 files could not be ingested",
        "  bad.json: invalid JSON: Expecting property name enclosed in double quotes at line 1 column 2",
    ])
    quiet = pytester.runpytest("--chimera-corpus", "c")
    quiet.assert_outcomes(passed=1)
    quiet.stdout.no_fnmatch_line("*chimera corpus ingest errors*")


def test_the_readme_example_on_the_real_corpus(pytester: pytest.Pytester, chimeraforge_corpus: object) -> None:
    pytester.makepyfile(
        """
        def test_markdown_share(chimera_corpus, chimera_facts):
            assert chimera_corpus.count("md") == 29
            share = chimera_facts.get("files.by_type.md.pct")
            assert round(share.value, 1) == 28.7          # not the 28.3% the original agent wrote
        """
    )
    pytester.runpytest(f"--chimera-corpus={chimeraforge_corpus}").assert_outcomes(passed=1)
    # as two arguments (the table's "--chimera-corpus DIR") pytest made the real corpus its rootdir: a --chimera run
    # would have written .chimera/ into it. Now a usage error (nothing runs, nothing is written)
    result = pytester.runpytest("--chimera", "--chimera-corpus", str(chimeraforge_corpus))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: --chimera-corpus {chimeraforge_corpus}: pytest took this path for a test "
                                 f"path when it chose its rootdir ({chimeraforge_corpus}), *"])


@pytest.mark.parametrize("with_ini", [False, True])
def test_a_path_outside_given_as_two_arguments_is_a_usage_error(pytester: pytest.Pytester,
                                                               tmp_path_factory: pytest.TempPathFactory,
                                                               with_ini: bool) -> None:
    # pytest picks its rootdir before plugins load: "--chimera-corpus /elsewhere" made /elsewhere the rootdir,
    # so the project's pytest.ini was ignored and .chimera/ was written into the corpus
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    (elsewhere / "runs.csv").write_text("tokens_s\n5\n", encoding="utf-8")
    if with_ini:
        pytester.makeini("[pytest]\nchimera_options = num_ctx=1024\n")
    pytester.makepyfile("def test_it(chimera_corpus):\n    open('ran', 'w').close()\n")
    result = pytester.runpytest("--chimera-corpus", str(elsewhere))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: --chimera-corpus {elsewhere}: pytest took this path for a test path when "
                                 f"it chose its rootdir (*), *; write --chimera-corpus={elsewhere} (one "
                                 "argument), or pass --rootdir"])
    assert not (pytester.path / "ran").exists() and not (elsewhere / ".chimera").exists()
    pytester.runpytest(f"--chimera-corpus={elsewhere}").assert_outcomes(passed=1)
    pytester.runpytest("--rootdir", str(pytester.path), "--chimera-corpus", str(elsewhere)).assert_outcomes(passed=1)
