"""Facts of the numeric leaves of a corpus's JSON files (``json.<path>.<json.path>``), labelled by the leaf's
keys, the model of the nearest enclosing object and the file's path."""

from __future__ import annotations

import re
from collections.abc import Callable
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from pytest_chimera.evidence.inventory import Row

_UNIT = itemgetter(2)

if TYPE_CHECKING:
    from pytest_chimera.evidence.corpus import Corpus


def json_facts(corpus: Corpus, rows: list[Row], lb: Any, named: set[str] | None = None,
               tick: Callable[[], None] | None = None) -> None:
    """The facts of the JSON leaves; ``named`` gathers the label strings they use; ``tick`` is called between
    files (``collector.bulk_build``)."""
    if named is None:
        named = set()
    strip_index = re.compile(r"\[\d+\]")
    shape_of: dict[str, str] = {}  # per JSON path its shape: the same few dozen paths recur in every file alike
    shape_cache: dict[str, tuple[str, tuple[str, ...]]] = {}
    # per file: its path's labels; per (shape, model): the leaf's whole labels, shared by the leaves alike
    extra: tuple[str, ...] = ()
    labels_of: dict[tuple[str, str], tuple[str, tuple[str, ...]]] = {}
    models_named: set[str] = set()
    current, start = "", len(rows)
    key_dot = key_bare = source = ""
    append = rows.append
    for file, jpath, value, model in corpus.iter_json_leaves():
        if file != current:
            _same_value_units(rows, start)
            if tick is not None:
                tick()
            current, start = file, len(rows)
            file_model = lb.model_in_filename(file)
            extra = lb.path_labels(file) + (lb.model_forms(file_model) if file_model else ())
            named.update(extra)
            labels_of = {}
            key_bare, source = f"json.{file}", f"{file}: "
            key_dot = key_bare + "."
        shape = shape_of.get(jpath)
        if shape is None:
            shape = shape_of[jpath] = strip_index.sub("", jpath)
        unit_labels = labels_of.get((shape, model))
        if unit_labels is None:
            meta = shape_cache.get(shape)
            if meta is None:
                keys = [k for k in shape.split(".") if k]
                last = keys[-1] if keys else ""
                words: tuple[str, ...] = lb.name_labels(last) if last else ()
                for k in keys[:-1]:
                    words += lb.name_labels(k)
                meta = (lb.unit_of(last) if last else "", words)
                shape_cache[shape] = meta
                named.update(words)  # once per shape, once per model: they are the same words in every file
            model_words = lb.model_forms(model) if model else ()
            if model not in models_named:
                models_named.add(model)
                named.update(model_words)
            unit_labels = labels_of[shape, model] = (meta[0], meta[1] + model_words + extra)
        append(((key_bare if jpath[:1] == "[" else key_dot) + jpath, value, unit_labels[0], source + jpath,
                unit_labels[1]))
    _same_value_units(rows, start)


def _same_value_units(rows: list[Row], start: int) -> None:
    """A unitless leaf of one JSON file that repeats, digit for digit, a non-integer value the same file gives
    a unit is that measurement again ("latency_percentiles.p95" = "run_results[2].mean_ms"): it takes the unit,
    and its source says so; the unit's word becomes one of its labels, as "ms" is one of "mean_ms"'s."""
    added = rows[start:]
    if all(map(_UNIT, added)) or not any(map(_UNIT, added)):  # no leaf without a unit, or none with one
        return
    units: dict[float, str] = {}
    for _, value, unit, _, _ in added:
        if unit and not float(value).is_integer():
            units[value] = unit if units.get(value, unit) == unit else ""
    if not units:  # nothing to give a unit
        return
    for k in range(start, len(rows)):
        key, value, unit, source, labels = rows[k]
        if not unit and units.get(value) and not float(value).is_integer():
            rows[k] = (key, value, units[value], f"{source} (unit {units[value]}: the same value as a {units[value]} "
                       "leaf of this file)", labels if units[value] in labels else labels + (units[value],))
