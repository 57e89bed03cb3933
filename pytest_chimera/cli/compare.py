"""``pytest-chimera compare BASELINE.json CURRENT.json [more.json ...]``: gate and trend over saved runs.

The first file is the baseline, the last the current run; files between appear in the trend table and
the plot. Exit 0 ok, 1 a rule failed (or the runs' identity differs), 2 a usage error (unreadable or
foreign JSON: the message names the file and the reason).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from pytest_chimera import gating as cmp
from pytest_chimera.atomic import write_atomic


def _rules(text: str) -> dict[str, cmp.Rule]:
    try:
        return cmp.parse_rules(text)
    except cmp.RuleError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_parser(subparsers: Any) -> None:
    """Register ``compare``."""
    parser = subparsers.add_parser(
        "compare",
        help="compare saved pytest-benchmark runs' chimera metrics; gate on rules",
        description="Compare chimera metrics of saved pytest-benchmark JSON files: the first is the "
        "baseline, the last the current run, files between form the trend. Timing rules need p<0.01 in a "
        f"one-sided Mann-Whitney U test when both sides have >={cmp.MIN_ROUNDS} rounds; with fewer, the "
        "threshold on medians decides with a thin-evidence warning. Quality counts compare exactly.",
    )
    parser.add_argument(
        "files", nargs="+", type=Path, metavar="FILE.json", help="BASELINE.json CURRENT.json [more.json ...]"
    )
    parser.add_argument(
        "--fail-on",
        type=_rules,
        default=cmp.DEFAULT_RULES,
        metavar="RULES",
        help="rules METRIC:+N%%|-N%%|+N, comma-separated (default: %(default)r)",
    )
    parser.add_argument("--compare-any", action="store_true", help="compare across backend/model/machine changes")
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
    runs, errors = cmp.load_runs(args.files)
    ends = {str(args.files[0]), str(args.files[-1])}
    for error in errors:
        skipped = "" if error.path in ends else " (skipped; the trend goes on without it)"
        print(f"pytest-chimera compare: {error}{skipped}", file=sys.stderr)
    if any(error.path in ends for error in errors):
        return 2
    comparison = cmp.compare_runs(runs[0], runs[-1], args.fail_on, compare_any=args.compare_any)
    if args.json:
        print(json.dumps(comparison.to_json(), indent=2))
    elif args.markdown:
        print(cmp.markdown(comparison), end="")
    else:
        if len(runs) > 2:
            print("\n".join(cmp.trend_lines(runs)))
            print()
        print("\n".join(cmp.table_lines(comparison)))
        verdict = "FAILED" if comparison.regressions or comparison.refused else "passed"
        print(f"chimera gate {verdict}: {len(comparison.regressions)} regression(s), {len(comparison.rows)} metric(s)")
    if args.plot is not None:
        try:
            _plot(runs, args.plot)
        except ImportError as exc:
            print(f"pytest-chimera compare: {exc}", file=sys.stderr)
            return 2
        print(f"wrote {args.plot}", file=sys.stderr)
    return 1 if comparison.regressions or comparison.refused else 0
