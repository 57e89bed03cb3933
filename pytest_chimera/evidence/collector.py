"""The cyclic garbage collector during a bulk build of plain data (the ingest, the facts).

Those builds allocate hundreds of thousands of tuples, lists and dicts and free almost none. Left to itself,
the collector promotes them through its generations and every full collection walks everything built so
far (10,000 files: about 20% more time per file than 1,000). Paused for the whole build, it instead walks
all of it in one young-generation pass when it resumes: each object once, but long after it was made, so
from main memory (for 10,000 files that one pass took ~0.7 s, a third of the facts' time), and the rows it
leaves tracked cost a second pass over them in the next older collection (~0.28 s).

``bulk_build()`` does neither: automatic collection is off for the build, and the build calls the ``tick``
it yields between units of work (a file, a table); ``tick`` collects the young generation whenever
``YOUNG`` objects have been made since the last pass, while they are still in the cache. A young pass
untracks every tuple that holds only strings and numbers, so the facts' rows and their labels never reach
an older generation; only the few lists and dicts that stay are promoted, as the collector would have
promoted them. No older generation is collected here, nothing is frozen, and the caller's state is
restored however the block ends: when the collector was off before, it stays off and ``tick`` does nothing.

Given the rows being built (``rows=``: tuples whose last item is the labels tuple), ``tick`` also holds the
new rows' labels in a list while it collects. CPython's pass untracks tuples in list order after sorting out
what is reachable, and a labels tuple reachable only through its (young) row is moved behind it, so the row
is examined first, still pointing at a tracked tuple, and stays tracked until an older pass (~0.28 s more
for 10,000 files). Held from the list (which is older by then), each labels tuple keeps its place ahead of
its row and both are untracked in the same pass. The list is emptied after the pass; nothing else changes.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from operator import itemgetter
from typing import Any

YOUNG = 700  # objects made between two young passes (CPython's own default threshold): they are still in the cache


def _nothing() -> None:
    return None


@contextmanager
def bulk_build(young: int | None = None, rows: list[Any] | None = None) -> Iterator[Callable[[], None]]:
    """Automatic collection off for the block; yields ``tick``, which collects the young generation once
    ``young`` (default ``YOUNG``) objects were made since the last pass (a no-op when the collector was off
    before). ``rows``: the list of fact rows being built, whose labels ``tick`` holds during a pass."""
    due = YOUNG if young is None else young
    was_enabled = gc.isenabled()
    gc.disable()
    get_count, collect, labels_of = gc.get_count, gc.collect, itemgetter(4)
    held: list[Any] = []
    done = 0  # rows whose labels were held in an earlier pass

    def tick() -> None:
        nonlocal done
        if get_count()[0] < due:
            return
        if rows is not None:
            held.extend(map(labels_of, rows[done:]))
            done = len(rows)
        collect(0)
        held.clear()

    try:
        yield tick if was_enabled else _nothing
    finally:
        if was_enabled:
            gc.enable()
