"""``pytest-chimera check REPORT.md --corpus DIR [--spec insight|collector|PATH] [--run run.json] [--json]``.

Parses the report, applies the structure spec (when given) and checks every number against the facts of
the corpus (and, with ``--run``, the run metrics and options against that run's JSON). Exit 0 when every
check passes, 1 when a structure rule fails, more numbers are contradicted (or unverified) than allowed or
fewer model-written numbers were checked than ``--min-checked`` (``min_checked=`` of ``assert_consistent``),
2 on a usage error (a missing or unreadable file, a bad spec: the message names it) and on a report with more
numbers to check than ``--max-numbers`` (default ``DEFAULT_MAX_NUMBERS``: a report that size would take minutes).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from pytest_chimera.checks.assertions import DEFAULT_MIN_CHECKED
from pytest_chimera.checks.memo import DEFAULT_MAX_NUMBERS


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {text!r}")
    return value


def add_parser(subparsers: Any) -> None:
    """Register ``check``."""
    parser = subparsers.add_parser(
        "check",
        help="check a report's structure and every number in it against a corpus",
        description="Check a markdown report written by any agent: structure against a spec (JSON Schema "
        "over the parsed report) and every number against the facts of a benchmark corpus. Verdicts: "
        "supported, contradicted (the true value is shown), unverified.",
    )
    parser.add_argument("report", type=Path, metavar="REPORT.md", help="the markdown report to check")
    parser.add_argument("--corpus", type=Path, required=True, metavar="DIR", help="benchmark corpus directory")
    parser.add_argument("--spec", default=None, metavar="insight|collector|PATH",
                        help="structure spec: a built-in name or a JSON Schema file (default: no structure check)")
    parser.add_argument("--run", type=Path, default=None, metavar="run.json",
                        help="the run's JSON (ReportRun.to_json) to check run metrics and options against")
    parser.add_argument("--max-contradicted", type=_count, default=0, metavar="N",
                        help="contradicted numbers allowed before exit 1 (default: %(default)s)")
    parser.add_argument("--max-unverified", type=_count, default=None, metavar="N",
                        help="unverified numbers allowed before exit 1 (default: no limit)")
    parser.add_argument("--min-checked", type=_count, default=DEFAULT_MIN_CHECKED, metavar="N",
                        help="numbers written by the model (outside the blocks the agent assembles) that must be "
                        "checked, else exit 1: a check of nothing proves nothing (default: %(default)s)")
    parser.add_argument("--max-numbers", type=_count, default=DEFAULT_MAX_NUMBERS, metavar="N",
                        help="numbers to check at most (lines that repeat an earlier line are free); a report with "
                        "more ends with exit 2 instead of running for minutes; 0: no limit (default: %(default)s)")
    parser.add_argument("--json", action="store_true",
                        help='print {"report", "numbers", "structure", "summary"} as JSON')
    parser.set_defaults(func=run)


def _usage(message: str) -> int:
    print(f"pytest-chimera check: error: {message}", file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    """The ``check`` command; returns the exit code."""
    from pytest_chimera.checks.assertions import consistency_failed, consistency_summary, model_checked
    from pytest_chimera.checks.consistency import check_consistency
    from pytest_chimera.checks.memo import TooManyNumbers
    from pytest_chimera.checks.report import Outline, ParsedReport, outline, parse_report
    from pytest_chimera.checks.structure import SpecError, check_structure
    from pytest_chimera.evidence.formats import decode

    try:
        markdown, _ = decode(args.report.read_bytes())  # UTF-8, with or without BOM, or UTF-16
    except (OSError, ValueError) as exc:
        return _usage(f"REPORT.md {args.report}: cannot read it ({exc.__class__.__name__}: {exc})")
    if not args.corpus.is_dir():
        return _usage(f"--corpus {args.corpus}: not a directory (pass the benchmark corpus folder)")
    run_data: dict[str, Any] | None = None
    run = None
    if args.run is not None:
        try:
            run_data = json.loads(args.run.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            return _usage(f"--run {args.run}: not readable JSON ({exc})")
        except RecursionError:
            return _usage(f"--run {args.run}: not readable JSON (nested too deeply)")
        if not isinstance(run_data, dict) or not isinstance(run_data.get("markdown"), str):
            return _usage(f"--run {args.run}: not a run JSON (expected ReportRun.to_json with 'markdown')")
        from pytest_chimera.agent.runs import ReportRun
        from pytest_chimera.checks.consistency import run_facts

        try:
            run = ReportRun.from_json(run_data)  # metrics recomputed from its calls
            run_facts(run)  # every metric, stage and option a number where one is expected
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            return _usage(f"--run {args.run}: not a run JSON ({type(exc).__name__}: {exc}); pass the run JSON that "
                          "pytest-chimera run --json or a .chimera/ run wrote")
    structure = None
    # the outline is all the number check reads; a spec needs the parsed report (the same numbers and verdicts)
    parsed: ParsedReport | Outline = outline(markdown) if args.spec is None else parse_report(markdown)
    if isinstance(parsed, ParsedReport):
        try:
            structure = check_structure(parsed, args.spec)
        except SpecError as exc:
            return _usage(f"--spec: {exc}")
    from pytest_chimera.agent.chimera import empty_corpus_problem
    from pytest_chimera.evidence.corpus import load_corpus
    from pytest_chimera.evidence.facts import compute_facts

    corpus = load_corpus(args.corpus)
    problem = empty_corpus_problem(corpus)
    if problem:  # else every file count in the report is contradicted by a 0
        return _usage(f"--corpus: {problem}")
    facts = compute_facts(corpus)
    try:
        result = check_consistency(parsed, facts, run=run, max_numbers=args.max_numbers or None)
    except TooManyNumbers as exc:
        return _usage(f"REPORT.md {args.report}: {exc}; checking them all takes minutes: raise the limit with "
                      f"--max-numbers N (0: no limit), or check a shorter report")
    counts = result.counts()
    structure_failed = len(structure.failed) if structure is not None else 0
    limits = (args.max_contradicted, args.max_unverified, args.min_checked)
    failed = structure_failed > 0 or consistency_failed(result, *limits)
    if args.json:
        payload = {
            "report": str(args.report),
            "numbers": result.to_json(),
            "structure": structure.to_json() if structure is not None else [],
            "summary": {**counts, "checked": len(model_checked(result)), "structure_failed": structure_failed},
        }
        print(json.dumps(payload, indent=2, ensure_ascii=False))
    else:
        if structure is not None:
            print("\n".join(structure.lines()))
        print("\n".join(consistency_summary(result, *limits)))
        for n in result.numbers:
            if n.verdict in ("contradicted", "unverified"):
                print(f"  {n.describe()}")
        print("FAILED" if failed else "OK")
    return 1 if failed else 0
