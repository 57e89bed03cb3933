"""Ground-truth facts: key scheme, values, units, labels; golden on the real corpus; hypothesis on stats."""

from __future__ import annotations

import csv
import math
import statistics
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_chimera.evidence.corpus import load_corpus
from pytest_chimera.evidence.facts import Facts, compute_facts
from pytest_chimera.evidence.labels import model_forms, model_in_filename, models_in_text, unit_of
from pytest_chimera.evidence.synthetic import write_corpus


@pytest.fixture(scope="module")
def real_facts(request: pytest.FixtureRequest) -> Facts:
    root: Path = request.getfixturevalue("chimeraforge_corpus")
    return compute_facts(load_corpus(root))


def _write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


# ---- golden: the real corpus -------------------------------------------------------------------------------


def test_file_counts_and_percentages(real_facts: Facts) -> None:
    assert real_facts.get("files.total").value == 101
    assert [real_facts.get(f"files.by_type.{k}").value for k in ("csv", "json", "md")] == [28, 44, 29]
    pct = {k: real_facts.get(f"files.by_type.{k}.pct") for k in ("csv", "json", "md")}
    assert [round(p.value, 1) for p in pct.values()] == [27.7, 43.6, 28.7]
    assert pct["md"].value == pytest.approx(100 * 29 / 101)
    assert pct["md"].unit == "%"
    assert {"markdown", "md", "files", "file", "percent", "share"} <= set(pct["md"].labels)
    assert {"markdown", "md", "files", "file"} <= set(real_facts.get("files.by_type.md").labels)


def test_directory_and_model_counts(real_facts: Facts) -> None:
    assert real_facts.get("files.by_dir.reports").value == 83
    assert real_facts.get("files.by_dir.reports/gemma3").value == 16
    assert real_facts.get("files.by_dir.csv_data/baselines").value == 7
    assert real_facts.get("files.by_model.gemma3:270m").value == 4
    assert real_facts.get("files.by_model.gemma3:1b-it-qat").value == 4
    assert real_facts.get("files.by_model.gemma3").value == 17  # every gemma3 variant
    assert {"gemma3:270m", "gemma3-270m", "gemma3_270m", "270m"} <= set(
        real_facts.get("files.by_model.gemma3:270m").labels)


def test_table_stats_units_and_labels(real_facts: Facts, chimeraforge_corpus: Path) -> None:
    path = "reports/gemma3/gemma3_270m_baseline.csv"
    with open(chimeraforge_corpus / path, newline="", encoding="utf-8") as handle:
        speeds = [float(row["tokens_s"]) for row in csv.DictReader(handle)]  # computed here without pandas
    assert len(speeds) == 5
    mean = real_facts.get(f"table.{path}.tokens_s.mean")
    assert mean.value == pytest.approx(statistics.fmean(speeds), rel=1e-12)
    assert mean.unit == "tok/s"
    assert {"throughput", "tokens per second", "tok/s", "generation speed", "mean", "average",
            "gemma3:270m", "gemma3-270m", "gemma3_270m", "270m"} <= set(mean.labels)
    assert real_facts.get(f"table.{path}.tokens_s.median").value == pytest.approx(statistics.median(speeds))
    assert real_facts.get(f"table.{path}.tokens_s.std").value == pytest.approx(statistics.stdev(speeds))
    assert real_facts.get(f"table.{path}.rows").value == 5
    ttft = real_facts.get(f"table.{path}.ttft_s.max")
    assert (ttft.value, ttft.unit) == (7.8366299, "s")
    assert {"ttft", "time to first token", "latency", "max", "peak"} <= set(ttft.labels)
    by_model = real_facts.get(f"table.{path}.tokens_s.by_model.gemma3:270m.mean")
    assert by_model.value == mean.value
    summary = real_facts.get("table.reports/gemma3/gemma3_270m_param_tuning_summary.csv.mean_tokens_s.max")
    assert summary.unit == "tok/s"  # mean_* keeps the underlying unit
    ms = real_facts.get("table.csv_data/baseline_performance_summary.csv.Generation Time (ms).mean")
    assert ms.unit == "ms"


