"""Ground-truth quantities computed from a Corpus, each with its provenance.

``Fact`` is one quantity; ``Facts`` wraps a pandas DataFrame with the columns
``key, value, unit, source, labels`` and a small API over it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

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

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "value": self.value, "unit": self.unit, "source": self.source,
                "labels": list(self.labels)}


class Facts:
    """A table of facts (pandas DataFrame with COLUMNS) plus look-ups."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame

    @classmethod
    def from_records(cls, facts: Iterable[Fact]) -> Facts:
        import pandas as pd

        rows = [(f.key, float(f.value), f.unit, f.source, tuple(f.labels)) for f in facts]
        return cls(pd.DataFrame(rows, columns=list(COLUMNS)))

    def __len__(self) -> int:
        return len(self.frame)

    def __iter__(self) -> Iterator[Fact]:
        for key, value, unit, source, labels in self.frame.itertuples(index=False, name=None):
            yield Fact(key, float(value), unit, source, tuple(labels))

    def get(self, key: str) -> Fact:
        """The fact with this key; ``KeyError`` naming the key when absent."""
        hit = self.frame[self.frame["key"] == key]
        if hit.empty:
            raise KeyError(f"no fact with key {key!r}")
        key, value, unit, source, labels = next(hit.itertuples(index=False, name=None))
        return Fact(key, float(value), unit, source, tuple(labels))

    def to_list(self) -> list[Fact]:
        return list(self)
