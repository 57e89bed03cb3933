"""Rules, statistics, verdicts and saved-file reading of pytest_chimera.gating.compare."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from bench_files import saved_json, speeds, write
from hypothesis import given
from hypothesis import strategies as st

from pytest_chimera import gating as cmp
from pytest_chimera.gating import stats

# ------------------------------------------------------------------------------------------ rules


def test_parse_rules_reads_metric_sign_amount_and_unit() -> None:
    rules = cmp.parse_rules("tokens_per_s:-10%, ttft_ms:+20%,contradicted:+0")
    assert rules["tokens_per_s"] == cmp.Rule("tokens_per_s", -1, 10.0, True)
    assert rules["ttft_ms"] == cmp.Rule("ttft_ms", +1, 20.0, True)
    assert rules["contradicted"] == cmp.Rule("contradicted", +1, 0.0, False)
    assert str(rules["tokens_per_s"]) == "tokens_per_s:-10%"
    assert cmp.parse_rules("") == {}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("tokens_per_s:+10%", "write tokens_per_s:-10%"),  # a rise of tokens/s is an improvement
        ("ttft_ms:-20%", "write ttft_ms:+20%"),
        ("speed:-10%", "unknown metric 'speed'"),
        ("ttft_ms:20%", "needs a sign"),
        ("ttft_ms:+lots%", "'lots' is not a number"),
        ("ttft_ms", "expected METRIC:+N%"),
        ("ttft_ms:+nan%", "finite number"),
    ],
)
def test_bad_rules_name_the_rule_and_the_fix(text: str, message: str) -> None:
    with pytest.raises(cmp.RuleError, match=None) as info:
        cmp.parse_rules(text)
    assert message in str(info.value)
    assert repr(text.split(",")[0]) in str(info.value)


# -------------------------------------------------------------------------------------- verdicts

SEVERITY = {v: i for i, v in enumerate(cmp.VERDICTS)}
metrics = st.sampled_from(sorted(m for m, d in cmp.DIRECTION.items() if d != 0))
amounts = st.floats(min_value=0, max_value=200, allow_nan=False)
baselines = st.floats(min_value=0.5, max_value=1e4, allow_nan=False)
changes = st.floats(min_value=-0.99, max_value=5, allow_nan=False)
p_values = st.one_of(st.none(), st.floats(min_value=0, max_value=1))


def _bad_rule(metric: str, amount: float, percent: bool) -> cmp.Rule:
    return cmp.Rule(metric, -cmp.DIRECTION[metric], amount, percent)


def _worse(metric: str, base: float, w: float) -> float:
    """A current value that grows worse as w grows: up for lower-is-better metrics, down otherwise."""
    return base * (1 + w) if cmp.DIRECTION[metric] < 0 else base * (1 - w / 6)


@given(metrics, amounts, st.booleans(), baselines, changes, changes, p_values)
def test_verdict_is_monotone_in_the_change_towards_worse(
    metric: str, amount: float, percent: bool, base: float, c1: float, c2: float, p: float | None
) -> None:
    rule = _bad_rule(metric, amount, percent)
    small, large = sorted((c1, c2))
    v_small = cmp.judge(rule, metric, base, _worse(metric, base, small), p)
    v_large = cmp.judge(rule, metric, base, _worse(metric, base, large), p)
    assert SEVERITY[v_small] <= SEVERITY[v_large]


@given(metrics, amounts, st.booleans(), baselines, st.floats(min_value=0, max_value=0.99), p_values)
def test_improvements_never_fail(metric: str, amount: float, percent: bool, base: float, gain: float,
                                 p: float | None) -> None:
    rule = _bad_rule(metric, amount, percent)
    good = cmp.DIRECTION[metric]
    current = base * (1 + gain) if good > 0 else base * (1 - gain)
    assert cmp.judge(rule, metric, base, current, p) in ("improved", "ok")


@given(metrics, baselines, st.floats(min_value=0.01, max_value=0.99))
def test_a_worse_value_past_the_threshold_fails_only_with_significance(metric: str, base: float, loss: float) -> None:
    rule = _bad_rule(metric, 0.0, True)
    current = base * (1 - loss) if cmp.DIRECTION[metric] > 0 else base * (1 + loss)
    assert cmp.judge(rule, metric, base, current, None) == "regression"  # thin evidence: threshold alone
    assert cmp.judge(rule, metric, base, current, 0.001) == "regression"
    assert cmp.judge(rule, metric, base, current, 0.2) == "not significant"


def test_threshold_is_strictly_more_than_the_amount() -> None:
    rule = cmp.parse_rules("ttft_ms:+20%")["ttft_ms"]
    assert cmp.judge(rule, "ttft_ms", 100, 120, None) == "ok"
    assert cmp.judge(rule, "ttft_ms", 100, 120.5, None) == "regression"
    assert cmp.judge(rule, "ttft_ms", 100, 70, None) == "improved"
    count = cmp.parse_rules("contradicted:+0")["contradicted"]
    assert cmp.judge(count, "contradicted", 0, 1, None) == "regression"
    assert cmp.judge(count, "contradicted", 2, 2, None) == "ok"


# ------------------------------------------------------------------------------------ statistics

# Reference values from scipy.stats.mannwhitneyu(x, y, alternative="greater") 1.17 (exact method where
# there are no ties, asymptotic with tie and continuity correction otherwise).
MWU_CASES = [
    ([4, 5, 6], [1, 2, 3], 9.0, 0.05, "exact"),
    ([1, 2, 3, 4, 5, 6], [7, 8, 9, 10, 11, 12], 0.0, 1.0, "exact"),
    ([10, 11, 12, 13, 14, 15], [1, 2, 3, 4, 5, 6], 36.0, 1 / 924, "exact"),
    ([1.5, 3.2, 4.0, 7.1], [2.0, 2.5, 6.0, 8.0, 9.0], 7.0, 0.7936507936507936, "exact"),
    ([1, 2, 2, 3, 3, 3, 4], [2, 3, 4, 4, 5, 5], 8.5, 0.9717782889227976, "normal"),
]


@pytest.mark.parametrize(("x", "y", "u", "p", "method"), MWU_CASES)
def test_mann_whitney_matches_reference_values(x: list[float], y: list[float], u: float, p: float | None,
                                               method: str) -> None:
    result = cmp.mann_whitney_greater(x, y)
    assert result.u == u
    assert result.method == method
    if p is not None:
        assert result.p_value == pytest.approx(p, rel=1e-9)


def test_mann_whitney_normal_approximation_with_ties_matches_reference() -> None:
    # the formula written out: tie-corrected variance, continuity correction 0.5, upper tail
    x, y = [1, 2, 2, 3, 3, 3, 4], [2, 3, 4, 4, 5, 5]
    n1, n2, n = 7, 6, 13
    ties = [1, 3, 4, 3, 2]  # counts of 1, 2, 3, 4, 5
    var = n1 * n2 / 12 * ((n + 1) - sum(t**3 - t for t in ties) / (n * (n - 1)))
    z = (8.5 - n1 * n2 / 2 - 0.5) / math.sqrt(var)
    assert cmp.mann_whitney_greater(x, y).p_value == pytest.approx(0.5 * math.erfc(z / math.sqrt(2)))


def test_mann_whitney_large_samples_use_the_normal_approximation() -> None:
    x = [float(v) for v in range(30)]
    y = [v + 0.5 for v in range(25)]
    result = cmp.mann_whitney_greater(x, y)
    assert result.method == "normal"
    assert 0 < result.p_value < 1


@given(st.lists(st.integers(0, 20), min_size=1, max_size=12), st.lists(st.integers(0, 20), min_size=1, max_size=12))
def test_mann_whitney_p_is_a_probability_and_u_is_in_range(x: list[int], y: list[int]) -> None:
    result = cmp.mann_whitney_greater(x, y)
    assert 0 <= result.u <= len(x) * len(y)
    assert 0 <= result.p_value <= 1


@given(st.integers(1, 9), st.integers(1, 9))
def test_exact_u_distribution_counts_every_ordering(n1: int, n2: int) -> None:
    counts = stats._u_counts(n1, n2)
    assert len(counts) == n1 * n2 + 1
    assert sum(counts) == math.comb(n1 + n2, n1)
    assert counts == counts[::-1]  # symmetric around n1*n2/2


def test_summarize() -> None:
    s = cmp.summarize([1, 2, 3, 4, 10])
    assert s == {"median": 3, "mean": 4, "p90": pytest.approx(7.6), "stddev": pytest.approx(3.5355339),
                 "min": 1, "max": 10}
    assert cmp.summarize([5])["stddev"] == 0.0
    assert cmp.summarize([5])["p90"] == 5.0


# ------------------------------------------------------------------------------------- saved runs

TEST = "tests/test_report.py::test_insight"


def _run(tmp_path: Path, name: str, tps: float, n: int = 8, **kw: object) -> Path:
    return write(tmp_path / name, saved_json({TEST: {"tokens_per_s": speeds(tps, n), "ttft_ms": speeds(100, n),
                                                     "contradicted": [1] * n}}, **kw))  # type: ignore[arg-type]


def test_a_slower_run_regresses_with_a_significant_test(tmp_path: Path) -> None:
    base, cur = cmp.load_run(_run(tmp_path, "a.json", 50)), cmp.load_run(_run(tmp_path, "b.json", 40))
    result = cmp.compare_runs(base, cur, cmp.parse_rules(cmp.DEFAULT_RULES))
    row = next(r for r in result.rows if r.metric == "tokens_per_s")
    assert row.verdict == "regression" and row.rule == "tokens_per_s:-10%"
    assert row.p_value == pytest.approx(1 / math.comb(16, 8))
    assert row.change_pct == pytest.approx(-20, abs=0.5)
    assert [r.metric for r in result.regressions] == ["tokens_per_s"]
    lines = cmp.table_lines(result)
    assert any("REGRESSION (tokens_per_s:-10%)" in line for line in lines)
    assert any(line.startswith("regression:") and "Mann-Whitney U (exact, one-sided)" in line for line in lines)


def test_same_medians_with_few_rounds_warn_of_thin_evidence(tmp_path: Path) -> None:
    base, cur = cmp.load_run(_run(tmp_path, "a.json", 50, n=3)), cmp.load_run(_run(tmp_path, "b.json", 40, n=3))
    result = cmp.compare_runs(base, cur, cmp.parse_rules(cmp.DEFAULT_RULES))
    assert [r.metric for r in result.regressions] == ["tokens_per_s"]
    assert all(r.p_value is None for r in result.rows)
    assert any("evidence is thin" in w for w in result.warnings)


def test_different_model_files_refuse_unless_compare_any(tmp_path: Path) -> None:
    base = cmp.load_run(_run(tmp_path, "a.json", 50))
    cur = cmp.load_run(_run(tmp_path, "b.json", 40, sha="fff999"))
    refused = cmp.compare_runs(base, cur, {})
    assert refused.rows == [] and any("abc123" in d and "fff999" in d for d in refused.refused)
    assert "refusing to compare" in cmp.table_lines(refused)[0]
    forced = cmp.compare_runs(base, cur, {}, compare_any=True)
    assert forced.rows and any("different identity" in w for w in forced.warnings)


def test_host_name_alone_does_not_refuse(tmp_path: Path) -> None:
    base = cmp.load_run(_run(tmp_path, "a.json", 50, node="runner-1"))
    cur = cmp.load_run(_run(tmp_path, "b.json", 50, node="runner-2"))
    assert not cmp.compare_runs(base, cur, {}).refused


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b'{"benchmarks": [', "invalid JSON (truncated or corrupt)"),
        (b'[1, 2]', "top level is not an object"),
        (b'{"name": "package.json"}', "no 'benchmarks' list"),
        (b"\xff\xfe", "not UTF-8"),
        (b'{"benchmarks": [{"fullname": "t", "extra_info": {"chimera": {"per_round": {"ttft_ms": "x"}}}}]}',
         "per_round.ttft_ms is not a list of numbers"),
    ],
)
def test_bad_files_are_reported_with_path_and_reason_and_skipped(tmp_path: Path, content: bytes, reason: str) -> None:
    bad = tmp_path / "0002_bad.json"
    bad.write_bytes(content)
    good = _run(tmp_path, "0001_good.json", 50)
    runs, errors = cmp.load_runs([good, bad, tmp_path / "missing.json"])
    assert [r.source for r in runs] == [str(good)]
    assert reason in str(errors[0]) and str(bad) in str(errors[0])
    assert "cannot read" in str(errors[1]) and "missing.json" in str(errors[1])


def test_pick_baseline_by_latest_number_and_path(tmp_path: Path) -> None:
    folder = tmp_path / "Linux-CPython-3.11-64bit"
    folder.mkdir()
    for name in ("0001_a.json", "0002_b.json", "0010_c.json", "notes.json"):
        (folder / name).write_text("{}")
    assert cmp.pick_baseline("latest", tmp_path, folder.name) == folder / "0010_c.json"
    assert cmp.pick_baseline("2", tmp_path, folder.name) == folder / "0002_b.json"
    assert cmp.pick_baseline("0002", tmp_path, folder.name) == folder / "0002_b.json"
    assert cmp.pick_baseline("7", tmp_path, folder.name) is None
    assert cmp.pick_baseline(str(folder / "notes.json"), tmp_path, None) == folder / "notes.json"
    assert cmp.pick_baseline("latest", tmp_path / "nowhere", None) is None


def test_markdown_table(tmp_path: Path) -> None:
    base, cur = cmp.load_run(_run(tmp_path, "a.json", 50)), cmp.load_run(_run(tmp_path, "b.json", 40))
    text = cmp.markdown(cmp.compare_runs(base, cur, cmp.parse_rules(cmp.DEFAULT_RULES)))
    assert "| test | metric | baseline | current | change | verdict | p (Mann-Whitney U) |" in text
    assert "**REGRESSION (tokens_per_s:-10%)**" in text
    assert text.rstrip().endswith("**1 regression(s)**")


def test_the_default_rules_parse() -> None:
    assert set(cmp.parse_rules(cmp.DEFAULT_RULES)) == {"tokens_per_s", "ttft_ms", "contradicted", "structure_failed",
                                                      "pass_rate"}


def test_a_noisy_drop_past_the_threshold_is_not_significant(tmp_path: Path) -> None:
    noisy_base = [30.0, 70.0, 45.0, 62.0, 38.0, 55.0, 50.0, 41.0]  # median 47.5
    noisy_cur = [28.0, 66.0, 35.0, 58.0, 33.0, 49.0, 40.0, 39.0]  # median 39.5: -16.8%, beyond -10%
    base = write(tmp_path / "a.json", saved_json({TEST: {"tokens_per_s": noisy_base}}))
    cur = write(tmp_path / "b.json", saved_json({TEST: {"tokens_per_s": noisy_cur}}))
    result = cmp.compare_runs(cmp.load_run(base), cmp.load_run(cur), cmp.parse_rules(cmp.DEFAULT_RULES))
    (row,) = result.rows
    assert row.change_pct == pytest.approx(-16.84, abs=0.01)
    assert row.verdict == "not significant" and row.p_value is not None and row.p_value > cmp.ALPHA
    assert result.regressions == []


def test_timings_from_another_server_or_concurrency_are_not_compared(tmp_path: Path) -> None:
    """TTFT under load includes queueing: the host and the workers sharing it are part of the timed identity."""

    def served(name: str, host: str, workers: int, timed: bool = True) -> cmp.SavedRun:
        data = saved_json({TEST: {"tokens_per_s": speeds(50, 8), "contradicted": [0] * 8}})
        entry = data["machine_info"]["chimera"]["backends"][0]
        entry.update(backend="openai", host=host, workers_per_host=workers)
        if not timed:
            data["benchmarks"][0]["extra_info"]["chimera"]["timings"] = False
        return cmp.load_run(write(tmp_path / name, data))

    same = cmp.identity_differences(served("a.json", "http://gpu1:8000", 1), served("b.json", "http://gpu1:8000", 1))
    assert same == []
    other_host = cmp.identity_differences(served("c.json", "http://gpu1:8000", 1),
                                          served("d.json", "http://gpu2:8000", 1))
    assert other_host == ["gemma3:270m (openai) host (timings): baseline http://gpu1:8000, current http://gpu2:8000"]
    busier = cmp.identity_differences(served("e.json", "http://gpu1:8000", 1), served("f.json", "http://gpu1:8000", 4))
    assert busier == ["gemma3:270m (openai) workers per host (timings): baseline 1, current 4"]
    quality_only = cmp.identity_differences(served("g.json", "http://gpu1:8000", 1, timed=False),
                                            served("h.json", "http://gpu2:8000", 4, timed=False))
    assert quality_only == []  # quality does not depend on where or how busy the server was
