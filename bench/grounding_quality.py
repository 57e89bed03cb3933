"""What the built-in agent's model writes: per report, the numbers the model wrote that the consistency
check checked, the share supported, and whether the text loops. A measurement, not a test (it runs the
real model, minutes per report on 2 cores); its figures are in the README ("Measured on gemma-3-270m").

Run from the repository root, for example::

    python bench/grounding_quality.py --temperature 0 --seeds 42
    python bench/grounding_quality.py --temperature 0.7 --seeds 1,2,3,4,5
    python bench/grounding_quality.py --temperature 0 --seeds 42 --no-grounding

Corpora: the real 101-file corpus in ../shared (when present) and example_project/corpus. Options as the
example project's: num_ctx 2048, num_predict 200, the given temperature and seed; persona insight.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPORA = {"real": ROOT.parent / "shared" / "corpus" / "chimeraforge", "example": ROOT / "example_project" / "corpus"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--temperature", type=float, default=0.0)
    parser.add_argument("--seeds", default="42", help="comma-separated seeds (default: %(default)s)")
    parser.add_argument("--no-grounding", action="store_true")
    args = parser.parse_args()

    from pytest_chimera import check_consistency, compute_facts, load_corpus, parse_report, run_agent
    from pytest_chimera.backends import load_backend
    from pytest_chimera.checks.assertions import model_checked
    from pytest_chimera.checks.structure import check_structure

    backend = load_backend("llama-cpp", "gemma3:270m", options={"num_ctx": 2048})
    print(f"load average at start: {os.getloadavg()[0]:.1f}")
    for name, path in CORPORA.items():
        if not path.is_dir():
            print(f"{name}: {path} not found, skipped")
            continue
        corpus = load_corpus(path)
        facts = compute_facts(corpus)
        checked: list[int] = []
        supported: list[int] = []
        for seed in (int(s) for s in args.seeds.split(",")):
            options = {"num_ctx": 2048, "num_predict": 200, "temperature": args.temperature, "seed": seed}
            start = time.perf_counter()
            run = run_agent(corpus, backend, persona="insight", options=options, grounding=not args.no_grounding,
                            facts=facts)
            numbers = model_checked(check_consistency(run.markdown, facts, run))
            verdicts = [n.verdict for n in numbers]
            loop = next(r for r in check_structure(run.markdown, "insight").rules if r.rule == "no-repetition-loop")
            checked.append(len(numbers))
            supported.append(verdicts.count("supported"))
            print(f"{name} seed {seed}: {len(numbers)} model-written numbers checked, "
                  f"{verdicts.count('supported')} supported, {verdicts.count('contradicted')} contradicted, "
                  f"{verdicts.count('unverified')} unverified; repetition share "
                  f"{parse_report(run.markdown).repetition.share:.2f}, {'no loop' if loop.ok else 'LOOP'}; "
                  f"{time.perf_counter() - start:.0f} s, load {os.getloadavg()[0]:.1f}")
        shares = [s / c if c else 0.0 for s, c in zip(supported, checked, strict=True)]
        print(f"{name}: median {statistics.median(checked)} checked per report, median {statistics.median(shares):.0%} "
              f"supported (all reports: {sum(supported)}/{sum(checked)})")
    backend.close()


if __name__ == "__main__":
    main()
