"""The package's modules import each other without a cycle (every kind of import counted).

The graph is built with ``ast`` from the sources under ``src/enforcement_crime``: an edge
``a -> b`` when module ``a`` names module ``b`` of the package in

* an ``import`` or ``from ... import`` anywhere in ``a`` (top level, inside a function, or under
  ``if TYPE_CHECKING:``: an import made for annotations still ties the two modules together, and
  a reader untangling them meets it all the same). ``from pkg import name`` points at
  ``pkg.name`` when that is a module, else at ``pkg``;
* a discovery call: ``importlib.import_module(x)`` (or ``__import__(x)``) with ``x`` a string
  literal (relative names resolved against ``a``'s package); with ``x`` an f-string whose
  literal start is a module prefix (``f"enforcement_crime.sources.{name}"``,
  ``f".{name}"``), every string constant of ``a`` that completes the prefix to a module of the
  package (how a module list such as ``registry.PANEL_MODULES`` is counted); with ``x``
  anything else, every string constant of ``a`` that names a module absolutely or relative to
  ``a``'s package;
* ``pkgutil.iter_modules`` / ``pkgutil.walk_packages``: every module of ``a``'s package (a
  discovery by folder can import any of them).

String constants of ``__all__`` are not module names. Implicit imports of parent packages are
not edges (they are not cycles a reader has to untangle). The checker is a function of a source
folder and a package name, so the tests below also run it on small packages planted in a
temporary folder to show that it catches a cycle of each kind.
"""

from __future__ import annotations

import ast
import functools
import importlib
import textwrap
from pathlib import Path

import pytest

import enforcement_crime

SRC = Path(enforcement_crime.__file__).parent
PKG = "enforcement_crime"

# with tests/test_architecture.py, on one pytest-xdist worker: it parses the package once
pytestmark = pytest.mark.xdist_group("import_graph")

#: edge kinds, as the failure message names them
IMPORT, TYPING, IMPORT_MODULE, MODULE_LIST, PKGUTIL = (
    "import",
    "import under TYPE_CHECKING",
    "importlib.import_module (literal)",
    "importlib.import_module (module list)",
    "pkgutil discovery",
)


def _modules(src: Path = SRC) -> dict[str, Path]:
    mods = {}
    for path in sorted(src.rglob("*.py")):
        rel = path.relative_to(src.parent).with_suffix("")
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


def _resolve_name(name: str, package: str) -> str:
    """An ``import_module`` name (or name prefix): leading dots count from ``package``."""
    level = len(name) - len(name.lstrip("."))
    if level == 0:
        return name
    parts = package.split(".")
    parts = parts[: len(parts) - (level - 1)]
    return ".".join(parts) + "." + name[level:]


def _string_constants(tree: ast.Module) -> set[str]:
    """Every string constant of a module except the names listed in ``__all__``."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
                skip.update(id(n) for n in ast.walk(node))
    return {
        n.value
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in skip
    }


def _call_name(node: ast.Call) -> str:
    return ast.unparse(node.func)


def _discovery_targets(
    tree: ast.Module, package: str, mods: dict[str, Path]
) -> list[tuple[str, str]]:
    """(target, kind) of the modules reached by import_module/__import__/pkgutil calls."""
    found: list[tuple[str, str]] = []
    constants: set[str] | None = None
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _call_name(node)
        if name.rsplit(".", 1)[-1] in {"iter_modules", "walk_packages"} and "pkgutil" in name:
            found += [(m, PKGUTIL) for m in mods if m.startswith(package + ".")]
            continue
        if name not in {"importlib.import_module", "import_module", "__import__"}:
            continue
        if not node.args:
            continue
        arg = node.args[0]
        anchor = package
        if len(node.args) > 1 and isinstance(node.args[1], ast.Constant):
            anchor = str(node.args[1].value)
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            found.append((_resolve_name(arg.value, anchor), IMPORT_MODULE))
            continue
        if constants is None:
            constants = _string_constants(tree)
        prefix = ""
        if isinstance(arg, ast.JoinedStr):
            for part in arg.values:
                if not (isinstance(part, ast.Constant) and isinstance(part.value, str)):
                    break
                prefix += part.value
        if prefix:
            base = _resolve_name(prefix, anchor)
            candidates = {base + c for c in constants}
        else:
            candidates = set(constants) | {f"{anchor}.{c.lstrip('.')}" for c in constants}
        found += [(c, MODULE_LIST) for c in sorted(candidates) if c in mods]
    return found


def import_edges(src: Path = SRC, pkg: str = PKG) -> dict[tuple[str, str], str]:
    """``(a, b) -> kind`` for every edge of the package's import graph (see the module docstring)."""
    return dict(_import_edges(src, pkg))


