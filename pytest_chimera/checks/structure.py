"""Structure specs: JSON Schema over a ``ParsedReport``, one rule per ``allOf`` entry.

A spec is a JSON Schema document (draft 2020-12) whose ``allOf`` list holds the rules. Each rule is itself
a schema over the ParsedReport JSON with ``title`` (the rule's id), ``description`` (plain words: what a
failure prints) and optionally ``x-found``: a selector of what to show when the rule fails, such as
``body_word_count``, ``sections[*].title`` or ``recommendations|len``. The whole spec validates a
ParsedReport with any JSON Schema validator; this module validates rule by rule to say which ones fail.

Built-in specs ship as package data: ``insight`` and ``collector`` (``pytest_chimera/checks/specs/*.json``).
"""

from __future__ import annotations

import json
import reprlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_chimera.checks.report import ParsedReport, parse_report

SPECS_DIR = Path(__file__).resolve().parent / "specs"
BUILTIN_SPECS = ("insight", "collector")


class SpecError(ValueError):
    """A structure spec is missing or malformed; the message names the spec and what to fix."""


@dataclass(frozen=True)
class RuleResult:
    """One rule of a spec applied to one report."""

    rule: str
    description: str
    ok: bool
    detail: str

    def to_json(self) -> dict[str, Any]:
        return {"rule": self.rule, "description": self.description, "ok": self.ok, "detail": self.detail}


@dataclass(frozen=True)
class StructureResult:
    """All rule results of one spec on one report."""

    spec: str
    rules: list[RuleResult]

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.rules)

    @property
    def failed(self) -> list[RuleResult]:
        return [r for r in self.rules if not r.ok]

    def summary(self) -> str:
        """One line: "insight spec: 2 of 6 rules failed" or "insight spec: all 6 rules passed"."""
        if self.ok:
            return f"{self.spec} spec: all {len(self.rules)} rules passed"
        return f"{self.spec} spec: {len(self.failed)} of {len(self.rules)} rules failed"

    def lines(self) -> list[str]:
        """The summary, then one line per failed rule with what was found."""
        return [self.summary(), *(f"  {r.rule}: {r.description} -- {r.detail}" for r in self.failed)]

    def to_json(self) -> list[dict[str, Any]]:
        return [r.to_json() for r in self.rules]


def load_spec(spec: str | Path | Mapping[str, Any]) -> dict[str, Any]:
    """A spec by built-in name (``insight``, ``collector``), by path to a JSON file, or as a mapping."""
    if isinstance(spec, Mapping):
        data: Any = dict(spec)
        origin = "the spec mapping"
    else:
        name = str(spec)
        path = SPECS_DIR / f"{name}.json" if name in BUILTIN_SPECS else Path(name)
        origin = str(path)
        if not path.is_file():
            raise SpecError(
                f"structure spec {name!r} not found: pass a built-in name ({', '.join(BUILTIN_SPECS)}) "
                "or the path of a JSON Schema file"
            )
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise SpecError(f"structure spec {path}: not readable JSON ({exc})") from None
        data.setdefault("title", path.stem)
    _validate_spec(data, origin)
    return dict(data)


def _validate_spec(data: Any, origin: str) -> None:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    if not isinstance(data, dict):
        raise SpecError(f"structure spec {origin}: must be a JSON object (a JSON Schema), got {type(data).__name__}")
    try:
        Draft202012Validator.check_schema(data)
    except SchemaError as exc:
        raise SpecError(f"structure spec {origin}: not a valid JSON Schema: {exc.message}") from None
    rules = data.get("allOf")
    if not isinstance(rules, list) or not rules:
        raise SpecError(f"structure spec {origin}: needs an 'allOf' list of rules (each a schema with a description)")
    for k, rule in enumerate(rules, 1):
        if not isinstance(rule, dict) or not str(rule.get("description", "")).strip():
            raise SpecError(f"structure spec {origin}: rule {k} has no 'description' (what a failure prints)")


def select(data: Any, selector: str) -> Any:
    """Pick values from JSON: ``a.b``, ``list[*].field`` (map over a list), ``...|len`` (a length)."""
    path, _, func = selector.partition("|")
    values: list[Any] = [data]
    mapped = False
    for part in path.split("."):
        star = part.endswith("[*]")
        name = part[:-3] if star else part
        nxt: list[Any] = []
        for v in values:
            item = v.get(name) if isinstance(v, dict) else None
            if star:
                nxt.extend(item if isinstance(item, list) else [])
            else:
                nxt.append(item)
        values = nxt
        mapped = mapped or star
    result: Any = values if mapped else (values[0] if values else None)
    if func.strip() == "len":
        return len(result) if isinstance(result, (list, str, dict)) else 0
    return result


_short = reprlib.Repr()
_short.maxstring = 80
_short.maxlist = 8
_short.maxother = 80


def _describe(value: Any) -> str:
    return _short.repr(value)


def check_structure(report: ParsedReport | str, spec: str | Path | Mapping[str, Any]) -> StructureResult:
    """Apply every rule of ``spec`` to ``report`` (a ParsedReport, or markdown text)."""
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import best_match

    parsed = parse_report(report) if isinstance(report, str) else report
    data = load_spec(spec)
    instance = parsed.to_json()
    results = []
    for k, rule in enumerate(data["allOf"], 1):
        rule_id = str(rule.get("title") or f"rule-{k}")
        description = str(rule["description"])
        schema = {key: value for key, value in rule.items() if not key.startswith("x-")}
        if "$defs" in data:
            schema["$defs"] = data["$defs"]
        validator = Draft202012Validator(schema)
        error = best_match(validator.iter_errors(instance))
        if error is None:
            found = select(instance, rule["x-found"]) if "x-found" in rule else None
            detail = f"found {_describe(found)}" if "x-found" in rule else "ok"
            results.append(RuleResult(rule_id, description, True, detail))
            continue
        if "x-found" in rule:
            detail = f"found {_describe(select(instance, rule['x-found']))}"
        else:
            where = ".".join(str(p) for p in error.absolute_path) or "report"
            detail = f"{where}: {_describe(error.instance)} does not satisfy the rule ({error.validator})"
        results.append(RuleResult(rule_id, description, False, detail))
    return StructureResult(str(data.get("title", "custom")), results)
