"""Run records, samples, the exact tests for counts, and saved runs that are bad input (pure logic, no pytest run)."""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
from pathlib import Path
from typing import Any

import pytest
from bench_files import fake_run, saved_json, write
from hypothesis import given
from hypothesis import strategies as st

from pytest_chimera import gating as cmp
from pytest_chimera.gating import runrecord, samples
from pytest_chimera.gating.record import Checked, build_extra_info
from pytest_chimera.plugin import capture

TEST = "tests/test_report.py::test_insight"

# ------------------------------------------------------------------------------------ exact tests


def _brute_force_greater(x: list[int], y: list[int]) -> float:
    """P(rank sum of x >= observed) over every way of choosing len(x) of the pooled values (mid-ranks)."""
    pooled = sorted(x + y)
    ranks = {v: (pooled.index(v) + 1 + len(pooled) - pooled[::-1].index(v)) / 2 for v in pooled}
    observed = sum(ranks[v] for v in x)
    values = x + y
    hits = total = 0
    for chosen in itertools.combinations(range(len(values)), len(x)):
        total += 1
        hits += sum(ranks[values[i]] for i in chosen) >= observed - 1e-9
    return hits / total


@given(st.lists(st.integers(0, 3), min_size=1, max_size=6), st.lists(st.integers(0, 3), min_size=1, max_size=6))
def test_exact_permutation_test_with_ties_counts_every_split(x: list[int], y: list[int]) -> None:
    assert cmp.exact_greater(x, y).p_value == pytest.approx(_brute_force_greater(x, y))


@given(st.integers(1, 12), st.integers(1, 12), st.data())
def test_fisher_is_the_exact_test_on_pass_fail_counts(n_a: int, n_b: int, data: st.DataObject) -> None:
    a, b = data.draw(st.integers(0, n_a)), data.draw(st.integers(0, n_b))
    p = cmp.fisher_fewer(a, n_a, b, n_b)
    baseline, current = [1] * a + [0] * (n_a - a), [1] * b + [0] * (n_b - b)
    assert p == pytest.approx(cmp.exact_greater(baseline, current).p_value)  # the same test, two ways
    assert 0 < p <= 1


def test_fisher_reference_values() -> None:
    assert cmp.fisher_fewer(6, 6, 0, 6) == pytest.approx(1 / 924)  # every sample passed, then none
    assert cmp.fisher_fewer(10, 10, 5, 10) == pytest.approx(3003 / 184756)
    assert cmp.fisher_fewer(3, 3, 3, 3) == 1.0
    with pytest.raises(ValueError, match="between 0 and the sample size"):
        cmp.fisher_fewer(4, 3, 0, 3)


# ---------------------------------------------------------------------------------------- samples


@given(st.text(min_size=1), st.integers(2, 8), st.one_of(st.none(), st.integers(0, 2**31)))
def test_sample_seeds_are_reproducible_distinct_and_positive(test_id: str, n: int, base: int | None) -> None:
    seeds = samples.sample_seeds(test_id, n, base)
    assert seeds == samples.sample_seeds(test_id, n, base)  # a rerun asks the same questions
    assert len(set(seeds)) == n and all(s is not None and 0 < s < 2**31 for s in seeds)
    assert samples.sample_seeds(test_id + "x", n, base) != seeds


def test_one_sample_keeps_the_configured_seed() -> None:
    assert samples.sample_seeds("t", 1, 42) == [42]
    assert samples.sample_seeds("t", 1, None) == [None]
    assert samples.sample_seeds("t", 2, 42) != samples.sample_seeds("t", 2, 43)


@given(st.lists(st.booleans(), min_size=1, max_size=20))
def test_summary_counts_passes_and_flips(verdicts: list[bool]) -> None:
    info = samples.summary(verdicts, 1.0)
    assert info["passed"] == sum(verdicts) and info["n"] == len(verdicts)
    assert info["flips"] == sum(a != b for a, b in zip(verdicts, verdicts[1:], strict=False))
    assert info["flaky"] == (0 < sum(verdicts) < len(verdicts))
    assert info["ok"] == all(verdicts)
    assert samples.summary(verdicts, 1e-9)["ok"] == any(verdicts)


# ------------------------------------------------------------------------------------- the gate


