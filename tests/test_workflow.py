"""The example project's GitHub Actions workflow stays valid, audited and pinned, and keeps its jobs' roles.

``example_project/.github/workflows/chimera.yml`` is what a user copies. It must parse as YAML, match
GitHub's workflow schema (check-jsonschema's vendored copy: no network), pass zizmor's offline audit
with no findings, and pin every action to a full commit SHA and the Ollama image to a digest. The
quality jobs run under pytest-xdist; the speed jobs run serially on tests that count enough rounds for
the gate's Mann-Whitney U test. check-jsonschema, zizmor and PyYAML come with the ``test`` extra: a
missing one fails these tests, it does not skip them.
"""

from __future__ import annotations

import ast
import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from pytest_chimera.gating import MIN_ROUNDS, QUALITY_METRICS, SAMPLE_METRICS

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "example_project"
WORKFLOW = EXAMPLE / ".github" / "workflows" / "chimera.yml"
SPEED_TESTS = "tests/test_speed.py"

SHA = re.compile(r"[0-9a-f]{40}")
# A `uses:` line as written: the reference, then an optional trailing comment naming the pinned tag.
USES_LINE = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<ref>[^\s#]+)\s*(?:#\s*(?P<comment>.*))?$")


def tool(name: str) -> list[str]:
    """The command for a console script of the test extra: next to this interpreter, else on PATH."""
    beside = Path(sys.executable).with_name(name)
    if beside.is_file():
        return [str(beside)]
    found = shutil.which(name)
    if found:
        return [found]
    if name == "check-jsonschema":
        return [sys.executable, "-m", "check_jsonschema"]
    pytest.fail(f"{name} is not installed: pip install -e '.[test]'", pytrace=False)


def run(cmd: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=ROOT)


def workflow() -> dict[Any, Any]:
    data = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{WORKFLOW} is not a mapping"
    return data


def jobs() -> dict[str, dict[str, Any]]:
    found = workflow().get("jobs")
    assert isinstance(found, dict) and found, f"{WORKFLOW} has no jobs"
    return found


def pytest_commands(job: dict[str, Any]) -> list[list[str]]:
    """The pytest command lines of a job's run steps, split like a shell would."""
    commands = []
    for step in job.get("steps", []):
        # A folded (>) run step is one command over several lines in the file, one line once parsed.
        for line in str(step.get("run", "")).splitlines():
            if line.split(maxsplit=1)[:1] == ["pytest"]:
                commands.append(shlex.split(line, comments=True))
    return commands


# --- valid ----------------------------------------------------------------------------------------------


def test_workflow_parses_as_a_mapping_with_jobs() -> None:
    data = workflow()
    # YAML 1.1 (PyYAML) reads the key `on` as True; GitHub reads it as "on". Either way it must be there.
    assert "on" in data or True in data
    assert set(jobs()) >= {"quality", "speed"}
    for name, job in jobs().items():
        assert job.get("steps"), f"job {name} has no steps"


def test_workflow_matches_the_github_workflow_schema() -> None:
    proc = run([*tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(WORKFLOW)])
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_zizmor_offline_audit_finds_nothing() -> None:
    # --strict-collection: a file zizmor cannot parse is an error, not a warning and "no inputs".
    proc = run([*tool("zizmor"), "--offline", "--strict-collection", "--format=json", str(WORKFLOW)])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads(proc.stdout) == [], proc.stdout


# --- pinned ---------------------------------------------------------------------------------------------


def test_every_action_is_pinned_to_a_commit_sha_with_its_tag_in_a_comment() -> None:
    parsed = [
        str(item["uses"])
        for job in jobs().values()
        for item in [job, *job.get("steps", [])]
        if isinstance(item, dict) and "uses" in item
    ]
    assert parsed, "no action is used: is this still the workflow?"
    lines = [m for line in WORKFLOW.read_text(encoding="utf-8").splitlines() if (m := USES_LINE.match(line))]
    assert [m.group("ref") for m in lines] == parsed  # every `uses:` is written on one line, as parsed
    for m in lines:
        ref, comment = m.group("ref"), m.group("comment") or ""
        if ref.startswith(("./", "docker://")):
            continue
        action, _, version = ref.partition("@")
        assert SHA.fullmatch(version), f"{action} is pinned to {version!r}, not a full 40-hex commit SHA"
        assert re.match(r"v\d+(\.\d+)*\b", comment), f"{ref}: name the pinned release in a comment (# v1.2.3)"


def test_service_images_are_pinned_to_a_version_and_digest() -> None:
    images = [
        str(spec["image"] if isinstance(spec, dict) else spec)
        for job in jobs().values()
        for spec in [*job.get("services", {}).values(), job.get("container")]
        if spec
    ]
    assert images, "the Ollama jobs run a service"
    for image in images:
        name, _, digest = image.partition("@")
        tag = name.rpartition(":")[2] if ":" in name else ""
        assert tag and tag != "latest", f"{image}: pin a version tag"
        assert re.fullmatch(r"sha256:[0-9a-f]{64}", digest), f"{image}: pin the image digest too"


# --- the jobs keep their roles --------------------------------------------------------------------------


def _rules(words: list[str]) -> set[str]:
    assert "--chimera-fail-on" in words, f"{words}: name the rules the job gates on"
    return {rule.split(":")[0] for rule in words[words.index("--chimera-fail-on") + 1].split(",")}


def test_quality_runs_under_xdist_and_speed_runs_serially_and_both_gate() -> None:
    quality, speed = [], []
    for name, job in jobs().items():
        for words in pytest_commands(job):
            (speed if words[-1] == SPEED_TESTS else quality).append((name, words))
    assert len(quality) >= 2 and len(speed) >= 2, (quality, speed)  # the embedded model and Ollama
    for name, words in [*quality, *speed]:
        assert "--chimera-compare=latest" in words, f"{name}: gate against the restored baseline"
    for name, words in quality:
        assert "-n" in words and words[words.index("-n") + 1] == "auto", f"{name}: run quality with -n auto"
        assert f"--ignore={SPEED_TESTS}" in words, f"{name}: the speed tests capture no timings under xdist"
        # no timings under xdist, and an explicit rule that compares nothing fails the gate
        assert _rules(words) <= set(QUALITY_METRICS) | set(SAMPLE_METRICS), f"{name}: quality rules only"
    for name, words in speed:
        assert "-n" not in words, f"{name}: speed is never measured under xdist"
        assert "no:xdist" in words and words[words.index("no:xdist") - 1] == "-p", f"{name}: pass -p no:xdist"
        assert "--benchmark-autosave" in words, name
        assert {"tokens_per_s", "ttft_ms"} <= _rules(words), f"{name}: gate on speed"
    speed_jobs = {name for name, _ in speed}
    assert not speed_jobs & {name for name, _ in quality}, "speed needs a job (a runner) of its own"


def test_each_gating_job_restores_and_saves_its_own_run_records() -> None:
    keys = []
    for name, job in jobs().items():
        if not pytest_commands(job):
            continue
        steps = job["steps"]
        restore = [s for s in steps if str(s.get("uses", "")).startswith("actions/cache/restore@")]
        save = [s for s in steps if str(s.get("uses", "")).startswith("actions/cache/save@")]
        assert len(restore) == len(save) == 1, f"{name}: restore the baseline once, save it once (on main)"
        assert restore[0]["with"]["path"] == save[0]["with"]["path"] == "example_project/.chimera/runs", name
        prefix = restore[0]["with"]["restore-keys"]
        assert restore[0]["with"]["key"] == save[0]["with"]["key"] == prefix + "${{ github.sha }}", name
        assert "refs/heads/main" in save[0]["if"], f"{name}: only main saves a baseline"
        keys.append(prefix)
        # --chimera-allow-empty only when nothing was restored: the first run becomes the baseline
        runs = [s for s in steps if any(line.split(maxsplit=1)[:1] == ["pytest"]
                                        for line in str(s.get("run", "")).splitlines())]
        for step in runs:
            first = str(step.get("env", {}).get("CHIMERA_FIRST_RUN", ""))
            assert f"steps.{restore[0]['id']}.outputs.cache-matched-key == ''" in first, name
            assert "--chimera-allow-empty" in first and "$CHIMERA_FIRST_RUN" in step["run"], name
    assert len(keys) == len(set(keys)) >= 4, f"each job keeps its own baseline: {keys}"


def test_the_speed_tests_count_enough_rounds_for_the_mann_whitney_test() -> None:
    tree = ast.parse((EXAMPLE / SPEED_TESTS).read_text(encoding="utf-8"))
    rounds = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            for deco in node.decorator_list:
                if isinstance(deco, ast.Call) and ast.unparse(deco.func) == "pytest.mark.chimera":
                    for kw in deco.keywords:
                        if kw.arg == "rounds":
                            rounds[node.name] = ast.literal_eval(kw.value)
    assert rounds, f"no chimera marker with rounds= in {SPEED_TESTS}"
    for name, n in rounds.items():
        assert n >= MIN_ROUNDS, f"{name}: rounds={n}; the gate's Mann-Whitney U test needs {MIN_ROUNDS} a side"


def test_the_workflow_names_only_real_options(pytester: pytest.Pytester) -> None:
    helptext = "\n".join(pytester.runpytest("--help").outlines)
    known = set(re.findall(r"(?<![\w-])(--[a-z][\w-]*)", helptext))
    used = {
        word.split("=", 1)[0]
        for job in jobs().values()
        for words in pytest_commands(job)
        for word in words
        if word.startswith("--")
    }
    assert used, "no pytest options in the workflow"
    assert used - known == set(), f"options pytest --help does not list: {sorted(used - known)}"
