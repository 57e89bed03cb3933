"""How far two blind annotations of unseen set J agree, and the checker's rates under each.

Set J (``tests/data/unseen_j``) was annotated twice, by two groups of three annotators who never saw each other's
labels (``annotations/`` and ``second/annotations/``). Where both labelled a number, this prints how often their
labels agree (and Cohen's kappa), then the four rates of "Numbers and verdicts" scored against each annotation:
the part of a rate that is the annotators' doubt, not the checker's. Needs ``../shared`` beside the repository.

Run: ``python bench/agreement.py`` from the repository root.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from pytest_chimera.checks.scoring import LABELS, Annotated, Scores, load_annotations, score_set, total
from pytest_chimera.evidence.corpus import load_corpus
from pytest_chimera.evidence.facts import Facts, compute_facts

ROOT = Path(__file__).resolve().parent.parent
SET_J = ROOT / "tests" / "data" / "unseen_j"
CORPUS = ROOT.parent / "shared" / "corpus" / "chimeraforge"

Key = tuple[int, str, int]


def _keyed(numbers: list[Annotated]) -> dict[Key, str]:
    return {(n.line, n.text, n.occurrence): n.label for n in numbers}


def agreement(first: Path, second: Path) -> tuple[Counter[tuple[str, str]], int, int]:
    """(label pairs of the numbers both annotated, numbers only the first annotated, only the second)."""
    pairs: Counter[tuple[str, str]] = Counter()
    only_first = only_second = 0
    for path in sorted(first.glob("*.json")):
        a, b = _keyed(load_annotations(path)[1]), _keyed(load_annotations(second / path.name)[1])
        pairs.update((a[k], b[k]) for k in a.keys() & b.keys())
        only_first += len(a.keys() - b.keys())
        only_second += len(b.keys() - a.keys())
    return pairs, only_first, only_second


def kappa(pairs: Counter[tuple[str, str]]) -> float:
    """Cohen's kappa of the label pairs."""
    n = sum(pairs.values())
    observed = sum(pairs[(label, label)] for label in LABELS) / n
    expected = sum(sum(pairs[(label, b)] for b in LABELS) * sum(pairs[(a, label)] for a in LABELS)
                   for label in LABELS) / n / n
    return (observed - expected) / (1 - expected)


def rates(annotations: Path, facts: Facts) -> Scores:
    """The checker's scores on set J against one annotation."""
    return total(score_set(annotations.glob("*.json"), SET_J / "reports", facts))


def main() -> None:
    pairs, only_first, only_second = agreement(SET_J / "annotations", SET_J / "second" / "annotations")
    both = sum(pairs.values())
    print(f"numbers both annotated: {both} (only the first: {only_first}, only the second: {only_second})")
    print("first \\ second: " + ", ".join(LABELS))
    for a in LABELS:
        print(f"  {a}: " + ", ".join(str(pairs[(a, b)]) for b in LABELS))
    same = sum(pairs[(label, label)] for label in LABELS)
    print(f"agreement {same / both:.1%}, Cohen's kappa {kappa(pairs):.3f}")
    if not CORPUS.is_dir():
        sys.exit(f"../shared not found at {CORPUS.parent.parent}: no rates")
    facts = compute_facts(load_corpus(CORPUS))
    for name, folder in (("first", SET_J / "annotations"), ("second", SET_J / "second" / "annotations")):
        print(f"{name}: {rates(folder, facts).summary()}")


if __name__ == "__main__":
    main()
