"""``cellfacts.cell_facts`` (a table's cells made in one comprehension when no column is finite in some rows
only) against the plain cell-by-cell definition."""

from __future__ import annotations

import math
from types import SimpleNamespace
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_chimera.evidence import labels as lb
from pytest_chimera.evidence.cellfacts import CELL_ROWS, cell_facts

_VALUES = st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from([math.nan, 0.0, -0.0, 1.5])
_TEXT = st.sampled_from(["", "  ", "g60_c1024", "Banter prompt: go", "x" * 61, math.nan, "gemma3:270m"])


def _reference(path: str, table: Any, extra: tuple[str, ...], units: list[str],
               col_labels: list[tuple[str, ...]], model_col: str | None) -> tuple[list[Any], set[str]]:
    rows: list[Any] = []
    named: set[str] = set()
    if table.nrows > CELL_ROWS:
        return rows, named
    text_cols = [c for c in table.columns if c not in table.numeric]
    for i in range(table.nrows):
        words: tuple[str, ...] = ()
        for c in text_cols:
            cell = table.column(c)[i]
            if isinstance(cell, str) and cell.strip() and len(cell) <= 60:
                words += (cell.strip().lower(),)
        if model_col is not None and isinstance(table.column(model_col)[i], str) and table.column(model_col)[i].strip():
            words += lb.model_forms(table.column(model_col)[i])
        made = False
        for col, values, unit, labels in zip(table.numeric, table.numeric_lists, units, col_labels, strict=True):
            if math.isfinite(values[i]):
                rows.append((f"table.{path}[{i + 1}].{col}", values[i], unit, f"{path}: row {i + 1}, column {col!r}",
                             labels + words + extra))
                made = True
        if made:
            named.update(words)
    return rows, named


@settings(max_examples=300, deadline=None)
@given(nrows=st.integers(0, 6), kinds=st.lists(st.sampled_from(["finite", "empty", "any"]), min_size=1, max_size=4),
       data=st.data(), with_model=st.booleans())
def test_cells_are_the_cell_by_cell_facts(nrows: int, kinds: list[str], data: st.DataObject, with_model: bool) -> None:
    lists: list[list[float]] = []
    for kind in kinds:
        if kind == "finite":
            lists.append(data.draw(st.lists(st.floats(allow_nan=False, allow_infinity=False, width=16),
                                            min_size=nrows, max_size=nrows)))
        elif kind == "empty":
            lists.append([math.nan] * nrows)
        else:
            lists.append(data.draw(st.lists(_VALUES, min_size=nrows, max_size=nrows)))
    numeric = [f"n{j}_s" for j in range(len(lists))]
    texts = {"config": data.draw(st.lists(_TEXT, min_size=nrows, max_size=nrows))}
    if with_model:
        texts["model"] = data.draw(st.lists(_TEXT, min_size=nrows, max_size=nrows))
    by_name: dict[str, list[Any]] = {**dict(zip(numeric, lists, strict=True)), **texts}
    table = SimpleNamespace(nrows=nrows, columns=[*texts, *numeric], numeric=numeric, numeric_lists=lists,
                            column=by_name.__getitem__)
    units = ["s"] * len(numeric)
    col_labels = [(name, "time") for name in numeric]
    model_col = "model" if with_model else None
    rows: list[Any] = []
    named: set[str] = set()
    cell_facts("t/a.csv", table, rows, lb, ("extra",), units, col_labels, model_col, named)
    expected, expected_named = _reference("t/a.csv", table, ("extra",), units, col_labels, model_col)
    assert repr(rows) == repr(expected)
    assert named == expected_named