def test_grouped_by_model_column(real_facts: Facts) -> None:
    key = "table.reports/ollama/20251002-151824/prompt_suite_runs.csv.tokens_s.by_model"
    groups = real_facts.frame[real_facts.frame.key.str.startswith(key) & real_facts.frame.key.str.endswith(".count")]
    assert len(groups) >= 2
    q4 = real_facts.get(f"{key}.llama3.1:8b-instruct-q4_0.count")
    assert q4.value > 0 and "llama3.1:8b" in q4.labels


def test_tuning_best_and_lowest_ttft_with_parameters(real_facts: Facts) -> None:
    best = real_facts.get("tuning.reports/gemma3/gemma3_270m_param_tuning_summary.csv.best_tokens_per_s")
    assert best.value == pytest.approx(303.89820959263636)
    assert best.unit == "tok/s"
    assert "config_name=g999_c4096_t0.8" in best.source and "num_ctx=4096" in best.source
    assert {"best", "num_gpu=999", "num_ctx=4096", "temperature=0.8", "throughput", "gemma3:270m"} <= set(best.labels)
    low = real_facts.get("tuning.reports/gemma3/gemma3_270m_param_tuning.csv.lowest_ttft")
    assert (round(low.value, 7), low.unit) == (0.0535847, "s")
    assert "config_name=g80_c2048_t0.8" in low.source
    # failed rows (an error text, zero tokens/s) never win
    raw = real_facts.get("tuning.reports/gemma3/gemma3_270m_param_tuning.csv.worst_tokens_per_s")
    assert raw.value > 0


def test_json_leaves_and_markdown_facts(real_facts: Facts) -> None:
    leaf = real_facts.get("json.reports/gemma3/gemma3_270m_baseline.json.results[0].ttft_s")
    assert (leaf.value, leaf.unit) == (7.8366299, "s")
    assert {"ttft", "latency", "gemma3:270m"} <= set(leaf.labels)
    compile_s = real_facts.get("json.reports/compilation/conv_bench_20251002-170837.json"
                               ".backends.torch_compile.compilation.compile_time_s")
    assert compile_s.unit == "s" and "compilation time" in compile_s.labels
    cell = real_facts.get("table.reports/gemma3/SUMMARY.md#1[Mean Throughput].Value")
    assert (cell.value, cell.unit) == (102.85, "tok/s")
    assert {"throughput", "mean"} <= set(cell.labels)
    col = real_facts.get("table.reports/compilation/conv_bench_20251002-170837.md#1.Compile Time (s).max")
    assert (col.value, col.unit) == (12.9431, "s")


def test_keys_are_unique_values_finite_labels_lowercase(real_facts: Facts) -> None:
    frame = real_facts.frame
    assert frame.key.is_unique
    assert all(math.isfinite(v) for v in frame.value)
    assert all(label == label.lower() for labels in frame.labels for label in labels)
    assert all(source for source in frame.source)


# ---- small corpora ---------------------------------------------------------------------------------------


def test_small_corpus_exact_facts(tmp_path: Path) -> None:
    _write(tmp_path, "runs/gemma3_270m_baseline.csv", "prompt,ttft_s,tokens_s,eval_count\na,0.5,100,10\nb,1.5,200,30\n")
    _write(tmp_path, "runs/multi.csv", "model,ttft_ms\ngemma3:1b,10\ngemma3:1b,20\nllama3:8b,40\n")
    _write(tmp_path, "meta.json", '{"model": "gemma3:270m", "timing": {"p50_ms": 12.5, "ok": true}, "xs": [1, 2]}')
    _write(tmp_path, "notes.md", "# n\n")
    facts = compute_facts(load_corpus(tmp_path))
    values = {f.key: f.value for f in facts}
    assert values["files.total"] == 4
    assert values["files.by_type.csv.pct"] == 50.0
    assert values["files.by_dir.runs"] == 2
    assert values["table.runs/gemma3_270m_baseline.csv.tokens_s.mean"] == 150.0
    assert values["table.runs/gemma3_270m_baseline.csv.ttft_s.median"] == 1.0
    assert values["table.runs/gemma3_270m_baseline.csv.eval_count.min"] == 10
    assert values["table.runs/gemma3_270m_baseline.csv.eval_count.max"] == 30
    assert values["table.runs/gemma3_270m_baseline.csv.tokens_s.std"] == pytest.approx(statistics.stdev([100, 200]))
    assert values["table.runs/gemma3_270m_baseline.csv.tokens_s.by_model.gemma3:270m.mean"] == 150.0
    assert values["table.runs/multi.csv.ttft_ms.by_model.gemma3:1b.mean"] == 15.0
    assert values["table.runs/multi.csv.ttft_ms.by_model.llama3:8b.count"] == 1
    assert "table.runs/multi.csv.ttft_ms.by_model.llama3:8b.std" not in values  # std of one value: left out
    assert values["json.meta.json.timing.p50_ms"] == 12.5
    assert values["json.meta.json.xs[1]"] == 2
    assert "json.meta.json.timing.ok" not in values  # booleans are not numbers
    assert facts.get("json.meta.json.timing.p50_ms").unit == "ms"
    assert "gemma3:270m" in facts.get("json.meta.json.timing.p50_ms").labels


