"""``jsonleaves.json_leaves`` against the plain recursive definition of a JSON value's numeric leaves."""

from __future__ import annotations

import json
import math
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_chimera.evidence import jsonleaves
from pytest_chimera.evidence.jsonleaves import json_leaves

_SCALARS = (st.none() | st.booleans() | st.text(max_size=5) | st.integers(min_value=-(10**400), max_value=10**400)
            | st.floats(allow_nan=True, allow_infinity=True))
_KEYS = st.sampled_from(["model", "a", "b", "tokens_s", "x.y", "0"]) | st.text(max_size=4)
_VALUES = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_KEYS, inner, max_size=4),
                       max_leaves=30)


def _reference(node: Any, where: str, model: str, out: list[tuple[str, str, float, str]]) -> None:
    if isinstance(node, dict):
        if isinstance(node.get("model"), str):
            model = node["model"]
        for key, child in node.items():
            _reference(child, f"{where}.{key}" if where else str(key), model, out)
    elif isinstance(node, list):
        for i, child in enumerate(node):
            _reference(child, f"{where}[{i}]", model, out)
    elif isinstance(node, (int, float)) and not isinstance(node, bool):
        try:
            number = float(node)
        except OverflowError:
            return
        if math.isfinite(number):
            out.append(("f.json", where, number, model))


@settings(max_examples=300, deadline=None)
@given(_VALUES)
def test_json_leaves_are_the_numeric_leaves_in_document_order(value: Any) -> None:
    parsed = json.loads(json.dumps(value))  # what json.loads gives: exact types, str keys
    got: list[tuple[str, str, float, str]] = []
    json_leaves(parsed, "f.json", got)
    expected: list[tuple[str, str, float, str]] = []
    _reference(parsed, "", "", expected)
    assert [(f, w, repr(n), m) for f, w, n, m in got] == [(f, w, repr(n), m) for f, w, n, m in expected]


def test_a_nested_model_applies_below_its_object_only() -> None:
    value = {"model": "a:1b", "runs": [{"model": "b:2b", "tps": 3}, {"tps": 4.5}], "flag": True, "big": 10**400}
    out: list[tuple[str, str, float, str]] = []
    json_leaves(value, "r.json", out)
    assert out == [("r.json", "runs[0].tps", 3.0, "b:2b"), ("r.json", "runs[1].tps", 4.5, "a:1b")]


def test_values_nested_past_the_recursion_are_walked_alike() -> None:
    """Below RECURSE_BELOW levels the walk recurses, deeper it keeps a stack: the same leaves either way, and a
    value nested deeper than Python's recursion limit allows (json.loads on 3.12+ takes such) is walked too."""
    levels = jsonleaves.RECURSE_BELOW + 30
    value: Any = {"tps": 1, "model": "m:1b"}
    for i in range(levels):
        value = {"a": [value, 2.5, {"x": i}], "model": f"m{i % 3}:1b"} if i % 2 else [value, i, True, "s"]
    parsed = json.loads(json.dumps(value))
    got: list[tuple[str, str, float, str]] = []
    json_leaves(parsed, "f.json", got)
    expected: list[tuple[str, str, float, str]] = []
    _reference(parsed, "", "", expected)
    assert got == expected and len(got) == 1 + levels + levels // 2
    deep: Any = 1
    for _ in range(5000):
        deep = [deep]
    out: list[tuple[str, str, float, str]] = []
    json_leaves(deep, "d.json", out)
    assert out == [("d.json", "[0]" * 5000, 1.0, "")]
