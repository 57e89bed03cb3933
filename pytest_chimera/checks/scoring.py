"""Scoring the checker on annotated reports: each annotated number matched to its ``NumberCheck``, then the
rates a user gates on.

An annotation file (JSON) is ``{"report": "<name>.md", "numbers": [{"line", "text", "occurrence", "label",
...}]}``: ``text`` is the number as written on that 1-based ``line`` (with its unit when attached), the
``occurrence``-th time it appears there; ``label`` is ``right``, ``wrong`` or ``undecidable``.

Figures (``Scores``): recall on wrong numbers (flagged = ``contradicted`` or ``unverified``), the share of wrong
numbers ``contradicted``, the false-alarm rate on right numbers (any flag) and the ``contradicted`` rate on
right numbers. An annotated number the checker did not classify as a claim (or did not find) has no verdict:
it counts as not flagged, and ``unclaimed`` says how many there were.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_chimera.checks.consistency import ConsistencyResult, NumberCheck, check_consistency
from pytest_chimera.evidence.facts import Facts

LABELS = ("right", "wrong", "undecidable")
FLAGS = ("contradicted", "unverified")


@dataclass(frozen=True)
class Annotated:
    """One annotated number: where it is, how it is written, and its label."""

    line: int
    text: str
    occurrence: int
    label: str
    claim: str = ""


@dataclass(frozen=True)
class Scored:
    """An annotated number and the checker's verdict on it (``None``: not found or not a claim)."""

    report: str
    number: Annotated
    check: NumberCheck | None

    @property
    def verdict(self) -> str | None:
        return self.check.verdict if self.check is not None and self.check.kind == "claim" else None


@dataclass
class Scores:
    """Counts per label and verdict, and the four rates (``None`` where a denominator is 0)."""

    items: list[Scored] = field(default_factory=list)

    def count(self, label: str, verdicts: Iterable[str | None] | None = None) -> int:
        wanted = None if verdicts is None else set(verdicts)
        return sum(1 for s in self.items if s.number.label == label and (wanted is None or s.verdict in wanted))

    @property
    def unclaimed(self) -> int:
        """Annotated numbers the checker did not classify as claims (or did not find)."""
        return sum(1 for s in self.items if s.verdict is None)

    def _rate(self, label: str, verdicts: Iterable[str]) -> float | None:
        total = self.count(label)
        return self.count(label, verdicts) / total if total else None

    @property
    def recall_wrong(self) -> float | None:
        return self._rate("wrong", FLAGS)

    @property
    def contradicted_wrong(self) -> float | None:
        return self._rate("wrong", ("contradicted",))

    @property
    def false_alarm_right(self) -> float | None:
        return self._rate("right", FLAGS)

    @property
    def contradicted_right(self) -> float | None:
        return self._rate("right", ("contradicted",))

    def figures(self) -> dict[str, Any]:
        return {"right": self.count("right"), "wrong": self.count("wrong"),
                "undecidable": self.count("undecidable"), "unclaimed": self.unclaimed,
                "recall_wrong": self.recall_wrong, "contradicted_wrong": self.contradicted_wrong,
                "false_alarm_right": self.false_alarm_right, "contradicted_right": self.contradicted_right}

    def summary(self) -> str:
        def pct(x: float | None) -> str:
            return "n/a" if x is None else f"{100 * x:.1f}%"

        return (f"{self.count('wrong')} wrong, {self.count('right')} right, {self.count('undecidable')} undecidable "
                f"({self.unclaimed} not claims): recall on wrong {pct(self.recall_wrong)}, wrong contradicted "
                f"{pct(self.contradicted_wrong)}, false alarms on right {pct(self.false_alarm_right)}, right "
                f"contradicted {pct(self.contradicted_right)}")

    def __add__(self, other: Scores) -> Scores:
        return Scores(self.items + other.items)


