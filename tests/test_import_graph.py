"""The package's modules import each other without a cycle (function-level imports included).

The graph is built with ``ast`` from the sources under ``src/enforcement_crime``: an edge
``a -> b`` for every ``import``/``from ... import`` anywhere in module ``a`` (top level or inside
a function) that names module ``b`` of the package. ``from pkg import name`` points at
``pkg.name`` when that is a module, else at ``pkg``. Implicit imports of parent packages are not
edges (they are not cycles a reader has to untangle), nor are imports under ``if TYPE_CHECKING:``
(annotations only, never executed).
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import enforcement_crime

SRC = Path(enforcement_crime.__file__).parent
PKG = "enforcement_crime"


def _modules() -> dict[str, Path]:
    mods = {}
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        mods[".".join(parts)] = path
    return mods


def _resolve(module: str, level: int, current: str, is_pkg: bool) -> str:
    if level == 0:
        return module
    base = current.split(".") if is_pkg else current.split(".")[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join(base + ([module] if module else []))


def import_graph() -> dict[str, set[str]]:
    """Module -> the package modules it imports (anywhere in its source)."""
    mods = _modules()
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for mod, path in mods.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        is_pkg = path.name == "__init__.py"
        typing_only = set()
        for node in ast.walk(tree):
            test = getattr(node, "test", None)
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(test):
                typing_only.update(id(n) for b in node.body for n in ast.walk(b))
        for node in ast.walk(tree):
            if id(node) in typing_only:
                continue
            targets = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = _resolve(node.module or "", node.level, mod, is_pkg)
                targets = [
                    f"{base}.{a.name}" if f"{base}.{a.name}" in mods else base for a in node.names
                ]
            for t in targets:
                while t and t not in mods and t.startswith(PKG):
                    t = t.rsplit(".", 1)[0] if "." in t else ""
                if t in mods and t != mod:
                    graph[mod].add(t)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle as a list of modules (first == last), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(n: str) -> list[str] | None:
        state[n] = 1
        stack.append(n)
        for m in sorted(graph[n]):
            if state.get(m) == 1:
                return stack[stack.index(m) :] + [m]
            if m not in state:
                found = visit(m)
                if found:
                    return found
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(graph):
        if n not in state:
            found = visit(n)
            if found:
                return found
    return None


def test_the_graph_sees_function_level_imports():
    graph = import_graph()
    # notebooks.py imports reports at the top; cli.py imports notebooks only inside main()
    assert "enforcement_crime.reports" in graph["enforcement_crime.notebooks"]
    assert "enforcement_crime.notebooks" in graph["enforcement_crime.cli"]
    # and the cycle finder finds a planted cycle
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
    assert cyclic_groups({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]


def test_reports_imports_neither_the_runner_nor_the_studies():
    graph = import_graph()
    forbidden = {
        "enforcement_crime.notebooks",
        "enforcement_crime.designs",
        "enforcement_crime.plots",
    }
    assert forbidden <= set(graph), f"not modules of the package: {forbidden - set(graph)}"
    bad = {
        t
        for t in graph["enforcement_crime.reports"]
        if any(t == f or t.startswith(f + ".") for f in forbidden)
    }
    assert not bad, f"reports imports {sorted(bad)}"


def cyclic_groups(graph: dict[str, set[str]]) -> list[list[str]]:
    """The groups of modules that import each other (strongly connected, more than one module)."""
    reach = {n: set() for n in graph}
    for n in graph:
        todo = list(graph[n])
        while todo:
            m = todo.pop()
            if m not in reach[n]:
                reach[n].add(m)
                todo.extend(graph.get(m, ()))
    groups = {
        frozenset({n} | {m for m in reach[n] if n in reach[m]}) for n in graph if n in reach[n]
    }
    return sorted(sorted(g) for g in groups)


def test_no_import_cycle_in_the_package():
    graph = import_graph()
    cycle = find_cycle(graph)
    groups = "; ".join(" <-> ".join(g) for g in cyclic_groups(graph))
    assert cycle is None, f"import cycle: {' -> '.join(cycle or [])} (all cyclic groups: {groups})"


@pytest.mark.parametrize("module", sorted(m for m in _modules() if not m.endswith("__main__")))
def test_every_module_imports(module):
    importlib.import_module(module)
