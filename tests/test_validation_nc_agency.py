"""Agreement between the NC agency panel and the CIUS sheriff panel: toy frames and the real copies."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from enforcement_crime.validation.nc_agency import (
    ALWAYS,
    LEGACY_ONLY,
    agency_vs_cius_sheriff,
    agreement_by_offense,
)

# the real panels come from the session fixture real_build (tests/conftest.py), one build per
# worker: this module's tests and the other users of real_build run on one worker
pytestmark = [pytest.mark.xdist_group("real_data")]

OFFENSES = ALWAYS + LEGACY_ONLY


def _toy():
    """SYNTHETIC toy frames: made-up counts in the two panels' column layouts."""
    base = dict.fromkeys(OFFENSES, 10)
    agency = pd.DataFrame(
        [
            {"ori": "NC00100", "fips": "37001", "year": 2010, "agency": "Alamance SO",
             "agency_type": "sheriff", "county_agency": True, **base},
            {"ori": "NC00100", "fips": "37001", "year": 2014, "agency": "Alamance SO",
             "agency_type": "sheriff", "county_agency": True, **base},
            {"ori": "NC03605", "fips": "37071", "year": 2010, "agency": "Gaston County PD",
             "agency_type": "police", "county_agency": True, **base},
            {"ori": "NC03600", "fips": "37071", "year": 2010, "agency": "Gaston SO",
             "agency_type": "sheriff", "county_agency": False, **base},
            {"ori": "NC06001", "fips": "37119", "year": 2010, "agency": "CMPD",
             "agency_type": "police", "county_agency": True, **base},
            {"ori": "NC00500", "fips": "37009", "year": 2010, "agency": "Ashe SO",
             "agency_type": "sheriff", "county_agency": True, **base, "burglary": np.nan},
            {"ori": "NC09200", "fips": "37183", "year": 2010, "agency": "Wake SO",
             "agency_type": "sheriff", "county_agency": True, **base},
        ]
    )  # fmt: skip
    sheriff = pd.DataFrame(
        [
            {"fips": "37001", "year": 2010, "agency": "Alamance", "county_agency": "sheriff",
             **base, "robbery": 12},
            {"fips": "37001", "year": 2014, "agency": "Alamance", "county_agency": "sheriff",
             **base, "rape": 14, "violent": 14},
            {"fips": "37071", "year": 2010, "agency": "Gaston", "county_agency": "sheriff", **base},
            {"fips": "37119", "year": 2010, "agency": "Mecklenburg", "county_agency": "sheriff",
             **base},
            {"fips": "37009", "year": 2010, "agency": "Ashe", "county_agency": "sheriff", **base},
            {"fips": "45001", "year": 2010, "agency": "Abbeville", "county_agency": "sheriff",
             **base},
        ]
    )  # fmt: skip
    return agency, sheriff


def test_toy_pairs_and_statuses():
    agency, sheriff = _toy()
    pairs = agency_vs_cius_sheriff(agency, sheriff)
    assert set(pairs["fips"]) == {"37001", "37071", "37009", "37183"}  # no Mecklenburg, no SC
    st = pairs.set_index(["fips", "year", "offense"])["status"]
    assert st[("37001", 2010, "murder")] == "compared"
    assert st[("37001", 2014, "rape")] == "rape definitions differ"
    assert st[("37001", 2014, "burglary")] == "compared"
    assert st[("37071", 2010, "murder")] == "agency kinds differ"  # county police vs a sheriff row
    assert st[("37009", 2010, "burglary")] == "missing value"
    assert st[("37009", 2010, "property")] == "compared"
    assert st[("37183", 2010, "murder")] == "no CIUS row"
    rob = pairs.set_index(["fips", "year", "offense"]).loc[("37001", 2010, "robbery")]
    assert not rob["identical"] and rob["difference"] == -2
    table = agreement_by_offense(pairs)
    # Alamance 2010 (9 offenses, robbery differs), Alamance 2014 (7: no rape, no violent),
    # Ashe 2010 (8: burglary missing)
    assert table.loc["all", "compared"] == 9 + 7 + 8
    assert table.loc["all", "identical"] == 9 + 7 + 8 - 1
    assert table.loc["robbery", "share_identical"] == pytest.approx(2 / 3)  # Alamance x2, Ashe
    assert table.loc["all", "no CIUS row"] == len(OFFENSES)
    assert table.loc["all", "rape definitions differ"] == 2


def test_missing_columns_are_named():
    agency, sheriff = _toy()
    with pytest.raises(ValueError, match=r"nc_agency frame lacks \['county_agency'\]"):
        agency_vs_cius_sheriff(agency.drop(columns="county_agency"), sheriff)


@pytest.mark.shared_data
def test_real_agency_panel_agrees_with_the_cius_sheriff_panel(real_build):
    """2005-2016: the cells that differ are those PROVENANCE.md lists for the sheriff rows."""
    files = real_build.files
    if not all(files[s] for s in ("ucr_kaplan_agency", "leaic", "fbi_cius", "census_population")):
        pytest.skip("a shared input of the two panels is absent")
    pairs = agency_vs_cius_sheriff(real_build("nc_agency").panel, real_build("cius_sheriff").panel)
    table = agreement_by_offense(pairs)
    six = ["murder", "robbery", "aggravated_assault", "burglary", "larceny", "motor_vehicle_theft"]
    assert (table.loc[six, "compared"] >= 900).all()
    assert (table.loc[six, "share_identical"] >= 0.99).all()
    differ = pairs[
        (pairs["status"] == "compared") & ~pairs["identical"] & pairs["offense"].isin(six)
    ]
    # PROVENANCE.md: Ashe, Robeson and Union 2008 aggravated assault, Cleveland 2008 burglary
    # (Hoke and New Hanover 2004 murder are outside 2005-2016)
    assert set(zip(differ["fips"], differ["year"], differ["offense"], strict=True)) == {
        ("37009", 2008, "aggravated_assault"),
        ("37155", 2008, "aggravated_assault"),
        ("37179", 2008, "aggravated_assault"),
        ("37045", 2008, "burglary"),
    }
    assert (pairs["status"] != "no agency row").all()
