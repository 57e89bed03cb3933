"""``pytest-chimera compare`` through ``cli.main`` and capsys."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from bench_files import saved_json, speeds, write

from pytest_chimera.cli import main

TEST = "tests/test_report.py::test_insight"


def _file(tmp_path: Path, name: str, tps: float, *, contradicted: int = 0, n: int = 8, **kw: object) -> str:
    data = saved_json({TEST: {"tokens_per_s": speeds(tps, n), "ttft_ms": speeds(100, n),
                              "contradicted": [contradicted] * n}}, **kw)  # type: ignore[arg-type]
    return str(write(tmp_path / name, data))


def test_a_regression_exits_1_with_the_rule_and_test(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["compare", _file(tmp_path, "a.json", 50), _file(tmp_path, "b.json", 40)])
    out = capsys.readouterr().out
    assert code == 1
    assert "REGRESSION (tokens_per_s:-10%)" in out
    assert "Mann-Whitney U (exact, one-sided), p=7.77e-05" in out
    assert out.rstrip().endswith("chimera gate FAILED: 1 regression(s), 3 metric(s)")


def test_json_output_has_the_documented_rows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["compare", _file(tmp_path, "a.json", 50), _file(tmp_path, "b.json", 40, contradicted=2), "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 1 and data["regressions"] == 2
    row = next(r for r in data["rows"] if r["metric"] == "contradicted")
    # 8 checked runs a side: the exact permutation test on the counts (all 0 against all 2: 1 / C(16, 8))
    assert row == {"test": TEST, "metric": "contradicted", "baseline": 0.0, "current": 2.0, "change_pct": None,
                   "verdict": "regression", "p_value": pytest.approx(1 / 12870), "rule": "contradicted:+0"}
    assert {"test", "metric", "baseline", "current", "change_pct", "verdict", "p_value"} <= set(data["rows"][0])


def test_an_improvement_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", _file(tmp_path, "a.json", 50), _file(tmp_path, "b.json", 70)]) == 0
    assert "improved" in capsys.readouterr().out


def test_fail_on_replaces_the_default_rules(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    files = [_file(tmp_path, "a.json", 50), _file(tmp_path, "b.json", 40)]
    assert main(["compare", *files, "--fail-on", "tokens_per_s:-25%"]) == 0
    assert main(["compare", *files, "--fail-on", "ttft_ms:+1%,tokens_per_s:-15%"]) == 1


def test_markdown_for_a_pull_request(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["compare", _file(tmp_path, "a.json", 50), _file(tmp_path, "b.json", 40), "--markdown"])
    out = capsys.readouterr().out
    assert out.startswith("### chimera: `b.json` vs baseline `a.json`")
    row = f"| `{TEST}` | tokens_per_s | 49.94 | 39.95 | -20.0% | **REGRESSION (tokens_per_s:-10%)** | 7.77e-05 |"
    assert row in out


def test_many_files_show_a_trend_and_gate_first_against_last(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    files = [_file(tmp_path, f"{i:04d}.json", tps, commit=f"c0mmit{i}") for i, tps in enumerate([50, 30, 49])]
    assert main(["compare", *files]) == 0  # the middle run was slow, the last is back within 10%
    out = capsys.readouterr().out
    assert f"{TEST}  (medians across 3 runs)" in out
    assert "c0mmit1" in out and "29.96" in out


def test_mixed_models_refuse_unless_compare_any(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    files = [_file(tmp_path, "a.json", 50), _file(tmp_path, "b.json", 50, model="gemma3:1b", sha="f00")]
    assert main(["compare", *files]) == 1
    out = capsys.readouterr().out
    assert "refusing to compare" in out and "gemma3:1b" in out and "--compare-any" in out
    assert main(["compare", *files, "--compare-any"]) == 0


def test_unreadable_or_foreign_ends_are_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = _file(tmp_path, "a.json", 50)
    bad = tmp_path / "b.json"
    bad.write_text('{"benchmarks": [{"fullname": "x", "extra_info"')
    assert main(["compare", good, str(bad)]) == 2
    assert f"pytest-chimera compare: {bad}: invalid JSON (truncated or corrupt)" in capsys.readouterr().err
    foreign = write(tmp_path / "package.json", {"name": "left-pad"})
    assert main(["compare", str(foreign), good]) == 2
    err = capsys.readouterr().err
    assert "package.json: not a chimera run record or pytest-benchmark file (no 'benchmarks' list)" in err
    assert main(["compare", good]) == 2
    assert "needs at least two files" in capsys.readouterr().err


def test_a_corrupt_middle_file_is_skipped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    middle = tmp_path / "m.json"
    middle.write_bytes(b"\x00\x01")
    code = main(["compare", _file(tmp_path, "a.json", 50), str(middle), _file(tmp_path, "b.json", 50)])
    err = capsys.readouterr().err
    assert code == 0
    assert "m.json: invalid JSON (truncated or corrupt)" in err and "(skipped; the trend goes on without it)" in err


def test_bad_rules_are_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["compare", "a.json", "b.json", "--fail-on", "tokens_per_s:+10%"])
    assert info.value.code == 2
    assert "write tokens_per_s:-10%" in capsys.readouterr().err


def test_plot_writes_a_png(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    png = tmp_path / "out" / "trend.png"
    files = [_file(tmp_path, f"{i}.json", tps) for i, tps in enumerate([50, 45, 52])]
    assert main(["compare", *files, "--plot", str(png)]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in png.parent.iterdir()] == ["trend.png"]  # no temporary file left


@pytest.mark.parametrize("where", ["folder", "under_a_file"])
def test_an_unwritable_plot_is_a_usage_error_before_the_gate_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                  where: str) -> None:
    files = [_file(tmp_path, "a.json", 50), _file(tmp_path, "b.json", 25)]  # a regression: exit 1 if compared
    (tmp_path / "folder").mkdir()
    plot = tmp_path / "folder" if where == "folder" else tmp_path / "a.json" / "t.png"
    assert main(["compare", *files, "--plot", str(plot)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and "Traceback" not in err
    expected = "is a directory; give a file path" if where == "folder" else "is a file, not a directory"
    assert err.startswith(f"pytest-chimera compare: --plot {str(plot)!r}") and expected in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json", "b.json", "folder"]  # no temporary file


def test_plot_without_matplotlib_says_how_to_get_it(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    files = [_file(tmp_path, "a.json", 50), _file(tmp_path, "b.json", 50)]
    assert main(["compare", *files, "--plot", str(tmp_path / "t.png")]) == 2
    assert "--plot needs matplotlib: pip install 'pytest-chimera[plot]'" in capsys.readouterr().err
    assert not (tmp_path / "t.png").exists()


# ------------------------------------------------------------------------------ bad input never passes


@pytest.mark.parametrize("bad", ["NaN", "Infinity", "-Infinity"])
@pytest.mark.parametrize("side", ["baseline", "current"])
def test_a_non_finite_run_is_a_failure_to_measure(tmp_path: Path, capsys: pytest.CaptureFixture[str], bad: str,
                                                 side: str) -> None:
    good = _file(tmp_path, "good.json", 50)
    broken = tmp_path / "broken.json"
    broken.write_text(Path(good).read_text().replace('"ttft_ms": [', f'"ttft_ms": [{bad}, ', 1))
    files = [good, str(broken)] if side == "current" else [str(broken), good]
    assert main(["compare", *files]) == 1
    out = capsys.readouterr().out
    assert "NOT MEASURED" in out and f"not measured: {TEST} ttft_ms ({side} ttft_ms holds" in out
    assert "a failure to measure" in out and out.rstrip().endswith("metric(s)")
    assert "FAILED: 0 regression(s), 1 not measured" in out


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("[" * 100_000 + "]" * 100_000, "JSON nested too deeply to read"),
        (None, "per_round.ttft_ms holds a number too large for a float (401 digits)"),
        ('{"benchmarks": [], "machine_info": {"chimera": {"backends": 7}}}',
         "machine_info.chimera.backends is not a list (got int)"),
    ],
)
def test_corrupt_runs_exit_2_naming_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                             content: str | None, reason: str) -> None:
    good = _file(tmp_path, "good.json", 50)
    bad = tmp_path / "bad.json"
    bad.write_text(content if content is not None else
                   Path(good).read_text().replace('"ttft_ms": [', '"ttft_ms": [1' + "0" * 400 + ", ", 1))
    for files in ([good, str(bad)], [str(bad), good]):
        assert main(["compare", *files]) == 2
        err = capsys.readouterr().err
        assert f"pytest-chimera compare: {bad}: " in err and reason in err and "Traceback" not in err


def test_a_plain_pytest_benchmark_file_is_not_compared_with_zero_metrics(tmp_path: Path,
                                                                        capsys: pytest.CaptureFixture[str]) -> None:
    plain = write(tmp_path / "plain.json", {"machine_info": {}, "benchmarks": [
        {"name": "test_sort", "fullname": "test_sort.py::test_sort", "stats": {"mean": 0.1}, "extra_info": {}}]})
    assert main(["compare", _file(tmp_path, "a.json", 50), str(plain)]) == 2
    assert f"{plain}: no chimera data" in capsys.readouterr().err
    assert main(["compare", str(plain), _file(tmp_path, "b.json", 50), "--allow-empty"]) == 2  # not even allowed


def test_nothing_shared_fails_unless_allowed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    other = write(tmp_path / "other.json", saved_json({"tests/test_other.py::test_x": {"tokens_per_s": [50.0]}}))
    files = [_file(tmp_path, "a.json", 50), str(other)]
    assert main(["compare", *files]) == 1
    out = capsys.readouterr().out
    assert "nothing compared: no test is in both runs" in out and "chimera gate FAILED" in out
    assert main(["compare", *files, "--allow-empty"]) == 0
    assert "(nothing compared allowed by --allow-empty)" in capsys.readouterr().out
    assert main(["compare", *files, "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["empty"][0].startswith("nothing compared")


def test_an_explicit_rule_without_data_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    files = [_file(tmp_path, "a.json", 50), _file(tmp_path, "b.json", 50)]
    assert main(["compare", *files]) == 0  # the default rules: structure_failed has no data, not asked for
    assert main(["compare", *files, "--fail-on", "tokens_per_s:-10%,structure_failed:+0"]) == 1
    assert "rule structure_failed:+0 compared nothing: baseline: 0 of 1 shared tests" in capsys.readouterr().out
