"""One fact per numeric cell of a short CSV table (``table.<path>[<row>].<column>``, rows 1-based): a report
may quote one run's value. The row's model and its text cells (a configuration name) label it."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Protocol

from pytest_chimera.evidence.inventory import Row

CELL_ROWS = 100  # a CSV of at most this many rows gets one fact per numeric cell; a longer one, its statistics


class TableView(Protocol):
    """What the cell facts read of a table (``facts._View``): its numeric columns' values are floats, NaN
    where missing."""

    nrows: int
    columns: list[str]
    numeric: list[str]
    numeric_lists: list[list[float]]
    column: Callable[[str], list[Any]]


def cell_facts(path: str, table: TableView, rows: list[Row], lb: Any, extra: tuple[str, ...], units: list[str],
               col_labels: list[tuple[str, ...]], model_col: str | None, named: set[str]) -> None:
    """The cell facts of one table, after ``rows``; ``named`` gathers the words of the rows that give one."""
    nrows = table.nrows
    if nrows > CELL_ROWS:
        return
    numeric, lists, isfinite = table.numeric, table.numeric_lists, math.isfinite
    text_cols = [c for c in table.columns if c not in numeric]
    text_values = [table.column(c) for c in text_cols]
    models = text_values[text_cols.index(model_col)] if model_col is not None else None
    words_of: list[tuple[str, ...]] = []
    for i in range(nrows):
        words: tuple[str, ...] = ()
        for values in text_values:
            cell = values[i]
            if isinstance(cell, str) and cell.strip() and len(cell) <= 60:
                words += (cell.strip().lower(),)
        if models is not None:
            cell = models[i]
            if isinstance(cell, str) and cell.strip():
                words += lb.model_forms(cell)
        words_of.append(words)
    kept = []  # the columns finite in every row; one finite in some rows only: cell by cell
    for j, values in enumerate(lists):
        if isfinite(sum(values)):
            kept.append(j)
        elif any(map(isfinite, values)):
            _one_by_one(path, table, rows, extra, units, col_labels, words_of, named)
            return
    if not kept:  # (every column empty, as an error column is)
        return
    # every row gives a fact for each kept column, in column order: one comprehension for the whole table
    columns = [(numeric[j], repr(numeric[j]), units[j], col_labels[j]) for j in kept]
    keys = [f"table.{path}[{i}]." for i in range(1, nrows + 1)]  # then the column: table.<path>[<row>].<column>
    sources = [f"{path}: row {i}, column " for i in range(1, nrows + 1)]
    tails = [words + extra for words in words_of]
    rows += [(key + col, value, unit, source + col_repr, labels + tail)
             for key, source, tail, values in zip(keys, sources, tails, zip(*[lists[j] for j in kept], strict=True),
                                                  strict=True)
             for (col, col_repr, unit, labels), value in zip(columns, values, strict=True)]
    named.update(*words_of)


def _one_by_one(path: str, table: TableView, rows: list[Row], extra: tuple[str, ...], units: list[str],
                col_labels: list[tuple[str, ...]], words_of: list[tuple[str, ...]], named: set[str]) -> None:
    """``cell_facts`` cell by cell: a fact for each finite float."""
    isfinite, append = math.isfinite, rows.append
    columns = list(zip(table.numeric, [repr(c) for c in table.numeric], table.numeric_lists, units, col_labels,
                       strict=True))
    for i, words in enumerate(words_of):
        tail = words + extra
        key = f"table.{path}[{i + 1}]."
        source = f"{path}: row {i + 1}, column "
        before = len(rows)
        for col, col_repr, values, unit, labels in columns:
            value = values[i]
            if isinstance(value, float) and isfinite(value):
                append((key + col, value, unit, source + col_repr, labels + tail))
        if words and len(rows) > before:
            named.update(words)