@functools.cache
def _import_edges(src: Path, pkg: str) -> dict[tuple[str, str], str]:
    mods = _modules(src)
    edges: dict[tuple[str, str], str] = {}
    for mod, path in mods.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        is_pkg = path.name == "__init__.py"
        package = mod if is_pkg else mod.rsplit(".", 1)[0]
        typing_only = set()
        for node in ast.walk(tree):
            test = getattr(node, "test", None)
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(test):
                typing_only.update(id(n) for b in node.body for n in ast.walk(b))
        targets: list[tuple[str, str]] = []
        for node in ast.walk(tree):
            kind = TYPING if id(node) in typing_only else IMPORT
            if isinstance(node, ast.Import):
                targets += [(a.name, kind) for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = _resolve(node.module or "", node.level, mod, is_pkg)
                targets += [
                    (f"{base}.{a.name}" if f"{base}.{a.name}" in mods else base, kind)
                    for a in node.names
                ]
        targets += _discovery_targets(tree, package, mods)
        for t, kind in targets:
            while t and t not in mods and t.startswith(pkg):
                t = t.rsplit(".", 1)[0] if "." in t else ""
            if t in mods and t != mod:
                edges.setdefault((mod, t), kind)
    return edges


def import_graph(src: Path = SRC, pkg: str = PKG) -> dict[str, set[str]]:
    """Module -> the package modules it imports (any kind of edge, see the module docstring)."""
    graph: dict[str, set[str]] = {m: set() for m in _modules(src)}
    for a, b in import_edges(src, pkg):
        graph[a].add(b)
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


def cycle_report(src: Path = SRC, pkg: str = PKG) -> str | None:
    """One cycle with the kind of every edge, and every cyclic group; None when acyclic."""
    edges = import_edges(src, pkg)
    graph = import_graph(src, pkg)
    cycle = find_cycle(graph)
    if cycle is None:
        return None
    hops = "".join(f"{a} -[{edges[(a, b)]}]-> " for a, b in zip(cycle, cycle[1:], strict=False))
    hops += cycle[-1]
    groups = "; ".join(" <-> ".join(g) for g in cyclic_groups(graph))
    return f"import cycle: {hops} (all cyclic groups: {groups})"


# ---------------------------------------------------------------- the real package


def test_the_graph_sees_every_kind_of_import():
    graph = import_graph()
    edges = import_edges()
    # notebooks.py imports reports at the top; cli.py imports notebooks only inside main()
    assert "enforcement_crime.reports" in graph["enforcement_crime.notebooks"]
    assert "enforcement_crime.notebooks" in graph["enforcement_crime.cli"]
    # the panel spec imports the manifest for its annotations only
    assert edges[("enforcement_crime.panels.spec", "enforcement_crime.panels.manifest")] == TYPING
    # the registry imports the panel modules it lists in PANEL_MODULES
    from enforcement_crime.panels.registry import PANEL_MODULES

    registry = "enforcement_crime.panels.registry"
    for name in PANEL_MODULES:
        assert edges[(registry, f"enforcement_crime.panels.{name}")] == MODULE_LIST
    # designs.get imports the module named in DESIGNS; rawfiles the source modules it lists
    # (a literal import_module name is covered by the planted package below)
    assert edges[("enforcement_crime.designs", "enforcement_crime.designs.nc_287g")] == (
        MODULE_LIST
    )
    assert edges[("enforcement_crime.panels.rawfiles", "enforcement_crime.sources.g287")] == (
        MODULE_LIST
    )


def test_the_cycle_finder_finds_a_cycle_in_a_graph():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
    assert cyclic_groups({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]


@pytest.mark.parametrize(
    "forbidden",
    ["enforcement_crime.notebooks", "enforcement_crime.designs", "enforcement_crime.plots"],
)
def test_reports_imports_neither_the_runner_nor_the_designs_nor_the_figures(forbidden):
    graph = import_graph()
    assert forbidden in graph, f"{forbidden} is not a module of the package: update this test"
    reach = {
        t
        for t in graph["enforcement_crime.reports"]
        if t == forbidden or t.startswith(forbidden + ".")
    }
    assert not reach, f"enforcement_crime.reports imports {sorted(reach)}"


def test_no_import_cycle_in_the_package():
    report = cycle_report()
    assert report is None, report


@pytest.mark.parametrize("module", sorted(m for m in _modules() if not m.endswith("__main__")))
def test_every_module_imports(module):
    importlib.import_module(module)


# ---------------------------------------------------------------- planted packages


def _plant(root: Path, files: dict[str, str]) -> Path:
    """Write the package ``plant`` under ``root`` (``files``: path in the package -> source)."""
    pkg = root / "plant"
    for rel, text in {"__init__.py": "", **files}.items():
        path = pkg / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return pkg


def _cycle_kinds(pkg: Path) -> tuple[list[list[str]], set[str]]:
    """The cyclic groups of a planted package and the kinds of the edges inside them."""
    graph = import_graph(pkg, "plant")
    edges = import_edges(pkg, "plant")
    groups = cyclic_groups(graph)
    inside = {k for (a, b), k in edges.items() if any(a in g and b in g for g in groups)}
    return groups, inside


def test_a_cycle_through_a_type_checking_import_is_found(tmp_path):
    pkg = _plant(
        tmp_path,
        {
            "registry.py": """
                from __future__ import annotations
                from typing import TYPE_CHECKING
                if TYPE_CHECKING:
                    from plant.context import Context
                def get(name): ...
            """,
            "context.py": """
                from plant import registry
                class Context: ...
            """,
        },
    )
    groups, kinds = _cycle_kinds(pkg)
    assert groups == [["plant.context", "plant.registry"]]
    assert TYPING in kinds
    report = cycle_report(pkg, "plant")
    assert report is not None and "TYPE_CHECKING" in report


def test_a_cycle_through_a_literal_import_module_is_found(tmp_path):
    pkg = _plant(
        tmp_path,
        {
            "registry.py": """
                import importlib
                def panels():
                    return importlib.import_module("plant.county").SPEC
            """,
            "county.py": """
                from plant.registry import panels
                SPEC = "county"
            """,
        },
    )
    groups, kinds = _cycle_kinds(pkg)
    assert groups == [["plant.county", "plant.registry"]]
    assert IMPORT_MODULE in kinds


def test_a_cycle_through_a_module_list_is_found(tmp_path):
    """The registry form of the package: an explicit tuple of module names imported by name."""
    pkg = _plant(
        tmp_path,
        {
            "registry.py": """
                import importlib
                __all__ = ["panels", "spec"]
                PANEL_MODULES = ("county", "city")
                def panels():
                    return [importlib.import_module(f".{n}", __package__) for n in PANEL_MODULES]
            """,
            "county.py": "SPEC = 1\n",
            "city.py": "from plant import registry\nSPEC = 2\n",
            "spec.py": "class PanelSpec: ...\n",
        },
    )
    groups, kinds = _cycle_kinds(pkg)
    assert groups == [["plant.city", "plant.registry"]]
    assert MODULE_LIST in kinds
    edges = import_edges(pkg, "plant")
    assert ("plant.registry", "plant.county") in edges  # the tuple's other entry, no cycle
    assert ("plant.registry", "plant.spec") not in edges  # a name of __all__ is not an edge


def test_a_cycle_through_pkgutil_discovery_is_found(tmp_path):
    """The former panels layout: folder discovery with a deny-list, panels importing the registry."""
    pkg = _plant(
        tmp_path,
        {
            "panels/__init__.py": "",
            "panels/registry.py": """
                import importlib
                import pkgutil
                from pathlib import Path
                _NOT_PANELS = frozenset({"registry", "context"})
                def _discover():
                    folder, package = [str(Path(__file__).parent)], __name__.rsplit(".", 1)[0]
                    for info in pkgutil.iter_modules(folder):
                        if info.name not in _NOT_PANELS:
                            importlib.import_module(f"{package}.{info.name}")
            """,
            "panels/context.py": "x = 1\n",
            "panels/county.py": "from plant.panels.registry import _discover\n",
        },
    )
    groups, kinds = _cycle_kinds(pkg)
    assert groups == [["plant.panels.county", "plant.panels.registry"]]
    assert PKGUTIL in kinds


def test_the_layout_with_a_leaf_spec_and_a_resolver_has_no_cycle(tmp_path):
    """The same four roles without the cycle: the checker does not flag every registry."""
    pkg = _plant(
        tmp_path,
        {
            "spec.py": """
                from __future__ import annotations
                from typing import TYPE_CHECKING
                if TYPE_CHECKING:
                    from plant.manifest import Manifest
                class PanelSpec: ...
            """,
            "manifest.py": "class Manifest: ...\n",
            "context.py": """
                from plant.spec import PanelSpec
                class Context:
                    def __init__(self, resolve):
                        self.resolve = resolve
            """,
            "county.py": "from plant.context import Context\nfrom plant.spec import PanelSpec\n",
            "registry.py": """
                import importlib
                from plant.spec import PanelSpec
                PANEL_MODULES = ("county",)
                def panels():
                    return [importlib.import_module(f".{n}", __package__) for n in PANEL_MODULES]
            """,
        },
    )
    assert cycle_report(pkg, "plant") is None
    edges = import_edges(pkg, "plant")
    assert edges[("plant.registry", "plant.county")] == MODULE_LIST
    assert edges[("plant.spec", "plant.manifest")] == TYPING
