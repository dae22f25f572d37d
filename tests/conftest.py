"""Shared test fixtures.

``shared_data``: the read-only real copies in ``../shared/data`` (or
``ENFORCEMENT_CRIME_SHARED``); tests that use it skip cleanly when it is absent.
``fixtures_dir``: small committed fixtures in each source's real layout.
``real_build``: a real panel built from the shared copies, once per pytest process.

Test modules import nbformat (and so jsonschema) at collection; the IRI grammar that import would
build is deferred to first use first (:func:`enforcement_crime._lazy_imports.defer_iri_grammar`,
as the notebook runner does), in every pytest process.

Collection's objects (test modules, items) live for the whole run: once collected they are
frozen out of the cyclic collector's passes, and the youngest generation is collected every
10,000 allocations instead of 700 (the tests make many short-lived pandas objects).

Each pytest-xdist worker computes with its share of the cores (``ENFORCEMENT_CRIME_WORKERS``,
:mod:`enforcement_crime.workers`), and so do the notebook kernels it starts: the workers already
keep every core busy.
"""

from __future__ import annotations

import gc
import os
from pathlib import Path

import pytest

from enforcement_crime import config
from enforcement_crime._lazy_imports import defer_iri_grammar
from enforcement_crime.workers import WORKERS_ENV, usable_cores

defer_iri_grammar()

if os.environ.get("PYTEST_XDIST_WORKER_COUNT") and not os.environ.get(WORKERS_ENV):
    os.environ[WORKERS_ENV] = str(
        max(1, usable_cores() // int(os.environ["PYTEST_XDIST_WORKER_COUNT"]))
    )

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    path = config.shared_data_dir()
    if not path.is_dir():
        pytest.skip(
            f"real data folder {path} is absent (a user's clone); set ENFORCEMENT_CRIME_SHARED"
        )
    return path


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return FIXTURES


class RealBuilds:
    """Real panels built from the shared copies with one build context, each once per process.

    ``real_build("cius_sheriff")`` is ``cius_sheriff.build(ctx)`` (the panel module's own build
    function) with ``ctx = BuildContext(files=files_for(source, shared=True) for every source,
    out=lambda s: None)``, the context every test of it made for itself. As in ``data build``,
    which builds every panel with one context, each raw file is loaded once and the panels share
    the loaded inputs; the built result is kept and each call returns a deep copy of it, so no
    test sees another test's changes. :meth:`load` reads one raw file through the same context
    (a copy of the loaded frame). ``files`` are the shared copies found for each source (for a
    test's skip condition). The tests that use it are in the ``real_data`` xdist group (one
    worker loads each file and builds each panel once), with every other test that builds
    panels from the shared copies: the files they all read are parsed once on that worker
    (:class:`enforcement_crime.panels.context.ParsedFiles`).
    """

    def __init__(self) -> None:
        from enforcement_crime.panels.context import BuildContext
        from enforcement_crime.panels.rawfiles import SOURCES, files_for

        self.files = {s: files_for(s, shared=True) for s in SOURCES}
        self.ctx = BuildContext(files=self.files, out=lambda s: None)
        self._built: dict[str, object] = {}

    def __call__(self, panel: str):
        import copy
        import importlib

        if panel not in self._built:
            module = importlib.import_module(f"enforcement_crime.panels.{panel}")
            self._built[panel] = module.build(self.ctx)
        return copy.deepcopy(self._built[panel])

    def load(self, source: str, path: Path):
        """``<source module>.load(path)`` through the shared context (each file loaded once), copied."""
        return self.ctx.load(source, Path(path)).copy()


@pytest.fixture(scope="session")
def real_build(shared_data) -> RealBuilds:
    """:class:`RealBuilds` over the shared copies (skipped when they are absent)."""
    return RealBuilds()


def _xdist_groups(item: pytest.Item) -> list[str]:
    """The ``xdist_group`` names of a test (as pytest-xdist reads them)."""
    names = {str(m.args[0] if m.args else m.kwargs.get("name", "default"))
             for m in item.iter_markers("xdist_group")}  # fmt: skip
    return sorted(names)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Give grouped tests the ``@group`` suffix that ``--dist loadgroup`` schedules by.

    pytest-xdist's workers mark a test of an ``xdist_group`` by appending ``@<group>`` to its
    node id (``item._nodeid``); from pytest 9.2 a node id is read from ``item._id``, so that
    assignment has no effect and every group would be spread over the workers (each worker then
    builds the group's module-scoped fixtures again). Here, on a worker under ``--dist
    loadgroup`` (xdist's own ``loadgroup`` option), a grouped test whose id lacks the suffix gets
    it. ``test_xdist_groups_reach_the_scheduler`` checks it took effect. The items are also put
    in :func:`schedule_order` (the order in which the controller hands them out).
    """
    if not getattr(config.option, "loadgroup", False):
        return
    items[:] = schedule_order(items)
    for item in items:
        groups = _xdist_groups(item)
        suffix = "@" + "_".join(groups)
        if not groups or item.nodeid.endswith(suffix):
            continue
        from _pytest.nodeid import NodeId

        item._id = NodeId.parse(item.nodeid + suffix)


#: markers of the tests that run notebooks, kernels, JupyterLab or a browser (tens of seconds each)
HEAVY_MARKERS = ("notebooks", "browser")


def _tier(item: pytest.Item) -> int:
    """0: runs notebooks or a browser; 1: reads the real copies; 2: the rest (mostly fast)."""
    names = {m.name for m in item.iter_markers()}
    if names.intersection(HEAVY_MARKERS):
        return 0
    return 1 if "shared_data" in names else 2


def schedule_order(items: list[pytest.Item]) -> list[pytest.Item]:
    """The items in the order ``--dist loadgroup`` hands them out: the longest work first.

    A work unit is an ``xdist_group`` (all its tests, on one worker) or an ungrouped test. Each
    unit gets the lowest :func:`_tier` of its tests; units are ordered by tier, groups before
    single tests within a tier (a group is the larger unit), and by first appearance in the
    collection within that. A group's tests stay together and in their collected order (its
    module-scoped fixtures are built once). Handing out the notebook runs first and the many
    short tests last lets both workers finish together: with the collected (alphabetical) order
    the notebook tests came near the end and one worker ran the last of them alone.
    """
    units: dict[str, list[pytest.Item]] = {}
    for item in items:
        groups = _xdist_groups(item)
        units.setdefault("@" + "_".join(groups) if groups else item.nodeid, []).append(item)

    def key(pair):
        position, (name, members) = pair
        return (min(_tier(i) for i in members), 0 if name.startswith("@") else 1, position)

    ordered = sorted(enumerate(units.items()), key=key)
    return [item for _, (_, members) in ordered for item in members]


def pytest_collection_finish(session: pytest.Session) -> None:
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)


def pytest_configure(config: pytest.Config) -> None:
    """Under ``--dist loadgroup`` the work units go out in :func:`schedule_order`.

    pytest-xdist otherwise re-sorts the units by their number of tests (its ``loadscope``
    reorder), which puts groups of many quick tests ahead of single notebook runs.
    """
    if getattr(config.option, "dist", "no") == "loadgroup":
        config.option.loadscopereorder = False
