"""The cyclic garbage collector during a bulk build of plain data (the ingest, the facts).

Those builds allocate hundreds of thousands of tuples, lists and dicts and free almost none. Left to itself,
the collector promotes them through its generations and every full collection walks everything built so
far (10,000 files: about 20% more time per file than 1,000). Paused for the whole build, it instead walks
all of it in one young-generation pass when it resumes: each object once, but long after it was made, so
from main memory (for 10,000 files that one pass took ~0.7 s, a third of the facts' time).

``bulk_build()`` does neither: automatic collection is off for the build, and the build calls the ``tick``
it yields between units of work (a file, a table); ``tick`` collects the young generation whenever
``YOUNG`` objects have been made since the last pass, while they are still in the cache. A young pass
untracks every tuple that holds only strings and numbers (a fact's row and its labels), so they never
reach an older generation; only the few lists and dicts that stay are promoted, as the collector would have
promoted them. No older generation is collected here, nothing is frozen, and the caller's state is
restored however the block ends: when the collector was off before, it stays off and ``tick`` does nothing.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager

YOUNG = 2000  # objects made between two young passes: a few hundred KiB, in the cache


def _nothing() -> None:
    return None


@contextmanager
def bulk_build(young: int | None = None) -> Iterator[Callable[[], None]]:
    """Automatic collection off for the block; yields ``tick``, which collects the young generation once
    ``young`` (default ``YOUNG``) objects were made since the last pass (a no-op when the collector was off
    before)."""
    due = YOUNG if young is None else young
    was_enabled = gc.isenabled()
    gc.disable()
    get_count, collect = gc.get_count, gc.collect

    def tick() -> None:
        if get_count()[0] >= due:
            collect(0)

    try:
        yield tick if was_enabled else _nothing
    finally:
        if was_enabled:
            gc.enable()
