"""Regular expressions from user specs: refuse the ones that can backtrack catastrophically.

A structure spec's ``pattern`` (and ``patternProperties``) is applied by Python's backtracking ``re`` to a
report's text, which can be thousands of characters on one line. A quantifier nested in a repeated group
(``(a+)+$``, ``(\\w*\\s?)*$``, ``(x+y?){2,}``) can take time exponential in that length: a check that never
ends. :func:`nested_quantifier` finds such a nesting in the pattern's parse tree, so the spec is refused
up front with its location. An inner repeat that cannot give characters back (possessive ``a++``, or inside an
atomic group ``(?>a+)``, Python 3.11+) is safe and accepted; so is a repeat of fixed width (``(ab){2}``) or
an outer repeat with a small bound (``(\\d{1,3}\\.){3}``).

:func:`ambiguous_alternation` finds the other source of exponential time: alternatives under such a repeat that
can match the same text (``(a|a)*$``, ``(a|aa)*$``, ``(.|\\s)*$``), so the engine tries every way of
splitting a line between them. It compares the alternatives character class by character class
(``(1a|\\db)*`` differ at the second and are kept), on Latin-1, a few samples of each other kind of class
member and every character the pattern itself names (``(\u03b1b|\\wb)*`` is refused), and an alternative that
can match nothing by what may follow it; where that comparison cannot tell (a class after a variable repeat, a
back-reference) it refuses. A repeat inside an atomic group or a possessive repeat is looked into too: the
engine backtracks inside one until it is left (``(?>(a|aa)*c)``). It can refuse a safe pattern whose
alternatives share a start followed by a group or a counted repeat (``(a{2}|ab)*``): write them so that they
differ earlier (``(a(?:a|b))*``). Not seen: a class and a range that share only characters that are neither
samples nor named by the pattern (a range whose ends are outside the class).
"""

from __future__ import annotations

import functools
import importlib
import re
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
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


# The characters alternatives are compared on: Latin-1 and a few of each other kind of class member, plus (per
# pattern, ``_SAMPLE``) every character the pattern names and the ends of its ranges with their case forms, so
# that a literal "\u03b1" and a class "\\w" or "[\u0400-\u04ff]" are compared on that character itself.
_ALPHABET = frozenset(map(chr, range(256))) | frozenset("\u0100\u03bb\u0663\u2003\u2028\u4e2d\U0001f600")
_SAMPLE: ContextVar[frozenset[str]] = ContextVar("_SAMPLE", default=_ALPHABET)
_CATEGORIES = {"DIGIT": r"\d", "NOT_DIGIT": r"\D", "SPACE": r"\s", "NOT_SPACE": r"\S", "WORD": r"\w",
               "NOT_WORD": r"\W", "LINEBREAK": "\n", "NOT_LINEBREAK": "[^\n]"}
_ZERO_WIDTH = {_c.AT, _c.ASSERT, _c.ASSERT_NOT}
_Chars = frozenset[str]


@functools.lru_cache(maxsize=256)
def _category(name: Any, alphabet: _Chars) -> _Chars:
    key = str(name).removeprefix("CATEGORY_").removeprefix("UNI_").removeprefix("LOC_")
    test = re.compile(_CATEGORIES.get(key, r"[\s\S]"))
    return frozenset(ch for ch in alphabet if test.fullmatch(ch))


def _cases(chars: _Chars) -> _Chars:
    """``chars`` with their one-character lower, upper and swapped case forms (what IGNORECASE equates)."""
    return chars | {c for ch in chars for c in (ch.lower(), ch.upper(), ch.swapcase()) if len(c) == 1}


def _named(seq: Any, out: set[str]) -> None:
    """Collect the characters ``seq`` names (literals, range ends) into ``out``."""
    for op, av in seq:
        if op in (_c.LITERAL, _c.NOT_LITERAL):
            out.add(chr(av))
        elif op == _c.IN:
            for item, arg in av:
                if item == _c.LITERAL:
                    out.add(chr(arg))
                elif item == _c.RANGE:
                    out.update((chr(arg[0]), chr(arg[1])))
        else:
            for child, _ in _children(op, av):
                _named(child, out)


def _one_char(op: Any, av: Any, fold: bool) -> _Chars | None:
    """The sample characters one single-character node matches, or None for any other node."""
    alphabet = _SAMPLE.get()
    if op == _c.LITERAL:
        chars = frozenset(chr(av))
    elif op == _c.NOT_LITERAL:
        chars = alphabet - {chr(av)}
    elif op == _c.ANY:
        chars = alphabet - {"\n"}
    elif op == _c.IN:
        chars = frozenset()
        for item, arg in av:
            if item == _c.LITERAL:
                chars |= {chr(arg)}
            elif item == _c.RANGE:
                chars |= {ch for ch in alphabet if arg[0] <= ord(ch) <= arg[1]}
            elif item == _c.CATEGORY:
                chars |= _category(arg, alphabet)
        if av and av[0][0] == _c.NEGATE:
            chars = alphabet - chars
    else:
        return None
    return _cases(chars) if fold else chars


