"""``stats.column_stats`` (plain Python) gives bit for bit the numbers numpy gave the facts before it."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_chimera.evidence.stats import STATS, column_stats, pairwise_sum


def _numpy_stats(values: Any) -> dict[str, list[float]]:
    """The facts' former numpy statistics over a 2-D float array (NaN ignored), kept here as the reference."""
    with np.errstate(all="ignore"):
        nan = np.isnan(values)
        count = (~nan).sum(axis=0)
        filled = np.where(nan, 0.0, values)
        mean = filled.sum(axis=0) / count
        ordered = np.sort(values, axis=0)
        cols = np.arange(values.shape[1])
        last = np.maximum(count - 1, 0)
        empty = count == 0
        lo = ordered[last // 2, cols]
        hi = ordered[np.minimum(count // 2, last), cols]
        median = np.where(empty, np.nan, (lo + hi) / 2)
        minimum = np.where(empty, np.nan, ordered[0, cols])
        maximum = np.where(empty, np.nan, ordered[last, cols])
        dev = np.where(nan, 0.0, values - mean)
        std = np.sqrt((dev * dev).sum(axis=0) / (count - 1))
        std = np.where(count > 1, std, np.nan)
    arrays = {"count": count.astype(float), "mean": mean, "median": median, "min": minimum, "max": maximum,
              "std": std}
    return {stat: arrays[stat].tolist() for stat in STATS}


def _same(a: float, b: float) -> bool:
    """Bit for bit (repr), NaN equal to NaN; a zero's sign may differ, as numpy's sort is not stable for
    0.0 against -0.0."""
    return repr(a) == repr(b) or (a == b == 0.0) or (math.isnan(a) and math.isnan(b))


def _assert_same(python: dict[str, list[float]], reference: dict[str, list[float]]) -> None:
    assert list(python) == list(reference)
    for stat in STATS:
        pairs = list(zip(python[stat], reference[stat], strict=True))
        assert all(_same(a, b) for a, b in pairs), (stat, pairs)


_FLOATS = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12),
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e-6, max_value=1e-6),
    st.just(math.nan),
    st.integers(-10**6, 10**6).map(float),
)


@st.composite
def _columns(draw: st.DrawFn) -> list[list[float]]:
    # lengths around numpy's pairwise blocks: under 8, 8 to 128, over 128 (split in halves)
    n = draw(st.one_of(st.integers(1, 20), st.integers(120, 140), st.integers(250, 300)))
    m = draw(st.integers(1, 4))
    return [draw(st.lists(_FLOATS, min_size=n, max_size=n)) for _ in range(m)]


@settings(max_examples=300, deadline=None)
@given(_columns())
def test_same_as_numpy_for_a_tables_columns(columns: list[list[float]]) -> None:
    """A table's columns, stored column by column (the facts' former ``np.array(lists).T``)."""
    array = np.array(columns, dtype=float).T
    assert array.flags["F_CONTIGUOUS"]
    _assert_same(column_stats(columns, contiguous=True), _numpy_stats(array))


@settings(max_examples=300, deadline=None)
@given(_columns())
def test_same_as_numpy_for_rows(columns: list[list[float]]) -> None:
    """Rows of a row-major array (a model's rows picked by a mask, a Markdown table)."""
    array = np.ascontiguousarray(np.array(columns, dtype=float).T)
    assert array.flags["C_CONTIGUOUS"]
    _assert_same(column_stats(columns, contiguous=False), _numpy_stats(array))


def test_the_two_orders_differ_where_numpy_differs() -> None:
    """The layouts matter: numpy's pairwise and running sums of these columns differ in the last bit."""
    column = [0.1 * (i % 7) + 1e6 * (i % 3) for i in range(200)]
    other = [1.0] * 200
    pairwise = column_stats([column, other], contiguous=True)["mean"][0]
    running = column_stats([column, other], contiguous=False)["mean"][0]
    assert pairwise != running
    assert pairwise == _numpy_stats(np.array([column, other], dtype=float).T)["mean"][0]
    assert running == _numpy_stats(np.ascontiguousarray(np.array([column, other], dtype=float).T))["mean"][0]


