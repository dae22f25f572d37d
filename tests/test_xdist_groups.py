"""``make test`` schedules the tests of one ``xdist_group`` on one worker (``--dist loadgroup``).

The grouped modules build expensive module-scoped inputs (real panels, notebook runs) once;
spread over both workers they would be built twice. pytest-xdist reads a test's group from the
``@<group>`` suffix of its node id (see ``tests/conftest.py``).
"""

from __future__ import annotations

import os

import pytest

pytestmark = [pytest.mark.xdist_group("xdist_self_check")]


def test_xdist_groups_reach_the_scheduler(request):
    """Under ``--dist loadgroup`` this test's id carries its group; else (one process) it does not."""
    loadgroup = getattr(request.config.option, "loadgroup", False)
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        assert not loadgroup
        pytest.skip("not an xdist worker: tests are not distributed, there are no groups to keep")
    if not loadgroup:
        pytest.skip(f"xdist runs with --dist {request.config.getoption('dist')}, not loadgroup")
    assert request.node.nodeid.endswith("@xdist_self_check"), request.node.nodeid


def test_notebook_runs_are_handed_out_first(request):
    """Under ``--dist loadgroup`` the collected items are in ``conftest.schedule_order``: the work
    units (a group, or an ungrouped test) with a notebook or browser test first, then those that
    read the real copies, then the rest; each group's tests are contiguous."""
    if not getattr(request.config.option, "loadgroup", False):
        pytest.skip("not an xdist worker under --dist loadgroup: the collected order is kept")
    from pathlib import Path

    conftest = request.config.pluginmanager.get_plugin(str(Path(__file__).with_name("conftest.py")))
    _tier, _xdist_groups = conftest._tier, conftest._xdist_groups
    items = request.session.items
    seen, last_tier, tiers = [], -1, {}
    for item in items:
        unit = "_".join(_xdist_groups(item)) or item.nodeid
        tiers[unit] = min(tiers.get(unit, 3), _tier(item))
        if not seen or seen[-1] != unit:
            assert unit not in seen, f"group {unit} is split"
            seen.append(unit)
    for unit in seen:
        assert tiers[unit] >= last_tier, (
            f"{unit} (tier {tiers[unit]}) after a tier {last_tier} unit"
        )
        last_tier = tiers[unit]
