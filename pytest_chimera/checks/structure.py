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
import os
import reprlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_chimera.checks.report import ParsedReport, parse_report

SPECS_DIR = Path(__file__).resolve().parent / "specs"
BUILTIN_SPECS = ("insight", "collector")
MAX_SPEC_BYTES = 16 * 1024 * 1024


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
    """A spec by built-in name (``insight``, ``collector``), by path to a JSON file, or as a mapping.

    Raises ``SpecError`` naming the spec for anything that is not a usable spec: a missing or unreadable
    file, text that is not UTF-8/UTF-16 JSON, JSON that is not an object, an invalid JSON Schema, a rule
    without a description, a ``$ref`` that does not resolve, or a ``pattern`` that nests quantifiers
    (see ``checks.patterns``).
    """
    if isinstance(spec, Mapping):
        data: Any = dict(spec)
        origin = _origin(spec)
    elif isinstance(spec, (str, os.PathLike)):
        name = str(spec)
        path = _spec_path(name)
        origin = _origin(spec)
        data = _read_spec_file(name, path)
        if not isinstance(data, dict):
            raise SpecError(f"structure spec {origin}: must be a JSON object (a JSON Schema), "
                            f"got {_json_type(data)}")
        data.setdefault("title", path.stem)
    else:
        raise SpecError(f"structure spec must be a built-in name ({', '.join(BUILTIN_SPECS)}), the path of a "
                        f"JSON Schema file or a mapping, got {type(spec).__name__}")
    _validate_spec(data, origin)
    return dict(data)


def _spec_path(name: str) -> Path:
    return SPECS_DIR / f"{name}.json" if name in BUILTIN_SPECS else Path(name)


def _origin(spec: str | os.PathLike[str] | Mapping[str, Any]) -> str:
    """How error messages name a spec: its path, or a mapping's title."""
    if isinstance(spec, Mapping):
        return f"{str(spec.get('title') or 'custom')!r} (a mapping)"
    return str(_spec_path(str(spec)))


def _read_spec_file(name: str, path: Path) -> Any:
    from pytest_chimera.evidence.formats import decode

    if path.is_dir():
        raise SpecError(
            f"structure spec {name!r} is a folder: pass a built-in name ({', '.join(BUILTIN_SPECS)}) "
            "or the path of one JSON Schema file inside it"
        )
    if not path.is_file():
        raise SpecError(
            f"structure spec {name!r} not found: pass a built-in name ({', '.join(BUILTIN_SPECS)}) "
            "or the path of a JSON Schema file"
        )
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_SPEC_BYTES + 1)
        if len(raw) > MAX_SPEC_BYTES:
            raise SpecError(f"structure spec {path}: over {MAX_SPEC_BYTES} bytes; a spec is a small JSON Schema")
        text, _ = decode(raw)
        return json.loads(text)
    except (OSError, ValueError) as exc:  # ValueError: undecodable text, invalid JSON
        if isinstance(exc, SpecError):
            raise
        raise SpecError(f"structure spec {path}: not readable JSON ({exc})") from None
    except RecursionError:
        raise SpecError(f"structure spec {path}: not readable JSON (nested too deeply)") from None


def _json_type(value: Any) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number")


def _validate_spec(data: Any, origin: str) -> None:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    if not isinstance(data, dict):
        raise SpecError(f"structure spec {origin}: must be a JSON object (a JSON Schema), got {_json_type(data)}")
    try:
        Draft202012Validator.check_schema(data)
    except SchemaError as exc:
        raise SpecError(f"structure spec {origin}: not a valid JSON Schema: {exc.message}") from None
    except RecursionError:
        raise SpecError(f"structure spec {origin}: not a valid JSON Schema: nested too deeply") from None
    rules = data.get("allOf")
    if not isinstance(rules, list) or not rules:
        raise SpecError(f"structure spec {origin}: needs an 'allOf' list of rules (each a schema with a description)")
    for k, rule in enumerate(rules, 1):
        if not isinstance(rule, dict) or not str(rule.get("description", "")).strip():
            raise SpecError(f"structure spec {origin}: rule {k} has no 'description' (what a failure prints)")
        if "x-found" in rule and not isinstance(rule["x-found"], str):
            raise SpecError(f"structure spec {origin}: rule {k} has an 'x-found' that is not a string "
                            "(a selector such as 'sections[*].title' or 'recommendations|len')")
        _check_refs(_rule_schema(data, rule), f"structure spec {origin}: rule {k}")
        _check_patterns(_rule_schema(data, rule), f"structure spec {origin}: rule {k}")


