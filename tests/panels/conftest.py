"""Fixtures of the panel tests: a raw-data tree made of the committed source fixtures."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest


def make_raw_tree(raw: Path, fixtures_dir: Path, timing: bool = False) -> Path:
    """A data/raw tree made of the committed fixtures (each source's real file layout).

    With ``timing``: also a Secure Communities file and two 287(g) files.
    """
    (raw / "fbi_cius").mkdir(parents=True)
    for p in (fixtures_dir / "fbi_cius").glob("table*/*.xls"):
        (raw / "fbi_cius" / p.parent.name).mkdir(exist_ok=True)
        shutil.copy(p, raw / "fbi_cius" / p.parent.name / p.name)
    (raw / "leaic").mkdir()
    shutil.copy(fixtures_dir / "leaic" / "35158-0001-Data.tsv", raw / "leaic")
    (raw / "ucr_kaplan").mkdir()
    shutil.copy(
        fixtures_dir / "ucr_kaplan" / "offenses_known_yearly_2005_2007.csv", raw / "ucr_kaplan"
    )
    (raw / "ucr_icpsr_county").mkdir()
    for n in ("county_offenses_2008.txt", "county_offenses_2010.txt"):
        shutil.copy(fixtures_dir / "ucr_icpsr_county" / n, raw / "ucr_icpsr_county")
    (raw / "census_population").mkdir()
    for n in ("co-est2009-alldata.csv", "co-est2019-alldata.csv"):
        shutil.copy(fixtures_dir / "census_population" / n, raw / "census_population")
    if timing:
        (raw / "secure_communities").mkdir()
        shutil.copy(
            fixtures_dir / "secure_communities" / "sc_activation_dates_county.csv",
            raw / "secure_communities",
        )
        (raw / "g287").mkdir()
        for n in ("pre2018-agreements-best-guess.csv", "historical-oig-2009.csv"):
            shutil.copy(fixtures_dir / "g287" / n, raw / "g287")
    return raw


@pytest.fixture(scope="session")
def raw_tree_maker():
    """:func:`make_raw_tree`, for module-scoped fixtures."""
    return make_raw_tree


@pytest.fixture
def raw_from_fixtures(tmp_path, fixtures_dir) -> Path:
    """A data/raw tree made of the committed fixtures (each source's real file layout)."""
    return make_raw_tree(tmp_path / "raw", fixtures_dir)


@pytest.fixture
def raw_with_timing(tmp_path, fixtures_dir) -> Path:
    """:func:`raw_from_fixtures` plus a Secure Communities file and two 287(g) files."""
    return make_raw_tree(tmp_path / "raw", fixtures_dir, timing=True)