def _record(tests: dict[str, dict[str, Any]], **machine: Any) -> dict[str, Any]:
    return runrecord.build_record(tests, {"system": "Linux", "machine": "x86_64", **machine}, {"id": "c0ffee"}, {})


def _block(per_round: dict[str, list[float]], verdicts: list[str] | None = None, failed: list[list[str]] | None = None,
           timings: bool = False, **identity: str) -> dict[str, Any]:
    block: dict[str, Any] = {"backend": "fake", "model": "fake:1", "per_round": per_round, "timings": timings}
    if verdicts is not None:
        block["samples"] = {"verdicts": verdicts}
    if failed is not None:
        block["structure"] = {"rules": ["a", "b"], "failed": failed}
    if identity:
        block["identity"] = identity
    return block


def _compare(base: dict[str, Any], cur: dict[str, Any], rules: str = cmp.DEFAULT_RULES, **kw: Any) -> cmp.Comparison:
    return cmp.compare_runs(cmp.run_from_json(_record({TEST: base}), "a"), cmp.run_from_json(_record({TEST: cur}), "b"),
                            cmp.parse_rules(rules), **kw)


def test_pass_rate_uses_fisher_with_enough_samples_and_the_threshold_alone_with_few() -> None:
    few = _compare(_block({}, ["passed"] * 3), _block({}, ["passed", "failed", "passed"]))
    (row,) = few.rows
    assert (row.metric, row.verdict, row.p_value) == ("pass_rate", "regression", None)
    noisy = _compare(_block({}, ["passed"] * 6), _block({}, ["passed"] * 5 + ["failed"]))
    assert noisy.rows[0].verdict == "not significant" and noisy.rows[0].p_value == pytest.approx(0.5)
    broken = _compare(_block({}, ["passed"] * 6), _block({}, ["failed"] * 6))
    assert broken.rows[0].verdict == "regression" and broken.rows[0].p_value == pytest.approx(1 / 924)


def test_quality_counts_with_enough_samples_need_the_exact_test() -> None:
    noisy = _compare(_block({"contradicted": [0] * 6}), _block({"contradicted": [0, 0, 0, 1, 1, 1]}))
    assert noisy.rows[0].verdict == "not significant" and noisy.rows[0].p_value == pytest.approx(20 / 220)
    clear = _compare(_block({"contradicted": [0] * 6}), _block({"contradicted": [1] * 6}))
    assert clear.rows[0].verdict == "regression" and clear.rows[0].p_value == pytest.approx(1 / 924)
    assert "exact permutation" in clear.rows[0].note


def test_a_structure_rule_newly_failing_is_a_regression_even_when_the_count_stays() -> None:
    result = _compare(_block({"structure_failed": [1]}, failed=[["a"]]), _block({"structure_failed": [1]},
                                                                                 failed=[["b"]]))
    verdicts = {r.metric: r.verdict for r in result.rows}
    assert verdicts == {"structure_failed": "ok", "structure[a]": "improved", "structure[b]": "regression"}


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, None])
def test_a_non_finite_value_is_not_measured_on_either_side(bad: float | None) -> None:
    good = _block({"ttft_ms": [100.0, 101.0]}, timings=True)
    broken = _block({"ttft_ms": [100.0, bad]}, timings=True)  # type: ignore[list-item]
    for base, cur in ((good, broken), (broken, good)):
        result = _compare(base, cur)
        (row,) = result.rows
        assert row.verdict == "not measured" and result.failures == [row]
        assert "a failure to measure" in row.note and row.rule == "ttft_ms:+20%"
        assert any(line.startswith("not measured: ") for line in cmp.table_lines(result))


