"""The --chimera-compare gate through pytester: two sessions saving runs, the second changed in timing only."""

from __future__ import annotations

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
    result.stdout.fnmatch_lines(["*tokens_per_s*-20.0%*ok*", "*contradicted*0*3*+3*worse*-*"])


def test_a_different_model_refuses_unless_compare_any(pytester: pytest.Pytester) -> None:
    _baseline(pytester)
    set_fake(pytester, model="gemma3:1b", sha="f00d")
    result = pytester.runpytest("--chimera-compare")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines([
        "refusing to compare current run with baseline *0001_*.json:",
        "*models:*gemma3:270m*abc123*gemma3:1b*f00d*",
        "*test_report.py::test_report: baseline llama-cpp/gemma3:270m, current llama-cpp/gemma3:1b",
        "*chimera gate FAILED: refused to compare*--chimera-compare-any*",
    ])
    forced = pytester.runpytest("--chimera-compare", "--chimera-compare-any")
    assert forced.ret == pytest.ExitCode.OK
    forced.stdout.fnmatch_lines(["*compared despite different identity*", "*chimera gate passed*"])


def test_a_missing_baseline_is_a_message_unless_required(pytester: pytest.Pytester) -> None:
    pytester_project(pytester)
    result = pytester.runpytest("--chimera-compare")
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["*no baseline to compare with: no saved run in *.benchmarks*First run on this "
                                 "branch or machine?*Not a failure (pass --chimera-require-baseline*"])
    required = pytester.runpytest("--chimera-require-baseline")
    assert required.ret == pytest.ExitCode.TESTS_FAILED
    required.stdout.fnmatch_lines(["*chimera gate FAILED: no baseline to compare with*"])
    numbered = pytester.runpytest("--chimera-compare=7")
    assert numbered.ret == pytest.ExitCode.OK
    numbered.stdout.fnmatch_lines(["*no saved run number 0007 in*"])


def test_a_corrupt_latest_file_is_reported_and_skipped(pytester: pytest.Pytester) -> None:
    _baseline(pytester)
    (saved,) = Path(pytester.path, ".benchmarks").rglob("0001_*.json")
    (saved.parent / "0002_truncated.json").write_text('{"machine_info": {"node": "x"}, "benchm')
    set_fake(pytester, tps=40.0)
    result = pytester.runpytest("--chimera-compare")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines([
        "*chimera compare (baseline: *0001_*.json)*",
        "skipped unreadable saved run: *0002_truncated.json: invalid JSON (truncated or corrupt)*",
        "*REGRESSION (tokens_per_s:-10%)*",
    ])


def test_a_corrupt_baseline_path_fails_with_its_name(pytester: pytest.Pytester) -> None:
    pytester_project(pytester)
    pytester.makefile(".json", base='{"benchmarks": "nope"}')
    result = pytester.runpytest("--chimera-compare=base.json")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*chimera gate FAILED: baseline cannot be read: base.json: not a pytest-benchmark "
                                 "file (no 'benchmarks' list)*"])


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


def test_without_pytest_benchmark_the_gate_says_so(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_plain():\n    pass\n")
    result = pytester.runpytest("-p", "no:benchmark", "--chimera-compare")
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["*pytest-benchmark is not active*"])


def test_under_xdist_timings_are_not_captured_and_the_gate_says_why(pytester: pytest.Pytester) -> None:
    _baseline(pytester)
    pytester.makepyfile(test_xdist="""
        from pytest_chimera.plugin.capture import capture_rounds

        def test_quality_only(benchmark, fake_agent, quality):
            calls = []
            def run_once():
                calls.append(1)
                return fake_agent()
            run = capture_rounds(benchmark, run_once, 6, quality=quality)
            assert len(calls) == 1 and run.model
            info = benchmark.extra_info["chimera"]
            assert info["timings"] is False and set(info["per_round"]) == {
                "supported", "contradicted", "unverified", "structure_failed"}
            assert "pytest-xdist" in info["notes"][0]
    """)
    result = pytester.runpytest_subprocess("-n", "2", "--chimera-compare", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["*pytest-benchmark is disabled under pytest-xdist*-p no:xdist or -n 0*"])
