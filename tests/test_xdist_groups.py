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
