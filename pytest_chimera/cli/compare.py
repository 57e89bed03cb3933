"""``pytest-chimera compare BASELINE.json CURRENT.json [more.json ...]``: gate and trend over saved runs.

The files are chimera run records or pytest-benchmark files, in any mix. The first is the baseline, the
last the current run; files between appear in the trend table and the plot. Exit 0 ok; 1 a rule failed, a
value was not measured (NaN, Infinity), the runs' identity differs, or nothing was compared (unless
``--allow-empty``); 2 a usage error (an unreadable or foreign file, or one without chimera data: the message
names the file and the reason).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from pytest_chimera import gating as cmp
from pytest_chimera.atomic import unwritable, write_atomic
from pytest_chimera.plugin.options import add_cli_options


def add_parser(subparsers: Any) -> None:
    """Register ``compare``."""
    parser = subparsers.add_parser(
        "compare",
        help="compare saved runs' chimera metrics (run records or pytest-benchmark JSON); gate on rules",
        description="Compare chimera metrics of saved runs (chimera run records or pytest-benchmark JSON "
        "files): the first is the baseline, the last the current run, files between form the trend. With "
        f">={cmp.MIN_ROUNDS} values on both sides a rule also needs p<0.01 in a one-sided test (Mann-Whitney "
        "U; exact permutation for quality counts; Fisher's exact test for pass_rate); with fewer, the threshold "
        "decides alone. A non-finite value fails as not measured; comparing nothing fails unless --allow-empty.",
    )
    parser.add_argument(
        "files", nargs="+", type=Path, metavar="FILE.json", help="BASELINE.json CURRENT.json [more.json ...]"
    )
    add_cli_options(parser, ("fail-on", "compare-any", "allow-empty"))
    out = parser.add_mutually_exclusive_group()
    out.add_argument("--markdown", action="store_true", help="print a Markdown table (for $GITHUB_STEP_SUMMARY)")
    out.add_argument("--json", action="store_true", help='print {"rows": [...], "regressions": N}')
    parser.add_argument(
        "--plot", type=Path, metavar="trend.png", help="draw each metric across the runs (needs matplotlib)"
    )
    parser.set_defaults(func=run)


def _plot(runs: list[cmp.SavedRun], path: Path) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError("--plot needs matplotlib: pip install 'pytest-chimera[plot]'") from None
    import io

    metrics = [m for m in (*cmp.TIMING_METRICS, *cmp.QUALITY_METRICS) if any(
        m in t.per_round for r in runs for t in r.tests.values())]
    tests = sorted({name for r in runs for name in r.tests})
    fig, axes = plt.subplots(len(metrics), 1, figsize=(8, 2.2 * max(1, len(metrics))), squeeze=False)
    for ax, metric in zip(axes[:, 0], metrics, strict=True):
        for test in tests:
            ys = [r.tests[test].median(metric) if test in r.tests else None for r in runs]
            xs = [i for i, y in enumerate(ys) if y is not None]
            ax.plot(xs, [ys[i] for i in xs], marker="o", label=test.rsplit("::", 1)[-1])
        ax.set_ylabel(metric)
    axes[-1, 0].set_xticks(range(len(runs)), [r.label[:10] for r in runs], rotation=45, ha="right", fontsize=7)
    if tests:
        axes[0, 0].legend(fontsize=7)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    write_atomic(path, buffer.getvalue())


def run(args: argparse.Namespace) -> int:
    """Load the files, compare first with last, print; 0 ok, 1 regression or refusal, 2 bad input."""
    if len(args.files) < 2:
        print("pytest-chimera compare: needs at least two files, BASELINE.json CURRENT.json", file=sys.stderr)
        return 2
    problem = unwritable("--plot", args.plot) if args.plot is not None else None
    if problem:  # before any work: the gate's verdict is not printed only to end in a traceback
        print(f"pytest-chimera compare: {problem}", file=sys.stderr)
        return 2
    runs, errors = cmp.load_runs(args.files)
    ends = {str(args.files[0]), str(args.files[-1])}
    for error in errors:
        skipped = "" if error.path in ends else " (skipped; the trend goes on without it)"
        print(f"pytest-chimera compare: {error}{skipped}", file=sys.stderr)
    if any(error.path in ends for error in errors):
        return 2
    without = [r.source for r in (runs[0], runs[-1]) if not r.tests]
    for source in dict.fromkeys(without):
        print(f"pytest-chimera compare: {source}: no chimera data (no test in it recorded chimera metrics); "
              "compare runs of chimera tests (run records in .chimera/runs/, or pytest-benchmark files of "
              "tests that use chimera_report or capture_rounds)", file=sys.stderr)
    if without:
        return 2
    rules = args.fail_on if args.fail_on is not None else cmp.parse_rules(cmp.DEFAULT_RULES)
    comparison = cmp.compare_runs(runs[0], runs[-1], rules, compare_any=args.compare_any,
                                  every_rule=args.fail_on is not None)
    failed = bool(comparison.failures or comparison.refused or (comparison.empty and not args.allow_empty))
    if args.json:
        print(json.dumps(comparison.to_json(), indent=2))
    elif args.markdown:
        print(cmp.markdown(comparison), end="")
    else:
        if len(runs) > 2:
            print("\n".join(cmp.trend_lines(runs)))
            print()
        print("\n".join(cmp.table_lines(comparison)))
        unmeasured = f", {len(comparison.unmeasured)} not measured" if comparison.unmeasured else ""
        skipped = f", {len(comparison.not_compared)} not compared" if comparison.not_compared else ""
        empty = " (nothing compared allowed by --allow-empty)" if comparison.empty and args.allow_empty else ""
        print(f"chimera gate {'FAILED' if failed else 'passed'}: {len(comparison.regressions)} regression(s)"
              f"{unmeasured}, {len(comparison.compared)} metric(s){skipped}{empty}")
    if args.plot is not None:
        try:
            _plot(runs, args.plot)
        except ImportError as exc:
            print(f"pytest-chimera compare: {exc}", file=sys.stderr)
            return 2
        except OSError as exc:  # the folder changed since the check above
            print(f"pytest-chimera compare: --plot {str(args.plot)!r}: cannot write it ({exc.strerror or exc})",
                  file=sys.stderr)
            return 2
        print(f"wrote {args.plot}", file=sys.stderr)
    return 1 if failed else 0
