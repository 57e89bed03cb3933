"""The ``chimera_report`` fixture through pytester: marker arguments, custom agents, output files, -v line."""

from __future__ import annotations

import json
from pathlib import Path

import pandas  # noqa: F401  # loaded before pytester's in-process runs, which cannot re-import numpy
import pytest

from pytest_chimera.agent.artifacts import sanitize_test_id, write_atomic

CONFTEST = """
import pytest
from agent_fakes import FakeBackend

@pytest.fixture
def chimera_model():
    return FakeBackend()
"""

AGENTS = """
from pytest_chimera.agent.runs import CallRecord, ReportRun
from pytest_chimera.backends.base import CallMetrics

SEEN = []

def my_agent(corpus, backend, *, persona="insight", options=None, grounding=True, facts=None, agent_name=None,
             on_progress=None):
    SEEN.append({"persona": persona, "options": options, "grounding": grounding, "facts": facts is not None,
                 "files": len(corpus.files), "backend": backend.name})
    calls = [CallRecord("report", "hi", CallMetrics(ttft_ms=5.0, eval_count=4, eval_ms=100.0))]
    return ReportRun(markdown="# My agent\\n\\nhi\\n", persona=str(persona), model=backend.model,
                     backend=backend.name, options=dict(options or {}), calls=calls, agent_name="Mine")

def not_a_run(corpus, backend, **kwargs):
    return "just text"

def brief(corpus, backend, **kwargs):  # writes its own kind of report, whatever the marker's persona
    run = my_agent(corpus, backend, **kwargs)
    run.persona = "brief"
    return run
"""


ON = ("--chimera", "--chimera-backend=llama-cpp")  # the fake model stands in; no Ollama probe for the header


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest(CONFTEST)
    corpus = pytester.mkdir("corpus")
    (corpus / "runs.csv").write_text("model,tokens_s,ttft_ms\ngemma3:270m,41.5,812\ngemma3:1b,20.1,990\n")
    (corpus / "notes.md").write_text("# Notes\n\nBaseline runs.\n")
    pytester.makepyfile(my_agents=AGENTS)
    pytester.syspathinsert()
    return pytester


def test_builtin_agent_runs_once_and_writes_markdown_and_run_json(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_report="""
        import pytest

        @pytest.mark.chimera(persona="collector", options={"num_ctx": 2048, "temperature": 1.0})
        def test_collector(chimera_report, chimera_model):
            assert chimera_report.persona == "collector"
            assert chimera_report.options == {"num_ctx": 2048, "temperature": 1.0}
            assert [c.stage for c in chimera_report.calls] == ["analysis", "report"]
            assert chimera_report.markdown.startswith("# Chimera Agent A\\n")
            assert "num_ctx=2048, temp=1," in chimera_report.markdown
            assert "- Files analyzed: 2" in chimera_report.markdown
            assert "The corpus holds 2 files" in chimera_model.prompts[0]  # grounded by default
        """
    )
    result = project.runpytest(*ON, "--chimera-corpus=corpus")
    result.assert_outcomes(passed=1)
    stem = sanitize_test_id("test_report.py::test_collector")
    md = project.path / ".chimera" / f"{stem}.md"
    data = json.loads((project.path / ".chimera" / f"{stem}.json").read_text())
    assert md.read_text().startswith("# Chimera Agent A\n")
    assert {"markdown", "persona", "backend", "model", "options", "stages", "calls", "metrics"} <= set(data)
    assert set(data["checks"]) == {"structure", "checked", "supported", "contradicted", "unverified"}
    assert data["checks"]["structure"].endswith("/5")  # the collector spec's rules
    assert set(data["stages"]) == {"ingest_ms", "analysis_ms", "report_ms", "total_ms"}
    assert [c["stage"] for c in data["calls"]] == ["analysis", "report"]
    assert data["markdown"] == md.read_text()
    assert not list((project.path / ".chimera").glob(".*.tmp"))


def test_marker_arguments_reach_a_custom_agent_given_as_module_callable(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_custom="""
        import pytest
        import my_agents

        @pytest.mark.chimera(agent="my_agents:my_agent", persona="You are PerfBot.", grounding=False,
                             options={"seed": 7})
        def test_custom(chimera_report):
            assert chimera_report.agent_name == "Mine"
            assert my_agents.SEEN == [{"persona": "You are PerfBot.", "options": {"seed": 7, "num_ctx": 512},
                                       "grounding": False, "facts": False, "files": 2, "backend": "fake"}]
        """
    )
    project.runpytest(*ON, "--chimera-corpus=corpus", "--chimera-option=num_ctx=512").assert_outcomes(
        passed=1)


