"""JSON files of a corpus: the text parsed (``read_json``) and the numeric leaves of the value
(``json_leaves``), in document order, each with its JSON path and the model of its nearest enclosing object."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

from pytest_chimera.evidence.formats import SkipFile

Leaf = tuple[str, str, float, str]
# containers nested deeper than this are walked with an explicit stack: json.loads takes values nested
# deeper than Python's recursion limit allows a recursive walk
RECURSE_BELOW = 100
_KEPT = frozenset({dict, list, float, int})


def read_json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise SkipFile(f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise SkipFile("invalid JSON: nested too deeply") from None


def json_leaves(value: Any, file: str, out: list[Leaf]) -> None:
    """Append ``(file, json_path, number, model)`` for each finite numeric leaf (booleans are not numbers;
    NaN, Infinity and integers too large for a float are left out).

    ``model`` is the nearest enclosing object's ``"model"`` string (``{"model": "gemma3:270m", ...}``), or "".
    """
    if type(value) is dict or type(value) is list:
        _walk(value, "", "", file, out.append, RECURSE_BELOW)
    else:
        _walk_deep(value, "", "", file, out.append)


def _number(value: int) -> float | None:
    """An int leaf as a finite float, or None (beyond a float's range: 400 digits)."""
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _walk(node: Any, where: str, model: str, file: str, append: Callable[[Leaf], None], depth: int) -> None:
    """The leaves of a dict or list (json.loads's types, told apart by exact type: a bool is no int here),
    recursively for ``depth`` more levels, then with ``_walk_deep``."""
    isfinite = math.isfinite
    if type(node) is dict:
        own = node.get("model")
        if isinstance(own, str):
            model = own
        prefix = f"{where}." if where else ""
        for key, child in node.items():
            kind = type(child)
            if kind is float:
                if isfinite(child):
                    append((file, prefix + key, child, model))
            elif kind is dict or kind is list:
                if depth:
                    _walk(child, prefix + key, model, file, append, depth - 1)
                else:
                    _walk_deep(child, prefix + key, model, file, append)
            elif kind is int and (number := _number(child)) is not None:
                append((file, prefix + key, number, model))
        return
    for i, child in enumerate(node):
        kind = type(child)
        if kind is float:
            if isfinite(child):
                append((file, f"{where}[{i}]", child, model))
        elif kind is dict or kind is list:
            if depth:
                _walk(child, f"{where}[{i}]", model, file, append, depth - 1)
            else:
                _walk_deep(child, f"{where}[{i}]", model, file, append)
        elif kind is int and (number := _number(child)) is not None:
            append((file, f"{where}[{i}]", number, model))


def _walk_deep(value: Any, where: str, model: str, file: str, append: Callable[[Leaf], None]) -> None:
    """``_walk`` for any depth (and a bare number), with an explicit stack; a string, a bool or null is no
    leaf and is not even put on the stack."""
    stack: list[tuple[Any, str, str]] = [(value, where, model)]
    pop, extend, isfinite, kept = stack.pop, stack.extend, math.isfinite, _KEPT
    while stack:
        node, where, model = pop()
        kind = type(node)
        if kind is float:
            if isfinite(node):
                append((file, where, node, model))
        elif kind is dict:
            own = node.get("model")
            if isinstance(own, str):
                model = own
            prefix = f"{where}." if where else ""
            extend(reversed([(child, f"{prefix}{key}", model) for key, child in node.items() if type(child) in kept]))
        elif kind is list:
            extend(reversed([(child, f"{where}[{i}]", model) for i, child in enumerate(node) if type(child) in kept]))
        elif kind is int and (number := _number(node)) is not None:
            append((file, where, number, model))