def test_nothing_compared_says_why() -> None:
    empty = cmp.compare_runs(cmp.run_from_json(_record({}), "a"), cmp.run_from_json(_record({TEST: _block(
        {"supported": [1]})}), "b"), {})
    assert empty.empty == ["nothing compared: the baseline holds no chimera test (no chimera_report or "
                           "capture_rounds test ran, or the file has no chimera data)"]
    disjoint = cmp.compare_runs(cmp.run_from_json(_record({"x": _block({"supported": [1]})}), "a"),
                                cmp.run_from_json(_record({"y": _block({"supported": [1]})}), "b"), {})
    assert disjoint.empty == ["nothing compared: no test is in both runs (baseline 1 tests, current 1 tests)"]
    quality_only = _compare(_block({"ttft_ms": [1.0], "supported": [1]}, timings=True), _block({"supported": [1]}),
                            "tokens_per_s:-10%,supported:-0", every_rule=True)
    assert [r.metric for r in quality_only.rows] == ["supported"]
    (reason,) = quality_only.empty
    assert reason.startswith("rule tokens_per_s:-10% compared nothing: baseline: 0 of 1 shared tests")
    assert "the current run measured no timings (pytest-xdist" in reason
    assert _compare(_block({"ttft_ms": [1.0]}, timings=True), _block({"supported": [1]})).empty == [
        "nothing compared: the shared tests have no metric on both sides"]


def test_identity_names_what_differs_and_refuses_a_mixed_run() -> None:
    base = _block({"supported": [1]}, digest="aaa", accelerator="cpu")
    result = _compare(base, _block({"supported": [1]}, digest="bbb", accelerator="gpu"))
    assert result.refused == ["fake:1 (fake) model file: baseline aaa, current bbb",
                              "fake:1 (fake) accelerator: baseline cpu, current gpu"]
    mixed = cmp.run_from_json(_record({"t1": _block({"supported": [1]}, digest="aaa"),
                                       "t2": _block({"supported": [1]}, digest="ccc")}), "b")
    base_run = cmp.run_from_json(_record({"t1": base, "t2": base}), "a")
    refused = cmp.compare_runs(base_run, mixed, {}).refused
    assert "mixed model file within the current run: fake:1 (fake) ran with aaa and ccc" in refused


def test_the_machine_is_compared_only_when_timings_are() -> None:
    def run(cpu: str, timings: bool) -> cmp.SavedRun:
        block = _block({"ttft_ms": [1.0], "supported": [1]} if timings else {"supported": [1]}, timings=timings)
        return cmp.run_from_json(runrecord.build_record({TEST: block}, {"cpu": {"brand_raw": cpu}}, {}, {}), cpu)

    assert cmp.compare_runs(run("AMD EPYC", True), run("Intel Xeon", True), {}).refused == [
        "machine cpu.brand_raw: baseline 'AMD EPYC', current 'Intel Xeon'"]
    assert cmp.compare_runs(run("AMD EPYC", True), run("Intel Xeon", False), {}).refused == []


# ------------------------------------------------------------------------------------ records


def test_a_record_is_strict_json_with_non_finite_values_as_null(tmp_path: Path) -> None:
    record = _record({TEST: _block({"ttft_ms": [1.0, math.nan, math.inf]}, timings=True)})
    first = runrecord.write_record(tmp_path / "runs", record)
    second = runrecord.write_record(tmp_path / "runs", record)
    assert [first.name[:5], second.name[:5]] == ["0001_", "0002_"]
    text = first.read_text()
    assert "NaN" not in text and "Infinity" not in text
    assert json.loads(text)["tests"][TEST]["per_round"]["ttft_ms"] == [1.0, None, None]
    loaded = cmp.load_run(first)
    assert loaded.kind == "chimera record" and math.isnan(loaded.tests[TEST].per_round["ttft_ms"][1])
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == [first.name, second.name]  # no temp files


def test_both_forms_read_to_the_same_test_metrics(tmp_path: Path) -> None:
    block = build_extra_info([fake_run(100, 50)] * 2, lambda run: Checked({"supported": 3}, "insight", ("a",), ()),
                             warmup_rounds=1, timings_enabled=True)
    bench = write(tmp_path / "bench.json", {"benchmarks": [{"fullname": TEST, "extra_info": {"chimera": block}}]})
    record = runrecord.write_record(tmp_path / "runs", _record({TEST: block}))
    a, b = cmp.load_run(bench).tests[TEST], cmp.load_run(record).tests[TEST]
    assert a == b and a.per_round["supported"] == [3.0, 3.0] and a.structure_failed == ((), ())


# ------------------------------------------------------------------------------------ bad files

