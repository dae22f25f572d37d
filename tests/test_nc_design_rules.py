"""The NC design's sample rules on county panels: Table A1 dates, the coverage rule, and reported
sample reductions of its estimators. On the built-in SYNTHETIC panel's North Carolina rows, with planted
roster-style dates and a planted low-coverage county-year."""

from __future__ import annotations

import pandas as pd
import pytest

from enforcement_crime import designs, synthetic
from enforcement_crime.designs.base import headline
from enforcement_crime.facts import nc_287g_agreements
from enforcement_crime.panels.nc_county import MIN_COVERAGE

pytestmark = [pytest.mark.xdist_group("nc_design_rules")]


@pytest.fixture(scope="module")
def nc_raw() -> pd.DataFrame:
    raw = synthetic.load_default_panel()
    return raw[raw["fips"].str.startswith("37")].reset_index(drop=True)


def _accounting(sample, rule):
    return next(r for r in sample.accounting if r["rule"] == rule)


def test_nc_design_uses_the_table_a1_dates_on_every_county_panel(nc_raw):
    """A panel with roster dates (as ``cius_sheriff`` has: other end dates, and an agreement Table A1 does
    not list) gets the Table A1 start and end dates the notebook shows, and the accounting names the
    counties changed."""
    roster = nc_raw.copy()
    alamance, orange = roster["fips"] == "37001", roster["fips"] == "37135"
    roster.loc[alamance, "g287_end"] = pd.Timestamp("2013-09-30")  # a roster's last observation
    roster.loc[orange, "g287_start"] = pd.Timestamp("2009-03-01")  # not in Table A1
    d = designs.get("287g_nc")
    s = d.prepare(roster, data_source="synthetic", label="SYNTHETIC DATA (roster dates planted)")
    facts = nc_287g_agreements().set_index("fips")
    got = s.data.groupby("fips")[["g287_start", "g287_end"]].first()
    for f in facts.index:
        assert got.loc[f, "g287_start"] == facts.loc[f, "signed"]
        assert got.loc[f, "g287_end"] == facts.loc[f, "end_date"] or (
            pd.isna(got.loc[f, "g287_end"]) and pd.isna(facts.loc[f, "end_date"])
        )
    assert (
        pd.isna(got.loc["37135", "g287_start"])
        and not s.data.loc[s.data["fips"] == "37135", "g287_ever"].any()
    )
    why = _accounting(s, "Table A1 dates")["why"]
    assert "dates changed for 1 Table A1 counties (37001)" in why
    assert "1 counties with a panel date not in Table A1 set to never treated (37135)" in why
    # the built-in panel already carries Table A1: nothing changes, and the accounting says so
    same = d.prepare(nc_raw, data_source="synthetic", label="SYNTHETIC DATA")
    assert "no Table A1 county's date changed" in _accounting(same, "Table A1 dates")["why"]


def test_nc_design_coverage_rule_drops_and_counts(nc_raw):
    planted = nc_raw.copy()
    hit = (planted["fips"] == "37183") & (planted["year"] == 2010)
    planted.loc[hit, "coverage"] = 35.0  # e.g. Raleigh missing from that year's table
    d = designs.get("287g_nc")
    before = d.prepare(nc_raw, data_source="synthetic", label="SYNTHETIC DATA")
    s = d.prepare(planted, data_source="synthetic", label="SYNTHETIC DATA (low coverage planted)")
    rule = _accounting(s, "coverage")
    assert rule["rows_dropped"] == _accounting(before, "coverage")["rows_dropped"] + 1
    assert f"less than {MIN_COVERAGE:g}%" in rule["why"] and d.min_coverage == MIN_COVERAGE
    assert not ((s.data["fips"] == "37183") & (s.data["year"] == 2010)).any()
    assert (pd.to_numeric(s.data["coverage"]) >= MIN_COVERAGE).all()
    # switched off: the county-year stays
    off = d.with_options(min_coverage=None).prepare(
        planted, data_source="synthetic", label="SYNTHETIC DATA"
    )
    assert ((off.data["fips"] == "37183") & (off.data["year"] == 2010)).sum() == 1
    # the sheriff panels' coverage is the sheriff's own share: not a coverage of the county, not applied
    sheriff = d.prepare(
        planted.assign(county_agency="sheriff"), data_source="synthetic", label="SYNTHETIC"
    )
    assert not any(r["rule"] == "coverage" for r in sheriff.accounting)


def test_estimators_report_the_units_they_leave_out(nc_raw):
    """Callaway-Sant'Anna balances the panel: on a panel with gaps it uses fewer counties than it is
    given, and the headline row says how many of how many, and why (it was silent before)."""
    gaps = nc_raw[~((nc_raw["year"] == 2008) & (nc_raw["fips"].str[-1].isin(["1", "3", "5"])))]
    d = designs.get("287g_nc", n_boot=49)
    s = d.prepare(gaps, data_source="synthetic", label="SYNTHETIC DATA (gaps planted)")
    available = s.data["fips"].nunique()
    missing = s.data.groupby("fips")["year"].nunique() < s.data["year"].nunique()
    res = d.cs_spec().fit(s, "violent_rate", seed=0)
    assert res.extra["units_available"] == available
    assert res.extra["units_used"] == available - int(missing.sum()) < available
    note = headline(res, "ATT(simple)")["note"]
    assert note.startswith(f"sample reduced by the estimator: {available - int(missing.sum())} of "
                           f"{available} counties")  # fmt: skip
    assert "not observed in every period (panel balanced)" in note
    # an estimate on every unit given carries no such note
    full = d.prepare(nc_raw, data_source="synthetic", label="SYNTHETIC DATA")
    r = d.robust_spec().fit(full, "violent_rate")
    assert "units_used" not in r.extra and headline(r)["note"] == ""


def test_reading_names_estimates_on_a_reduced_sample():
    from enforcement_crime.designs import evidence

    t = pd.DataFrame({"outcome": ["y"] * 2, "choice": ["headline", "inference / estimator"],
                      "variant": ["TWFE", "CS"], "scale": ["log"] * 2, "estimate": [0.1, 0.2],
                      "std_error": [0.1, 0.1], "conf_low": [-0.1, 0.0], "conf_high": [0.3, 0.4],
                      "note": ["", f"{evidence.REDUCED}: 18 of 100 counties used (dropped: gaps)"]})  # fmt: skip
    text = evidence.reading_the_evidence(t)
    assert "Estimated on a reduced sample: CS: 18 of 100 counties used (dropped: gaps)." in text