def _start(op: Any, av: Any, fold: bool) -> tuple[_Chars, bool]:
    """(the characters one node can start with, whether it can match nothing)."""
    chars = _one_char(op, av, fold)
    if chars is not None:
        return chars, False
    if op in _ZERO_WIDTH:
        return frozenset(), True
    if op == _c.SUBPATTERN:
        return _start_seq(av[-1], fold or bool(av[1] & _c.SRE_FLAG_IGNORECASE))
    if op in _REPEATS or op == getattr(_c, "POSSESSIVE_REPEAT", None):
        chars, empty = _start_seq(av[2], fold)
        return chars, empty or av[0] == 0
    if op == getattr(_c, "ATOMIC_GROUP", None):
        return _start_seq(av, fold)
    if op == _c.BRANCH:
        starts = [_start_seq(branch, fold) for branch in av[1]]
        return frozenset().union(*(s for s, _ in starts)), any(e for _, e in starts)
    return _SAMPLE.get(), True  # a back-reference or a conditional: could be anything


def _start_seq(seq: Any, fold: bool) -> tuple[_Chars, bool]:
    chars: _Chars = frozenset()
    for op, av in seq:
        more, empty = _start(op, av, fold)
        chars |= more
        if not empty:
            return chars, False
    return chars, True


def _may_overlap(a: Any, b: Any, follow: _Chars, fold: bool) -> bool:
    """Whether alternatives ``a`` and ``b`` (node lists) can match the same text, followed by ``follow``.

    Compared one single-character node at a time while both have one: disjoint classes at any position
    settle it; past that, their first characters (or ``follow`` for an alternative that is used up).
    """
    i = 0
    while i < len(a) and i < len(b):
        x, y = _one_char(a[i][0], a[i][1], fold), _one_char(b[i][0], b[i][1], fold)
        if x is None or y is None:
            break
        if not x & y:
            return False
        i += 1
    first_a, empty_a = _start_seq(a[i:], fold)
    first_b, empty_b = _start_seq(b[i:], fold)
    return bool((first_a | (follow if empty_a else frozenset())) & (first_b | (follow if empty_b else frozenset())))


def _ambiguous(seq: Any, follow: _Chars, fold: bool, repeated: bool) -> bool:
    """Whether a branch of ``seq`` (followed by ``follow``) has overlapping alternatives under a repeat."""
    nodes = list(seq)
    afters: list[_Chars] = [follow] * (len(nodes) + 1)  # what may follow each node: one pass from the end
    for k in range(len(nodes) - 1, 0, -1):
        chars, empty = _start(nodes[k][0], nodes[k][1], fold)
        afters[k - 1] = chars | afters[k] if empty else chars
    for k, (op, av) in enumerate(nodes):
        after = afters[k]
        if op == _c.BRANCH and repeated:
            alternatives = av[1]
            if any(_may_overlap(alternatives[i], alternatives[j], after, fold)
                   for i in range(len(alternatives)) for j in range(i + 1, len(alternatives))):
                return True
        if op in _REPEATS:
            big = av[1] == _c.MAXREPEAT or av[1] > _SMALL_BOUND
            body_first, _ = _start_seq(av[2], fold)
            if _ambiguous(av[2], after | body_first if big else after, fold, repeated or big):
                return True
        elif op == _c.SUBPATTERN:
            if _ambiguous(av[-1], after, fold or bool(av[1] & _c.SRE_FLAG_IGNORECASE), repeated):
                return True
        elif op == _c.BRANCH:
            if any(_ambiguous(branch, after, fold, repeated) for branch in av[1]):
                return True
        elif op in (_c.ASSERT, _c.ASSERT_NOT):
            if _ambiguous(av[1], _SAMPLE.get(), fold, repeated):
                return True
        elif op == getattr(_c, "POSSESSIVE_REPEAT", None) or op == getattr(_c, "ATOMIC_GROUP", None):
            # the engine does not come back into it once it is left, but backtracks inside it until then:
            # (?>(a|aa)*c) is exponential, (a|aa)*+ is not (its iterations are never tried again)
            if _ambiguous(av[2] if op != getattr(_c, "ATOMIC_GROUP", None) else av, frozenset(), fold, False):
                return True
        elif op == _c.GROUPREF_EXISTS:
            if any(_ambiguous(p, after, fold, repeated) for p in av[1:] if p is not None):
                return True
    return False


def ambiguous_alternation(pattern: str) -> bool:
    """True when ``pattern`` repeats alternatives that can match the same text: exponential backtracking.

    An atomic group or a possessive repeat is never re-entered once left, so its own alternatives are not
    repeated by it; a repeat inside it still is (``(?>(a|aa)*c)``). A pattern that does not compile is not
    judged here (the JSON Schema check refuses it).
    """
    try:
        parsed = _p.parse(pattern)
    except Exception:  # noqa: BLE001 - re.error, or a RecursionError on absurd nesting
        return False
    named: set[str] = set()
    _named(parsed.data, named)
    token = _SAMPLE.set(_ALPHABET | _cases(frozenset(named)))
    try:
        return _ambiguous(parsed.data, frozenset(), bool(parsed.state.flags & _c.SRE_FLAG_IGNORECASE), False)
    finally:
        _SAMPLE.reset(token)


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
