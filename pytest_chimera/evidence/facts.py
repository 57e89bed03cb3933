"""Ground-truth quantities computed from a Corpus, each with its provenance.

``Fact`` is one quantity; ``Facts`` holds them as plain rows ``(key, value, unit, source, labels)``, with a
small API over them and a pandas DataFrame of the same (``Facts.frame``) built on first access. Computing facts
imports neither pandas nor numpy (a CSV that ``formats.parse_csv`` could not read is the exception: its table
comes from ``pd.read_csv``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from pytest_chimera.evidence.buildstate import FiniteSoFar, build_labels
from pytest_chimera.evidence.formats import dedupe_names
from pytest_chimera.evidence.inventory import Row, file_facts, parameter_facts
from pytest_chimera.evidence.jsonfacts import json_facts
from pytest_chimera.evidence.stats import IN_ORDER_BELOW, column_stats

if TYPE_CHECKING:
    import pandas as pd

    from pytest_chimera.evidence.corpus import Corpus
    from pytest_chimera.evidence.formats import CsvColumns, MarkdownTable

COLUMNS = ("key", "value", "unit", "source", "labels")


@dataclass(frozen=True)
class Fact:
    """One ground-truth quantity.

    key: stable identifier, e.g. ``files.by_type.md.pct``.
    unit: ``files``, ``%``, ``s``, ``ms``, ``tok/s``, ``tokens``, ``GB``, ... or ``""``.
    source: provenance: file, column or JSON path, aggregation.
    labels: words a sentence might use to name it ("markdown", "throughput", "gemma3:270m").
    """

    key: str
    value: float
    unit: str
    source: str
    labels: tuple[str, ...] = ()

    @classmethod
    def of_row(cls, row: tuple[str, float, str, str, Iterable[str]]) -> Fact:
        """The fact of a plain ``(key, value, unit, source, labels)`` row (``Facts.rows``)."""
        key, value, unit, source, labels = row
        return cls(key, float(value), unit, source, tuple(labels))

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "value": self.value, "unit": self.unit, "source": self.source,
                "labels": list(self.labels)}


class Facts:
    """A table of facts plus look-ups: plain rows ``(key, value, unit, source, labels)``, and the same as a
    pandas DataFrame with COLUMNS (``frame``), built on first access: computing facts never imports pandas."""

    def __init__(self, frame: pd.DataFrame | None = None, *, rows: list[Row] | None = None) -> None:
        if (frame is None) == (rows is None):
            raise TypeError("Facts takes a DataFrame or rows=, one of them")
        self._frame = frame
        self._rows = rows
        self._index: dict[str, int] | None = None

    @classmethod
    def from_records(cls, facts: Iterable[Fact]) -> Facts:
        return cls(rows=[(f.key, float(f.value), f.unit, f.source, tuple(f.labels)) for f in facts])

    @property
    def frame(self) -> pd.DataFrame:
        """The facts as a DataFrame with COLUMNS (built from the rows on first access)."""
        if self._frame is None:
            import pandas as pd

            self._frame = pd.DataFrame(self._rows, columns=list(COLUMNS))
        return self._frame

    @property
    def rows(self) -> list[Row]:
        """The facts as ``(key, value, unit, source, labels)`` tuples, in order (do not modify). For facts made
        from a DataFrame, read from it on every call (its owner may still change it)."""
        if self._rows is not None:
            return self._rows
        return [(key, float(value), unit, source, tuple(labels))
                for key, value, unit, source, labels in self.frame.itertuples(index=False, name=None)]

    @property
    def made_of_rows(self) -> bool:
        """Whether the table was made from rows (which never change), not from a DataFrame its owner may change."""
        return self._rows is not None

    def __len__(self) -> int:
        return len(self._rows) if self._rows is not None else len(self.frame)

    def __iter__(self) -> Iterator[Fact]:
        return map(Fact.of_row, self.rows)

    def get(self, key: str) -> Fact:
        """The fact with this key (the first, should two share it); ``KeyError`` naming the key when absent."""
        if self._rows is None:  # made from a DataFrame: look there, as its owner may still change it
            hit = self.frame[self.frame["key"] == key]
            if hit.empty:
                raise KeyError(f"no fact with key {key!r}")
            row: Row = next(hit.itertuples(index=False, name=None))
        else:
            if self._index is None:
                index: dict[str, int] = {}
                for i, fact in enumerate(self._rows):
                    index.setdefault(fact[0], i)
                self._index = index
            at = self._index.get(key)
            if at is None:
                raise KeyError(f"no fact with key {key!r}")
            row = self._rows[at]
        return Fact.of_row(row)

    def to_list(self) -> list[Fact]:
        return list(self)


# ---- computing facts from a corpus ------------------------------------------------------------------------

_ROW_LABELS = ("rows", "row count", "records", "entries", "runs", "samples", "lines")
_BEST = ("best", "best configuration", "optimal", "top", "fastest", "winner", "recommended", "configuration",
         "config")
_WORST = ("worst", "worst configuration", "slowest", "configuration", "config")
_TUNING_PARAMS = ("config_name", "model", "tag", "num_gpu", "num_ctx", "temperature", "top_p", "top_k",
                  "num_batch", "num_thread", "repeat_penalty", "num_predict", "quant", "quantization")
_TPS_COLUMNS = ("tokens_per_s", "tokens_s", "mean_tokens_s", "tokens_per_second", "mean_tokens_per_s", "tok_s")
_TTFT_COLUMNS = ("ttft_ms", "ttft_s", "mean_ttft_s", "mean_ttft_ms", "ttft")

def compute_facts(corpus: Corpus) -> Facts:
    """Every ground-truth fact of a corpus, as a ``Facts`` table.

    Key scheme (stable; the consistency checker and users rely on it). <path> is the corpus-relative path.
      files.total                                   all files found (errored ones included), unit "files"
      files.by_type.<csv|json|md>                   files of one type
      files.by_type.<csv|json|md>.pct               that type's share of all files, in percent (unit "%")
      files.by_dir.<dir>                            files under a directory, recursively (every ancestor dir)
      files.by_model.<model>                        files whose file name names a model (labels.model_in_filename);
                                                    a family key (gemma3) counts every variant of that family
      files.by_model.<model>.<csv|json|md>          files of one type among those (derived)
      files.by_type.<a>+<b> / .pct                  two types together: the sum of their counts, its share (derived)
      files.by_name.<compound> / .pct               files whose name holds a compound such as conv_bench or
                                                    param_tuning (two or three letter parts, 2+ files; derived)
      files.bytes.total / files.bytes.mean          the files' sizes in bytes (unit "B"; derived)
      models.<model>.parameters                     the parameter count the model's name states (gemma3:270m ->
                                                    270 million; unit "parameters"; derived)
      table.<path>.rows                             rows of a CSV table (unit "rows")
      table.<path>.<column>.<stat>                  stat in count|mean|median|min|max|std (sample std, ddof=1)
                                                    of each numeric column, NaN cells ignored
      table.<path>.<column>.by_model.<model>.<stat> the same per model: a `model` column's groups, else the
                                                    model the file name names (then equal to the whole table)
      tuning.<path>.best_tokens_per_s               parameter-tuning tables (name has param_tuning, or tuning
      tuning.<path>.worst_tokens_per_s              parameters beside a tokens/s column): best/worst rows among
      tuning.<path>.lowest_ttft                     rows without an error and with a positive value; the row's
      tuning.<path>.highest_ttft                    parameters are in source and labels ("num_ctx=4096")
      tuning.<path>.configurations                  rows of a parameter-tuning table (unit "configurations"; derived)
      table.<path>.models                           distinct values of a CSV's model column (unit "models"; derived)
      table.<path>[<row>].<column>                  each numeric cell of a CSV of at most CELL_ROWS rows (1-based)
      table.<path>#<n>.rows / .<column>.<stat>      the n-th (1-based) Markdown pipe table of a .md file
      table.<path>#<n>[<row label>].<column>        each numeric cell of a Markdown table whose first column
                                                    is text ("| **Mean Throughput** | 102.85 tokens/s |")
      json.<path>.<json.path>                       each finite numeric leaf of a JSON file (results[0].ttft_s);
                                                    for a top-level array json.<path>[0].x

    Units come from names (labels.unit_of): ttft_s -> s, tokens_s -> tok/s, *_ms -> ms, mean_* keeps the
    underlying unit; Markdown cells may carry their own ("0.06s", "303.9 tok/s"). A count stat has unit "".
    Labels are lowercase: the name and its words, metric synonyms (labels.name_labels), statistic words
    (STAT_LABELS: "mean", "average", ...), every spelling of the model (labels.model_forms), words of the path.
    Facts whose value is not finite (std of one value, a number beyond a float's range) are left out. A
    derived fact's source starts with "derived:" and names the facts and the operation it comes from. A unitless
    JSON leaf that repeats a non-integer value another leaf of its file gives a unit takes that unit (its source
    says so).
    """
    from pytest_chimera.evidence.collector import bulk_build

    rows: list[Row] = []
    with bulk_build(rows=rows) as tick:  # 750,000 rows for 10,000 files: young passes between tables (see collector)
        return _compute_facts(corpus, tick, rows)


def _compute_facts(corpus: Corpus, tick: Callable[[], None], rows: list[Row]) -> Facts:
    lb = build_labels()
    done = FiniteSoFar(rows, tick)  # between units of work: their rows' values checked, then tick
    file_facts(corpus, rows, lb)
    # every label string of every fact, gathered from the parts the labels are made of (a few per table,
    # column or row) rather than from the facts' labels one by one (hundreds of thousands): parameter_facts
    # looks for model names among them
    named: set[str] = set().union(*[row[4] for row in rows])
    csv_tables = corpus.tables
    parsed = getattr(csv_tables, "columns", None)  # corpus.Tables: a CSV's columns read without pandas
    for path in csv_tables:
        columns = parsed(path) if parsed is not None else None
        view = _View.of_columns(columns) if columns is not None else _View.of_frame(csv_tables[path])
        _table_facts(path, view, rows, lb, named)
        done()
    for tables in corpus.md_tables.values():
        for table in tables:
            _md_table_facts(table, rows, lb, named)
        done()
    json_facts(corpus, rows, lb, named, done)
    parameter_facts(rows, lb, named)
    done()
    return Facts(rows=rows if done.finite else [row for row in rows if math.isfinite(row[1])])


def _with_stats(labels: list[tuple[str, ...]], lb: Any) -> list[dict[str, tuple[str, ...]]]:
    """Per column, per statistic: the column's labels plus the statistic's words (shared by every use)."""
    stat_words = lb.STAT_LABELS.items()
    return [{stat: base + words for stat, words in stat_words} for base in labels]


def _emit_stats(rows: list[Row], prefix: str, columns: list[str], units: list[str],
                labels: list[dict[str, tuple[str, ...]]], lists: dict[str, list[float]], what: str,
                key_part: str = "") -> None:
    """One fact per (column, statistic): key ``<prefix>.<column><key_part>.<stat>``, source ``what``."""
    isfinite, append = math.isfinite, rows.append
    per_stat = [(stat, values, f"{what} {stat} of column ") for stat, values in lists.items()]
    for j, col in enumerate(columns):
        col_key = f"{prefix}.{col}{key_part}."
        col_repr = repr(col)
        unit, by_stat = units[j], labels[j]
        for stat, values, source in per_stat:
            value = values[j]
            if isfinite(value):
                append((col_key + stat, value, "" if stat == "count" else unit, source + col_repr, by_stat[stat]))


class _View:
    """What the table facts read of a CSV table, from a DataFrame or from ``corpus.CsvColumns``.

    nrows, column names, numeric (int/float, not bool) column names and their values as per-column float
    lists (NaN where missing); ``column(name)`` a column's ``tolist()``; ``model_names(name)`` a column's
    ``astype(str)``, "nan" where a cell is missing.
    """

    def __init__(self, nrows: int, columns: list[str], numeric: list[str], numeric_lists: list[list[float]],
                 column: Callable[[str], list[Any]], as_str: Callable[[str], list[Any]]) -> None:
        self.nrows, self.columns, self.numeric, self.numeric_lists = nrows, columns, numeric, numeric_lists
        self.column, self._as_str = column, as_str

    @classmethod
    def of_frame(cls, frame: pd.DataFrame) -> _View:
        columns = [str(c) for c in frame.columns]

        def column(name: str) -> list[Any]:
            values: list[Any] = frame[name].tolist()
            return values

        def as_str(name: str) -> list[Any]:
            values: list[Any] = frame[name].astype(str).tolist()
            return values

        if frame.empty:
            return cls(len(frame), columns, [], [], column, as_str)
        numbers = _numeric_part(frame)
        values = numbers.to_numpy(dtype=float, na_value=float("nan"))
        return cls(len(frame), columns, [str(c) for c in numbers.columns], values.T.tolist(), column, as_str)

    @classmethod
    def of_columns(cls, table: CsvColumns) -> _View:
        numeric = [n for n, num in zip(table.names, table.numeric, strict=True) if num]
        lists = [v for v, num in zip(table.values, table.numeric, strict=True) if num]
        by_name = dict(zip(table.names, table.values, strict=True))

        def as_str(name: str) -> list[Any]:  # a text column's cells are str or NaN, a bool column's bools
            values = by_name[name]
            return [str(v) if type(v) is bool else v for v in values]  # noqa: E721 - an exact type test

        return cls(table.nrows, list(table.names), numeric, lists, by_name.__getitem__, as_str)

    def model_names(self, name: str) -> list[str]:
        return [v if isinstance(v, str) else "nan" for v in self._as_str(name)]


def _table_facts(path: str, table: _View, rows: list[Row], lb: Any, named: set[str] | None = None) -> None:
    """The facts of one CSV table; ``named`` gathers the label strings they use (constant words aside)."""
    if named is None:
        named = set()
    file_model = lb.model_in_filename(path)
    extra = lb.path_labels(path) + (lb.model_forms(file_model) if file_model else ())
    named.update(extra)
    rows.append((f"table.{path}.rows", float(table.nrows), "rows", f"{path}: number of data rows",
                 _ROW_LABELS + extra))
    numeric = table.numeric
    if not numeric:
        return
    lists = table.numeric_lists
    units = [lb.unit_of(c) for c in numeric]
    col_labels = [lb.name_labels(c) for c in numeric]
    named.update(*col_labels)
    prefix = f"table.{path}"
    stats = column_stats(lists, contiguous=True)  # numpy held a table's columns column by column
    labelled = _with_stats([c + extra for c in col_labels], lb)
    _emit_stats(rows, prefix, numeric, units, labelled, stats, f"{path}:")
    model_col = next((c for c in table.columns if c.lower() == "model" and c not in numeric), None)
    if model_col is not None:
        names = table.model_names(model_col)
        distinct = sorted(m for m in set(names) if m not in ("nan", "", "None", "<NA>"))
        rows.append((f"table.{path}.models", float(len(distinct)), "models",
                     f"derived: distinct values of column {model_col!r} in {path} ({', '.join(distinct[:6])}"
                     f"{', ...' if len(distinct) > 6 else ''})", ("models", "model count", "distinct models") + extra))
        groups: dict[str, list[int]] = {}
        for i, name in enumerate(names):
            groups.setdefault(name, []).append(i)
        for model in sorted(groups):
            if model in ("nan", "", "None", "<NA>"):
                continue
            members = groups[model]
            forms = lb.model_forms(model)
            group_extra = lb.path_labels(path) + forms
            named.update(group_extra)
            # one model in every row (a run of one model): the whole table's labels when they read the same,
            # and its statistics when its columns are short enough to be added in order either way
            whole = len(members) == table.nrows
            same_words = forms == (lb.model_forms(file_model) if file_model else ())
            _emit_stats(rows, prefix, numeric, units,
                        labelled if same_words else _with_stats([c + group_extra for c in col_labels], lb),
                        stats if whole and table.nrows < IN_ORDER_BELOW else
                        column_stats([[values[i] for i in members] for values in lists], contiguous=False),
                        f"{path} (the {len(members)} rows of model {model}):", f".by_model.{model}")
    elif file_model:
        _emit_stats(rows, prefix, numeric, units, labelled, stats,
                    f"{path} (all rows; the file name names model {file_model}):", f".by_model.{file_model}")
    _tuning_facts(path, table, rows, lb, extra, dict(zip(numeric, table.numeric_lists, strict=True)), named)
    _cell_facts(path, table, rows, lb, extra, units, col_labels, model_col, named)


CELL_ROWS = 100  # a CSV of at most this many rows gets one fact per numeric cell; a longer one, its statistics


def _cell_facts(path: str, table: _View, rows: list[Row], lb: Any, extra: tuple[str, ...], units: list[str],
                col_labels: list[tuple[str, ...]], model_col: str | None, named: set[str]) -> None:
    """One fact per numeric cell of a short CSV (``table.<path>[<row>].<column>``, rows 1-based): a report
    may quote one run's value. The row's model and its text cells (a configuration name) label it."""
    if table.nrows > CELL_ROWS:
        return
    numeric, lists, isfinite, append = table.numeric, table.numeric_lists, math.isfinite, rows.append
    text_cols = [c for c in table.columns if c not in numeric]
    text_values = [table.column(c) for c in text_cols]
    models = text_values[text_cols.index(model_col)] if model_col is not None else None
    columns = list(zip(numeric, [repr(c) for c in numeric], lists, units, col_labels, strict=True))
    for i in range(table.nrows):
        words: tuple[str, ...] = ()
        for values in text_values:
            cell = values[i]
            if isinstance(cell, str) and cell.strip() and len(cell) <= 60:
                words += (cell.strip().lower(),)
        if models is not None:
            cell = models[i]
            if isinstance(cell, str) and cell.strip():
                words += lb.model_forms(cell)
        tail = words + extra
        key = f"table.{path}[{i + 1}]."  # then the column: table.<path>[<row>].<column>
        source = f"{path}: row {i + 1}, column "
        before = len(rows)
        for col, col_repr, values, unit, labels in columns:
            value = values[i]
            if isinstance(value, float) and isfinite(value):
                append((key + col, value, unit, source + col_repr, labels + tail))
        if words and len(rows) > before:
            named.update(words)


def _numeric_part(frame: pd.DataFrame) -> pd.DataFrame:
    """The int and float columns of a frame (bool excluded).

    ``select_dtypes`` costs about 0.3 ms a call, which adds up over thousands of small tables; pandas'
    ``_get_numeric_data`` does the same block selection in a third of that, so use it where it exists.
    """
    getter = getattr(frame, "_get_numeric_data", None)
    if getter is None:
        selected: pd.DataFrame = frame.select_dtypes(include="number")
        return selected
    part: pd.DataFrame = getter()
    if any(dt.kind == "b" for dt in part.dtypes.tolist()):
        part = part.select_dtypes(include="number")
    return part


def _tuning_facts(path: str, table: _View, rows: list[Row], lb: Any, extra: tuple[str, ...],
                  numeric: dict[str, list[float]], named: set[str] | None = None) -> None:
    """Best and worst rows of a parameter-tuning table; ``named`` gathers the label strings they use (constant
    words and ``extra`` aside)."""
    if named is None:
        named = set()
    columns = {c.lower(): c for c in table.columns}
    if "tuning" not in path.lower() and not any(p in columns for p in ("num_gpu", "num_ctx", "temperature")):
        return
    params = [columns[p] for p in _TUNING_PARAMS if p in columns]
    tps = next((columns[c] for c in _TPS_COLUMNS if c in columns), None)
    ttft = next((columns[c] for c in _TTFT_COLUMNS if c in columns), None)
    if not params or (tps is None and ttft is None):
        return
    ok = [True] * table.nrows
    if "error" in columns:
        ok = [not (isinstance(e, str) and e.strip()) for e in table.column(columns["error"])]
    rows.append((f"tuning.{path}.configurations", float(table.nrows), "configurations",
                 f"derived: rows of the parameter-tuning table {path} ({sum(ok)} without an error)",
                 ("configurations", "configs", "configuration count", "combinations", "parameter combinations",
                  "tested configurations") + extra))
    targets = []
    if tps is not None:
        targets += [("best_tokens_per_s", tps, max, _BEST, "highest"),
                    ("worst_tokens_per_s", tps, min, _WORST, "lowest")]
    if ttft is not None:
        targets += [("lowest_ttft", ttft, min, _BEST, "lowest"), ("highest_ttft", ttft, max, _WORST, "highest")]
    param_lists = {p: numeric[p] if p in numeric else table.column(p) for p in params}
    model_list = param_lists.get(columns.get("model", ""))
    shown: dict[int, list[str]] = {}  # per row picked: its parameters' values as the facts write them
    of_column: dict[str, list[tuple[float, int]]] = {}  # the two targets of a column pick from one list
    for name, col, pick, words, how in targets:
        candidates = of_column.get(col)
        if candidates is None:
            if col in numeric:  # floats (see _View): finite and positive is 0 < v < inf, NaN never
                candidates = [(v, -i) for i, v in enumerate(numeric[col]) if 0.0 < v < math.inf and ok[i]]
            else:
                candidates = [(float(v), -i) for i, v in enumerate(table.column(col))
                              if ok[i] and isinstance(v, (int, float)) and math.isfinite(v) and v > 0]
            of_column[col] = candidates
        if not candidates:
            continue
        value, neg_index = pick(candidates)  # ties: max takes the first row, min the last
        index = -neg_index
        values = shown.get(index)
        if values is None:
            values = shown[index] = [_fmt(param_lists[p][index]) for p in params]
        setting = [f"{p}={v}" for p, v in zip(params, values, strict=True)]
        model_words: tuple[str, ...] = ()
        model_value = None if model_list is None else model_list[index]
        if isinstance(model_value, str):
            model_words = lb.model_forms(model_value)
        col_words = lb.name_labels(col)
        setting_words = tuple([x.lower() for x in setting] + [v.lower() for v in values])
        named.update(col_words, setting_words, model_words)
        rows.append((f"tuning.{path}.{name}", value, lb.unit_of(col),
                     f"{path}: {how} {col} over {len(candidates)} ok rows, row {index + 1}: {', '.join(setting)}",
                     col_words + words + (how,) + setting_words + model_words + extra))


def _fmt(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _md_table_facts(table: MarkdownTable, rows: list[Row], lb: Any, named: set[str] | None = None) -> None:
    """The facts of one Markdown table; ``named`` gathers the label strings they use (constant words aside)."""
    if named is None:
        named = set()
    path = table.path
    file_model = lb.model_in_filename(path)
    extra = lb.path_labels(path) + (lb.model_forms(file_model) if file_model else ())
    named.update(extra)
    prefix = f"table.{table.name}"
    rows.append((f"{prefix}.rows", float(len(table.cells)), "rows", f"{table.name}: rows of Markdown table",
                 _ROW_LABELS + extra))
    if not table.cells:
        return
    width = len(table.header)
    header_models = [_model_words(h) for h in table.header]
    numeric_cols: list[int] = []
    col_units: list[str] = []
    col_numbers = list(zip(*table.numbers, strict=True))
    by_col = zip(zip(*table.cells, strict=True), col_numbers, zip(*table.units, strict=True), strict=True)
    for j, (cells, numbers, units) in enumerate(by_col):
        present = [x for x in numbers if x is not None]
        filled = sum(map(bool, map(str.strip, cells)))
        cell_units = {u for u, x in zip(units, numbers, strict=True) if x is not None}
        header_unit = lb.unit_of(table.header[j])
        unit = header_unit or (next(iter(cell_units)) if len(cell_units) == 1 else "")
        col_units.append(unit)
        if present and 2 * len(present) >= filled and (len(cell_units) <= 1 or header_unit):
            numeric_cols.append(j)
    headers = dedupe_names(table.header)
    if numeric_cols and len(table.cells) > 1:
        columns = [[math.nan if x is None else x for x in col_numbers[j]] for j in numeric_cols]
        names = [headers[j] for j in numeric_cols]
        bases = [lb.name_labels(n) + header_models[j] + extra for n, j in zip(names, numeric_cols, strict=True)]
        named.update(*bases)
        _emit_stats(rows, prefix, names, [col_units[j] for j in numeric_cols], _with_stats(bases, lb),
                    column_stats(columns, contiguous=False), f"{table.name}:")  # numpy held its rows
    # cell facts: rows led by a text label (a repeated label gets " (2)", " (3)", ... so keys stay unique)
    seen: dict[str, int] = {}
    col_tails: list[tuple[str, ...] | None] = [None] * width  # a column's labels after the row's, made once
    col_sources = [f"{table.name}: cell {h!r} of row " for h in table.header]
    append = rows.append
    for row, nums, units in zip(table.cells, table.numbers, table.units, strict=True):
        if nums[0] is not None or not row[0].strip():
            continue
        label = row[0].replace("**", "").replace("`", "").strip().strip("*_").strip()
        seen[label] = seen.get(label, 0) + 1
        if seen[label] > 1:
            label = f"{label} ({seen[label]})"
        row_labels = lb.name_labels(label) + _model_words(label)
        stat_words = lb.STAT_LABELS.get(_stat_word(label), ())
        key = f"{prefix}[{label}]."
        of_row = f"{label!r} ("
        made = False
        for j in range(1, width):
            number = nums[j]
            if number is None:
                continue
            tail = col_tails[j]
            if tail is None:
                tail = col_tails[j] = lb.name_labels(table.header[j]) + header_models[j] + extra
                named.update(tail)
            made = True
            append((key + headers[j], number, units[j] or col_units[j],
                    f"{col_sources[j]}{of_row}{row[j].strip()!r})", row_labels + tail + stat_words))
        if made:
            named.update(row_labels)


@lru_cache(maxsize=4096)
def _model_words(text: str) -> tuple[str, ...]:
    """Every spelling of every model a header or row label names."""
    from pytest_chimera.evidence.labels import model_forms, models_in_text

    return tuple(m for n in models_in_text(text) for m in model_forms(n))


def _stat_word(label: str) -> str:
    low = label.lower()
    for word, stat in (("mean", "mean"), ("average", "mean"), ("median", "median"), ("peak", "max"),
                       ("max", "max"), ("min", "min")):
        if word in low:
            return stat
    return ""
