"""The checker on the annotated real reports: the four rates the README quotes, for the development set (dev
and held out, ``tests/data/devset``) and the unseen sets: ``tests/data/unseen`` in its two halves (A and B,
both read for classes of failure after their first look), ``tests/data/unseen_c``, ``_d``, ``_e``, ``_f``, ``_g``,
``_h``, ``_i`` and ``_j`` (see their READMEs).

Run: ``cd bench && pytest test_devset_bench.py -s`` (prints the figures and the time to check all 132 reports),
or ``python bench/test_devset_bench.py`` from the repository root (the figures only). Needs ``../shared``
(the 24 real reports and the chimeraforge corpus) beside the repository.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from pytest_chimera.checks.scoring import Scores, score_set, split, total
from pytest_chimera.evidence.corpus import load_corpus
from pytest_chimera.evidence.facts import Facts, compute_facts

ROOT = Path(__file__).resolve().parent.parent
DEVSET = ROOT / "tests" / "data" / "devset"
UNSEEN = ROOT / "tests" / "data" / "unseen"
UNSEEN_C = ROOT / "tests" / "data" / "unseen_c"
UNSEEN_D = ROOT / "tests" / "data" / "unseen_d"
UNSEEN_E = ROOT / "tests" / "data" / "unseen_e"
UNSEEN_F = ROOT / "tests" / "data" / "unseen_f"
UNSEEN_G = ROOT / "tests" / "data" / "unseen_g"
UNSEEN_H = ROOT / "tests" / "data" / "unseen_h"
UNSEEN_I = ROOT / "tests" / "data" / "unseen_i"
UNSEEN_J = ROOT / "tests" / "data" / "unseen_j"
UNSEEN_K = ROOT / "tests" / "data" / "unseen_k"
UNSEEN_L = ROOT / "tests" / "data" / "unseen_l"
UNSEEN_M = ROOT / "tests" / "data" / "unseen_m"
UNSEEN_N = ROOT / "tests" / "data" / "unseen_n"
UNSEEN_O = ROOT / "tests" / "data" / "unseen_o"
UNSEEN_P = ROOT / "tests" / "data" / "unseen_p"
UNSEEN_Q = ROOT / "tests" / "data" / "unseen_q"
UNSEEN_R = ROOT / "tests" / "data" / "unseen_r"
UNSEEN_S = ROOT / "tests" / "data" / "unseen_s"
SHARED = ROOT.parent / "shared"


def figures(facts: Facts) -> dict[str, Scores]:
    dev, held = split(DEVSET.glob("*.json"))
    reports = SHARED / "real_reports"
    read, blind = split((UNSEEN / "annotations").glob("*.json"), every=2)
    return {"dev (18 reports)": total(score_set(dev, reports, facts)),
            "held out (6 reports)": total(score_set(held, reports, facts)),
            f"unseen A ({len(read)} reports)": total(score_set(read, UNSEEN / "reports", facts)),
            f"unseen B ({len(blind)} reports)": total(score_set(blind, UNSEEN / "reports", facts)),
            **{f"unseen {folder.name[-1].upper()} ({len(list((folder / 'annotations').glob('*.json')))} reports)":
               total(score_set(
                sorted((folder / "annotations").glob("*.json")), folder / "reports", facts))
               for folder in (UNSEEN_C, UNSEEN_D, UNSEEN_E, UNSEEN_F, UNSEEN_G, UNSEEN_H, UNSEEN_I,
                               UNSEEN_J, UNSEEN_K, UNSEEN_L, UNSEEN_M, UNSEEN_N, UNSEEN_O,
                               UNSEEN_P, UNSEEN_Q, UNSEEN_R, UNSEEN_S)}}


def table(results: dict[str, Scores]) -> str:
    def pct(x: float | None) -> str:
        return "n/a" if x is None else f"{100 * x:.1f}%"

    rows = ["| set | wrong | right | recall on wrong | wrong contradicted | false alarms on right "
            "| right contradicted |", "|---|---|---|---|---|---|---|"]
    for name, s in results.items():
        rows.append(f"| {name} | {s.count('wrong')} | {s.count('right')} | {pct(s.recall_wrong)} | "
                    f"{pct(s.contradicted_wrong)} | {pct(s.false_alarm_right)} | {pct(s.contradicted_right)} |")
    return "\n".join(rows)


def _facts() -> Facts:
    corpus = SHARED / "corpus" / "chimeraforge"
    if not corpus.is_dir() or not (SHARED / "real_reports").is_dir():
        pytest.skip(f"../shared not found at {SHARED}")
    return compute_facts(load_corpus(corpus))


def test_devset_figures(benchmark: BenchmarkFixture) -> None:
    facts = _facts()
    results = benchmark.pedantic(figures, args=(facts,), rounds=3, iterations=1)
    print("\n" + table(results))
    for name, s in results.items():
        benchmark.extra_info[name] = s.figures()
    assert all(s.count("wrong") for s in results.values())


if __name__ == "__main__":
    if not (SHARED / "corpus" / "chimeraforge").is_dir():
        sys.exit(f"../shared not found at {SHARED}")
    print(table(figures(compute_facts(load_corpus(SHARED / "corpus" / "chimeraforge")))))
