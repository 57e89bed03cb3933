"""Regular expressions from user specs: refuse the ones that can backtrack catastrophically.

A structure spec's ``pattern`` (and ``patternProperties``) is applied by Python's backtracking ``re`` to a
report's text, which can be thousands of characters on one line. A quantifier nested in a repeated group
(``(a+)+$``, ``(\\w*\\s?)*$``, ``(x+y?){2,}``) can take time exponential in that length: a check that never
ends. :func:`nested_quantifier` finds such a nesting in the pattern's parse tree, so the spec is refused
up front with its location. An inner repeat that cannot give characters back (possessive ``a++``, or inside an
atomic group ``(?>a+)``, Python 3.11+) is safe and accepted; so is a repeat of fixed width (``(ab){2}``) or
an outer repeat with a small bound (``(\\d{1,3}\\.){3}``).

Not detected: overlapping alternatives under a repeat (``(a|a)*$``); keep alternatives distinct.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from typing import Any

try:  # Python 3.11+ (the sre_ names still work there, with a DeprecationWarning)
    _c: Any = importlib.import_module("re._constants")
    _p: Any = importlib.import_module("re._parser")
except ImportError:  # pragma: no cover - Python 3.10
    _c = importlib.import_module("sre_constants")
    _p = importlib.import_module("sre_parse")

_REPEATS = {_c.MAX_REPEAT, _c.MIN_REPEAT}  # POSSESSIVE_REPEAT (3.11+) never gives characters back
_SMALL_BOUND = 10  # an outer repeat of at most this many iterations is polynomial, not a hang


def _children(op: Any, av: Any) -> Iterator[tuple[Any, bool]]:
    """The sub-patterns of one parse node, each with whether it is atomic (gives nothing back)."""
    if op in _REPEATS:
        yield av[2], False
    elif op == getattr(_c, "POSSESSIVE_REPEAT", None):
        yield av[2], True
    elif op == _c.SUBPATTERN:
        yield av[-1], False
    elif op == _c.BRANCH:
        yield from ((branch, False) for branch in av[1])
    elif op == getattr(_c, "ATOMIC_GROUP", None):
        yield av, True
    elif op in (_c.ASSERT, _c.ASSERT_NOT):
        yield av[1], False
    elif op == _c.GROUPREF_EXISTS:
        yield from ((p, False) for p in av[1:] if p is not None)


def _variable_repeat(pattern: Any) -> bool:
    """Whether ``pattern`` holds a backtracking repeat of variable width (``a+``, ``b*``, ``c{1,3}``)."""
    for op, av in pattern:
        if op in _REPEATS and av[0] != av[1]:
            return True
        for child, atomic in _children(op, av):
            if not atomic and _variable_repeat(child):
                return True
    return False


def _find(pattern: Any) -> bool:
    for op, av in pattern:
        if op in _REPEATS and (av[1] == _c.MAXREPEAT or av[1] > _SMALL_BOUND) and _variable_repeat(av[2]):
            return True
        if any(not atomic and _find(child) for child, atomic in _children(op, av)):
            return True
    return False


def nested_quantifier(pattern: str) -> bool:
    """True when ``pattern`` repeats a group that itself holds a variable repeat: exponential backtracking.

    A pattern that does not compile is not judged here (the JSON Schema check refuses it).
    """
    try:
        parsed = _p.parse(pattern)
    except Exception:  # noqa: BLE001 - re.error, or a RecursionError on absurd nesting
        return False
    return _find(parsed)


def spec_patterns(schema: Any) -> Iterator[str]:
    """Every regular expression in a JSON Schema: ``pattern`` values and ``patternProperties`` keys."""
    pending = [schema]
    while pending:
        node = pending.pop()
        if isinstance(node, list):
            pending.extend(node)
            continue
        if not isinstance(node, Mapping):
            continue
        if isinstance(node.get("pattern"), str):
            yield node["pattern"]
        if isinstance(node.get("patternProperties"), Mapping):
            yield from (str(k) for k in node["patternProperties"])
        pending.extend(v for k, v in node.items() if k not in ("const", "enum", "examples", "default"))