BAD: dict[str, tuple[str, str]] = {
    "deep": ("[" * 50_000 + "]" * 50_000, "JSON nested too deeply to read"),
    "huge_int": (json.dumps(saved_json({TEST: {"ttft_ms": [1]}})).replace('"ttft_ms": [1]', '"ttft_ms": [1' + "0" * 400
                                                                          + "]"),
                 "per_round.ttft_ms holds a number too large for a float (401 digits)"),
    "huger_int": ('{"benchmarks": [' + "9" * 5000 + "]}", "unreadable JSON value"),
    "backends_int": (json.dumps({**saved_json({TEST: {"ttft_ms": [1]}}), "machine_info": {"chimera": {"backends": 5}}}),
                     "machine_info.chimera.backends is not a list (got int)"),
    "backend_entry": (json.dumps({"benchmarks": [], "machine_info": {"chimera": {"backends": ["x"]}}}),
                      "machine_info.chimera.backends[0] is not an object (got str)"),
    "machine_list": ('{"benchmarks": [], "machine_info": []}', "machine_info is not an object (got list)"),
    "tests_list": ('{"pytest_chimera_run": 1, "tests": []}', "tests is not an object (got list)"),
    "per_round_bool": ('{"pytest_chimera_run": 1, "tests": {"t": {"per_round": {"x": [true]}}}}',
                       "per_round.x is not a list of numbers (holds bool)"),
    "verdicts": ('{"pytest_chimera_run": 1, "tests": {"t": {"per_round": {}, "samples": {"verdicts": [1]}}}}',
                 "samples.verdicts is not a list of 'passed'/'failed'"),
    "structure": ('{"pytest_chimera_run": 1, "tests": {"t": {"per_round": {}, "structure": {"failed": [3]}}}}',
                  "structure.failed is not a list of lists of rule ids"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_saved_runs_raise_run_file_error_naming_the_file(tmp_path: Path, name: str) -> None:
    content, reason = BAD[name]
    path = tmp_path / f"{name}.json"
    path.write_text(content)
    with pytest.raises(cmp.RunFileError) as info:
        cmp.load_run(path)
    assert str(path) in str(info.value) and reason in str(info.value)


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(
                        ["benchmarks", "pytest_chimera_run", "tests", "machine_info", "chimera", "backends",
                         "extra_info", "per_round", "samples", "structure", "identity", "cpu", "ttft_ms"]), inner,
                        max_size=4), max_leaves=30))
def test_any_json_shape_reads_or_raises_run_file_error(data: Any) -> None:
    try:
        run = cmp.run_from_json(data, "x.json")
    except cmp.RunFileError as exc:
        assert str(exc).startswith("x.json: ")
        return
    cmp.compare_runs(run, run, cmp.parse_rules(cmp.DEFAULT_RULES))  # and whatever was read compares


# ---------------------------------------------------------------------------------- xdist guard


class _Benchmark:
    def __init__(self) -> None:
        self.extra_info: dict[str, Any] = {}
        self.disabled = False
        self.pedantic_calls = 0

    def pedantic(self, target: Any, **kwargs: Any) -> Any:
        self.pedantic_calls += 1
        return [target() for _ in range(kwargs["rounds"] + kwargs["warmup_rounds"])][-1]


