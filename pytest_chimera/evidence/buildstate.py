"""What ``facts.compute_facts`` keeps for the length of one build: the labels functions with a file's model
found once (``build_labels``), and whether every value so far is finite (``FiniteSoFar``). Nothing here
outlives the build."""

from __future__ import annotations

import math
from collections.abc import Callable
from operator import itemgetter
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pytest_chimera.evidence.inventory import Row

_VALUE_OF = itemgetter(1)


def build_labels() -> Any:
    """The ``labels`` functions (and ``STAT_LABELS``) the facts use, for one build: a file's model is found once
    per build (the inventory and the file's own facts both ask; ``labels``' cache holds 8,192 names, so for
    10,000 files the second question missed it too)."""
    from types import SimpleNamespace

    from pytest_chimera.evidence import labels as lb

    models: dict[str, str | None] = {}

    def model_in_filename(filename: str) -> str | None:
        found = models.get(filename, "")
        if found == "":  # a model name is never empty
            found = models[filename] = lb.model_in_filename(filename)
        return found

    return SimpleNamespace(model_in_filename=model_in_filename, path_labels=lb.path_labels,
                           model_forms=lb.model_forms, name_labels=lb.name_labels, unit_of=lb.unit_of,
                           family_of=lb.family_of, models_in_text=lb.models_in_text, STAT_LABELS=lb.STAT_LABELS)


class FiniteSoFar:
    """Called after each unit of work (a table, a file): checks the values of the rows it added while they are
    still in the cache (a pass over all rows at the end reads 750,000 of them from memory again for 10,000
    files), then calls ``tick``. ``finite``: no row so far has a NaN or infinite value.

    A sum is finite only when every term is (an infinity or a NaN makes it infinite or NaN); a sum that
    overflows, of finite terms, only sends the caller to filter rows it keeps anyway. A fact is a quantity,
    and JSON has no NaN or Infinity: the caller leaves such rows out."""

    def __init__(self, rows: list[Row], tick: Callable[[], None]) -> None:
        self.rows, self.tick, self.checked, self.finite = rows, tick, 0, True

    def __call__(self) -> None:
        rows = self.rows
        if self.finite and not math.isfinite(sum(map(_VALUE_OF, rows[self.checked:]))):
            self.finite = False
        self.checked = len(rows)
        self.tick()
