"""The quality gate end to end: pytester sessions in which each quality metric regresses, run plain, under
pytest-xdist (-n 2) and with --benchmark-disable; each regression exits 1 naming the metric and the test.

The project overrides ``chimera_model`` with a fake model and uses ``agent=`` fakes whose reports come from
``scenario.json``, so only the reports (or the model's identity) change between the baseline session and
the current one; the verdicts are the real checks against a real two-file corpus.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas  # noqa: F401  # loaded before pytester's in-process runs, which cannot re-import numpy
import pytest

CONFTEST = '''
import json
from pathlib import Path

import pytest

HERE = Path(__file__).parent


class FakeModel:
    name = "fake"
    model = "fake:1"

    def describe(self):
        scenario = json.loads((HERE / "scenario.json").read_text())
        return {"backend": "fake", "model": "fake:1", "sha256": scenario["digest"], "quantization": "Q8_0",
                "accelerator": scenario["accelerator"]}


@pytest.fixture
def chimera_model():
    return FakeModel()
'''

AGENTS = '''
import json
from pathlib import Path

from pytest_chimera.agent.runs import CallRecord, ReportRun
from pytest_chimera.backends.base import CallMetrics

HERE = Path(__file__).parent
FILES = "The corpus holds **2 files**: 1 CSV file and 1 Markdown file."
SPEEDS = "gemma3:270m reaches a mean throughput of **41.5 tok/s**; gemma3:1b reaches **20.1 tok/s**."
WRONG_TTFT = "The mean TTFT of gemma3:1b is **500 ms**."
CALLS = {"flaky": 0}


def regressed(name):
    return name in json.loads((HERE / "scenario.json").read_text())["regress"]


def run(markdown, persona, backend, options):
    missing = tuple(json.loads((HERE / "scenario.json").read_text()).get("missing", []))
    values = dict(ttft_ms=50.0, tokens_per_s=40.0, prompt_eval_count=30, prompt_eval_ms=20.0, eval_count=40,
                  eval_ms=1000.0, total_ms=1030.0, wall_ms=1040.0)
    metrics = CallMetrics(**{**values, **{m: 0.0 for m in missing}}, missing=missing)  # the neutral 0, as openai
    return ReportRun(markdown=markdown, persona=str(persona), model=backend.model, backend=backend.name,
                     options=dict(options or {}), calls=[CallRecord("report", markdown, metrics)])


def contradicting(corpus, backend, *, persona, options=None, **kwargs):
    text = FILES + (" " + WRONG_TTFT if regressed("contradicted") else "")
    return run(text, persona, backend, options)


def supporting(corpus, backend, *, persona, options=None, **kwargs):
    text = FILES + ("" if regressed("supported") else " " + SPEEDS)
    return run(text, persona, backend, options)


def structured(corpus, backend, *, persona, options=None, **kwargs):
    words = 300 if regressed("structure") else 40
    return run("# Inventory\\n\\n" + " ".join(["files"] * words) + "\\n", persona, backend, options)


def flaky(corpus, backend, *, persona, options=None, **kwargs):
    CALLS["flaky"] += 1
    ok = not regressed("pass_rate") or CALLS["flaky"] % 3 == 1
    return run(FILES + (" OK" if ok else " no"), persona, backend, options)


def steady(corpus, backend, *, persona, options=None, **kwargs):
    return run(FILES, persona, backend, options)
'''

TESTS = '''
import pytest


@pytest.mark.chimera(agent="fake_agents:contradicting", rounds=2)
def test_contradicted(chimera_report):
    assert chimera_report.markdown


@pytest.mark.chimera(agent="fake_agents:supporting", rounds=2)
def test_supported(chimera_report):
    assert chimera_report.markdown


@pytest.mark.chimera(agent="fake_agents:structured", persona="collector", rounds=2)
def test_structure(chimera_report):
    assert chimera_report.markdown


@pytest.mark.chimera(agent="fake_agents:flaky", samples=3, min_pass_rate=0.3)
def test_pass_rate(chimera_report):
    assert "OK" in chimera_report.markdown


@pytest.mark.chimera(agent="fake_agents:steady")
def test_steady(chimera_report):
    assert chimera_report.markdown
'''

ON = ("--chimera", "--chimera-backend=llama-cpp", "--chimera-corpus=corpus", "-p", "no:cacheprovider")
MODES: dict[str, tuple[str, ...]] = {"plain": (), "xdist": ("-n", "2"), "disabled": ("--benchmark-disable",)}
RULES = "contradicted:+0,supported:-0,structure_failed:+0,pass_rate:-0"
REGRESSIONS = [
    ("test_contradicted", "contradicted regressed, broke rule contradicted:+0"),
    ("test_supported", "supported regressed, broke rule supported:-0"),
    ("test_structure", "structure[under-250-words] regressed, broke rule structure_failed:+0"),
    ("test_pass_rate", "pass_rate regressed, broke rule pass_rate:-0"),
]


def scenario(pytester: pytest.Pytester, **changes: Any) -> None:
    path = Path(pytester.path, "scenario.json")
    data = json.loads(path.read_text()) if path.exists() else {"regress": [], "digest": "aaa", "accelerator": "cpu"}
    path.write_text(json.dumps({**data, **changes}))


def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(fake_agents=AGENTS, test_quality=TESTS)
    corpus = pytester.mkdir("corpus")
    (corpus / "runs.csv").write_text("model,tokens_s,ttft_ms\ngemma3:270m,41.5,812\ngemma3:1b,20.1,990\n")
    (corpus / "notes.md").write_text("# Notes\n\nBaseline runs.\n")
    pytester.syspathinsert()
    scenario(pytester)
    return pytester


def session(pytester: pytest.Pytester, mode: str, *args: str) -> pytest.RunResult:
    if mode == "xdist":  # a subprocess: xdist's workers need the project on disk, not this process's modules
        return pytester.runpytest_subprocess(*ON, *MODES[mode], *args)
    return pytester.runpytest(*ON, *MODES[mode], *args)


def records(pytester: pytest.Pytester) -> list[Path]:
    return sorted(Path(pytester.path, ".chimera", "runs").glob("*.json"))


@pytest.mark.parametrize("mode", MODES)
def test_each_quality_regression_fails_the_gate_naming_metric_and_test(pytester: pytest.Pytester, mode: str) -> None:
    project(pytester)
    baseline = session(pytester, mode)
    baseline.assert_outcomes(passed=5)
    scenario(pytester, regress=["contradicted", "supported", "structure", "pass_rate"])
    result = session(pytester, mode, "--chimera-compare", "--chimera-fail-on", RULES)
    result.assert_outcomes(passed=5)  # the tests pass (the flaky one at its min_pass_rate): the gate fails
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    for test, what in REGRESSIONS:
        pattern = f"chimera gate FAILED: test_quality.py::{test}: {what}*".replace("[", "[[]")  # fnmatch's escape
        result.stdout.fnmatch_lines([pattern])
    assert "FAILED: test_quality.py::test_steady" not in result.stdout.str()
    assert len(records(pytester)) == 2  # one record per session, written once (by the controller under xdist)


@pytest.mark.parametrize("mode", MODES)
def test_nothing_regressed_passes_the_gate(pytester: pytest.Pytester, mode: str) -> None:
    project(pytester)
    session(pytester, mode).assert_outcomes(passed=5)
    result = session(pytester, mode, "--chimera-compare", "--chimera-fail-on", RULES)
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["chimera gate passed (* metric(s) compared)"])
    data = json.loads(records(pytester)[-1].read_text())
    assert sorted(data["tests"]) == [f"test_quality.py::{t}" for t in (
        "test_contradicted", "test_pass_rate", "test_steady", "test_structure", "test_supported")]
    flaky = data["tests"]["test_quality.py::test_pass_rate"]
    assert flaky["samples"]["verdicts"] == ["passed"] * 3 and len(set(flaky["samples"]["seeds"])) == 3
    assert data["tests"]["test_quality.py::test_structure"]["structure"]["failed"][0].count("under-250-words") == 0
    timed = data["tests"]["test_quality.py::test_contradicted"]["timings"]
    assert timed is (mode == "plain")  # timings only without xdist and with benchmarks enabled


def test_xdist_workers_neither_gate_nor_record(pytester: pytest.Pytester) -> None:
    project(pytester)
    pytester.makepyfile(test_worker="""
        def test_worker_plugins(request):
            assert hasattr(request.config, "workerinput")
            assert request.config.pluginmanager.get_plugin("chimera-gate") is None
            assert request.config.pluginmanager.get_plugin("chimera-recorder") is None
    """)
    result = session(pytester, "xdist", "test_worker.py", "--chimera-compare", "--chimera-allow-empty")
    result.assert_outcomes(passed=1)


def test_a_different_model_digest_or_accelerator_is_refused_naming_it(pytester: pytest.Pytester) -> None:
    project(pytester)
    session(pytester, "plain").assert_outcomes(passed=5)
    scenario(pytester, digest="bbb")
    result = session(pytester, "plain", "--chimera-compare")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["refusing to compare current run with baseline *0001_*.json:",
                                 "  fake:1 (fake) model file: baseline aaa, current bbb"])
    scenario(pytester, digest="aaa", accelerator="gpu")
    result = session(pytester, "plain", "--chimera-compare=1")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["  fake:1 (fake) accelerator: baseline cpu, current gpu"])


def test_samples_flag_a_flaky_test_in_the_scorecard_and_fail_below_the_pass_rate(pytester: pytest.Pytester) -> None:
    project(pytester)
    scenario(pytester, regress=["pass_rate"])
    result = session(pytester, "plain", "-k", "pass_rate", "-rA")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([
        "*chimera samples*",
        "1 of 3 samples passed (pass rate 0.33, min_pass_rate 0.3); the verdict flipped 1 time(s)",
        "  sample 0 (seed *): passed",
        "  sample 1 (seed *): failed: AssertionError: assert 'OK' in *",
        "*chimera scorecard*",
        "test_quality.py::test_pass_rate (flaky: 1/3 samples passed)*",
    ])
    session(pytester, "plain", "-k", "pass_rate", "--chimera-samples", "4").assert_outcomes(passed=1)
    block = json.loads(records(pytester)[-1].read_text())["tests"]["test_quality.py::test_pass_rate"]
    assert block["samples"]["n"] == 3  # the marker's samples=3 wins over --chimera-samples
    pytester.makepyfile(test_cli_samples='''
        import pytest

        @pytest.mark.chimera(agent="fake_agents:flaky")
        def test_all_must_pass(chimera_report):
            assert "OK" in chimera_report.markdown
    ''')
    failed = session(pytester, "plain", "test_cli_samples.py", "--chimera-samples", "3")
    failed.assert_outcomes(failed=1)
    failed.stdout.fnmatch_lines(["*chimera samples: 1 of 3 samples passed (pass rate 0.33, min_pass_rate 1)*"])


def test_with_benchmark_skip_a_rounds_test_still_records_its_quality(pytester: pytest.Pytester) -> None:
    project(pytester)
    result = session(pytester, "plain", "--benchmark-skip", "-k", "contradicted")
    result.assert_outcomes(passed=1)
    (record,) = records(pytester)
    block = json.loads(record.read_text())["tests"]["test_quality.py::test_contradicted"]
    assert block["timings"] is False and block["per_round"]["contradicted"] == [0]


CASSETTE_CONFTEST = '''
import os

import pytest
from ollama_fakes import FakeBackend

from pytest_chimera.backends.replay import ReplayBackend


@pytest.fixture
def chimera_model(pytestconfig):
    mode = os.environ["CASSETTE_MODE"]
    inner = FakeBackend("fake:1") if mode == "record" else None
    return ReplayBackend(pytestconfig.rootpath / "cassettes", "fake:1", mode=mode, inner=inner)
'''

CASSETTE_TESTS = '''
import pytest

from pytest_chimera.agent.runs import CallRecord, ReportRun


def one_call(corpus, backend, *, persona, options=None, **kwargs):
    generation = backend.generate("Summarise the corpus.", options=options)
    return ReportRun(markdown=generation.text, persona=str(persona), model=backend.model, backend=backend.name,
                     options=dict(options or {}), calls=[CallRecord("report", generation.text, generation.metrics)])


@pytest.mark.chimera(agent=one_call, options={"seed": 7, "num_predict": 3})
def test_sampled(chimera_report):
    assert chimera_report.markdown
'''


def test_cassettes_record_and_replay_each_sample_separately(pytester: pytest.Pytester,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    pytester.makeconftest(CASSETTE_CONFTEST)
    pytester.makepyfile(test_cassettes=CASSETTE_TESTS)
    pytester.mkdir("corpus")
    Path(pytester.path, "corpus", "notes.md").write_text("# Notes\n")
    on = (*ON[:2], "--chimera-corpus=corpus")
    monkeypatch.setenv("CASSETTE_MODE", "record")
    pytester.runpytest(*on, "--chimera-samples", "3").assert_outcomes(passed=1)
    cassettes = sorted(Path(pytester.path, "cassettes").rglob("*.json"))
    assert len(cassettes) == 3  # the seed is part of each request: one cassette per sample
    seeds = sorted(json.loads(p.read_text())["request"]["options"]["seed"] for p in cassettes)
    data = json.loads(records(pytester)[-1].read_text())["tests"]["test_cassettes.py::test_sampled"]
    assert seeds == sorted(data["samples"]["seeds"]) and 7 not in seeds  # derived from the test id and seed=7
    monkeypatch.setenv("CASSETTE_MODE", "replay")
    replayed = pytester.runpytest(*on, "--chimera-samples", "3")
    replayed.assert_outcomes(passed=1)
    assert json.loads(records(pytester)[-1].read_text())["tests"]["test_cassettes.py::test_sampled"]["replayed"]
    pytester.runpytest(*on).assert_outcomes(passed=0, errors=1)  # one sample keeps seed=7: never recorded
    pytester.runpytest(*on, "--chimera-samples", "4").assert_outcomes(errors=1)  # a 4th sample was never recorded


def test_where_pytest_benchmark_saves_the_run_its_json_carries_the_same_block(pytester: pytest.Pytester) -> None:
    project(pytester)
    out = Path(pytester.path, "bench.json")
    session(pytester, "plain", "-k", "contradicted or structure", f"--benchmark-json={out}").assert_outcomes(passed=2)
    saved = {b["fullname"]: b["extra_info"]["chimera"] for b in json.loads(out.read_text())["benchmarks"]}
    recorded = json.loads(records(pytester)[-1].read_text())["tests"]
    assert set(saved) == set(recorded) == {"test_quality.py::test_contradicted", "test_quality.py::test_structure"}
    for name, block in saved.items():
        assert block == recorded[name]  # samples and identity included: one block, two files
        assert block["samples"]["verdicts"] == ["passed"] and block["identity"]["digest"] == "aaa"


def test_a_metric_the_baseline_backend_could_not_measure_is_not_compared(pytester: pytest.Pytester) -> None:
    """An openai-style baseline lists prompt_eval_ms as missing: no value is recorded, the gate says so."""
    project(pytester)
    scenario(pytester, missing=["prompt_eval_ms", "load_ms"])
    session(pytester, "plain", "-k", "contradicted").assert_outcomes(passed=1)
    block = json.loads(records(pytester)[-1].read_text())["tests"]["test_quality.py::test_contradicted"]
    assert block["missing"] == ["load_ms", "prompt_eval_ms"]
    assert "prompt_eval_ms" not in block["per_round"] and block["per_round"]["ttft_ms"] == [50.0, 50.0]
    scenario(pytester, missing=[])
    result = session(pytester, "plain", "-k", "contradicted", "--chimera-compare", "--chimera-allow-empty",
                     "--chimera-fail-on", "prompt_eval_ms:+10%,contradicted:+0")
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    result.stdout.fnmatch_lines([
        "rule prompt_eval_ms:+10% compared nothing*could not measure prompt_eval_ms*(not a failure: "
        "--chimera-allow-empty)",
        "  prompt_eval_ms * - * 20 * n/a * not compared *",
        "warning: test_quality.py::test_contradicted: prompt_eval_ms not compared: the baseline run has no value "
        "(its backend could not measure it)",
        "chimera gate passed (* metric(s) compared, 2 not compared: one side has no value)",
    ])
    assert "REGRESSION" not in result.stdout.str()


def test_benchmark_storage_outside_the_working_directory_is_shown_absolute(
        pytester: pytest.Pytester, tmp_path_factory: pytest.TempPathFactory) -> None:
    project(pytester)
    storage = tmp_path_factory.mktemp("elsewhere") / "benchmarks"
    result = session(pytester, "plain", "-k", "contradicted", "--benchmark-autosave",
                     f"--benchmark-storage=file://{storage}")
    result.assert_outcomes(passed=1)
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    result.stdout.fnmatch_lines([f"benchmark JSON: {storage}"])
    assert list(storage.rglob("0001_*.json"))
