"""The import graph keeps the layers: the arrows point down, pytest stays in plugin/, and nothing is circular.

Every import counts, at module level, inside a function or under ``TYPE_CHECKING``: a lazy import is still a
dependency. Run this file directly to print the layer graph and the lines per layer::

    python tests/test_architecture.py
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "pytest_chimera"

# layer -> the layers it may import (besides itself). The top-level modules are layers of their own:
# ``atomic``, ``cachedir`` and ``version`` are the foundation, ``api`` is pytest_chimera/__init__.py.
ALLOWED: dict[str, frozenset[str]] = {
    "version": frozenset(),
    "atomic": frozenset(),
    "cachedir": frozenset(),
    "evidence": frozenset({"atomic"}),
    "backends": frozenset({"atomic", "cachedir", "version"}),
    "checks": frozenset({"evidence"}),
    "agent": frozenset({"evidence", "checks", "backends", "atomic", "cachedir", "version"}),
    "gating": frozenset({"agent", "atomic"}),
    "view": frozenset({"evidence", "checks", "agent", "gating"}),
    "api": frozenset({"version", "evidence", "checks", "agent", "backends", "gating", "atomic"}),
    "plugin": frozenset({"version", "evidence", "checks", "agent", "backends", "gating", "view", "atomic"}),
    "cli": frozenset({"version", "evidence", "checks", "agent", "backends", "gating", "view", "atomic", "plugin"}),
    "__main__": frozenset({"cli"}),
}
PYTEST_ONLY = ("pytest", "_pytest", "pytest_benchmark", "xdist", "pluggy")


def module_name(path: Path) -> str:
    if not path.is_relative_to(PACKAGE.parent):
        return path.stem
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def layer_of(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1:
        return "api"
    return parts[1]


def imports(path: Path, known: set[str]) -> Iterator[tuple[str, int]]:
    """(imported module, line) for every import in the file: internal ones resolved to a module we have."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    own = module_name(path)
    package = own if path.name == "__init__.py" else own.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                yield (candidate if candidate in known else base), node.lineno


def graph() -> dict[str, set[str]]:
    """Internal edges: module -> modules it imports."""
    mods = modules()
    known = set(mods)
    edges: dict[str, set[str]] = defaultdict(set)
    for name, path in mods.items():
        edges[name]
        for target, _ in imports(path, known):
            if target in known and target != name:
                edges[name].add(target)
    return dict(edges)


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def visit(node: str) -> None:
        nonlocal counter
        index[node] = low[node] = counter
        counter += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def layer_edges(edges: dict[str, set[str]]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for source, targets in edges.items():
        out[layer_of(source)]
        for target in targets:
            if layer_of(target) != layer_of(source):
                out[layer_of(source)].add(layer_of(target))
    return dict(out)


# ------------------------------------------------------------------------------------------------- tests


def test_every_module_belongs_to_a_known_layer() -> None:
    assert {layer_of(m) for m in modules()} <= set(ALLOWED)


def test_the_arrows_point_down() -> None:
    mods = modules()
    known = set(mods)
    wrong = []
    for name, path in mods.items():
        here = layer_of(name)
        for target, line in imports(path, known):
            if target in known and layer_of(target) not in ALLOWED[here] | {here}:
                wrong.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {here} imports {target}")
    assert wrong == []


def test_only_the_plugin_imports_pytest() -> None:
    mods = modules()
    known = set(mods)
    wrong = [
        f"{path.relative_to(PACKAGE.parent)}:{line}: imports {target}"
        for name, path in mods.items()
        if layer_of(name) != "plugin"
        for target, line in imports(path, known)
        if target.split(".")[0] in PYTEST_ONLY
    ]
    assert wrong == []


def test_no_import_cycles_between_modules() -> None:
    assert cycles(graph()) == []


def test_no_cycles_between_layers() -> None:
    assert cycles(layer_edges(graph())) == []


def test_the_checker_finds_what_it_guards(tmp_path: Path) -> None:
    """The helpers see a lazy import inside a function and a two-module cycle."""
    edges = {"a": {"b"}, "b": {"a"}, "c": {"a"}}
    assert cycles(edges) == [["a", "b"]]
    source = tmp_path / "m.py"
    source.write_text("def f():\n    import pytest\n    from pytest_chimera.plugin import hooks\n")
    found = {t for t, _ in imports(source, {"pytest_chimera.plugin.hooks"})}
    assert {"pytest", "pytest_chimera.plugin.hooks"} <= found


def test_no_module_is_over_about_500_lines() -> None:
    long = {m: n for m, p in modules().items() if (n := len(p.read_text(encoding="utf-8").splitlines())) > 560}
    assert long == {}


def test_the_public_api_resolves_and_stays_lazy() -> None:
    import subprocess

    import pytest_chimera

    for name in pytest_chimera.__all__:
        assert getattr(pytest_chimera, name) is not None, name
    assert sorted(pytest_chimera.__all__) == sorted(["__version__", *pytest_chimera._EXPORTS])
    code = "import sys, pytest_chimera; print('pandas' in sys.modules, 'pytest' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def report() -> str:
    """The layer graph and the size of each layer, as the closing notes show them."""
    edges = graph()
    sizes: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for name, path in modules().items():
        sizes[layer_of(name)][0] += 1
        sizes[layer_of(name)][1] += len(path.read_text(encoding="utf-8").splitlines())
    lines = ["layer      modules  lines  imports"]
    for layer, targets in sorted(layer_edges(edges).items(), key=lambda kv: list(ALLOWED).index(kv[0])):
        count, size = sizes[layer]
        lines.append(f"{layer:<10} {count:>7} {size:>6}  -> {', '.join(sorted(targets)) or '(nothing)'}")
    lines.append(f"module cycles: {len(cycles(edges))}; layer cycles: {len(cycles(layer_edges(edges)))}")
    return "\n".join(lines)


if __name__ == "__main__":
    print(report())
    sys.exit(0)
