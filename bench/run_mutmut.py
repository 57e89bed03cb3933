"""Mutation testing of the checker with mutmut (``pip install mutmut``; written for mutmut 3.8): every mutant
mutmut makes of ``checks/consistency.py`` and ``checks/numbers.py``, run against the tests that exercise the
checker without a model. ``bench/mutants.py`` is the hand-written counterpart (one mutant per threshold).

Run from the repository root: ``python bench/run_mutmut.py [--workdir DIR] [--jobs N] [--resume] [NAME ...]``.
The working tree (tracked and untracked, not ignored, files) is copied to ``DIR/repo`` (default
``$TMPDIR/pytest-chimera-mutmut``) with a ``[mutmut]`` section in its ``setup.cfg`` and ``../shared`` linked
beside it, so nothing of mutmut's lands in the repository; mutmut runs there under ``nice -n 10``. ``--resume``
keeps the results of an earlier run in ``DIR`` (mutmut reruns the mutants of changed functions and those
new tests cover); ``NAME``s (mutmut mutant names or globs, ``pytest_chimera.checks.numbers*``) run only those.
Prints the counts by status and by function and writes every survivor with its diff to ``DIR/survivors.txt``
(``bench/MUTANTS.md`` is their triage). Not part of the test suite: a full run takes tens of minutes.
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FILES = ("pytest_chimera/checks/consistency.py", "pytest_chimera/checks/numbers.py")
TESTS = ("tests/test_consistency.py", "tests/test_verdict_rules.py", "tests/test_check_results.py",
         "tests/test_number_finding.py", "tests/test_check_paths.py", "tests/test_check_cli.py",
         "tests/test_checked.py", "tests/test_report_parse.py", "tests/test_repetition.py",
         "tests/test_unmeasured.py", "tests/test_check_bound.py",  # the line memo and --max-numbers
         "tests/test_count_words.py", "tests/test_copied_values.py",  # other languages' counts; data rates
         "tests/test_part_of_scope.py", "tests/test_sums.py",  # "documents" are files; sums, the cut-off
         "tests/test_named_paths.py", "tests/test_absent_files.py", "tests/test_range_ends.py",  # rules whose
         "tests/test_cut_off.py", "tests/test_clause_context.py",  # code sits in consistency.py
         "tests/test_topic_shares.py")  # a label's file type, pairs
CONFIG = """[mutmut]
source_paths=pytest_chimera
only_mutate=
{files}
also_copy=
    conftest.py
    tests
    README.md
    docs
    example_project
    bench
pytest_add_cli_args=-p no:cacheprovider -q
pytest_add_cli_args_test_selection=
{tests}
"""


def copy_tree(dest: Path) -> None:
    """The working tree's tracked and untracked (not ignored) files, copied to ``dest``."""
    names = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                           check=True, capture_output=True).stdout.decode().split("\0")
    for name in filter(None, names):
        src = ROOT / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "pytest-chimera-mutmut")
    parser.add_argument("--jobs", type=int, default=2, help="mutmut --max-children (default 2)")
    parser.add_argument("--resume", action="store_true", help="keep the results of the last run in --workdir")
    parser.add_argument("names", nargs="*", help="mutant names or globs to run (default: all)")
    args = parser.parse_args(argv)
    mutmut = shutil.which("mutmut") or str(Path(sys.executable).with_name("mutmut"))
    if not Path(mutmut).exists():
        print("mutmut is not installed: pip install mutmut", file=sys.stderr)
        return 2
    repo = args.workdir / "repo"
    if repo.exists() and not args.resume:
        shutil.rmtree(repo)
    repo.mkdir(parents=True, exist_ok=True)
    copy_tree(repo)
    shared = ROOT.parent / "shared"
    for link in (args.workdir / "shared", repo / "shared"):  # conftest.py looks beside the repo (and mutants/)
        if shared.is_dir() and not link.exists():
            link.symlink_to(shared)
    (repo / "setup.cfg").write_text(CONFIG.format(files="\n".join(f"    {f}" for f in FILES),
                                                  tests="\n".join(f"    {t}" for t in TESTS)), encoding="utf-8")
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    with open(args.workdir / "mutmut.log", "w", encoding="utf-8") as log:  # mutmut's progress and errors
        subprocess.run(["nice", "-n", "10", mutmut, "run", "--max-children", str(args.jobs), *args.names], cwd=repo,
                       env=env, stdout=log, stderr=subprocess.STDOUT)
    out = subprocess.run([mutmut, "results", "--all", "true"], cwd=repo, env=env, capture_output=True, text=True).stdout
    status = dict(re.findall(r"^\s*(\S+): (.+)$", out, re.M))
    print(f"{len(status)} mutants: " + ", ".join(f"{n} {s}" for s, n in collections.Counter(status.values()).items()))
    by_function = collections.Counter(re.sub(r"__mutmut_\d+$", "", name) for name, s in status.items()
                                      if s == "survived")
    for function, count in by_function.most_common():
        print(f"  {count:4d} survived  {function}")
    with open(args.workdir / "survivors.txt", "w", encoding="utf-8") as fh:
        for name, s in status.items():
            if s in ("survived", "no tests"):
                diff = subprocess.run([mutmut, "show", name], cwd=repo, env=env, capture_output=True,
                                      text=True).stdout
                fh.write(f"=== {name} ({s})\n" + "".join(line + "\n" for line in diff.splitlines()
                                                          if re.match(r"^[-+][^-+]", line)))
    print(f"survivors and their diffs: {args.workdir / 'survivors.txt'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
