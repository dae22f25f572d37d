"""Packaging consistency: the imports, pyproject.toml, environment.yml and the pins agree.

``dependencies`` must be exactly what ``src/enforcement_crime`` imports (plus the
runtime-only needs in :data:`RUNTIME_ONLY`), and the ``dev`` extra must cover what
only the tests, the benchmarks and the fixture generators import.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "enforcement_crime"

#: runtime dependencies that no module of the package imports, and why each is needed
RUNTIME_ONLY = {
    # the Jupyter kernel papermill starts for every notebook run (`notebooks run`, `real`)
    "ipykernel",
    # `python -m enforcement_crime lab` starts `python -m jupyter lab`
    "jupyterlab",
    # joblib's backend="dask" (multiverse.run_multiverse) and the methods notebook's
    # dask.distributed client are reached by name, not imported by the package
    "dask",
}

#: imports of test-side files that are deliberately not dependencies at all
NOT_A_DEPENDENCY = {
    # tests/fixtures/fbi_cius/make_fixtures.py runs once in a throwaway venv with xlwt
    # (a legacy .xls writer); its output is committed, so no test needs it
    "xlwt",
}


def _name(req: str) -> str:
    """Normalised distribution name of a requirement string (PEP 503), extras kept."""
    m = re.match(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?", req)
    assert m, f"cannot parse requirement {req!r}"
    return re.sub(r"[-_.]+", "-", m.group(1)).lower() + (m.group(2) or "")


def _bare(name: str) -> str:
    return _name(name).split("[")[0]


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def _pyproject_deps() -> set[str]:
    return {_name(r) for r in _pyproject()["dependencies"]}


def _dev_deps() -> set[str]:
    return {_name(r) for r in _pyproject()["optional-dependencies"]["dev"]}


def _environment_pip() -> tuple[set[str], list[str]]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    options = [p for p in pip if p.startswith("-")]
    return {_name(p) for p in pip if not p.startswith("-")}, options


def top_level_imports(files, local: set[str] = frozenset()) -> dict[str, set[str]]:
    """Third-party top-level module names imported by ``files``, each with the files importing it.

    Every ``import``/``from ... import`` anywhere in a file counts (inside functions too),
    and so does ``pytest.importorskip("name")``. Relative imports, the standard library,
    ``enforcement_crime`` and the names in ``local`` (modules next to the files) do not.
    """
    found: dict[str, set[str]] = {}
    for path in files:
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "importorskip"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                names = [node.args[0].value]
            for name in names:
                top = name.split(".")[0]
                if (
                    top in sys.stdlib_module_names
                    or top in ("__future__", "enforcement_crime")
                    or top in local
                ):
                    continue
                where = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
                found.setdefault(top, set()).add(str(where))
    return found


def _distributions(imports: dict[str, set[str]]) -> tuple[dict[str, str], list[str]]:
    """Map each imported module to its (normalised) distribution; list the unmapped ones."""
    owners = packages_distributions()
    mapped, unknown = {}, []
    for module, files in sorted(imports.items()):
        dists = owners.get(module)
        if not dists:
            unknown.append(f"{module} (imported by {', '.join(sorted(files))})")
        else:
            mapped[module] = _bare(dists[0])
    return mapped, unknown


def _local_names(*folders: Path) -> set[str]:
    """Module names importable from these folders' files (``tests/browser``, ``_xlsx``, ...)."""
    names = {"tests"}
    for folder in folders:
        for p in folder.rglob("*"):
            if p.suffix == ".py" or (p.is_dir() and (p / "__init__.py").is_file()):
                names.add(p.stem)
    return names


def test_top_level_imports_sees_imports_inside_functions_and_importorskip(tmp_path):
    # the checker itself must be able to find what the package imports lazily
    f = tmp_path / "probe.py"
    f.write_text(
        "import os\nfrom . import x\nimport enforcement_crime.cli\nimport helper\n"
        "def g():\n    import numpy.linalg\n    from yaml import safe_load\n"
        "import pytest\npytest.importorskip('xlrd')\n"
    )
    found = top_level_imports([f], local={"helper"})
    assert set(found) == {"numpy", "yaml", "pytest", "xlrd"}