@pytest.mark.usefixtures("not_a_worker")
def test_an_xdist_worker_never_times_even_when_pytest_benchmark_does_not_disable_itself(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bench = _Benchmark()
    capture.capture_rounds(bench, lambda: fake_run(100, 50), 6)
    assert bench.pedantic_calls == 1 and bench.extra_info["chimera"]["timings"] is True
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw1")
    worker = _Benchmark()
    capture.capture_rounds(worker, lambda: fake_run(100, 50), 6)
    assert worker.pedantic_calls == 0 and worker.extra_info["chimera"]["timings"] is False


def test_large_samples_use_the_normal_approximation() -> None:
    small = cmp.exact_greater([1, 2, 2, 3] * 3, [0, 1, 1, 2] * 3)
    assert small.method == "exact permutation"
    large = [0, 1, 1, 2] * 10
    assert cmp.exact_greater([v + 1 for v in large], large).method == "normal"  # 80 values: beyond EXACT_MAX
    assert cmp.fisher_fewer(9000, 10000, 8000, 10000) < 1e-6  # 20,000 samples: the normal approximation
    assert cmp.fisher_fewer(1000, 1000, 999, 1000) == pytest.approx(0.5)  # exact below FISHER_MAX


# ------------------------------------------------------------------------------ metrics a backend cannot give


def _unmeasuring_run(*missing: str) -> Any:
    """A fake run whose report call lists ``missing`` (as the openai backend lists load_ms, prompt_eval_ms)."""
    run = fake_run(100, 40)
    run.calls[1] = dataclasses.replace(run.calls[1], metrics=dataclasses.replace(run.calls[1].metrics,
                                                                                 missing=missing))
    return run


def test_a_metric_the_backend_could_not_measure_is_left_out_not_stored_as_zero() -> None:
    block = build_extra_info([_unmeasuring_run("load_ms", "eval_ms")] * 3, None, warmup_rounds=1,
                             timings_enabled=True)
    assert block["missing"] == ["eval_ms", "load_ms", "tokens_per_s"]  # tokens_per_s is eval_count / eval_ms
    assert not {"load_ms", "eval_ms", "tokens_per_s"} & (set(block["per_round"]) | set(block["summary"]))
    assert block["per_round"]["ttft_ms"] == [100.0] * 3 and block["per_round"]["prompt_eval_ms"] == [80.0] * 3
    assert any("not measured by the backend" in n and "load_ms" in n for n in block["notes"])
    measured = build_extra_info([fake_run(100, 40)] * 3, None, warmup_rounds=1, timings_enabled=True)
    assert "missing" not in measured and measured["per_round"]["load_ms"] == [10.0] * 3


@given(st.lists(st.sets(st.sampled_from(["ttft_ms", "prompt_eval_ms", "eval_ms", "eval_count", "load_ms",
                                         "total_ms", "tokens_per_s", "wall_ms"])), min_size=1, max_size=4))
def test_per_round_never_holds_an_unmeasured_metric_and_stays_one_value_per_round(missing: list[set[str]]) -> None:
    block = build_extra_info([_unmeasuring_run(*sorted(m)) for m in missing], None, warmup_rounds=1,
                             timings_enabled=True)
    gone = set().union(*missing)
    if gone & {"eval_ms", "eval_count"}:
        gone.add("tokens_per_s")
    gone &= set(cmp.TIMING_METRICS)
    assert set(block.get("missing", [])) == gone and not gone & set(block["per_round"])
    assert set(block["per_round"]) == set(cmp.TIMING_METRICS) - gone
    assert all(len(v) == len(missing) for v in block["per_round"].values())


@pytest.mark.parametrize("side", ["baseline", "current"])
def test_a_metric_one_side_could_not_measure_is_not_compared_never_a_regression(side: str) -> None:
    measured = _block({"ttft_ms": [10.0] * 5, "load_ms": [900.0] * 5}, timings=True)
    unmeasured = {**_block({"ttft_ms": [10.0] * 5}, timings=True), "missing": ["load_ms"]}
    base, cur = (unmeasured, measured) if side == "baseline" else (measured, unmeasured)
    result = _compare(base, cur, "load_ms:+0%,ttft_ms:+20%", every_rule=True)
    (row,) = [r for r in result.rows if r.metric == "load_ms"]
    assert row.verdict == "not compared" and not result.failures
    assert [r.metric for r in result.compared] == ["ttft_ms"] and result.not_compared == [row]
    assert f"{TEST}: load_ms not compared: the {side} run has no value (its backend could not measure it)" in (
        result.warnings)
    (reason,) = result.empty  # an explicit rule on it compared nothing, and says why
    assert reason.startswith("rule load_ms:+0% compared nothing") and "could not measure load_ms" in reason
    lines = "\n".join(cmp.table_lines(result))
    assert "load_ms" in lines and "not compared" in lines and "REGRESSION" not in lines
    assert "| not compared |" in cmp.markdown(result)
    assert result.to_json()["not_compared"] == 1


def test_a_missing_list_of_the_wrong_shape_is_a_run_file_error() -> None:
    with pytest.raises(cmp.RunFileError, match=r"test t\.missing is not a list of metric names"):
        cmp.run_from_json(_record({"t": {**_block({}), "missing": "load_ms"}}), "x.json")
