"""Grounded versus ungrounded, side by side: what the consistency check catches.

The original agent gave its model only a file inventory, and the model invented its numbers. Here both
runs use the Python API directly on the same model, corpus and facts. Only the numbers the model wrote
count (the report body and the lists taken from the model's text, not the blocks the agent assembles from
what it measured); their verdicts are shown side by side (`-s` or `-rP`).

The grounded run is asserted on both halves: the model wrote at least one number that was checked
(`min_checked=1`, the default: a report with nothing to check proves nothing), and no number contradicts
the facts. The ungrounded run is the original's behaviour, shown for comparison.
"""

from __future__ import annotations

from collections import Counter

import pytest

from pytest_chimera import Backend, ConsistencyResult, Corpus, Facts, ReportRun, parse_report, run_agent
from pytest_chimera.checks.assertions import model_checked


def row(grounded: bool, run: ReportRun, result: ConsistencyResult) -> str:
    verdicts = Counter(n.verdict for n in model_checked(result))
    repeated = parse_report(run.markdown).repetition.share
    return (f"{'yes' if grounded else 'no':>8}  {len(model_checked(result)):>7}  {verdicts['supported']:>9}  "
            f"{verdicts['contradicted']:>12}  {verdicts['unverified']:>10}  {repeated:>8.0%}")


@pytest.mark.chimera
def test_grounding_side_by_side(chimera_model: Backend, chimera_corpus: Corpus, chimera_facts: Facts) -> None:
    runs = {grounded: run_agent(chimera_corpus, chimera_model, grounding=grounded, facts=chimera_facts)
            for grounded in (True, False)}
    results = {grounded: run.assert_consistent(chimera_facts, max_contradicted=None, min_checked=0)
               for grounded, run in runs.items()}
    print("\ngrounded  checked  supported  contradicted  unverified  repeated   (numbers the model wrote)")
    for grounded in (True, False):
        print(row(grounded, runs[grounded], results[grounded]))
    for grounded, result in results.items():
        for check in model_checked(result):
            if check.verdict != "supported":
                print(f"  grounded={grounded} {check.verdict}: {check.raw!r} in {check.text[:90]!r}")
    # With the key figures in its prompt the model has true numbers to copy: it writes at least one that is
    # checked, and none of its numbers contradicts the facts.
    runs[True].assert_consistent(chimera_facts, max_contradicted=0, min_checked=1)