def test_every_package_import_is_a_declared_dependency():
    imports = top_level_imports(sorted(PACKAGE.rglob("*.py")))
    assert "pandas" in imports and "numpy" in imports  # the walk found the package
    mapped, unknown = _distributions(imports)
    assert not unknown, f"imported by the package but not installed: {unknown}"
    declared = {_bare(d) for d in _pyproject_deps()}
    missing = {m: d for m, d in mapped.items() if d not in declared}
    assert not missing, (
        "imported by src/enforcement_crime but not in pyproject.toml `dependencies` "
        f"(module -> distribution): {missing}"
    )


def test_every_declared_dependency_is_imported_or_listed_as_runtime_only():
    mapped, _ = _distributions(top_level_imports(sorted(PACKAGE.rglob("*.py"))))
    declared = {_bare(d) for d in _pyproject_deps()}
    unused = sorted(declared - set(mapped.values()) - RUNTIME_ONLY)
    assert not unused, (
        f"in pyproject.toml `dependencies` but imported by no module of the package: {unused} "
        "(move test-only packages to the `dev` extra; a real runtime-only need goes in "
        "RUNTIME_ONLY with its reason)"
    )
    stale = sorted(RUNTIME_ONLY - declared)
    assert not stale, f"RUNTIME_ONLY names packages that are not dependencies: {stale}"
    imported = sorted(RUNTIME_ONLY & set(mapped.values()))
    assert not imported, f"RUNTIME_ONLY lists packages the package imports: {imported}"


def test_tests_and_benchmarks_import_only_declared_packages():
    folders = [ROOT / "tests", ROOT / "benchmarks"]
    files = sorted(p for f in folders for p in f.rglob("*.py"))
    imports = top_level_imports(files, local=_local_names(*folders))
    for name in NOT_A_DEPENDENCY:
        imports.pop(name, None)
    mapped, unknown = _distributions(imports)
    assert not unknown, f"imported by tests/benchmarks but not installed: {unknown}"
    declared = {_bare(d) for d in _pyproject_deps() | _dev_deps()}
    missing = {m: d for m, d in mapped.items() if d not in declared}
    assert not missing, (
        "imported by tests/ or benchmarks/ but in neither `dependencies` nor the `dev` extra "
        f"(module -> distribution): {missing}"
    )


@pytest.mark.parametrize("dev", sorted(_bare(d) for d in _dev_deps()))
def test_dev_packages_are_not_runtime_dependencies(dev):
    assert dev not in {_bare(d) for d in _pyproject_deps()}, (
        f"{dev} is both a runtime dependency and in the dev extra"
    )


def test_environment_yml_lists_the_pyproject_dependencies():
    env_deps, _ = _environment_pip()
    py_deps = _pyproject_deps() | _dev_deps()
    assert env_deps == py_deps, (
        f"only in environment.yml: {sorted(env_deps - py_deps)}; "
        f"only in pyproject.toml: {sorted(py_deps - env_deps)}"
    )


def test_environment_yml_uses_the_pins_and_installs_the_package():
    _, options = _environment_pip()
    assert "-c requirements/constraints.txt" in options
    assert "-e .[dev]" in options


def test_every_dependency_is_pinned_exactly():
    pins = {}
    for line in (ROOT / "requirements" / "constraints.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"constraints.txt: {line!r} is not an exact pin"
            pins[_name(name)] = version
    wanted = {_bare(r) for r in _pyproject_deps() | _dev_deps()}
    unpinned = sorted(wanted - set(pins))
    assert not unpinned, f"not pinned in requirements/constraints.txt: {unpinned} (run `make lock`)"