def test_custom_agent_given_as_a_callable(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_callable="""
        import pytest
        from my_agents import my_agent, SEEN

        @pytest.mark.chimera(agent=my_agent)
        def test_callable(chimera_report):
            assert chimera_report.markdown.startswith("# My agent")
            assert SEEN[-1]["grounding"] is True and SEEN[-1]["facts"] is True
            assert SEEN[-1]["persona"] == "insight"
        """
    )
    project.runpytest(*ON, "--chimera-corpus=corpus").assert_outcomes(passed=1)


def test_no_grounding_option_unless_the_marker_says(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_grounding="""
        import pytest
        import my_agents

        @pytest.mark.chimera(agent="my_agents:my_agent")
        def test_default(chimera_report):
            assert my_agents.SEEN[-1]["grounding"] is False

        @pytest.mark.chimera(agent="my_agents:my_agent", grounding=True)
        def test_marker_wins(chimera_report):
            assert my_agents.SEEN[-1]["grounding"] is True
        """
    )
    project.runpytest(*ON, "--chimera-corpus=corpus", "--chimera-no-grounding").assert_outcomes(passed=2)


@pytest.mark.parametrize(
    ("marker", "message"),
    [
        ('agent="no_such_mod:fn"', "*@pytest.mark.chimera(agent=...): cannot import module 'no_such_mod'*"),
        ('agent="my_agents:nothing"', "*@pytest.mark.chimera(agent=...): module 'my_agents' has no attribute*"),
        ('agent="my_agents:not_a_run"', "*not_a_run returned str, expected a pytest_chimera.agent.runs.ReportRun*"),
        ('grounding="yes"', "*@pytest.mark.chimera(grounding='yes'): give True or False*"),
        ("rounds=0", "*@pytest.mark.chimera(rounds=0): give a whole number >= 1*"),
        ('persona="missing_persona.md"', "*chimera_report: persona file 'missing_persona.md' does not exist*"),
        ('persona="insigt"', "*chimera_report: persona 'insigt' is no built-in persona: did you mean 'insight'?*"),
    ],
)
def test_bad_marker_arguments_are_clear_errors(project: pytest.Pytester, marker: str, message: str) -> None:
    project.makepyfile(
        test_bad=f"""
        import pytest

        @pytest.mark.chimera({marker})
        def test_bad(chimera_report):
            pass
        """
    )
    result = project.runpytest(*ON, "--chimera-corpus=corpus")
    assert result.parseoutcomes().get("errors", 0) + result.parseoutcomes().get("failed", 0) == 1
    result.stdout.fnmatch_lines([message])
    result.stdout.no_fnmatch_line("*Traceback*")


def test_verbose_shows_the_report_path_and_metrics(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_verbose="""
        import pytest

        @pytest.mark.chimera
        def test_one(chimera_report):
            pass

        def test_two():
            pass
        """
    )
    result = project.runpytest(*ON, "--chimera-corpus=corpus", "--chimera-output=out", "-v")
    result.assert_outcomes(passed=2)
    result.stdout.re_match_lines([
        r"test_verbose.py::test_one PASSED.*",
        r"    chimera: out/test_verbose.py__test_one.md \| TTFT [\d.]+ ms \| [\d.]+ tok/s \| \d+ tokens \| [\d.]+ s$",
        r"test_verbose.py::test_two PASSED.*",
    ])
    quiet = project.runpytest(*ON, "--chimera-corpus=corpus", "--chimera-output=out")
    quiet.stdout.no_fnmatch_line("*chimera: out/*")


def test_report_section_shows_files_stages_and_metrics(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_section="""
        import pytest

        @pytest.mark.chimera
        def test_one(chimera_report):
            pass
        """
    )
    result = project.runpytest(*ON, "--chimera-corpus=corpus", "-rP")
    result.stdout.fnmatch_lines([
        "*Captured chimera call*",
        "report: .chimera/test_section.py__test_one.md",
        "run JSON: .chimera/test_section.py__test_one.json",
        "stages: ingest * ms | analysis * ms | report * ms | total * ms",
        "metrics: tokens_per_s=*, ttft_ms=*",
    ])


def test_ini_output_dir(project: pytest.Pytester) -> None:
    project.makeini("[pytest]\nchimera_output = artefacts/reports\n")
    project.makepyfile(
        test_ini="""
        import pytest

        @pytest.mark.chimera
        @pytest.mark.parametrize("n", [1, 2])
        def test_p(chimera_report, n):
            pass
        """
    )
    project.runpytest(*ON, "--chimera-corpus=corpus").assert_outcomes(passed=2)
    names = sorted(p.name for p in (project.path / "artefacts" / "reports").iterdir())
    assert names == ["runs", "test_ini.py__test_p_1.json", "test_ini.py__test_p_1.md",
                     "test_ini.py__test_p_2.json", "test_ini.py__test_p_2.md"]
    (record,) = (project.path / "artefacts" / "reports" / "runs").iterdir()  # the session's run record
    assert record.name.startswith("0001_")


