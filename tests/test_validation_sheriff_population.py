"""The sheriff panel's estimated unincorporated population against nc_agency's population served."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from enforcement_crime.validation.sheriff_population import estimate_vs_population_served, summarise

# the real panels come from the session fixture real_build (tests/conftest.py), one build per
# worker: this module's tests and the other users of real_build run on one worker
pytestmark = [pytest.mark.xdist_group("real_data")]


def _toy():
    """SYNTHETIC toy frames in the two panels' column layouts (made-up populations)."""
    sheriff = pd.DataFrame(
        [
            {"fips": "37183", "year": 2005, "county_agency": "sheriff",
             "population_served_est": 200_000, "county_population": 750_000},
            {"fips": "37183", "year": 2013, "county_agency": "sheriff",
             "population_served_est": 220_000, "county_population": 970_000},
            {"fips": "37071", "year": 2013, "county_agency": "county police",
             "population_served_est": 90_000, "county_population": 210_000},
            {"fips": "37001", "year": 2013, "county_agency": "sheriff",
             "population_served_est": 60_000, "county_population": 150_000},
        ]
    )  # fmt: skip
    agency = pd.DataFrame(
        [
            {"fips": "37183", "year": 2005, "agency_type": "sheriff", "county_agency": True,
             "population_served": 100_000},
            {"fips": "37183", "year": 2013, "agency_type": "sheriff", "county_agency": True,
             "population_served": 100_000},
            {"fips": "37071", "year": 2013, "agency_type": "sheriff", "county_agency": False,
             "population_served": 0},
            {"fips": "37001", "year": 2013, "agency_type": "sheriff", "county_agency": True,
             "population_served": 0},
            {"fips": "37001", "year": 2013, "agency_type": "police", "county_agency": False,
             "population_served": 50_000},
        ]
    )  # fmt: skip
    return sheriff, agency


def test_toy_pairs_only_county_sheriffs_with_both_populations():
    sheriff, agency = _toy()
    pairs = estimate_vs_population_served(sheriff, agency)
    # Gaston: a county police against a non-county sheriff row; Alamance: served 0
    assert list(zip(pairs["fips"], pairs["year"], strict=True)) == [
        ("37183", 2005),
        ("37183", 2013),
    ]
    assert pairs["ratio"].tolist() == pytest.approx([2.0, 2.2])
    s = summarise(pairs, 2005, 2013)
    assert s["county_years"] == 2 and s["counties"] == 1
    assert s["log_change_gap_median_abs"] == pytest.approx(np.log(1.1))


def test_missing_column_and_duplicate_sheriff_rows_are_refused():
    sheriff, agency = _toy()
    with pytest.raises(
        ValueError, match="sheriff panel: missing columns \\['population_served_est'\\]"
    ):
        estimate_vs_population_served(sheriff.drop(columns="population_served_est"), agency)
    with pytest.raises(ValueError, match="several county sheriff rows"):
        estimate_vs_population_served(sheriff, pd.concat([agency, agency.iloc[[0]]]))


@pytest.mark.shared_data
def test_real_nc_estimate_against_population_served(real_build):
    """NC sheriffs: the estimate is of the same order as the population served and moves with it.

    Loose bounds (the estimate counts everyone outside the listed cities, the agency's
    population served is the FBI's own figure): a ratio median within [0.8, 1.25], and a median
    absolute 2005-2013 log-change gap under 0.1, small beside the growth of a fast-annexing
    county (Wake: log 1.29, about 0.25) that the whole-county denominator carries.
    """
    files = real_build.files
    if not all(files[s] for s in ("ucr_kaplan_agency", "leaic", "fbi_cius", "census_population")):
        pytest.skip("a shared input of the two panels is absent")
    pairs = estimate_vs_population_served(
        real_build("cius_sheriff").panel, real_build("nc_agency").panel
    )
    s = summarise(pairs, 2005, 2013)
    assert s["counties"] > 80
    assert 0.8 <= s["ratio_median"] <= 1.25
    assert s["log_change_gap_median_abs"] < 0.1
