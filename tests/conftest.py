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
