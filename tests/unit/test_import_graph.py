"""No import cycle among cdtui's modules: each layer sits on the ones below it.

The graph is read from the source (ast), not from what Python happens to import: every
``import`` and ``from … import`` counts, those under ``if TYPE_CHECKING:`` and inside
function bodies too, so a cycle cannot hide behind a lazy or a type-only import.
"""

from __future__ import annotations

import ast
from pathlib import Path

import cdtui

PACKAGE = Path(cdtui.__file__).parent
ROOT = PACKAGE.name


def modules(package: Path = PACKAGE) -> dict[str, Path]:
    """Every module of the package by dotted name (a package by its own name)."""
    found = {}
    for path in sorted(package.rglob("*.py")):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imported_names(name: str, path: Path) -> set[str]:
    """The dotted names ``name`` imports, wherever the statement is in the file."""
    is_package = path.name == "__init__.py"
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: from its package, one level up per extra dot
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                prefix = ".".join([*base, *([node.module] if node.module else [])])
            else:
                prefix = node.module or ""
            names.add(prefix)
            # ``from pkg import mod`` imports the module ``pkg.mod``
            names.update(f"{prefix}.{alias.name}" for alias in node.names)
    return names


def import_graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    """Module → the modules of the package it imports. A module importing its own
    package (``from cdtui.tui import format``) is not an edge: the package's
    ``__init__`` runs first whatever happens."""
    mods = modules(package)

    def resolve(dotted: str) -> str | None:
        while dotted and dotted not in mods:
            dotted = dotted.rpartition(".")[0]
        return dotted or None

    graph: dict[str, set[str]] = {m: set() for m in mods}
    for name, path in mods.items():
        for target in imported_names(name, path):
            if target.split(".")[0] != package.name:
                continue
            module = resolve(target)
            if module and module != name and not name.startswith(module + "."):
                graph[name].add(module)
    return graph


def knots(graph: dict[str, set[str]]) -> list[list[str]]:
    """The modules that import each other in a circle, knot by knot: the strongly
    connected components of more than one module (Tarjan), each sorted by name."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(found)


def cycle_in(graph: dict[str, set[str]], knot: list[str]) -> list[str]:
    """One shortest cycle of the knot, from its first module back to it."""
    members = set(knot)
    start = knot[0]
    came_from: dict[str, str] = {}
    queue = [start]
    while queue:
        v = queue.pop(0)
        for w in sorted(graph[v] & members):
            if w == start:
                path = [v]
                while path[-1] != start:
                    path.append(came_from[path[-1]])
                return [*reversed(path), start]
            if w not in came_from:
                came_from[w] = v
                queue.append(w)
    raise AssertionError(f"not a knot: {knot}")


def describe(graph: dict[str, set[str]], knot: list[str]) -> str:
    """``a -> b -> a``, and every module of the knot when the cycle does not show all."""
    cycle = cycle_in(graph, knot)
    text = " -> ".join(cycle)
    if len(cycle) - 1 < len(knot):
        text += f" (the knot: {', '.join(knot)})"
    return text


def test_cdtui_has_no_import_cycle() -> None:
    graph = import_graph()
    found = [describe(graph, knot) for knot in knots(graph)]
    assert not found, "import cycles:\n" + "\n".join(found)


def test_the_graph_sees_every_kind_of_import(tmp_path: Path) -> None:
    """Type-only, function-level and relative imports are edges, and a cycle made of
    them is found and named."""
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("from pkg.sub import b\n")
    (pkg / "a.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.sub.b import X\n"
    )
    (pkg / "sub" / "b.py").write_text("def f():\n    from .c import Y\n")
    (pkg / "sub" / "c.py").write_text("from .. import a\nimport os\n")
    (pkg / "d.py").write_text("import pkg.a\n")
    graph = import_graph(pkg)
    assert graph["pkg.a"] == {"pkg.sub.b"}
    assert graph["pkg.sub.b"] == {"pkg.sub.c"}
    assert graph["pkg.sub.c"] == {"pkg.a"}  # ``from .. import a`` is the module pkg.a
    assert graph["pkg.sub"] == {"pkg.sub.b"}
    assert graph["pkg.d"] == {"pkg.a"}
    [knot] = knots(graph)
    assert describe(graph, knot) == "pkg.a -> pkg.sub.b -> pkg.sub.c -> pkg.a"
    (pkg / "d.py").write_text("import pkg.a\nfrom pkg.sub import c\n")
    (pkg / "sub" / "c.py").write_text("from .. import a, d\n")
    graph = import_graph(pkg)
    # ``from pkg.sub import c`` runs pkg/sub/__init__.py, which imports b: in the knot too
    assert knots(graph) == [["pkg.a", "pkg.d", "pkg.sub", "pkg.sub.b", "pkg.sub.c"]]
    assert describe(graph, knots(graph)[0]).startswith(
        "pkg.a -> pkg.sub.b -> pkg.sub.c -> pkg.a (the knot: pkg.a, pkg.d, pkg.sub, "
    )
    (pkg / "sub" / "c.py").write_text("import os\n")
    assert knots(import_graph(pkg)) == []


def test_a_module_importing_its_own_package_is_no_cycle(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("from pkg.a import A\n")
    (pkg / "a.py").write_text("from pkg import b\nA = 1\n")
    (pkg / "b.py").write_text("")
    graph = import_graph(pkg)
    assert graph["pkg"] == {"pkg.a"} and graph["pkg.a"] == {"pkg.b"}
    assert knots(graph) == []
