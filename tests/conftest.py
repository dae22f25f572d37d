"""Shared test fixtures.

``shared_data``: the read-only real copies in ``../shared/data`` (or
``ENFORCEMENT_CRIME_SHARED``); tests that use it skip cleanly when it is absent.
``fixtures_dir``: small committed fixtures in each source's real layout.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from enforcement_crime import config

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
    it. ``test_xdist_groups_reach_the_scheduler`` checks it took effect.
    """
    if not getattr(config.option, "loadgroup", False):
        return
    for item in items:
        groups = _xdist_groups(item)
        suffix = "@" + "_".join(groups)
        if not groups or item.nodeid.endswith(suffix):
            continue
        from _pytest.nodeid import NodeId

        item._id = NodeId.parse(item.nodeid + suffix)