def test_top_level_json_array_keys(tmp_path: Path) -> None:
    _write(tmp_path, "a.json", '[{"tokens_per_s": 5}]')
    facts = compute_facts(load_corpus(tmp_path))
    fact = facts.get("json.a.json[0].tokens_per_s")
    assert (fact.value, fact.unit) == (5.0, "tok/s")


@pytest.mark.parametrize("fast", [True, False])
def test_tuning_picks_only_positive_finite_rows(tmp_path: Path, fast: bool) -> None:
    """A zero, a negative number or an infinity (read_csv reads "inf") is no tokens/s a best or worst row has."""
    _write(tmp_path, "t_param_tuning.csv", "num_ctx,tokens_s\n1024,0\n2048,-5\n4096,inf\n8192,40.5\n512,80\n")
    facts = compute_facts(load_corpus(tmp_path, fast_csv=fast))
    worst = facts.get("tuning.t_param_tuning.csv.worst_tokens_per_s")
    best = facts.get("tuning.t_param_tuning.csv.best_tokens_per_s")
    assert (worst.value, best.value) == (40.5, 80.0)
    assert "over 2 ok rows, row 4: num_ctx=8192" in worst.source


def test_empty_corpus_has_only_file_counts(tmp_path: Path) -> None:
    facts = compute_facts(load_corpus(tmp_path))
    assert {f.key for f in facts} == {"files.total", "files.by_type.csv", "files.by_type.json", "files.by_type.md"}


def test_synthetic_corpus_facts_are_plausible(tmp_path: Path) -> None:
    write_corpus(tmp_path, 42, seed=7)
    facts = compute_facts(load_corpus(tmp_path))
    best = facts.get("tuning.reports/gemma3/gemma3_270m_param_tuning.csv.best_tokens_per_s")
    assert 250 < best.value < 330
    assert facts.get("files.total").value == 42


# ---- hypothesis: known statistics in, exactly those facts out ---------------------------------------------


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(columns=st.lists(st.lists(st.integers(min_value=-10**6, max_value=10**6), min_size=1, max_size=25),
                        min_size=1, max_size=4).filter(lambda cols: len({len(c) for c in cols}) == 1))
def test_integer_tables_give_exact_stats(tmp_path_factory: pytest.TempPathFactory, columns: list[list[int]]) -> None:
    root = tmp_path_factory.mktemp("stats")
    names = [f"c{i}_ms" for i in range(len(columns))]
    lines = [",".join(names)] + [",".join(str(col[r]) for col in columns) for r in range(len(columns[0]))]
    _write(root, "t.csv", "\n".join(lines) + "\n")
    values = {f.key: f for f in compute_facts(load_corpus(root))}
    assert values["table.t.csv.rows"].value == len(columns[0])
    for name, col in zip(names, columns, strict=True):
        prefix = f"table.t.csv.{name}"
        assert values[f"{prefix}.count"].value == len(col)
        assert values[f"{prefix}.min"].value == min(col)
        assert values[f"{prefix}.max"].value == max(col)
        assert values[f"{prefix}.median"].value == statistics.median(col)
        assert values[f"{prefix}.mean"].value == pytest.approx(statistics.fmean(col), rel=1e-12, abs=1e-9)
        assert values[f"{prefix}.mean"].unit == "ms"
        if len(col) > 1:
            assert values[f"{prefix}.std"].value == pytest.approx(statistics.stdev(col), rel=1e-9, abs=1e-9)
        else:
            assert f"{prefix}.std" not in values


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cells=st.lists(st.one_of(st.none(), st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)),
                      min_size=1, max_size=20))