def test_rounds_run_through_pytest_benchmark(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_rounds="""
        import pytest

        @pytest.mark.chimera(rounds=2)
        def test_rounds(chimera_report, chimera_model):
            assert len(chimera_model.prompts) == 2 * 3  # warm-up round + 2 counted rounds, 2 calls each
        """
    )
    result = project.runpytest(*ON, "--chimera-corpus=corpus", "--benchmark-json=bench.json")
    result.assert_outcomes(passed=1)
    info = json.loads((project.path / "bench.json").read_text())["benchmarks"][0]["extra_info"]["chimera"]
    assert info["rounds"] == 2 and info["timings"] is True
    assert {"structure_failed", "supported", "contradicted", "unverified"} <= set(info["per_round"])


def test_without_chimera_the_fixture_is_skipped(project: pytest.Pytester) -> None:
    project.makepyfile("def test_x(chimera_report):\n    raise AssertionError('ran')\n")
    project.runpytest().assert_outcomes(skipped=1)
    assert not (project.path / ".chimera").exists()


@pytest.mark.parametrize(
    ("nodeid", "stem"),
    [
        ("tests/test_x.py::test_a", "tests_test_x.py__test_a"),
        ("t.py::test_p[a/b c]", "t.py__test_p_a_b_c"),
        ("t.py::T::test_m", "t.py__T__test_m"),
    ],
)
def test_sanitize_test_id(nodeid: str, stem: str) -> None:
    assert sanitize_test_id(nodeid) == stem


def test_long_test_ids_stay_distinct_and_short() -> None:
    a, b = sanitize_test_id("t.py::test[" + "x" * 300 + "1]"), sanitize_test_id("t.py::test[" + "x" * 300 + "2]")
    assert a != b and len(a) <= 150 and len(b) <= 150


def test_write_atomic_leaves_the_old_file_when_writing_fails(tmp_path: Path) -> None:
    target = tmp_path / "run.json"
    write_atomic(target, "old")

    with pytest.raises(TypeError):
        write_atomic(target, 123)  # type: ignore[arg-type]
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["run.json"]


def test_session_ends_with_a_scorecard_per_report_test(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_card="""
        import pytest

        @pytest.mark.chimera(persona="insight")
        def test_builtin(chimera_report):
            pass

        @pytest.mark.chimera(agent="my_agents:my_agent")
        def test_mine(chimera_report):
            pass
        """
    )
    result = project.runpytest(*ON, "--chimera-corpus=corpus")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        [
            "*- chimera scorecard -*",
            "test * structure * checked * supported * contradicted * unverified * TTFT ms * tok/s * overhead ms",
            "test_card.py::test_builtin * ?/7 * [0-9]* * [0-9]* * [0-9]* * [0-9]* * * *[0-9].[0-9]",
            # its persona is the default, insight; "hi" holds no number: 0 checked, in plain sight
            # a custom agent's run does not measure its overhead: "-"
            "test_card.py::test_mine * 1/7 * 0 * 0 * 0 * 0 * 5.0 * 40.0 * -",
            "reports and run JSON: .chimera/",
        ]
    )
    assert "chimera scorecard" not in project.runpytest("--chimera-corpus=corpus").stdout.str()


def test_the_record_checks_a_run_against_its_own_personas_spec_as_the_scorecard_does(
        project: pytest.Pytester) -> None:
    # a custom agent's report of its own persona ("brief") was checked against the marker's default persona's spec
    # (insight) in the run record, so the gate compared structure failures the scorecard did not show
    project.makepyfile(test_b="""
        import pytest

        @pytest.mark.chimera(agent="my_agents:brief")
        def test_brief(chimera_report):
            pass
        """)
    result = project.runpytest(*ON, "--chimera-corpus=corpus")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["test_b.py::test_brief * - * 0 * 0 * 0 * 0 *"])
    (record,) = (project.path / ".chimera" / "runs").glob("0001_*.json")
    block = json.loads(record.read_text())["tests"]["test_b.py::test_brief"]
    assert "structure_failed" not in block["per_round"] and not block.get("structure", {}).get("spec")


def test_scorecard_renders_unchecked_counts_as_dashes() -> None:
    from pytest_chimera.plugin.scorecard import Score, render

    lines = render([Score("t::a", "-", None, None, None, None, 12.345, 40.0, replayed=True)])
    assert lines[1].split() == ["t::a", "-", "-", "-", "-", "-", "12.3", "(replayed)", "40.0", "-"]
