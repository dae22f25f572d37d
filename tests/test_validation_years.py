"""CIUS against ICPSR in several years at once (2010 and 2012), and the inputs the notebook needs.

Toy frames (SYNTHETIC: made-up counts in the layouts of the CIUS panel and the ICPSR loader)
check the pairing and the side-by-side table against values worked out by hand and against the
one-year functions; the real copies in ``../shared/data`` (skipped when absent) check both
years against an independent plain merge of the two sources.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from enforcement_crime import validation as v

# the real panels come from the session fixture real_build (tests/conftest.py), one build per
# worker: this module's tests and the other users of real_build run on one worker
pytestmark = [pytest.mark.xdist_group("real_data")]


def icpsr_raw(year: int, violent: list[int], prop: list[int]) -> pd.DataFrame:
    """SYNTHETIC: one year of an ICPSR county file, three counties and a pseudo-county."""
    fips = ["01001", "01003", "01005", "01999"]
    return pd.DataFrame(
        {
            "fips": pd.array(fips, dtype="string"),
            "county_fips": pd.array([f[2:] for f in fips], dtype="string"),
            "year": year,
            "population": pd.array([1000, 2000, 3000, 10], dtype="Int64"),
            "agencies_offenses": pd.array([2, 1, 3, 1], dtype="Int64"),
            "coverage": [100.0, 100.0, 80.0, 100.0],
            "violent": pd.array(violent, dtype="Int64"),
            "property": pd.array(prop, dtype="Int64"),
            "no_data": False,
        }
    )


def cius_toy() -> pd.DataFrame:
    """SYNTHETIC: a CIUS county panel of 2009, 2010 and 2012 (index = violent + property)."""
    rows = []
    for year, counts in {
        2009: {"01001": (1, 1), "01003": (1, 1), "01005": (1, 1)},
        2010: {"01001": (10, 90), "01003": (20, 180), "01005": (5, 45)},
        2012: {"01001": (10, 90), "01003": (30, 300)},  # 01005 has no CIUS row in 2012
    }.items():
        for f, (a, b) in counts.items():
            rows.append({"fips": f, "year": year, "state_fips": "01", "state": "AL",
                         "county_name": f"County {f}", "violent": a, "property": b,
                         "index": a + b})  # fmt: skip
    return pd.DataFrame(rows)


def toy_icpsr() -> dict[int, pd.DataFrame]:
    # 2010: index ratios 100/100 = 1, 200/250 = 0.8, 50/50 = 1
    # 2012: index ratios 100/125 = 0.8, 330/330 = 1; 01005 only in ICPSR
    return {
        2010: icpsr_raw(2010, [10, 25, 5, 1], [90, 225, 45, 1]),
        2012: icpsr_raw(2012, [25, 30, 5, 1], [100, 300, 45, 1]),
    }


def test_compare_icpsr_years_pairs_each_year_and_keeps_every_county():
    pairs, acc = v.compare_icpsr_years(cius_toy(), toy_icpsr())
    assert sorted(pairs["year"].unique()) == [2010, 2012], "2009 has no ICPSR file: not paired"
    idx = pairs[pairs["group"] == "index"].set_index(["fips", "year"])
    assert len(idx) == 3 + 3  # every county of either source, each year; no pseudo-county
    assert idx.loc[("01003", 2010), "ratio"] == pytest.approx(0.8)
    assert idx.loc[("01001", 2012), "ratio"] == pytest.approx(0.8)
    assert idx.loc[("01005", 2012), "status"] == "no cius row"
    assert idx.loc[("01003", 2012), "state"] == "AL"
    a = acc.set_index(["year", "step"])["rows"]
    assert a[(2010, "ICPSR rows in")] == a[(2012, "ICPSR rows in")] == 4
    assert a[(2010, "set aside")] == a[(2012, "set aside")] == 1
    assert list(acc.columns[:2]) == ["year", "step"]


def test_compare_icpsr_years_refuses_a_frame_of_another_year():
    icpsr = toy_icpsr()
    with pytest.raises(ValueError, match="the frame given for 2012 holds year\\(s\\) \\[2010\\]"):
        v.compare_icpsr_years(cius_toy(), {2010: icpsr[2010], 2012: icpsr[2010]})
    with pytest.raises(ValueError, match="no ICPSR year"):
        v.compare_icpsr_years(cius_toy(), {})


def test_side_by_side_is_each_years_own_summary():
    pairs, _ = v.compare_icpsr_years(cius_toy(), toy_icpsr())
    table = v.side_by_side(pairs)
    assert list(table.columns) == ["group", "statistic", "2010", "2012", "change"]
    assert len(table) == len(v.GROUPS) * len(v.SIDE_BY_SIDE)
    t = table.set_index(["group", "statistic"])
    # by hand: 2010 index ratios 1, 0.8, 1 -> median 1, two of three within 10%;
    # 2012 ratios 0.8, 1 -> median 0.9, one of two within 10%
    assert t.loc[("index", "median_ratio"), "2010"] == pytest.approx(1.0)
    assert t.loc[("index", "median_ratio"), "2012"] == pytest.approx(0.9)
    assert t.loc[("index", "median_ratio"), "change"] == pytest.approx(-0.1)
    assert t.loc[("index", "share_within_10pct"), "2010"] == pytest.approx(2 / 3)
    assert t.loc[("index", "share_within_10pct"), "2012"] == pytest.approx(1 / 2)
    assert t.loc[("index", "units"), "2012"] == 3 and t.loc[("index", "compared"), "2012"] == 2
    # each year's column is the one-year comparison the notebook makes (keys fips only)
    for year, raw in toy_icpsr().items():
        icpsr, _ = v.icpsr_counties(raw)
        one = v.compare_values(cius_toy().query("year == @year"), icpsr)
        s = v.agreement_summary(one).set_index("group")
        for g in v.GROUPS:
            for stat in v.SIDE_BY_SIDE:
                want, got = s.loc[g, stat], t.loc[(g, stat), str(year)]
                assert got == pytest.approx(want, nan_ok=True), (year, g, stat)
    with pytest.raises(ValueError, match="unknown statistic"):
        v.side_by_side(pairs, statistics=("median_ratio", "nonsense"))


def test_real_inputs_names_the_2012_file_and_the_panels(tmp_path, monkeypatch):
    monkeypatch.setenv("ENFORCEMENT_CRIME_ROOT", str(tmp_path))
    monkeypatch.setenv("ENFORCEMENT_CRIME_SHARED", str(tmp_path / "no-shared"))
    monkeypatch.delenv("ENFORCEMENT_CRIME_RAW", raising=False)
    with pytest.raises(v.MissingRealData) as err:
        v.real_inputs(icpsr_years=[2010, 2012], panels=["nc_agency", "cius_sheriff"])
    text = str(err.value)
    assert "35019-0004-Data.tsv" in text and "33523-0004-Data.rda" in text
    assert "data build --shared nc_agency" in text and "data build --shared cius_sheriff" in text
    with pytest.raises(KeyError, match="known years: \\[2010, 2012\\]"):
        v.icpsr_file_for(2011)


# ---------------------------------------------------------------- real data


@pytest.fixture(scope="module")
def real(real_build):
    from enforcement_crime.sources import ucr_icpsr_county

    paths = {y: v.icpsr_file_for(y) for y in (2010, 2012)}
    if not all(p.is_file() for p in paths.values()) or not real_build.files["fbi_cius"]:
        pytest.skip("ICPSR 2010/2012 or CIUS copies absent")
    panel = real_build("cius_county").panel
    return panel, {y: ucr_icpsr_county.load(p) for y, p in paths.items()}


@pytest.mark.shared_data
def test_real_cius_vs_icpsr_2010_and_2012(real):
    panel, raw = real
    pairs, acc = v.compare_icpsr_years(panel, raw)
    for year, frame in raw.items():
        # every county of either source kept, every ICPSR row accounted for
        a = acc[acc["year"] == year].set_index("step")["rows"]
        assert a["ICPSR rows in"] == len(frame)
        icpsr, _ = v.icpsr_counties(frame)
        cius = panel[panel["year"] == year]
        n_units = len(set(cius["fips"]) | set(icpsr["fips"]))
        assert (pairs[pairs["year"] == year].groupby("group").size() == n_units).all()
    table = v.side_by_side(pairs).set_index(["group", "statistic"])
    print("\n" + table.to_string())
    for year, frame in raw.items():
        # the median ratio again from an independent plain merge of the panel and the file
        cius = panel[panel["year"] == year]
        m = cius.merge(frame[["fips", "violent", "property"]], on="fips", suffixes=("", "_i"))
        li = m["index"].astype(float)
        ri = (m["violent_i"] + m["property_i"]).astype(float)
        ok = (li > 0) & (ri > 0)
        want = np.median(li[ok] / ri[ok])
        assert table.loc[("index", "median_ratio"), str(year)] == pytest.approx(want, rel=1e-3)
        # the two sources count the same offenses for most counties: a loader reading the wrong
        # columns (2012's INDEX and MODINDX hold violent and property) would break these
        assert table.loc[("index", "compared"), str(year)] > 2500
        assert (table.xs("corr_log", level="statistic")[str(year)] > 0.9).all()
        assert 0.9 <= table.loc[("index", "median_ratio"), str(year)] <= 1.05
