"""Grounded versus ungrounded, side by side: what the consistency check catches.

The original agent gave its model only a file inventory, and the model invented its numbers. Here both
runs use the Python API directly on the same model, corpus and facts, and the verdicts on the numbers the
model wrote (the report body, not the blocks the agent assembles) are shown side by side (`-s` or `-rP`).
"""

from __future__ import annotations

from collections import Counter

import pytest

from pytest_chimera import Backend, ConsistencyResult, Corpus, Facts, check_consistency, run_agent


def body_verdicts(result: ConsistencyResult) -> Counter[str]:
    """Verdicts of the numbers the model itself wrote."""
    return Counter(n.verdict for n in result.numbers if n.part == "body" and n.verdict is not None)


@pytest.mark.chimera
def test_grounding_side_by_side(chimera_model: Backend, chimera_corpus: Corpus, chimera_facts: Facts) -> None:
    verdicts = {}
    for grounded in (True, False):
        run = run_agent(chimera_corpus, chimera_model, grounding=grounded, facts=chimera_facts)
        result = check_consistency(run.markdown, chimera_facts, run)
        verdicts[grounded] = body_verdicts(result)
        print(f"\ngrounding={grounded}: model-written numbers {dict(verdicts[grounded])}")
        for check in result.numbers:
            if check.part == "body" and check.verdict in ("contradicted", "unverified"):
                print(f"  {check.verdict}: {check.raw!r} in {check.text[:90]!r}")
    # With the facts in its prompt, the model has true numbers to copy: none it writes may contradict them.
    assert verdicts[True]["contradicted"] == 0
