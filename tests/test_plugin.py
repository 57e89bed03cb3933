"""The plugin's gate, options, marker and header, through pytester."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

MARKED = """
import pytest

@pytest.mark.chimera
def test_marked():
    pass

def test_plain():
    pass

def test_uses_model(chimera_model):
    pass
"""


def test_help_lists_the_chimera_group(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--help")
    result.stdout.fnmatch_lines(
        [
            "*benchmark-aware LLM evaluation (pytest-chimera)*",
            "*--chimera *Run LLM evaluation*",
            "*--chimera-backend=NAME*",
            "*Model backend: auto | ollama | openai | llama-cpp |*",
            "*--chimera-model=NAME*",
            "*--chimera-corpus=DIR*",
            "*--chimera-option=KEY=VALUE*",
            "*chimera_backend (string)*",
            "*chimera_options (linelist)*",
        ]
    )


def test_marked_tests_skip_without_chimera(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(MARKED)
    result = pytester.runpytest("-rs")
    result.assert_outcomes(passed=1, skipped=2)
    result.stdout.fnmatch_lines(["*pass --chimera to run LLM evaluation*"])


def test_marked_tests_run_with_chimera(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.chimera
        def test_marked():
            pass

        def test_plain():
            pass
        """
    )
    pytester.runpytest("--chimera").assert_outcomes(passed=2)


def test_strict_markers_accepts_the_marker(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.chimera(persona="insight", options={"num_ctx": 2048})
        def test_marked():
            pass
        """
    )
    pytester.runpytest("--strict-markers").assert_outcomes(skipped=1)
    result = pytester.runpytest("--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.chimera(*persona=*Example: @pytest.mark.chimera(*"])


@pytest.mark.parametrize("flag", [[], ["--chimera"]])
def test_unknown_marker_argument_fails_at_setup(pytester: pytest.Pytester, flag: list[str]) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.chimera(persona="insight", temprature=0.5)
        def test_typo():
            pass
        """
    )
    result = pytester.runpytest(*flag)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*unknown argument 'temprature'*known arguments: *persona*"])
    result.stdout.no_fnmatch_line("*Traceback*")


def test_positional_marker_argument_fails_at_setup(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.chimera("insight")
        def test_positional():
            pass
        """
    )
    result = pytester.runpytest("--chimera")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*keyword arguments only*'insight'*"])


HEADER_PROBE = """
from pytest_chimera.plugin.settings import settings_of

def test_settings(request):
    s = settings_of(request.config)
    print("SETTINGS", s.backend, s.model, s.corpus.name if s.corpus else None, sorted(s.options.items()))
"""


def test_header_line_only_with_chimera(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(HEADER_PROBE)
    result = pytester.runpytest("--chimera", "--chimera-corpus=data")
    result.stdout.fnmatch_lines(["chimera: backend=auto, model=gemma3:270m, corpus=*data"])
    result = pytester.runpytest()
    result.stdout.no_fnmatch_line("chimera: backend=*")


def test_command_line_wins_over_ini(pytester: pytest.Pytester) -> None:
    pytester.makeini(
        """
        [pytest]
        chimera_backend = replay
        chimera_cassettes = tapes
        chimera_model = gemma3:1b
        chimera_corpus = from_ini
        chimera_options =
            num_ctx=1024
            temperature=0.5
        """
    )
    pytester.makepyfile(HEADER_PROBE)
    result = pytester.runpytest("-s", "--chimera")
    assert "SETTINGS replay gemma3:1b from_ini [('num_ctx', 1024), ('temperature', 0.5)]" in result.stdout.str()
    result = pytester.runpytest(
        "-s",
        "--chimera",
        "--chimera-backend=llama-cpp",
        "--chimera-model=gemma3:270m",
        "--chimera-corpus=from_cli",
        "--chimera-option=num_ctx=4096",
    )
    assert "SETTINGS llama-cpp gemma3:270m from_cli [('num_ctx', 4096), ('temperature', 0.5)]" in result.stdout.str()


@pytest.mark.parametrize(
    ("arg", "message"),
    [
        ("--chimera-backend=olama", "*--chimera-backend: unknown backend 'olama'; choose one of auto, ollama*"),
        ("--chimera-option=num_ctx", "*--chimera-option: expected KEY=VALUE*"),
        ("--chimera-option=num_ctx=big", "*--chimera-option: option 'num_ctx' takes a whole number, got 'big'*"),
        ("--chimera-option=contex=1", "*--chimera-option: unknown Ollama option 'contex'*"),
    ],
)
def test_bad_command_line_values_are_usage_errors(pytester: pytest.Pytester, arg: str, message: str) -> None:
    result = pytester.runpytest(arg)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])


def test_bad_ini_value_names_the_ini_key(pytester: pytest.Pytester) -> None:
    pytester.makeini(
        """
        [pytest]
        chimera_options = num_gpu=all
        """
    )
    pytester.makepyfile("def test_x(): pass")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*ini chimera_options: option 'num_gpu' takes a whole number, got 'all'*"])


@pytest.mark.parametrize("given_in", ["cli", "ini"])
def test_an_output_folder_that_is_a_file_is_a_usage_error_with_chimera(pytester: pytest.Pytester,
                                                                       given_in: str) -> None:
    (pytester.path / "taken").write_text("", encoding="utf-8")
    pytester.makeini("[pytest]\nchimera_output = taken\n" if given_in == "ini" else "[pytest]\n")
    pytester.makepyfile("def test_x():\n    open('ran', 'w').close()\n")
    args = ["--chimera-output=taken"] if given_in == "cli" else []
    result = pytester.runpytest("--chimera", *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    name = "--chimera-output" if given_in == "cli" else "ini chimera_output"
    result.stderr.fnmatch_lines([f"ERROR: {name} '*/taken' is a file; give a folder"])
    assert not (pytester.path / "ran").exists()
    pytester.runpytest(*args).assert_outcomes(passed=1)  # without --chimera nothing is written there


def test_importing_the_plugin_imports_no_heavy_library() -> None:
    code = (
        "import sys, pytest_chimera, pytest_chimera.plugin.hooks, pytest_chimera.cli, pytest_chimera.gating;"
        "print(sorted(m for m in ('pandas', 'llama_cpp', 'ollama', 'httpx', 'numpy', 'openai', 'urllib.request')"
        " if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_cli_output_cut_by_a_closed_pipe_is_not_a_traceback(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i in range(300):
        (corpus / f"run_{i}.csv").write_text("model,tokens_s\ngemma3:270m,41.5\n")
    proc = subprocess.run(
        f"{sys.executable} -m pytest_chimera facts {corpus} | head -n 1", shell=True, capture_output=True, text=True
    )
    assert proc.stdout == "Total files analyzed: 300\n"
    assert "Traceback" not in proc.stderr