def test_float_columns_with_gaps(tmp_path_factory: pytest.TempPathFactory, cells: list[float | None]) -> None:
    root = tmp_path_factory.mktemp("gaps")
    _write(root, "t.csv", "k,tokens_s\n" + "".join(f"r{i},{'' if c is None else repr(c)}\n"
                                                    for i, c in enumerate(cells)))
    present = [c for c in cells if c is not None]
    values = {f.key: f.value for f in compute_facts(load_corpus(root))}
    if not present:
        assert "table.t.csv.tokens_s.count" not in values or values["table.t.csv.tokens_s.count"] == 0
        return
    assert values["table.t.csv.tokens_s.count"] == len(present)
    assert values["table.t.csv.tokens_s.min"] == min(present)
    assert values["table.t.csv.tokens_s.max"] == max(present)
    assert values["table.t.csv.tokens_s.median"] == pytest.approx(statistics.median(present), rel=1e-12, abs=1e-12)
    assert values["table.t.csv.tokens_s.mean"] == pytest.approx(statistics.fmean(present), rel=1e-9, abs=1e-6)


# ---- label helpers -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "unit"),
    [("ttft_s", "s"), ("tokens_s", "tok/s"), ("tokens_per_s", "tok/s"), ("mean_tokens_s", "tok/s"),
     ("eval_s_mean", "s"), ("p50_ms", "ms"), ("Generation Time (ms)", "ms"), ("Tokens per Second", "tok/s"),
     ("TTFT (s)", "s"), ("eval_count", "tokens"), ("memory_percent", "%"), ("memory_used_gb", "GB"),
     ("num_ctx", ""), ("temperature", "")],
)
def test_unit_of(name: str, unit: str) -> None:
    assert unit_of(name) == unit


def test_model_names_in_all_forms() -> None:
    assert {"gemma3:270m", "gemma3-270m", "gemma3_270m", "gemma3 270m", "270m"} <= set(model_forms("gemma3:270m"))
    assert model_in_filename("gemma3_1b-it-qat_param_tuning.csv") == "gemma3:1b-it-qat"
    assert model_in_filename("llama3_q4_benchmark_runs.csv") == "llama3:q4"
    assert model_in_filename("ollama_quant_bench.csv") is None
    assert models_in_text("gemma3:latest beats llama3.1:8b-q4_0") == ["gemma3:latest", "llama3.1:8b-q4_0"]


def test_markdown_keys_stay_unique_with_repeated_labels_and_headers(tmp_path: Path) -> None:
    _write(tmp_path, "r.md", "| Metric | Value | Value |\n|---|---|---|\n| **Mean TTFT** | 0.5 s | 1 |\n"
                             "| Mean TTFT | 0.7 s | 2 |\n")
    facts = compute_facts(load_corpus(tmp_path))
    assert facts.frame.key.is_unique
    assert facts.get("table.r.md#1[Mean TTFT].Value").value == 0.5
    assert facts.get("table.r.md#1[Mean TTFT (2)].Value").value == 0.7
    assert facts.get("table.r.md#1[Mean TTFT (2)].Value.1").value == 2
    cell = facts.get("table.r.md#1[Mean TTFT].Value")
    assert cell.unit == "s" and {"ttft", "mean", "latency"} <= set(cell.labels)


@pytest.mark.parametrize("corpus_name", ["synthetic", "real"])
def test_parameter_facts_name_every_model_the_labels_name(corpus_name: str, tmp_path: Path,
                                                          request: pytest.FixtureRequest) -> None:
    """compute_facts gathers label strings from the parts labels are made of; reading every fact's labels
    one by one (parameter_facts without them) finds the same models."""
    from pytest_chimera.evidence import labels as lb
    from pytest_chimera.evidence.inventory import parameter_facts
    from pytest_chimera.evidence.synthetic import write_corpus

    if corpus_name == "real":
        root = request.getfixturevalue("chimeraforge_corpus")
    else:
        write_corpus(tmp_path, 400, seed=5)
        root = tmp_path
    rows = compute_facts(load_corpus(root)).rows
    params = [row for row in rows if row[0].startswith("models.") and row[0].endswith(".parameters")]
    others = [row for row in rows if row not in params]
    parameter_facts(others, lb)
    assert params and others[len(rows) - len(params):] == params


