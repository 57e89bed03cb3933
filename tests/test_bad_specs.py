"""Invalid structure specs are usage errors that name the spec: never an AttributeError or a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_chimera.checks.assertions import Conforms, assert_structure
from pytest_chimera.checks.patterns import ambiguous_alternation
from pytest_chimera.checks.structure import SpecError, check_structure, load_spec
from pytest_chimera.cli import main

REPORT = "# Report\n\n## Recommendations\n\n1. One.\n"
RULE = {"description": "has a table", "properties": {"tables": {"minItems": 1}}}

# (file text, what the message says): each a spec file a user could write by mistake
BAD_FILES: dict[str, tuple[bytes, str]] = {
    "list": (b'[{"description": "x"}]', "must be a JSON object (a JSON Schema), got an array"),
    "null": (b"null", "must be a JSON object (a JSON Schema), got null"),
    "number": (b"3", "got a number"),
    "unresolvable-ref": (json.dumps({"allOf": [{"$ref": "#/$defs/nope", "description": "d"}]}).encode(),
                         "rule 1: $ref '#/$defs/nope' does not resolve"),
    # a $ref no report reaches (inside an array's items) is still checked when the spec loads
    "unreached-ref": (json.dumps({"allOf": [{"description": "d", "properties": {
        "tables": {"items": {"$ref": "#/$defs/table"}}}}]}).encode(), "$ref '#/$defs/table' does not resolve"),
    "remote-ref": (json.dumps({"allOf": [{"$ref": "https://example.com/s.json", "description": "d"}]}).encode(),
                   "$ref 'https://example.com/s.json' does not resolve"),
    "deep": (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    "utf16-no-json": ("{not json".encode("utf-16"), "not readable JSON"),
    "latin1": ('{"title": "caf\xe9"}'.encode("latin-1"), "not UTF-8 or UTF-16 text"),
    "empty": (b"", "not readable JSON (empty file)"),
    "x-found-not-text": (json.dumps({"allOf": [{**RULE, "x-found": 5}]}).encode(), "'x-found' that is not a string"),
    "evil-pattern": (json.dumps({"allOf": [RULE, {"description": "no shouting", "properties": {"blocks": {
        "items": {"properties": {"text": {"pattern": "(a+)+$"}}}}}}]}).encode(),
        "rule 2: pattern '(a+)+$' repeats a group that holds a repeat, which can take exponential time"),
    "evil-pattern-property": (json.dumps({"allOf": [{"description": "d", "$ref": "#/$defs/x"}], "$defs": {"x": {
        "patternProperties": {"^(\\w+\\s?)*$": {"type": "string"}}}}}).encode(),
        "rule 1: pattern '^(\\\\w+\\\\s?)*$' repeats a group"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_spec_file_is_a_spec_error_naming_it(tmp_path: Path, case: str) -> None:
    data, message = BAD_FILES[case]
    path = tmp_path / f"{case}.json"
    path.write_bytes(data)
    with pytest.raises(SpecError) as info:
        check_structure(REPORT, path)
    assert str(path) in str(info.value)
    assert message in str(info.value)


@pytest.mark.parametrize("case", ["list", "null", "unresolvable-ref", "deep", "evil-pattern"])
def test_cli_check_exits_2_naming_the_spec(tmp_path: Path, case: str, capsys: pytest.CaptureFixture[str]) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.csv").write_text("x,y\n1,2\n")
    report = tmp_path / "report.md"
    report.write_text(REPORT)
    spec = tmp_path / f"{case}.json"
    spec.write_bytes(BAD_FILES[case][0])
    assert main(["check", str(report), "--corpus", str(corpus), "--spec", str(spec)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"pytest-chimera check: error: --spec: structure spec {spec}: ")
    assert BAD_FILES[case][1] in err


def test_an_evil_pattern_is_refused_before_it_can_hang_the_check(tmp_path: Path) -> None:
    """In a subprocess with a timeout: without the guard, (a+)+$ on a 60-letter line backtracks for ages."""
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "a.csv").write_text("x,y\n1,2\n")
    (tmp_path / "report.md").write_text("# Report\n\n" + "a" * 60 + "!\n")
    (tmp_path / "evil.json").write_bytes(BAD_FILES["evil-pattern"][0])
    done = subprocess.run([sys.executable, "-m", "pytest_chimera", "check", "report.md", "--corpus", "corpus",
                           "--spec", "evil.json"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "--spec: structure spec evil.json: rule 2: pattern '(a+)+$' repeats a group" in done.stderr


def _py311(patterns: list[str]) -> list[Any]:
    """The patterns, those with an atomic group or a possessive repeat (Python 3.11+ syntax) skipped before."""
    later = pytest.mark.skipif(sys.version_info < (3, 11), reason="atomic groups and possessive repeats: Python 3.11+")
    return [pytest.param(p, marks=later) if "(?>" in p or "++" in p or "*+" in p else p for p in patterns]


@pytest.mark.parametrize("pattern", _py311([r"^#", r"(ab)+", r"\d{1,3}(\.\d{1,3}){3}", r"(?>a+)+$", r"(a++)+$",
                                            r"(foo|bar)*"]))
def test_patterns_without_nested_repeats_are_kept(pattern: str) -> None:
    spec = {"allOf": [{"description": "d", "properties": {"title": {"pattern": pattern}}}]}
    assert check_structure("# foo\n", spec).rules[0].rule == "rule-1"


# Each takes about a second or more to fail on a line of 23 to 45 characters (timed by hand), doubling with
# every one or two characters more.
AMBIGUOUS = [r"(a|a)*$", r"(a|aa)*$", r"(.|\s)*;$", r"(\d|\d\d)*$", r"(ax|a.)*$", r"(a|ab|a)*c", r"((a|a))+!",
             r"(?:x|(?i:X))*$", r"(a|a){11,}$", r"^(?:(a|a)b)*$",
             # a character outside the sample alphabet against a class, a title-case pair, a repeat inside an
             # atomic group or a possessive repeat (backtracked until the group is left)
             r"(\u03b1b|\wb)*$", r"(\u0436b|[\u0430-\u044f]b)*$", r"(\u4e00b|[\u4e00-\u9fff]b)*$",
             r"(?:\u3000b|\sb)*$", r"(?i)(?:\u01c5b|\u01c6b)*$", r"(?>(a|aa)*c)", r"(?:(a|aa)*c)*+"]
# Safe though alike: sre makes a class of them, they differ at some character, or nothing comes back to them.
DISTINCT = [r"(a|b|a)*$", r"(?i)(a|A)*$", r"(a|ab)*c", r"(ab|a)*$", r"(1a|\db)*$", r"(x|\w)*$", r"(?>a|a)*$",
            r"(a|a)*+$", r"(a|a){3}$", r"^(Summary|Results|Risks)$", r"(cat|dog)(s|es)?", r"(x(y)|xz)*",
            r"(?=a|a)b*", r"(\u03b1b|\u03b2b)*$", r"(?:a|aa)*+b", r"(?>a|aa)*$", r"(?>(a)|a)*$", r"((a)|a)*+$"]


@pytest.mark.parametrize("pattern", _py311(AMBIGUOUS))
def test_repeated_alternatives_that_can_match_the_same_text_are_refused(pattern: str) -> None:
    spec = {"allOf": [{"description": "d", "properties": {"title": {"pattern": pattern}}}]}
    with pytest.raises(SpecError, match=r"rule 1: pattern .* repeats alternatives that can match the same text"):
        check_structure("# foo\n", spec)


@pytest.mark.parametrize("pattern", _py311(DISTINCT))
def test_repeated_alternatives_that_cannot_match_the_same_text_are_kept(pattern: str) -> None:
    spec = {"allOf": [{"description": "d", "properties": {"title": {"pattern": pattern}}}]}
    assert check_structure("# foo\n", spec).rules[0].rule == "rule-1"


def test_an_ambiguous_alternation_is_refused_before_it_can_hang_the_check(tmp_path: Path) -> None:
    """In a subprocess with a timeout: without the guard, (a|aa)*$ on a 60-letter line runs for hours."""
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "a.csv").write_text("x,y\n1,2\n")
    (tmp_path / "report.md").write_text("# Report\n\n" + "a" * 60 + "!\n")
    (tmp_path / "alt.json").write_text(json.dumps({"allOf": [{"description": "no a-loops", "properties": {
        "blocks": {"items": {"properties": {"text": {"not": {"pattern": "^(a|aa)*$"}}}}}}}]}))
    done = subprocess.run([sys.executable, "-m", "pytest_chimera", "check", "report.md", "--corpus", "corpus",
                           "--spec", "alt.json"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "--spec: structure spec alt.json: rule 1: pattern '^(a|aa)*$' repeats alternatives" in done.stderr


@given(st.text(alphabet="ab()|*+?{}[]^$.\\dws:=>!-,0123", max_size=24))
@settings(max_examples=400, deadline=None)
@pytest.mark.filterwarnings("ignore::FutureWarning")  # re's own warning on "[[" and the like
def test_the_alternation_check_judges_any_text_without_raising(pattern: str) -> None:
    assert isinstance(ambiguous_alternation(pattern), bool)


def test_a_ref_that_loops_is_a_spec_error() -> None:
    spec = {"title": "loop", "$defs": {"a": {"$ref": "#/$defs/a"}},
            "allOf": [{"$ref": "#/$defs/a", "description": "d"}]}
    with pytest.raises(SpecError, match=r"'loop' \(a mapping\): rule 1 \(rule-1\): its \$ref chain loops"):
        check_structure(REPORT, spec)


def test_a_recursive_schema_that_consumes_the_report_still_works() -> None:
    spec = {"$defs": {"node": {"type": "object", "properties": {"items": {"items": {"$ref": "#/$defs/node"}}}}},
            "allOf": [{"description": "sections are objects",
                       "properties": {"sections": {"items": {"$ref": "#/$defs/node"}}}}]}
    assert check_structure(REPORT, spec).ok


@pytest.mark.parametrize("spec", [None, 3, ["insight"]])
def test_a_spec_of_the_wrong_type_names_what_to_pass(spec: Any) -> None:
    with pytest.raises(SpecError, match="must be a built-in name .* got "):
        load_spec(spec)


def test_a_utf8_bom_or_utf16_spec_is_read(tmp_path: Path) -> None:
    spec = json.dumps({"title": "mine", "allOf": [RULE]})
    for name, data in (("bom.json", b"\xef\xbb\xbf" + spec.encode()), ("u16.json", spec.encode("utf-16"))):
        (tmp_path / name).write_bytes(data)
        assert [r.rule for r in check_structure(REPORT, tmp_path / name).rules] == ["rule-1"]


def test_the_assertion_path_raises_the_spec_error(pytester: pytest.Pytester) -> None:
    pytester.makefile(".json", bad="[1, 2]")
    pytester.makepyfile(
        """
        from pytest_chimera.checks.assertions import Conforms, assert_structure

        def test_function_style():
            assert_structure("# R\\n", "bad.json")

        def test_comparison_style():
            assert "# R\\n" == Conforms("bad.json")
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(["*SpecError: structure spec bad.json: must be a JSON object*got an array"] * 2)
    result.stdout.no_fnmatch_line("*AttributeError*")