@pytest.mark.parametrize("n", [1, 7, 8, 9, 16, 127, 128, 129, 255, 256, 1000, 5000])
def test_pairwise_sum_matches_numpy(n: int) -> None:
    values = [(i * 0.7315) ** 1.5 / (1 + i % 11) for i in range(n)]
    assert pairwise_sum(values) == float(np.array(values).sum())


def test_missing_values_and_short_columns() -> None:
    stats = column_stats([[math.nan, math.nan], [5.0, math.nan], [1.0, 3.0]], contiguous=True)
    assert stats["count"] == [0.0, 1.0, 2.0]
    assert math.isnan(stats["mean"][0]) and math.isnan(stats["std"][1]) and stats["mean"][1] == 5.0
    assert stats["median"][2] == 2.0 and stats["min"][2] == 1.0 and stats["max"][2] == 3.0
    assert stats["std"][2] == math.sqrt(2.0)


def _stat_facts_match_numpy(root: Path) -> int:
    """Every statistic fact of the corpus's CSV and Markdown tables against numpy over the same arrays numpy
    was given before: a table's numeric columns from ``pd.read_csv`` (column-major), a model's rows picked by
    a mask (row-major), a Markdown table's numbers (row-major). Returns how many facts were compared."""
    from pytest_chimera.evidence.corpus import load_corpus
    from pytest_chimera.evidence.facts import _numeric_part, compute_facts
    from pytest_chimera.evidence.formats import dedupe_names

    corpus = load_corpus(root)
    facts = {key: value for key, value, _, _, _ in compute_facts(corpus).rows}
    compared = 0

    def compare(prefix: str, names: list[str], array: Any, part: str = "") -> None:
        nonlocal compared
        for stat, values in _numpy_stats(array).items():
            for name, value in zip(names, values, strict=True):
                key = f"{prefix}.{name}{part}.{stat}"
                if math.isfinite(value):
                    assert _same(facts[key], value), (key, facts[key], value)
                    compared += 1
                else:
                    assert key not in facts, key

    for path in corpus.tables:
        frame = corpus.tables[path]
        numbers = _numeric_part(frame)
        if frame.empty or numbers.shape[1] == 0:
            continue
        array = numbers.to_numpy(dtype=float, na_value=math.nan)
        names = [str(c) for c in numbers.columns]
        compare(f"table.{path}", names, array)
        model = next((c for c in frame.columns if str(c).lower() == "model" and c not in numbers.columns), None)
        if model is not None:
            labels = np.array([v if isinstance(v, str) else "nan" for v in frame[model].astype(str).tolist()])
            for name in set(labels.tolist()) - {"nan", "", "None", "<NA>"}:
                compare(f"table.{path}", names, array[labels == name], f".by_model.{name}")
    for tables in corpus.md_tables.values():
        for table in tables:
            keys = dedupe_names(table.header)
            cols = [j for j in range(len(keys)) if f"table.{table.name}.{keys[j]}.count" in facts]
            if cols and len(table.cells) > 1:
                rows = [[math.nan if row[j] is None else row[j] for j in cols] for row in table.numbers]
                compare(f"table.{table.name}", [keys[j] for j in cols], np.array(rows, dtype=float))
    return compared


def test_real_corpus_statistics_are_numpys(chimeraforge_corpus: Path) -> None:
    assert _stat_facts_match_numpy(chimeraforge_corpus) > 3000


def test_synthetic_corpus_statistics_are_numpys(tmp_path: Path) -> None:
    from pytest_chimera.evidence.synthetic import write_corpus

    write_corpus(tmp_path, 300, seed=7)
    assert _stat_facts_match_numpy(tmp_path) > 5000
