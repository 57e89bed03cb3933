"""``pytest-chimera html [RUN_JSON|DIR ...] -o PATH``: the ``--chimera-html`` page, built afterwards from files.

Inputs are run JSON files (``.chimera/*.json``, a test's further samples beside them), chimera run records
(``.chimera/runs/``) and saved pytest-benchmark runs (``.benchmarks/``), named one by one or found in folders
(default: ``.chimera`` and ``.benchmarks`` in the current folder). Each run is checked against the corpus its run
JSON names, else ``--corpus``; the saved runs give the trend, test ids and per-sample verdicts, and ``--baseline``
compares the newest of them with that baseline. Exit 0 when the page is written, 2 on a usage error (an input,
corpus, baseline or output that cannot be used: the message names it).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from pytest_chimera.plugin.options import add_cli_options

DEFAULT_INPUTS = (".chimera", ".benchmarks")


def add_parser(subparsers: Any) -> None:
    """Register ``html``."""
    parser = subparsers.add_parser(
        "html",
        help="build the self-contained HTML page of report runs, their verdicts, the comparison and trends",
        description="Build one self-contained HTML page (inline CSS and JS, nothing loaded from the network) from "
        "run JSON files and saved pytest-benchmark runs: each report with its numbers marked by verdict, its "
        "structure rules and model-call timings, a summary filterable to failures, the comparison with "
        "--baseline and trend charts of the saved runs.",
    )
    parser.add_argument("inputs", nargs="*", type=Path, metavar="RUN_JSON|DIR",
                        help="run JSON files, chimera run records, pytest-benchmark JSON files, or folders holding "
                        f"them (default: {' and '.join(DEFAULT_INPUTS)} where they exist)")
    parser.add_argument("-o", "--output", type=Path, required=True, metavar="PATH", help="the HTML file to write")
    parser.add_argument("--corpus", type=Path, default=None, metavar="DIR",
                        help="the corpus to check a run against when its run JSON names none, or one that is not "
                        "here (default: none; such runs' numbers are not checked)")
    parser.add_argument("--baseline", type=Path, default=None, metavar="FILE.json",
                        help="a saved run (chimera run record or pytest-benchmark file) to compare the newest saved "
                        "run with")
    add_cli_options(parser, ("fail-on", "compare-any"))  # the comparison's rules, as --chimera-fail-on
    parser.add_argument("--title", default="pytest-chimera report", metavar="TEXT", help="the page's title")
    parser.set_defaults(func=run)


def _usage(message: str) -> int:
    print(f"pytest-chimera html: error: {message}", file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    """The ``html`` command; returns the exit code."""
    from pytest_chimera.atomic import unwritable, write_atomic
    from pytest_chimera.gating import DEFAULT_RULES, RunFileError, compare_runs, load_run, parse_rules
    from pytest_chimera.view.build import make_page, pick_trend, tests_by_stem, views_from_runs
    from pytest_chimera.view.inputs import FactsLoader, InputError, collect, group_samples
    from pytest_chimera.view.page import regressions_of

    paths = list(args.inputs) or [Path(p) for p in DEFAULT_INPUTS if Path(p).exists()]
    if not paths:
        return _usage(f"no inputs: name run JSON files or folders (none of {', '.join(DEFAULT_INPUTS)} is here)")
    if args.corpus is not None and not args.corpus.is_dir():
        return _usage(f"--corpus {args.corpus}: not a directory (pass the benchmark corpus folder)")
    problem = unwritable("-o", args.output)
    if problem:  # before the runs are checked, which can take a while
        return _usage(problem)
    try:
        inputs = collect(paths)
    except InputError as exc:
        return _usage(str(exc))
    for note in inputs.notes:
        print(f"pytest-chimera html: {note}", file=sys.stderr)
    if not (inputs.runs or inputs.records or inputs.benchmarks):  # a wrong folder: an empty page helps no one
        return _usage(f"nothing to show: no run JSON, chimera run record or pytest-benchmark file in "
                      f"{', '.join(str(p) for p in paths)}; name the .chimera folder a pytest --chimera session "
                      "wrote, or its files")
    trend = pick_trend(inputs.records, inputs.benchmarks)
    comparison, note = None, "No baseline given: pass --baseline FILE.json to compare the newest saved run with it."
    if args.baseline is not None:
        try:
            baseline = load_run(args.baseline)
        except RunFileError as exc:
            return _usage(f"--baseline {exc}")
        current = [r for r in trend if Path(r.source).resolve() != args.baseline.resolve()]
        if not current:
            return _usage(f"--baseline {args.baseline}: no other saved run (chimera run record or pytest-benchmark "
                          "file) among the inputs to compare with it")
        rules = args.fail_on if args.fail_on is not None else parse_rules(DEFAULT_RULES)
        comparison = compare_runs(baseline, current[-1], rules, compare_any=args.compare_any)
        note = ""
        if baseline.source not in {r.source for r in trend}:
            trend = sorted([baseline, *trend], key=lambda r: r.datetime)
    # A run file is named after its sanitised test id; the saved runs give the id and each sample's verdict.
    known = tests_by_stem([*inputs.records, *inputs.benchmarks])
    runs = group_samples(inputs.runs, {stem: len(v) for stem, (_, v) in known.items() if v})
    names = {path: known[path.stem][0] for path, _ in runs if path.stem in known}
    views = views_from_runs(runs, FactsLoader(args.corpus), names=names,
                            verdicts={name: v for name, v in known.values() if v})
    text = make_page(views, title=args.title, comparison=comparison, comparison_note=note, trend=trend,
                     notes=inputs.notes)
    data = text.encode("utf-8")
    try:
        write_atomic(args.output, data)
    except OSError as exc:
        return _usage(f"-o {args.output}: cannot write it ({exc.strerror or exc})")
    failing = sum(v.has_failures(len(regressions_of(v, comparison))) for v in views)
    print(f"wrote {args.output} ({len(data) / 1024:.1f} KiB): {len(views)} report test(s), {failing} with failures, "
          f"{len(trend)} saved run(s)")
    return 0