def test_assert_helpers_raise_spec_error_in_process(tmp_path: Path) -> None:
    path = tmp_path / "null.json"
    path.write_text("null")
    with pytest.raises(SpecError, match="null.json: must be a JSON object"):
        assert_structure(REPORT, path)
    with pytest.raises(SpecError, match="null.json: must be a JSON object"):
        _ = REPORT == Conforms(path)


# the other inputs of `check`: the report and the run JSON ----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[" * 100_000 + "]" * 100_000, "not readable JSON (nested too deeply)"),
        ('{"markdown": 5}', "not a run JSON (expected ReportRun.to_json with 'markdown')"),
        ('{"markdown": "# R", "calls": 5}', "not a run JSON (TypeError: "),
        ('{"markdown": "# R", "calls": [{"metrics": null}]}', "not a run JSON (AttributeError: "),
        ('{"markdown": "# R", "calls": [{"metrics": {"ttft_ms": "fast"}}]}', "not a run JSON (ValueError: "),
        ('{"markdown": "# R", "options": 5}', "not a run JSON (TypeError: "),
    ],
    ids=["deep", "markdown-not-text", "calls-not-a-list", "metrics-null", "metric-not-a-number", "options-int"],
)
def test_a_bad_run_json_exits_2_naming_it(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str,
                                         message: str) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.csv").write_text("x,y\n1,2\n")
    report = tmp_path / "report.md"
    report.write_text("# Report\n\nTTFT was 80 ms.\n")
    run = tmp_path / "run.json"
    run.write_text(text)
    assert main(["check", str(report), "--corpus", str(corpus), "--run", str(run)]) == 2
    assert f"pytest-chimera check: error: --run {run}: {message}" in capsys.readouterr().err


def test_a_utf16_or_bom_report_is_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.csv").write_text("x,y\n1,2\n")
    for name, data in (("u16.md", "# Report\n\nThe corpus holds 1 file.\n".encode("utf-16")),
                       ("bom.md", b"\xef\xbb\xbf# Report\n\nThe corpus holds 1 file.\n")):
        (tmp_path / name).write_bytes(data)
        assert main(["check", str(tmp_path / name), "--corpus", str(corpus)]) == 0, capsys.readouterr()
        assert "1 supported of 1 checked numbers" in capsys.readouterr().out
    (tmp_path / "latin1.md").write_bytes("# R\n\ncaf\xe9 1 file.\n".encode("latin-1"))
    assert main(["check", str(tmp_path / "latin1.md"), "--corpus", str(corpus)]) == 2
    assert "cannot read it (ValueError: not UTF-8 or UTF-16 text" in capsys.readouterr().err
