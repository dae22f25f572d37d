"""The partial-year exposure rules (:mod:`enforcement_crime.treatment`), checked by hand-counted days."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from enforcement_crime import treatment
from enforcement_crime.facts import nc_287g_agreements
from enforcement_crime.panels import timing


def test_exposure_share_by_hand():
    # Mecklenburg signed 2006-02-27: 31 (Jan) + 26 (Feb 1-26) = 57 days unexposed of 365
    start = pd.to_datetime(["2006-02-27"] * 3 + ["2012-01-01", pd.NaT])
    end = pd.to_datetime([pd.NaT, pd.NaT, pd.NaT, "2012-07-01", pd.NaT])
    share = treatment.exposure_share(start, end, [2005, 2006, 2007, 2012, 2010])
    # 2012 is a leap year: 1 Jan to 1 Jul = 182 of 366 days
    expected = [0.0, 308 / 365, 1.0, 182 / 366, 0.0]
    np.testing.assert_allclose(share, expected, rtol=0, atol=1e-15)  # exact day counts
    with pytest.raises(ValueError, match="must align"):
        treatment.exposure_share(start, end, [2005])


def test_panel_timing_uses_the_same_rule():
    """panels.timing's unit x year frame is the same numbers as the row-aligned rule (one implementation)."""
    ag = nc_287g_agreements().set_index("fips")
    years = list(range(2003, 2019))
    ref = timing.exposure_share_of_year(ag["signed"], ag["end_date"], years)
    ours = treatment.exposure_share(
        ag.loc[ref["fips"], "signed"], ag.loc[ref["fips"], "end_date"], ref["year"]
    )
    np.testing.assert_array_equal(ours, ref["share"].to_numpy())
    # and by hand for Alamance (signed 2007-01-10, ended 2012-09-01): 356/365 in 2007, 244/366 in 2012
    got = ref.set_index(["fips", "year"])["share"]
    assert got[("37001", 2007)] == pytest.approx(356 / 365, abs=1e-15)
    assert got[("37001", 2012)] == pytest.approx(244 / 366, abs=1e-15)
    assert got[("37001", 2013)] == 0.0


def test_annual_cohort_rules():
    dates = pd.to_datetime(["2006-02-27", "2009-01-01", pd.NaT, "2013-01-22"])
    assert treatment.annual_cohort(dates, "first_full_year").tolist() == [2007, 2009, 0, 2014]
    assert treatment.annual_cohort(dates, "share_of_year").tolist() == [2006, 2009, 0, 2013]
    assert timing.exposure_first_full_year(pd.Series(dates)).tolist()[:2] == [2007, 2009]
    with pytest.raises(ValueError, match="rule must be one of"):
        treatment.annual_cohort(dates, "half_year")


def test_add_treatment_switching_and_absorbing():
    ag = nc_287g_agreements()
    alamance = ag[ag["county"] == "Alamance"].iloc[0]  # signed 2007-01-10, ended 2012-09
    panel = pd.DataFrame(
        {
            "fips": "37001",
            "year": range(2005, 2015),
            "g287_start": alamance["signed"],
            "g287_end": alamance["end_date"],
        }
    )
    out = treatment.add_treatment(panel, "g287_start", "g287_end", rule="first_full_year")
    out = out.set_index("year")
    assert set(out["g287_cohort"]) == {2008}
    # wholly exposed years: 2008-2011 (2007 starts 10 Jan, 2012 ends 1 Sep)
    assert out["g287_treated"].to_dict() == {y: float(2008 <= y <= 2011) for y in range(2005, 2015)}
    assert out.loc[2013, "g287_switch_off"] == 1.0 and out.loc[2012, "g287_switch_off"] == 0.0
    share = treatment.add_treatment(panel, "g287_start", "g287_end", rule="share_of_year")
    share = share.set_index("year")
    assert share.loc[2007, "g287_treated"] == pytest.approx(356 / 365, abs=1e-15)
    assert share.loc[2010, "g287_treated"] == 1.0 and share.loc[2013, "g287_treated"] == 0.0
    assert set(share["g287_cohort"]) == {2007}


def test_add_treatment_bad_input():
    panel = pd.DataFrame(
        {
            "fips": ["1"],
            "year": [2008],
            "s": pd.to_datetime(["2008-05-01"]),
            "e": pd.to_datetime(["2008-01-01"]),
        }
    )
    with pytest.raises(ValueError, match="before 's'"):
        treatment.add_treatment(panel, "s", "e")
    with pytest.raises(KeyError, match="'nope'"):
        treatment.add_treatment(panel, "nope")
    with pytest.raises(ValueError, match="rule must be one of"):
        treatment.add_treatment(panel, "s", rule="half")


def test_the_rule_is_written_once():
    """No other module of the package computes a share of a year itself (issue: three copies)."""
    import enforcement_crime

    root = __import__("pathlib").Path(enforcement_crime.__file__).parent
    offenders = []
    for path in root.rglob("*.py"):
        if path.name == "treatment.py":
            continue
        text = path.read_text()
        # computing a share of a year needs 1 January of each year (old copies built it these ways)
        if re.search(r'"month": 1, "day": 1|\{y(?: \+ 1)?\}-01-01', text):
            offenders.append(str(path.relative_to(root)))
    assert offenders == []