def test_each_part_of_the_labels_can_name_a_model(tmp_path: Path) -> None:
    """Every place a label can carry a model name, each with a model no other place names: compute_facts
    finds them all (the same as reading every fact's labels) and gives each its parameter count."""
    from pytest_chimera.evidence import labels as lb
    from pytest_chimera.evidence.inventory import parameter_facts

    long_rows = range(120)  # over CELL_ROWS: no cell facts, so the model column's groups alone name it
    files = {
        "wide.csv": "llama3:8b,note,v\n1,qwen2:7b,2\n3,x,4\n",  # a column name; a text cell
        "groups.csv": "model,tps\n" + "".join(f"mistral:7b,{i}\n" for i in long_rows),  # a model column
        "sweep_tuning.csv": "tag,tokens_per_s\n" + "".join(f"phi3:14b,{i + 1}\n" for i in long_rows),  # tuning
        "notes.md": ("| n | gemma2:9b |\n|---|---|\n| 1 | 5 |\n| 2 | 6 |\n\n"  # a header, statistics only
                     "| name | value |\n|---|---|\n| llama2:13b | 3 |\n\n"  # a row label
                     "| name | gemma3:4b |\n|---|---|\n| x | 7 |\n"),  # a header, cells only
        "data.json": '{"phi3:3b": 1.5, "runs": [{"model": "qwen2:1b", "t": 2.0}]}',  # a key; a "model" field
        "gemma2_2b_notes.md": "No table here.\n",  # a file name (and no facts of its own)
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    rows = compute_facts(load_corpus(tmp_path)).rows
    params = [row for row in rows if row[0].startswith("models.") and row[0].endswith(".parameters")]
    assert {row[0] for row in params} == {f"models.{m}.parameters" for m in (
        "llama3:8b", "qwen2:7b", "mistral:7b", "phi3:14b", "gemma2:9b", "llama2:13b", "gemma3:4b", "phi3:3b",
        "qwen2:1b", "gemma2:2b")}
    others = [row for row in rows if row not in params]
    parameter_facts(others, lb)
    assert others[len(rows) - len(params):] == params


def test_a_unitless_json_leaf_repeating_a_measured_value_takes_its_unit(tmp_path: Path) -> None:
    _write(tmp_path, "r.json", '{"run": {"mean_ms": 12.5, "eval_count": 3}, "percentiles": {"p95": 12.5, "x": 3}}')
    _write(tmp_path, "s.json", '{"mean_ms": 7.25, "ttft_s": 0.5}')  # every leaf has a unit: none changes
    facts = compute_facts(load_corpus(tmp_path))
    p95 = facts.get("json.r.json.percentiles.p95")
    assert p95.unit == "ms"
    assert p95.source == "r.json: percentiles.p95 (unit ms: the same value as a ms leaf of this file)"
    assert p95.labels[-1] == "ms" and list(p95.labels).count("ms") == 1  # its unit names it, as "mean_ms"'s does
    assert facts.get("json.r.json.percentiles.x").unit == ""  # an integer repeats by chance
    assert [(f.unit, f.source) for f in facts if f.key.startswith("json.s.json")] == [
        ("ms", "s.json: mean_ms"), ("s", "s.json: ttft_s")]


def test_a_one_model_table_of_eight_rows_adds_its_model_group_in_row_order(tmp_path: Path) -> None:
    """A group's statistics add its rows in order; the whole table's are numpy's pairwise sums, the same
    only below stats.IN_ORDER_BELOW rows, where the group may take the table's own."""
    from pytest_chimera.evidence.stats import IN_ORDER_BELOW, column_stats

    x = [1e16] + [1.0] * (IN_ORDER_BELOW - 1)
    lines = ["model,x,y"] + [f"gemma3:270m,{v!r},{v!r}" for v in x]
    _write(tmp_path, "r.csv", "\n".join(lines) + "\n")
    facts = compute_facts(load_corpus(tmp_path))
    in_order = column_stats([x, x], contiguous=False)["mean"][0]
    pairwise = column_stats([x, x], contiguous=True)["mean"][0]
    assert in_order != pairwise
    assert facts.get("table.r.csv.x.mean").value == pairwise
    assert facts.get("table.r.csv.x.by_model.gemma3:270m.mean").value == in_order
    shorter = column_stats([x[:-1], x[:-1]], contiguous=False)
    assert shorter == column_stats([x[:-1], x[:-1]], contiguous=True)  # below the limit: the same numbers
