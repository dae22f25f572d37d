"""The package's layers import downwards only (ARCHITECTURE.md).

Layer 0 holds the leaves (configuration, result type, facts, schemas, raw
loaders, treatment rules); layer 1 the data and estimators; layer 2 plotting
and the output registry; layer 3 the study designs, the multiverse and the
notebook runners; layer 4 the command line. A module may import modules of
its own layer or below, never above: e.g. an estimator never imports a study
design, a loader never imports a panel builder, the output registry never
imports the notebook runner.
"""

from __future__ import annotations

import functools

import pytest

from tests.test_import_graph import _modules
from tests.test_import_graph import import_graph as _import_graph

PKG = "enforcement_crime"

# with tests/test_import_graph.py, on one pytest-xdist worker: it parses the package once
pytestmark = pytest.mark.xdist_group("import_graph")


@functools.cache
def import_graph() -> dict[str, set[str]]:
    return _import_graph()


LAYERS: dict[str, int] = {
    "config": 0,
    "fileio": 0,
    "_lazy_imports": 0,
    "_pdf_fonts": 0,
    "workers": 0,
    "results": 0,
    "labels": 0,
    "facts": 0,
    "schema": 0,
    "simulate": 0,
    "treatment": 0,
    "sources": 0,
    "synthetic": 1,
    "panels": 1,
    "estimators": 1,
    "plotting": 2,
    "plots": 2,
    "reports": 2,
    "designs": 3,
    "multiverse": 3,
    "notebooks": 3,
    "teaching": 3,
    "validation": 3,
    "real": 3,
    "cli": 4,
    "__main__": 4,
}


def layer(module: str) -> int:
    parts = module.split(".")
    if module == PKG:
        return 4  # the package itself (its __init__) sits on top
    top = parts[1]
    if top not in LAYERS:
        raise KeyError(
            f"module {module} has no layer in tests/test_architecture.py: add it (and to ARCHITECTURE.md)"
        )
    return LAYERS[top]


def test_every_module_has_a_layer():
    for module in import_graph():
        layer(module)


# the modules are listed from the file names (the graph's keys): the graph itself, which parses
# every module, is built by the first test that reads it, not while the tests are collected
@pytest.mark.parametrize("module", sorted(_modules()))
def test_imports_go_downwards(module):
    graph = import_graph()
    up = sorted(t for t in graph[module] if t != PKG and layer(t) > layer(module))
    assert not up, (
        f"{module} (layer {layer(module)}) imports upwards: {[(t, layer(t)) for t in up]}"
    )


def test_the_rule_can_fail():
    """A planted upward import is caught (the check is not vacuous)."""
    assert layer("enforcement_crime.estimators.twfe") < layer("enforcement_crime.designs.base")
    graph = {"enforcement_crime.estimators.twfe": {"enforcement_crime.designs.base"}}
    up = [
        t
        for t in graph["enforcement_crime.estimators.twfe"]
        if layer(t) > layer("enforcement_crime.estimators.twfe")
    ]
    assert up == ["enforcement_crime.designs.base"]