def load_annotations(path: Path) -> tuple[str, list[Annotated]]:
    """(report file name, annotated numbers) of one annotation file; ``ValueError`` naming the file if bad."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        numbers = [Annotated(int(n["line"]), str(n["text"]), int(n.get("occurrence", 1)), str(n["label"]),
                             str(n.get("claim", ""))) for n in data["numbers"]]
        report = str(data["report"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{path}: not an annotation file ({exc})") from exc
    bad = [n for n in numbers if n.label not in LABELS]
    if bad:
        raise ValueError(f"{path}: line {bad[0].line}: label {bad[0].label!r} is not one of {', '.join(LABELS)}")
    return report, numbers


def _nth(line: str, text: str, occurrence: int) -> int:
    at = -1
    for _ in range(max(occurrence, 1)):
        at = line.find(text, at + 1)
        if at < 0:
            return -1
    return at


def _standalone(line: str, raw: str, start: int) -> int:
    """Where ``raw`` stands as a number of its own in ``line`` from ``start`` (not inside "20251002"), or -1."""
    tail = r"(?![A-Za-z0-9])" if raw[-1:].isalnum() else ""
    m = re.compile(r"(?<![A-Za-z0-9_.])" + re.escape(raw) + tail).search(line, start)
    return m.start() if m else -1


def locate(markdown: str, checks: Sequence[NumberCheck], numbers: Sequence[Annotated]
           ) -> list[NumberCheck | None]:
    """The check of each annotated number: the one whose written form covers the annotated text's position
    on its line (checks are placed on their line in order, each after the previous one)."""
    lines = markdown.split("\n")
    placed: dict[int, list[tuple[int, int, NumberCheck]]] = {}
    for c in checks:
        if not 1 <= c.line <= len(lines):
            continue
        row = placed.setdefault(c.line, [])
        text = lines[c.line - 1]
        after = row[-1][1] if row else 0
        at = _standalone(text, c.raw, after)
        if at < 0:
            at = _standalone(text, c.raw, 0)
        if at >= 0:
            row.append((at, at + len(c.raw), c))
    out: list[NumberCheck | None] = []
    for n in numbers:
        text = lines[n.line - 1] if 1 <= n.line <= len(lines) else ""
        at = _nth(text, n.text, n.occurrence)
        hit = None
        if at >= 0:
            end = at + len(n.text)
            overlapping = [(a, b, c) for a, b, c in placed.get(n.line, []) if a < end and at < b]
            if overlapping:
                hit = min(overlapping, key=lambda x: abs(x[0] - at))[2]
        out.append(hit)
    return out


def score_report(name: str, markdown: str, numbers: Sequence[Annotated], facts: Facts,
                 result: ConsistencyResult | None = None) -> Scores:
    """Check one report (unless ``result`` is given) and pair each annotated number with its verdict."""
    result = result if result is not None else check_consistency(markdown, facts)
    found = locate(markdown, result.numbers, numbers)
    return Scores([Scored(name, n, c) for n, c in zip(numbers, found, strict=True)])


def score_set(annotations: Iterable[Path], reports_dir: Path, facts: Facts) -> dict[str, Scores]:
    """Scores per report of every annotation file, each report read from ``reports_dir``."""
    out: dict[str, Scores] = {}
    for path in sorted(annotations):
        name, numbers = load_annotations(path)
        report = reports_dir / name
        try:
            markdown = report.read_text(encoding="utf-8")
        except OSError as exc:
            raise ValueError(f"{path}: its report {report} cannot be read ({exc})") from exc
        out[name] = score_report(name, markdown, numbers, facts)
    return out


def split(annotations: Iterable[Path], every: int = 4) -> tuple[list[Path], list[Path]]:
    """(development, held out): sorted by name, every ``every``-th file (the 4th, 8th, ...) is held out."""
    paths = sorted(annotations)
    return ([p for k, p in enumerate(paths) if k % every != every - 1],
            [p for k, p in enumerate(paths) if k % every == every - 1])


def total(scores: Mapping[str, Scores] | Iterable[Scores]) -> Scores:
    """All items of several reports' scores together."""
    parts = scores.values() if isinstance(scores, Mapping) else scores
    out = Scores()
    for s in parts:
        out = out + s
    return out