def _check_patterns(schema: dict[str, Any], where: str) -> None:
    """Raise SpecError for a regular expression that can backtrack without end on a long report."""
    from pytest_chimera.checks.patterns import ambiguous_alternation, nested_quantifier, spec_patterns

    for pattern in spec_patterns(schema):
        if nested_quantifier(pattern):
            raise SpecError(f"{where}: pattern {pattern!r} repeats a group that holds a repeat, which can take "
                            "exponential time on a long line of the report; remove the nesting (e.g. '(a+)+' "
                            "as 'a+'), or make the inner repeat possessive ('a++') or atomic ('(?>a+)')")
        if ambiguous_alternation(pattern):
            raise SpecError(f"{where}: pattern {pattern!r} repeats alternatives that can match the same text, "
                            "which can take exponential time on a long line of the report; make the "
                            "alternatives start differently (e.g. '(a|aa)*' as 'a*', '(a{2}|ab)*' as "
                            "'(a(?:a|b))*'), or make the repeat possessive ('(a|aa)*+')")


def _rule_schema(spec: Mapping[str, Any], rule: Mapping[str, Any]) -> dict[str, Any]:
    """The schema one rule is validated with: the rule less its ``x-`` keys, plus the spec's ``$defs``."""
    schema = {key: value for key, value in rule.items() if not key.startswith("x-")}
    if "$defs" in spec:
        schema["$defs"] = spec["$defs"]
    return schema


def _check_refs(schema: dict[str, Any], where: str) -> None:
    """Raise SpecError when a ``$ref`` in ``schema`` does not resolve (reached by a report or not)."""
    from jsonschema_specifications import REGISTRY
    from referencing.exceptions import Unresolvable
    from referencing.jsonschema import DRAFT202012

    pending: list[tuple[Any, Any]] = [(schema, REGISTRY.resolver_with_root(DRAFT202012.create_resource(schema)))]
    while pending:
        node, resolver = pending.pop()
        if isinstance(node, list):
            pending.extend((item, resolver) for item in node)
            continue
        if not isinstance(node, dict):
            continue
        if node is not schema and isinstance(node.get("$id"), str):
            resolver = resolver.in_subresource(DRAFT202012.create_resource(node))
        ref = node.get("$ref")
        if isinstance(ref, str):
            try:
                resolver.lookup(ref)
            except Unresolvable as exc:
                raise SpecError(f"{where}: $ref {ref!r} does not resolve ({type(exc).__name__}); point it at "
                                "a schema in this spec, such as '#/$defs/NAME'") from None
        pending.extend((value, resolver) for key, value in node.items() if key not in ("const", "enum"))


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
    from referencing.exceptions import Unresolvable

    parsed = parse_report(report) if isinstance(report, str) else report
    data = load_spec(spec)
    instance = parsed.to_json()
    results = []
    for k, rule in enumerate(data["allOf"], 1):
        rule_id = str(rule.get("title") or f"rule-{k}")
        description = str(rule["description"])
        validator = Draft202012Validator(_rule_schema(data, rule))
        try:
            error = best_match(validator.iter_errors(instance))
        except Unresolvable as exc:  # _check_refs resolves every $ref first; kept for a resolver that differs
            raise SpecError(f"structure spec {_origin(spec)}: rule {k} ({rule_id}): a $ref does not resolve "
                            f"({exc})") from None
        except RecursionError:
            raise SpecError(f"structure spec {_origin(spec)}: rule {k} ({rule_id}): its $ref chain loops "
                            "without end (a schema that refers to itself)") from None
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
