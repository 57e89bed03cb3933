"""The --chimera-compare gate through pytester: two sessions saving runs, the second changed in timing only."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from bench_files import pytester_project, set_fake


def _baseline(pytester: pytest.Pytester, rounds: int = 6, **fake: object) -> None:
    pytester_project(pytester, rounds=rounds, **fake)
    pytester.runpytest("--benchmark-autosave").assert_outcomes(passed=1)


def test_a_slower_run_fails_the_session_naming_the_rule(pytester: pytest.Pytester) -> None:
    _baseline(pytester)
    set_fake(pytester, tps=40.0)  # only the timing changes
    result = pytester.runpytest("--chimera-compare", "--benchmark-autosave")
    result.assert_outcomes(passed=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines([
        "*chimera compare (baseline: *0001_*.json)*",
        "test_report.py::test_report",
        "*metric*baseline*current*change*verdict*p (MWU)*",
        "*ttft_ms*ok*",
        "*tokens_per_s*50*40*-20.0%*REGRESSION (tokens_per_s:-10%)*0.001082*",
        "*eval_ms*+25.0%*worse*0.001082*",  # no rule on eval_ms: reported, never failing
        "regression: test_report.py::test_report tokens_per_s * broke rule tokens_per_s:-10% "
        "(Mann-Whitney U (exact, one-sided), p=0.001082)",
        "*chimera gate FAILED: test_report.py::test_report: tokens_per_s regressed, broke rule tokens_per_s:-10%*",
    ])
    # the current run was saved too, after the baseline was chosen
    assert len(list(Path(pytester.path, ".benchmarks").rglob("0002_*.json"))) == 1


def test_an_improvement_never_fails(pytester: pytest.Pytester) -> None:
    _baseline(pytester)
    set_fake(pytester, tps=80.0, ttft=50.0)
    result = pytester.runpytest("--chimera-compare=latest")
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["*ttft_ms*-50.0%*improved*", "*tokens_per_s*+60.0%*improved*",
                                 "*chimera gate passed*"])


def test_a_quality_regression_compares_exactly(pytester: pytest.Pytester) -> None:
    _baseline(pytester, rounds=2)
    set_fake(pytester, contradicted=1)
    result = pytester.runpytest("--chimera-compare=1")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines([
        "*contradicted*0*1*+1*REGRESSION (contradicted:+0)*-*",
        "warning: test_report.py::test_report: fewer than 6 rounds on a side*evidence is thin*",
        "*broke rule contradicted:+0*",
    ])


def test_custom_rules_replace_the_defaults(pytester: pytest.Pytester) -> None:
    _baseline(pytester)
    set_fake(pytester, tps=40.0, contradicted=3)
    result = pytester.runpytest("--chimera-compare", "--chimera-fail-on", "tokens_per_s:-30%")
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["*tokens_per_s*-20.0%*ok*", "*contradicted*0*3*+3*worse*0.001082*"])


def test_a_different_model_file_refuses_naming_what_differs(pytester: pytest.Pytester) -> None:
    _baseline(pytester)
    set_fake(pytester, sha="f00d")
    result = pytester.runpytest("--chimera-compare")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines([
        "refusing to compare current run with baseline *0001_*.json:",
        "  gemma3:270m (llama-cpp) model file: baseline abc123, current f00d",
        "*chimera gate FAILED: refused to compare*--chimera-compare-any*",
    ])
    # every session writes its record, refused or not: compare with the first run by number
    forced = pytester.runpytest("--chimera-compare=1", "--chimera-compare-any")
    assert forced.ret == pytest.ExitCode.OK
    forced.stdout.fnmatch_lines(["*compared despite different identity*", "*chimera gate passed*"])


def test_a_different_model_or_accelerator_refuses(pytester: pytest.Pytester) -> None:
    _baseline(pytester, accelerator="cpu")
    set_fake(pytester, model="gemma3:1b", sha="f00d", accelerator="gpu: 100% in VRAM")
    result = pytester.runpytest("--chimera-compare")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines([
        "refusing to compare current run with baseline *0001_*.json:",
        "  accelerator: baseline 'cpu', current 'gpu: 100% in VRAM'",
        "  test_report.py::test_report: baseline llama-cpp/gemma3:270m, current llama-cpp/gemma3:1b",
    ])


def test_a_missing_baseline_fails_unless_allowed(pytester: pytest.Pytester) -> None:
    pytester_project(pytester)
    result = pytester.runpytest("--chimera-compare")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*chimera gate FAILED: no baseline to compare with: no saved run in *runs or "
                                 "*.benchmarks*First run on this branch or machine?*--chimera-allow-empty*"])
    allowed = pytester.runpytest("--chimera-compare", "--chimera-allow-empty", "--chimera-output=elsewhere")
    assert allowed.ret == pytest.ExitCode.OK
    allowed.stdout.fnmatch_lines(["*no baseline to compare with*(not a failure: --chimera-allow-empty)"])
    numbered = pytester.runpytest("--chimera-compare=7")
    assert numbered.ret == pytest.ExitCode.TESTS_FAILED
    numbered.stdout.fnmatch_lines(["*chimera gate FAILED: no baseline to compare with: no saved run number 0007 in*"])
    required = pytester.runpytest("--chimera-require-baseline")  # the same as --chimera-compare=latest
    assert required.ret == pytest.ExitCode.OK
    required.stdout.fnmatch_lines(["*chimera compare (baseline: *runs*0002_*.json)*", "*chimera gate passed*"])
    assert len(list(Path(pytester.path, "elsewhere", "runs").glob("0001_*.json"))) == 1


CORRUPT = {
    "0002_truncated.json": ('{"pytest_chimera_run": 1, "tests": {', "invalid JSON (truncated or corrupt)"),
    "0003_deep.json": ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    "0004_huge.json": ('{"pytest_chimera_run": 1, "tests": {"t": {"per_round": {"ttft_ms": [1' + "0" * 400 + "]}}}}",
                       "per_round.ttft_ms holds a number too large for a float (401 digits)"),
    "0005_backends.json": ('{"pytest_chimera_run": 1, "tests": {}, "machine_info": {"chimera": {"backends": 3}}}',
                           "machine_info.chimera.backends is not a list (got int)"),
}


def test_corrupt_saved_runs_are_named_and_skipped_never_an_internal_error(pytester: pytest.Pytester) -> None:
    _baseline(pytester)
    (saved,) = Path(pytester.path, ".chimera", "runs").glob("0001_*.json")
    for name, (content, _) in CORRUPT.items():
        (saved.parent / name).write_text(content)
    set_fake(pytester, tps=40.0)
    result = pytester.runpytest("--chimera-compare")
    assert result.ret == pytest.ExitCode.TESTS_FAILED  # the regression, found against the readable 0001
    result.stdout.fnmatch_lines([
        "*chimera compare (baseline: *0001_*.json)*",
        *(f"skipped unreadable saved run: *{name}: *{reason}*" for name, (_, reason) in sorted(CORRUPT.items(),
                                                                                            reverse=True)),
        "*REGRESSION (tokens_per_s:-10%)*",
    ])
    assert "INTERNALERROR" not in result.stdout.str()


def test_corrupt_files_in_benchmark_storage_are_named_and_skipped(pytester: pytest.Pytester) -> None:
    _baseline(pytester)  # --benchmark-autosave: .benchmarks/<machine>/0001_*.json
    shutil.rmtree(Path(pytester.path, ".chimera", "runs"))  # no records: the gate reads pytest-benchmark's files
    (saved,) = Path(pytester.path, ".benchmarks").rglob("0001_*.json")
    for name, (content, _) in CORRUPT.items():
        (saved.parent / name).write_text(content)
    set_fake(pytester, tps=40.0)
    result = pytester.runpytest("--chimera-compare")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines([
        "*chimera compare (baseline: *.benchmarks*0001_*.json)*",
        *(f"skipped unreadable saved run: *{name}: *{reason}*" for name, (_, reason) in sorted(CORRUPT.items(),
                                                                                            reverse=True)),
        "*REGRESSION (tokens_per_s:-10%)*",
    ])
    assert "INTERNALERROR" not in result.stdout.str()


@pytest.mark.parametrize(("name", "content", "reason"), [(n, c, r) for n, (c, r) in CORRUPT.items()])
def test_a_corrupt_baseline_path_is_a_usage_error_naming_it(pytester: pytest.Pytester, name: str, content: str,
                                                            reason: str) -> None:
    pytester_project(pytester)
    Path(pytester.path, name).write_text(content)
    result = pytester.runpytest(f"--chimera-compare={name}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR  # before any test runs, not a failed gate after the session
    result.stderr.fnmatch_lines([f"ERROR: --chimera-compare: {name}: *{reason}*; name a chimera run record*"])
    result.stdout.no_fnmatch_line("*passed*")
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()


def test_a_named_baseline_without_chimera_data_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester_project(pytester)
    Path(pytester.path, "plain.json").write_text(json.dumps({"machine_info": {}, "commit_info": {}, "benchmarks": [
        {"fullname": "test_x.py::test_sort", "name": "test_sort", "stats": {"median": 0.1}, "extra_info": {}}]}))
    result = pytester.runpytest("--chimera-compare=plain.json", "--chimera-allow-empty")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --chimera-compare: plain.json: no chimera data (no test in it recorded "
                                 "chimera metrics); name a chimera run record*"])


def test_a_non_finite_baseline_is_a_failure_to_measure(pytester: pytest.Pytester) -> None:
    _baseline(pytester)
    (saved,) = Path(pytester.path, ".chimera", "runs").glob("0001_*.json")
    text = saved.read_text()
    data = json.loads(text)
    data["tests"]["test_report.py::test_report"]["per_round"]["ttft_ms"][0] = None  # how a record writes NaN
    saved.write_text(json.dumps(data))
    result = pytester.runpytest("--chimera-compare")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines([
        "*ttft_ms*nan*NOT MEASURED*",
        "not measured: test_report.py::test_report ttft_ms (baseline ttft_ms holds nan: a failure to measure*",
        "*chimera gate FAILED: test_report.py::test_report: ttft_ms could not be measured*",
    ])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--chimera-fail-on", "tokens_per_s:+10%"], "*--chimera-fail-on*write tokens_per_s:-10%*"),
        (["--chimera-compare=tests/"], "*--chimera-compare*is not 'latest', a saved run number*"),
        (["--chimera-fail-on", "ttft_ms:+5%"], "*--chimera-fail-on needs --chimera-compare*"),
        (["--chimera-compare-any"], "*--chimera-compare-any needs --chimera-compare*"),
    ],
)
def test_bad_gate_options_are_usage_errors(pytester: pytest.Pytester, args: list[str], message: str) -> None:
    pytester_project(pytester)
    result = pytester.runpytest(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])


def test_without_pytest_benchmark_nothing_to_compare_fails(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_plain():\n    pass\n")
    result = pytester.runpytest("-p", "no:benchmark", "--chimera-compare")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*no baseline to compare with: no saved run in *runs (and pytest-benchmark's file "
                                 "storage is not active)*"])


def test_under_xdist_quality_is_compared_and_timing_rules_say_why_they_compared_nothing(
    pytester: pytest.Pytester,
) -> None:
    _baseline(pytester)
    set_fake(pytester, contradicted=2)
    result = pytester.runpytest_subprocess("-n", "2", "--chimera-compare", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED  # quality travels from the worker to the controller
    result.stdout.fnmatch_lines(["*contradicted*0*2*+2*REGRESSION (contradicted:+0)*"])
    assert "ttft_ms" not in result.stdout.str().split("chimera compare")[1].split("chimera gate")[0]
    set_fake(pytester, contradicted=0)
    explicit = pytester.runpytest_subprocess("-n", "2", "--chimera-compare", "-p", "no:cacheprovider",
                                             "--chimera-fail-on", "tokens_per_s:-10%,contradicted:+0")
    assert explicit.ret == pytest.ExitCode.TESTS_FAILED
    explicit.stdout.fnmatch_lines(["*chimera gate FAILED: rule tokens_per_s:-10% compared nothing: *the current run "
                                   "measured no timings (pytest-xdist*"])
    records = sorted(Path(pytester.path, ".chimera", "runs").glob("*.json"))
    assert [p.name[:4] for p in records] == ["0001", "0002", "0003"]  # one record per session, by the controller
    backends = json.loads(records[-1].read_text())["machine_info"]["chimera"]["backends"]
    assert [(b["model"], b["model_sha256"]) for b in backends] == [("gemma3:270m", "abc123")]  # sent by the workers
